//! The generated webhook secret token: the Secret that holds it (created once by the operator,
//! immutable) and the reference the webhook pods read it through.

use std::collections::BTreeMap;

use k8s_openapi::ByteString;
use k8s_openapi::api::core::v1::Secret;

use super::metadata::{Component, meta, name};
use crate::crd::{SecretKeyRef, TranscriptionBot};

/// Key of the generated webhook secret token in its Secret.
pub const TOKEN_KEY: &str = "token";

/// The Secret holding the generated webhook secret token. Created once, never rewritten
/// (immutable), so the token survives every reconcile.
pub fn webhook_token_secret(bot: &TranscriptionBot, token: &str) -> Secret {
    Secret {
        metadata: meta(bot, name(bot, "webhook-token"), Component::Webhook),
        data: Some(BTreeMap::from([(
            TOKEN_KEY.to_owned(),
            ByteString(token.as_bytes().to_vec()),
        )])),
        immutable: Some(true),
        type_: Some("Opaque".to_owned()),
        ..Secret::default()
    }
}

/// Where the generated webhook secret token lives.
pub fn generated_token_ref(bot: &TranscriptionBot) -> SecretKeyRef {
    SecretKeyRef {
        name: name(bot, "webhook-token"),
        key: TOKEN_KEY.to_owned(),
    }
}
