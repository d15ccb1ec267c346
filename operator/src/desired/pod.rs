//! The pod template every bot component shares: one container running `scribe <args>`, under the
//! restricted Pod Security Standard (non-root, RuntimeDefault seccomp, no privilege escalation,
//! all capabilities dropped, read-only root filesystem). No UID is fixed: the image's numeric
//! user runs, or the one a platform assigns (OpenShift's restricted SCC). Settings come from the
//! ConfigMap; the template carries hashes of config and credentials so a change rolls the pods.

use std::collections::BTreeMap;

use k8s_openapi::api::core::v1::{
    Capabilities, ConfigMapEnvSource, Container, ContainerPort, EnvFromSource, EnvVar,
    HTTPGetAction, Lifecycle, LifecycleHandler, PodSecurityContext, PodSpec, PodTemplateSpec,
    Probe, ResourceRequirements, SeccompProfile, SecurityContext, SleepAction,
};
use k8s_openapi::apimachinery::pkg::api::resource::Quantity;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;

use super::configmap::config_hash;
use super::env::{container_env, secrets_hash};
use super::inputs::Inputs;
use super::metadata::{CONFIG_HASH, Component, SECRETS_HASH, name, pod_labels};
use super::providers::Providers;
use super::storage;
use crate::crd::{PodKnobs, TranscriptionBot};

/// The port bot pods serve `/metrics`, `/healthz`, `/readyz` (and the webhook) on.
pub const HTTP_PORT: i32 = 8080;
const WEBHOOK_GRACE_SECONDS: i64 = 30;
const PRE_STOP_SLEEP_SECONDS: i64 = 5;
/// Time a worker gets after its own shutdown grace (closing channels, flushing).
const WORKER_EXTRA_GRACE_SECONDS: i64 = 30;

fn quantity(s: &str) -> Quantity {
    Quantity(s.to_owned())
}

fn default_resources(component: Component) -> ResourceRequirements {
    let (cpu, memory, limit) = match component {
        Component::Worker => ("250m", "256Mi", "2Gi"),
        Component::Webhook | Component::Report | Component::Config => ("50m", "64Mi", "256Mi"),
    };
    ResourceRequirements {
        requests: Some(BTreeMap::from([
            ("cpu".to_owned(), quantity(cpu)),
            ("memory".to_owned(), quantity(memory)),
        ])),
        limits: Some(BTreeMap::from([("memory".to_owned(), quantity(limit))])),
        ..ResourceRequirements::default()
    }
}

fn http_probe(path: &str, period: i32, failures: i32) -> Probe {
    Probe {
        http_get: Some(HTTPGetAction {
            path: Some(path.to_owned()),
            port: IntOrString::String("http".to_owned()),
            ..HTTPGetAction::default()
        }),
        period_seconds: Some(period),
        timeout_seconds: Some(3),
        failure_threshold: Some(failures),
        ..Probe::default()
    }
}

fn restricted_container_context() -> SecurityContext {
    SecurityContext {
        allow_privilege_escalation: Some(false),
        capabilities: Some(Capabilities {
            drop: Some(vec!["ALL".to_owned()]),
            ..Capabilities::default()
        }),
        read_only_root_filesystem: Some(true),
        run_as_non_root: Some(true),
        ..SecurityContext::default()
    }
}

fn restricted_pod_context() -> PodSecurityContext {
    PodSecurityContext {
        run_as_non_root: Some(true),
        seccomp_profile: Some(SeccompProfile {
            type_: "RuntimeDefault".to_owned(),
            ..SeccompProfile::default()
        }),
        ..PodSecurityContext::default()
    }
}

