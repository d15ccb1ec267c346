//! PodDisruptionBudgets (when enabled): `minAvailable` webhook pods (the CRD keeps it below the
//! replica count, so drains can proceed), `maxUnavailable` workers. Unhealthy pods may always be
//! evicted, so a crash-looping pod never blocks a drain.

use k8s_openapi::api::policy::v1::{PodDisruptionBudget, PodDisruptionBudgetSpec};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::LabelSelector;
use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;

use super::metadata::{Component, meta, name, selector_labels};
use crate::crd::TranscriptionBot;

fn pdb(
    bot: &TranscriptionBot,
    component: Component,
    spec: PodDisruptionBudgetSpec,
) -> PodDisruptionBudget {
    PodDisruptionBudget {
        metadata: meta(bot, name(bot, component.as_str()), component),
        spec: Some(PodDisruptionBudgetSpec {
            selector: Some(LabelSelector {
                match_labels: Some(selector_labels(bot, component)),
                ..LabelSelector::default()
            }),
            unhealthy_pod_eviction_policy: Some("AlwaysAllow".to_owned()),
            ..spec
        }),
        ..PodDisruptionBudget::default()
    }
}

/// A PodDisruptionBudget keeping `minAvailable` webhook pods, when enabled.
pub fn webhook_pdb(bot: &TranscriptionBot) -> Option<PodDisruptionBudget> {
    let budget = bot
        .spec
        .webhook
        .pod_disruption_budget
        .as_ref()
        .filter(|p| p.enabled)?;
    Some(pdb(
        bot,
        Component::Webhook,
        PodDisruptionBudgetSpec {
            min_available: Some(IntOrString::Int(budget.min_available)),
            ..PodDisruptionBudgetSpec::default()
        },
    ))
}

/// A PodDisruptionBudget allowing `maxUnavailable` workers down at once, when enabled.
pub fn worker_pdb(bot: &TranscriptionBot) -> Option<PodDisruptionBudget> {
    let budget = bot
        .spec
        .worker
        .pod_disruption_budget
        .as_ref()
        .filter(|p| p.enabled)?;
    Some(pdb(
        bot,
        Component::Worker,
        PodDisruptionBudgetSpec {
            max_unavailable: Some(IntOrString::Int(budget.max_unavailable)),
            ..PodDisruptionBudgetSpec::default()
        },
    ))
}
