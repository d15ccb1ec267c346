//! The webhook: `scribe webhook` behind a Service. It receives Telegram's updates and queues
//! them; rolling updates add a pod before removing one.

use k8s_openapi::api::apps::v1::{
    Deployment, DeploymentSpec, DeploymentStrategy, RollingUpdateDeployment,
};
use k8s_openapi::api::core::v1::{Service, ServicePort, ServiceSpec};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::LabelSelector;
use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;

use super::inputs::Inputs;
use super::metadata::{Component, meta, name, selector_labels};
use super::pod::pod_template;
use super::providers::Providers;
use crate::crd::TranscriptionBot;

/// Port of the webhook Service when the spec sets none.
pub const DEFAULT_SERVICE_PORT: i32 = 80;

/// `scribe webhook`: receives Telegram updates and queues them.
pub fn webhook_deployment(
    bot: &TranscriptionBot,
    inputs: &Inputs,
    providers: &Providers,
) -> Deployment {
    let w = &bot.spec.webhook;
    Deployment {
        metadata: meta(bot, name(bot, "webhook"), Component::Webhook),
        spec: Some(DeploymentSpec {
            replicas: Some(w.replicas),
            revision_history_limit: Some(5),
            selector: LabelSelector {
                match_labels: Some(selector_labels(bot, Component::Webhook)),
                ..LabelSelector::default()
            },
            strategy: Some(DeploymentStrategy {
                type_: Some("RollingUpdate".to_owned()),
                rolling_update: Some(RollingUpdateDeployment {
                    max_surge: Some(IntOrString::Int(1)),
                    max_unavailable: Some(IntOrString::Int(0)),
                }),
            }),
            template: pod_template(
                bot,
                inputs,
                providers,
                Component::Webhook,
                &["webhook"],
                &w.pod,
            ),
            ..DeploymentSpec::default()
        }),
        ..Deployment::default()
    }
}

/// The webhook Service: `port` (default 80) → the pods' `http` port.
pub fn webhook_service(bot: &TranscriptionBot) -> Service {
    let w = &bot.spec.webhook;
    Service {
        metadata: meta(bot, name(bot, "webhook"), Component::Webhook),
        spec: Some(ServiceSpec {
            type_: Some(w.service_type.as_str().to_owned()),
            selector: Some(selector_labels(bot, Component::Webhook)),
            ports: Some(vec![ServicePort {
                name: Some("http".to_owned()),
                port: w.port.unwrap_or(DEFAULT_SERVICE_PORT),
                target_port: Some(IntOrString::String("http".to_owned())),
                protocol: Some("TCP".to_owned()),
                ..ServicePort::default()
            }]),
            ..ServiceSpec::default()
        }),
        ..Service::default()
    }
}
