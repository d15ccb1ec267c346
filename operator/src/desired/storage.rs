//! Scratch space and shared files of bot pods: the `emptyDir` at `/tmp` (the root filesystem is
//! read-only) with a size limit and matching ephemeral-storage requests and limits, and the
//! local Bot API server's file volume, mounted read-only into workers.

use k8s_openapi::api::core::v1::{
    EmptyDirVolumeSource, PersistentVolumeClaimVolumeSource, ResourceRequirements, Volume,
    VolumeMount,
};
use k8s_openapi::apimachinery::pkg::api::resource::Quantity;

use super::metadata::Component;
use crate::crd::TranscriptionBot;

/// Where scratch space is mounted (`TEMP_DIR`).
pub const TMP: &str = "/tmp";
const TMP_VOLUME: &str = "tmp";
const FILES_VOLUME: &str = "telegram-files";
/// Scratch space of pods that barely write (webhook, reports).
const SMALL: &str = "64Mi";
/// Added to the scratch space in the ephemeral-storage limit: container logs and the writable
/// layer count there too.
const HEADROOM_MI: i64 = 256;
const MI: i64 = 1024 * 1024;

/// The scratch space of a component, as a quantity.
pub fn scratch(bot: &TranscriptionBot, component: Component) -> String {
    match component {
        Component::Worker => bot.spec.worker.temp_storage.clone(),
        Component::Webhook | Component::Report | Component::Config => SMALL.to_owned(),
    }
}

/// Bytes of a quantity the CRD admits (`<digits>` with an optional Ki/Mi/Gi/Ti suffix).
pub fn bytes(quantity: &str) -> Option<i64> {
    let (digits, unit) = match quantity.find(|c: char| !c.is_ascii_digit()) {
        Some(i) => quantity.split_at(i),
        None => (quantity, ""),
    };
    let factor: i64 = match unit {
        "" => 1,
        "Ki" => 1 << 10,
        "Mi" => 1 << 20,
        "Gi" => 1 << 30,
        "Ti" => 1 << 40,
        _ => return None,
    };
    digits.parse::<i64>().ok()?.checked_mul(factor)
}

/// The ephemeral-storage limit for `scratch`: the scratch space plus headroom, in Mi.
fn limit(scratch: &str) -> Option<String> {
    let mi = (bytes(scratch)? + MI - 1) / MI;
    Some(format!("{}Mi", mi + HEADROOM_MI))
}

/// Adds the ephemeral-storage request (the scratch space) and limit (plus headroom) unless the
/// owner set their own.
pub fn with_ephemeral_storage(
    mut resources: ResourceRequirements,
    scratch: &str,
) -> ResourceRequirements {
    const KEY: &str = "ephemeral-storage";
    resources
        .requests
        .get_or_insert_with(Default::default)
        .entry(KEY.to_owned())
        .or_insert_with(|| Quantity(scratch.to_owned()));
    if let Some(limit) = limit(scratch) {
        resources
            .limits
            .get_or_insert_with(Default::default)
            .entry(KEY.to_owned())
            .or_insert_with(|| Quantity(limit));
    }
    resources
}

/// The pod's volumes: scratch space, and the local Bot API server's files for workers.
pub fn volumes(bot: &TranscriptionBot, component: Component) -> Vec<Volume> {
    let mut volumes = vec![Volume {
        name: TMP_VOLUME.to_owned(),
        empty_dir: Some(EmptyDirVolumeSource {
            size_limit: Some(Quantity(scratch(bot, component))),
            ..EmptyDirVolumeSource::default()
        }),
        ..Volume::default()
    }];
    if let Some(files) = local_files(bot, component) {
        volumes.push(Volume {
            name: FILES_VOLUME.to_owned(),
            persistent_volume_claim: Some(PersistentVolumeClaimVolumeSource {
                claim_name: files.claim_name.clone(),
                read_only: Some(true),
            }),
            ..Volume::default()
        });
    }
    volumes
}

/// The container's mounts of [`volumes`].
pub fn mounts(bot: &TranscriptionBot, component: Component) -> Vec<VolumeMount> {
    let mut mounts = vec![VolumeMount {
        name: TMP_VOLUME.to_owned(),
        mount_path: TMP.to_owned(),
        ..VolumeMount::default()
    }];
    if let Some(files) = local_files(bot, component) {
        mounts.push(VolumeMount {
            name: FILES_VOLUME.to_owned(),
            mount_path: files.root.clone(),
            read_only: Some(true),
            ..VolumeMount::default()
        });
    }
    mounts
}

fn local_files(
    bot: &TranscriptionBot,
    component: Component,
) -> Option<&crate::crd::LocalFilesSpec> {
    (component == Component::Worker)
        .then_some(())
        .and(bot.spec.telegram.local_server.as_ref())
        .and_then(|l| l.files.as_ref())
}