/// The one container of a component: `scribe <args>`, probes where it serves HTTP (a startup
/// probe gives a slow start time before liveness counts), a `preStop` sleep for the webhook.
fn container(
    bot: &TranscriptionBot,
    inputs: &Inputs,
    component: Component,
    args: &[&str],
    knobs: &PodKnobs,
    env: Vec<EnvVar>,
) -> Container {
    let serves_http = component != Component::Report;
    let scratch = storage::scratch(bot, component);
    let resources = knobs
        .resources
        .clone()
        .unwrap_or_else(|| default_resources(component));
    Container {
        name: component.as_str().to_owned(),
        image: Some(inputs.image.clone()),
        image_pull_policy: bot.spec.image_pull_policy.map(|p| p.as_str().to_owned()),
        args: Some(args.iter().map(|a| (*a).to_owned()).collect()),
        env_from: Some(vec![EnvFromSource {
            config_map_ref: Some(ConfigMapEnvSource {
                name: name(bot, "config"),
                optional: Some(false),
            }),
            ..EnvFromSource::default()
        }]),
        ports: serves_http.then(|| {
            vec![ContainerPort {
                name: Some("http".to_owned()),
                container_port: HTTP_PORT,
                protocol: Some("TCP".to_owned()),
                ..ContainerPort::default()
            }]
        }),
        startup_probe: serves_http.then(|| http_probe("/healthz", 2, 30)),
        readiness_probe: serves_http.then(|| http_probe("/readyz", 5, 2)),
        liveness_probe: serves_http.then(|| http_probe("/healthz", 10, 3)),
        lifecycle: (component == Component::Webhook).then(|| Lifecycle {
            // Endpoints drop the pod while it sleeps; then SIGTERM drains open requests.
            pre_stop: Some(LifecycleHandler {
                sleep: Some(SleepAction {
                    seconds: PRE_STOP_SLEEP_SECONDS,
                }),
                ..LifecycleHandler::default()
            }),
            ..Lifecycle::default()
        }),
        resources: Some(storage::with_ephemeral_storage(resources, &scratch)),
        security_context: Some(restricted_container_context()),
        volume_mounts: Some(storage::mounts(bot, component)),
        env: Some(env),
        ..Container::default()
    }
}

/// The pod template of one component.
pub fn pod_template(
    bot: &TranscriptionBot,
    inputs: &Inputs,
    providers: &Providers,
    component: Component,
    args: &[&str],
    knobs: &PodKnobs,
) -> PodTemplateSpec {
    let spec = &bot.spec;
    // Report pods take the workers' knobs, and with them the workers' extra environment.
    let env = container_env(bot, providers, component, &knobs.extra_env);
    let container = container(bot, inputs, component, args, knobs, env);

    let mut labels = knobs.pod_labels.clone();
    labels.extend(pod_labels(bot, component));
    let mut annotations = knobs.pod_annotations.clone();
    annotations.insert(CONFIG_HASH.to_owned(), config_hash(bot, providers));
    annotations.insert(
        SECRETS_HASH.to_owned(),
        secrets_hash(container.env.as_deref().unwrap_or_default(), inputs),
    );
    let termination_grace = match component {
        Component::Webhook | Component::Config => WEBHOOK_GRACE_SECONDS,
        Component::Worker | Component::Report => {
            i64::from(spec.worker.shutdown_grace_seconds) + WORKER_EXTRA_GRACE_SECONDS
        }
    };
    PodTemplateSpec {
        metadata: Some(ObjectMeta {
            labels: Some(labels),
            annotations: Some(annotations),
            ..ObjectMeta::default()
        }),
        spec: Some(PodSpec {
            containers: vec![container],
            automount_service_account_token: Some(false),
            enable_service_links: Some(false),
            service_account_name: spec.service_account_name.clone(),
            image_pull_secrets: (!spec.image_pull_secrets.is_empty())
                .then(|| spec.image_pull_secrets.clone()),
            security_context: Some(restricted_pod_context()),
            termination_grace_period_seconds: Some(termination_grace),
            restart_policy: (component == Component::Report).then(|| "Never".to_owned()),
            volumes: Some(storage::volumes(bot, component)),
            node_selector: (!knobs.node_selector.is_empty()).then(|| knobs.node_selector.clone()),
            tolerations: (!knobs.tolerations.is_empty()).then(|| knobs.tolerations.clone()),
            affinity: knobs.affinity.clone(),
            topology_spread_constraints: (!knobs.topology_spread_constraints.is_empty())
                .then(|| knobs.topology_spread_constraints.clone()),
            priority_class_name: knobs.priority_class_name.clone(),
            ..PodSpec::default()
        }),
    }
}
