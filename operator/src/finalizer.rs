//! The finalizer that keeps a bot until its webhook is deleted at Telegram, added and removed
//! with JSON patches whose `test` fails if someone changed the list meanwhile.

use kube::ResourceExt;
use kube::api::{Api, Patch, PatchParams};
use serde_json::json;

use crate::crd::TranscriptionBot;
use crate::desired::FIELD_MANAGER;
use crate::error::{Error, Result};

/// Finalizer that keeps a bot until its webhook is deleted at Telegram.
pub const FINALIZER: &str = "transcriptionbots.scribe.dev/webhook";

fn json_patch(ops: serde_json::Value) -> Result<json_patch::Patch> {
    serde_json::from_value(ops).map_err(|source| Error::Encode {
        kind: "JSON patch",
        source,
    })
}

fn write_params() -> PatchParams {
    PatchParams {
        field_manager: Some(FIELD_MANAGER.to_owned()),
        ..PatchParams::default()
    }
}

/// The finalizer's index, when the bot carries it.
pub fn position(bot: &TranscriptionBot) -> Option<usize> {
    bot.finalizers().iter().position(|f| f == FINALIZER)
}

pub async fn add(api: &Api<TranscriptionBot>, bot: &TranscriptionBot) -> Result<()> {
    let ops = if bot.finalizers().is_empty() {
        json!([
            { "op": "test", "path": "/metadata/finalizers", "value": null },
            { "op": "add", "path": "/metadata/finalizers", "value": [FINALIZER] },
        ])
    } else {
        json!([
            { "op": "test", "path": "/metadata/finalizers", "value": bot.finalizers() },
            { "op": "add", "path": "/metadata/finalizers/-", "value": FINALIZER },
        ])
    };
    api.patch(
        &bot.name_any(),
        &write_params(),
        &Patch::Json::<()>(json_patch(ops)?),
    )
    .await
    .map_err(Error::kube("adding the finalizer"))?;
    Ok(())
}

pub async fn remove(
    api: &Api<TranscriptionBot>,
    bot: &TranscriptionBot,
    index: usize,
) -> Result<()> {
    let path = format!("/metadata/finalizers/{index}");
    let ops = json!([
        { "op": "test", "path": path, "value": FINALIZER },
        { "op": "remove", "path": path },
    ]);
    api.patch(
        &bot.name_any(),
        &write_params(),
        &Patch::Json::<()>(json_patch(ops)?),
    )
    .await
    .map_err(Error::kube("removing the finalizer"))?;
    Ok(())
}
