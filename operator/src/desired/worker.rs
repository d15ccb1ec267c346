//! The workers: `scribe worker` (updates and transcription jobs from RabbitMQ). With autoscaling
//! on, `spec.replicas` is left out entirely, so the operator never fights the
//! HorizontalPodAutoscaler (KEDA's or its own) over it.

use k8s_openapi::api::apps::v1::{Deployment, DeploymentSpec};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::LabelSelector;

use super::inputs::Inputs;
use super::metadata::{Component, meta, name, selector_labels};
use super::pod::pod_template;
use super::providers::Providers;
use super::scaling::{Scaling, scaling};
use crate::crd::TranscriptionBot;

/// `scribe worker`.
pub fn worker_deployment(
    bot: &TranscriptionBot,
    inputs: &Inputs,
    providers: &Providers,
) -> Deployment {
    let w = &bot.spec.worker;
    let replicas = match scaling(bot, inputs.apis) {
        Scaling::Fixed => Some(w.replicas),
        Scaling::Keda | Scaling::HpaKedaMissing | Scaling::HpaNoManagementUrl => None,
    };
    Deployment {
        metadata: meta(bot, name(bot, "worker"), Component::Worker),
        spec: Some(DeploymentSpec {
            replicas,
            revision_history_limit: Some(5),
            selector: LabelSelector {
                match_labels: Some(selector_labels(bot, Component::Worker)),
                ..LabelSelector::default()
            },
            template: pod_template(
                bot,
                inputs,
                providers,
                Component::Worker,
                &["worker"],
                &w.pod,
            ),
            ..DeploymentSpec::default()
        }),
        ..Deployment::default()
    }
}
