//! How the workers scale: a fixed count, a KEDA ScaledObject on the jobs queue (the management
//! API, so jobs in progress count; the bot's own vhost; a fallback while the API is
//! unreachable), or a CPU HorizontalPodAutoscaler when KEDA cannot do it. Either way the
//! scale-down stabilization window is the spec's `cooldownSeconds`: with at least one worker,
//! KEDA's own `cooldownPeriod` (for scaling to zero) would never apply.

use k8s_openapi::api::autoscaling::v2::{
    CrossVersionObjectReference, HPAScalingRules, HorizontalPodAutoscaler,
    HorizontalPodAutoscalerBehavior, HorizontalPodAutoscalerSpec, MetricSpec, MetricTarget,
    ResourceMetricSource,
};
use kube::api::DynamicObject;
use serde_json::json;

use super::children::{Kind, dynamic};
use super::inputs::{Apis, Inputs};
use super::metadata::{Component, meta, name};
use crate::crd::{AutoscalingSpec, TranscriptionBot};

/// Consecutive failed reads of the queue depth before KEDA falls back.
const FALLBACK_FAILURES: i32 = 3;
/// The HorizontalPodAutoscaler's longest stabilization window.
const MAX_STABILIZATION_SECONDS: i32 = 3600;
/// CPU utilization the HorizontalPodAutoscaler fallback aims for.
const CPU_TARGET_PERCENT: i32 = 70;

/// How the workers scale.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scaling {
    /// `spec.worker.replicas`.
    Fixed,
    /// A KEDA ScaledObject on the jobs queue.
    Keda,
    /// autoscaling is on, KEDA is not served: a CPU HorizontalPodAutoscaler.
    HpaKedaMissing,
    /// autoscaling is on, KEDA is served, but there is no management URL for it to read.
    HpaNoManagementUrl,
}

fn autoscaling(bot: &TranscriptionBot) -> Option<&AutoscalingSpec> {
    bot.spec.worker.autoscaling.as_ref().filter(|a| a.enabled)
}

pub fn scaling(bot: &TranscriptionBot, apis: Apis) -> Scaling {
    match autoscaling(bot) {
        Some(_) if !apis.keda => Scaling::HpaKedaMissing,
        Some(_) if bot.spec.rabbitmq.management_url_secret_ref.is_none() => {
            Scaling::HpaNoManagementUrl
        }
        Some(_) => Scaling::Keda,
        None => Scaling::Fixed,
    }
}

/// The most workers that can run at once: autoscaling's maximum, or the fixed count.
pub fn max_workers(bot: &TranscriptionBot) -> i32 {
    autoscaling(bot).map_or(bot.spec.worker.replicas, |a| a.max_replicas)
}

/// The RabbitMQ queue the workers consume jobs from.
pub fn jobs_queue(bot: &TranscriptionBot) -> String {
    format!("scribe.{}.jobs", bot.bot_name())
}

fn scale_down_window(a: &AutoscalingSpec) -> i32 {
    a.cooldown_seconds.min(MAX_STABILIZATION_SECONDS)
}

/// KEDA ScaledObject on the jobs queue depth in the bot's vhost (management API, so
/// unacknowledged jobs count).
pub fn scaled_object(bot: &TranscriptionBot, inputs: &Inputs) -> Option<DynamicObject> {
    if scaling(bot, inputs.apis) != Scaling::Keda {
        return None;
    }
    let a = autoscaling(bot)?;
    let spec = json!({
        "scaleTargetRef": { "apiVersion": "apps/v1", "kind": "Deployment", "name": name(bot, "worker") },
        "minReplicaCount": a.min_replicas,
        "maxReplicaCount": a.max_replicas,
        "fallback": {
            "failureThreshold": FALLBACK_FAILURES,
            "replicas": a.fallback_replicas.unwrap_or(a.min_replicas),
            "behavior": "currentReplicasIfHigher",
        },
        "advanced": {
            "horizontalPodAutoscalerConfig": {
                "behavior": {
                    "scaleDown": { "stabilizationWindowSeconds": scale_down_window(a) },
                },
            },
        },
        "triggers": [{
            "type": "rabbitmq",
            "metadata": {
                "protocol": "http",
                "mode": "QueueLength",
                "queueName": jobs_queue(bot),
                "vhostName": inputs.vhost,
                "value": a.target_queue_length.to_string(),
            },
            "authenticationRef": { "name": name(bot, "worker") },
        }],
    });
    Some(dynamic(
        bot,
        Kind::ScaledObject,
        name(bot, "worker"),
        Component::Worker,
        spec,
    ))
}

/// KEDA TriggerAuthentication: the rabbitmq scaler's `host` from the management URL Secret.
pub fn trigger_authentication(bot: &TranscriptionBot, inputs: &Inputs) -> Option<DynamicObject> {
    if scaling(bot, inputs.apis) != Scaling::Keda {
        return None;
    }
    let r = bot.spec.rabbitmq.management_url_secret_ref.as_ref()?;
    let spec = json!({
        "secretTargetRef": [{ "parameter": "host", "name": r.name, "key": r.key }],
    });
    Some(dynamic(
        bot,
        Kind::TriggerAuthentication,
        name(bot, "worker"),
        Component::Worker,
        spec,
    ))
}

/// CPU HorizontalPodAutoscaler, when autoscaling is on but KEDA cannot do it.
pub fn worker_hpa(bot: &TranscriptionBot, inputs: &Inputs) -> Option<HorizontalPodAutoscaler> {
    match scaling(bot, inputs.apis) {
        Scaling::HpaKedaMissing | Scaling::HpaNoManagementUrl => {}
        Scaling::Fixed | Scaling::Keda => return None,
    }
    let a = autoscaling(bot)?;
    Some(HorizontalPodAutoscaler {
        metadata: meta(bot, name(bot, "worker"), Component::Worker),
        spec: Some(HorizontalPodAutoscalerSpec {
            scale_target_ref: CrossVersionObjectReference {
                api_version: Some("apps/v1".to_owned()),
                kind: "Deployment".to_owned(),
                name: name(bot, "worker"),
            },
            // A CPU metric cannot wake a deployment from zero.
            min_replicas: Some(a.min_replicas.max(1)),
            max_replicas: a.max_replicas.max(1),
            metrics: Some(vec![MetricSpec {
                type_: "Resource".to_owned(),
                resource: Some(ResourceMetricSource {
                    name: "cpu".to_owned(),
                    target: MetricTarget {
                        type_: "Utilization".to_owned(),
                        average_utilization: Some(CPU_TARGET_PERCENT),
                        ..MetricTarget::default()
                    },
                }),
                ..MetricSpec::default()
            }]),
            behavior: Some(HorizontalPodAutoscalerBehavior {
                scale_down: Some(HPAScalingRules {
                    stabilization_window_seconds: Some(scale_down_window(a)),
                    ..HPAScalingRules::default()
                }),
                ..HorizontalPodAutoscalerBehavior::default()
            }),
        }),
        ..HorizontalPodAutoscaler::default()
    })
}
