//! What a `TranscriptionBot` should own, as pure functions of the bot and a few observed facts
//! ([`Inputs`]). No I/O here: the controller applies what these return.
//!
//! Every pod runs under the restricted Pod Security Standard (non-root uid 65532, RuntimeDefault
//! seccomp, no privilege escalation, all capabilities dropped, read-only root filesystem with an
//! `emptyDir` at `/tmp`). Credentials reach containers only as `env.valueFrom.secretKeyRef`;
//! the pod template carries a hash of the referenced values so a rotation rolls the pods.

use std::collections::BTreeMap;

use k8s_openapi::ByteString;
use k8s_openapi::api::apps::v1::{
    Deployment, DeploymentSpec, DeploymentStrategy, RollingUpdateDeployment,
};
use k8s_openapi::api::autoscaling::v2::{
    CrossVersionObjectReference, HPAScalingRules, HorizontalPodAutoscaler,
    HorizontalPodAutoscalerBehavior, HorizontalPodAutoscalerSpec, MetricSpec, MetricTarget,
    ResourceMetricSource,
};
use k8s_openapi::api::batch::v1::{CronJob, CronJobSpec, JobSpec, JobTemplateSpec};
use k8s_openapi::api::core::v1::{
    Capabilities, ConfigMap, ConfigMapEnvSource, Container, ContainerPort, EmptyDirVolumeSource,
    EnvFromSource, EnvVar, EnvVarSource, HTTPGetAction, Lifecycle, LifecycleHandler,
    PodSecurityContext, PodSpec, PodTemplateSpec, Probe, ResourceRequirements, SeccompProfile,
    Secret, SecretKeySelector, SecurityContext, Service, ServicePort, ServiceSpec, SleepAction,
    Volume, VolumeMount,
};
use k8s_openapi::api::networking::v1::{
    HTTPIngressPath, HTTPIngressRuleValue, Ingress, IngressBackend, IngressRule,
    IngressServiceBackend, IngressSpec as K8sIngressSpec, IngressTLS, ServiceBackendPort,
};
use k8s_openapi::api::policy::v1::{PodDisruptionBudget, PodDisruptionBudgetSpec};
use k8s_openapi::apimachinery::pkg::api::resource::Quantity;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{LabelSelector, ObjectMeta};
use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;
use kube::Resource;
use kube::api::{ApiResource, DynamicObject};
use serde_json::{Value, json};

use crate::crd::{PodKnobs, SecretKeyRef, TranscriptionBot};
use crate::digest::sha256_hex;
use crate::registration::WEBHOOK_PATH;

/// The single server-side-apply field manager of every write.
pub const FIELD_MANAGER: &str = "scribe-operator";
/// Label selecting everything the operator manages (its watches filter on it).
pub const MANAGED_BY: &str = "app.kubernetes.io/managed-by=scribe-operator";
/// Pod-template annotation: hash of the ConfigMap's data.
pub const CONFIG_HASH: &str = "scribe.dev/config-hash";
/// Pod-template annotation: hash of the credentials the container references.
pub const SECRETS_HASH: &str = "scribe.dev/secrets-hash";
/// Deployment annotation: the children hash they were applied with (drift sentinel).
pub const APPLIED: &str = "scribe.dev/applied";
/// Key of the generated webhook secret token in its Secret.
pub const TOKEN_KEY: &str = "token";

const UID: i64 = 65532;
const HTTP_PORT: i32 = 8080;
const WEBHOOK_GRACE_SECONDS: i64 = 30;
const WEBHOOK_SHUTDOWN_SECONDS: &str = "20";
const PRE_STOP_SLEEP_SECONDS: i64 = 5;
/// Time a worker gets after its own shutdown grace (closing channels, flushing).
const WORKER_EXTRA_GRACE_SECONDS: i64 = 30;

/// Facts the builders need besides the spec.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Inputs {
    /// Image of every bot container (`spec.image` or the operator default).
    pub image: String,
    /// SHA-256 of each referenced credential's value, by Secret name and key (values
    /// themselves never reach the builders).
    pub secret_digests: BTreeMap<(String, String), String>,
    /// Which optional APIs the cluster serves.
    pub apis: Apis,
}

/// Optional API groups, found by discovery.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Apis {
    /// `keda.sh/v1alpha1` (ScaledObject, TriggerAuthentication).
    pub keda: bool,
    /// `gateway.networking.k8s.io/v1` (HTTPRoute).
    pub gateway: bool,
}

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

pub fn scaling(bot: &TranscriptionBot, apis: Apis) -> Scaling {
    match &bot.spec.worker.autoscaling {
        Some(a) if a.enabled => {
            if !apis.keda {
                Scaling::HpaKedaMissing
            } else if bot.spec.rabbitmq.management_url_secret_ref.is_none() {
                Scaling::HpaNoManagementUrl
            } else {
                Scaling::Keda
            }
        }
        _ => Scaling::Fixed,
    }
}

// ---------------------------------------------------------------------------------------------
// Names, labels, metadata

/// `<metadata.name>-<suffix>`: every child's name.
pub fn name(bot: &TranscriptionBot, suffix: &str) -> String {
    format!(
        "{}-{suffix}",
        bot.metadata.name.as_deref().unwrap_or_default()
    )
}

fn selector_labels(bot: &TranscriptionBot, component: &str) -> BTreeMap<String, String> {
    BTreeMap::from([
        ("app.kubernetes.io/name".to_owned(), "scribe".to_owned()),
        (
            "app.kubernetes.io/instance".to_owned(),
            bot.metadata.name.clone().unwrap_or_default(),
        ),
        (
            "app.kubernetes.io/component".to_owned(),
            component.to_owned(),
        ),
    ])
}

fn labels(bot: &TranscriptionBot, component: &str) -> BTreeMap<String, String> {
    let mut labels = selector_labels(bot, component);
    labels.insert(
        "app.kubernetes.io/managed-by".to_owned(),
        FIELD_MANAGER.to_owned(),
    );
    labels.insert("app.kubernetes.io/part-of".to_owned(), "scribe".to_owned());
    labels.insert("scribe.dev/bot".to_owned(), bot.bot_name());
    labels
}

/// Metadata of a child: name, namespace, labels and the controller owner reference.
fn meta(bot: &TranscriptionBot, name: String, component: &str) -> ObjectMeta {
    ObjectMeta {
        name: Some(name),
        namespace: bot.metadata.namespace.clone(),
        labels: Some(labels(bot, component)),
        owner_references: bot.controller_owner_ref(&()).map(|r| vec![r]),
        ..ObjectMeta::default()
    }
}

// ---------------------------------------------------------------------------------------------
// ConfigMap and the generated secret

/// The bot's non-secret settings, under the names the bot reads.
pub fn config_map(bot: &TranscriptionBot) -> ConfigMap {
    let spec = &bot.spec;
    let mut data = BTreeMap::new();
    let mut put = |k: &str, v: String| {
        data.insert(k.to_owned(), v);
    };
    put("BOT_NAME", bot.bot_name());
    if let Some(url) = &spec.telegram.api_url {
        put("TELEGRAM_API_URL", url.clone());
    }
    if let Some(mb) = spec.telegram.max_file_mb {
        put("TELEGRAM_MAX_FILE_MB", mb.to_string());
    }
    put(
        "DASHSCOPE_REGION",
        spec.dashscope.region.as_str().to_owned(),
    );
    if let Some(url) = &spec.dashscope.base_url {
        put("DASHSCOPE_BASE_URL", url.clone());
    }
    put("ASR_MODEL", spec.dashscope.asr_model.clone());
    put("LLM_MODEL", spec.dashscope.llm_model.clone());
    put("LLM_FALLBACK_MODEL", spec.fallback.model.clone());
    put(
        "ADMIN_IDS",
        spec.admins
            .iter()
            .map(i64::to_string)
            .collect::<Vec<_>>()
            .join(","),
    );
    put("TRIAL_MODE", spec.billing.trial_mode.as_str().to_owned());
    put("TRIAL_MINUTES", spec.billing.trial_minutes.to_string());
    if !spec.billing.packages.is_empty() {
        put(
            "PACKAGES",
            spec.billing
                .packages
                .iter()
                .map(|p| match p.per_user_limit {
                    Some(limit) => format!("{}:{}:{}:{limit}", p.id, p.minutes, p.stars),
                    None => format!("{}:{}:{}", p.id, p.minutes, p.stars),
                })
                .collect::<Vec<_>>()
                .join(","),
        );
    }
    put("WORKER_CONCURRENCY", spec.worker.concurrency.to_string());
    put(
        "SHUTDOWN_GRACE_SECONDS",
        spec.worker.shutdown_grace_seconds.to_string(),
    );
    put("LOG_FORMAT", "json".to_owned());
    ConfigMap {
        metadata: meta(bot, name(bot, "config"), "config"),
        data: Some(data),
        ..ConfigMap::default()
    }
}

/// The Secret holding the generated webhook secret token. Created once, never rewritten
/// (immutable), so the token survives every reconcile.
pub fn webhook_token_secret(bot: &TranscriptionBot, token: &str) -> Secret {
    Secret {
        metadata: meta(bot, name(bot, "webhook-token"), "webhook"),
        data: Some(BTreeMap::from([(
            TOKEN_KEY.to_owned(),
            ByteString(token.as_bytes().to_vec()),
        )])),
        immutable: Some(true),
        type_: Some("Opaque".to_owned()),
        ..Secret::default()
    }
}

// ---------------------------------------------------------------------------------------------
// Pods

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Component {
    Webhook,
    Worker,
    Report,
}

impl Component {
    fn as_str(self) -> &'static str {
        match self {
            Component::Webhook => "webhook",
            Component::Worker => "worker",
            Component::Report => "report",
        }
    }
}

fn secret_env(name: &str, r: &SecretKeyRef) -> EnvVar {
    EnvVar {
        name: name.to_owned(),
        value_from: Some(EnvVarSource {
            secret_key_ref: Some(SecretKeySelector {
                name: r.name.clone(),
                key: r.key.clone(),
                optional: Some(false),
            }),
            ..EnvVarSource::default()
        }),
        ..EnvVar::default()
    }
}

fn plain_env(name: &str, value: &str) -> EnvVar {
    EnvVar {
        name: name.to_owned(),
        value: Some(value.to_owned()),
        ..EnvVar::default()
    }
}

/// The credentials each component gets (and nothing more).
fn credential_env(bot: &TranscriptionBot, component: Component) -> Vec<EnvVar> {
    let spec = &bot.spec;
    let token = secret_env("TELEGRAM_BOT_TOKEN", &spec.telegram.token_secret_ref);
    let amqp = secret_env("AMQP_URL", &spec.rabbitmq.url_secret_ref);
    let database = secret_env("DATABASE_URL", &spec.database.url_secret_ref);
    match component {
        Component::Webhook => vec![
            secret_env("WEBHOOK_SECRET_TOKEN", &generated_token_ref(bot)),
            amqp,
        ],
        Component::Worker => {
            let mut env = vec![
                token,
                secret_env("DASHSCOPE_API_KEY", &spec.dashscope.api_key_secret_ref),
            ];
            if let Some(r) = &spec.fallback.api_key_secret_ref {
                env.push(secret_env("GEMINI_API_KEY", r));
            }
            env.push(amqp);
            env.push(database);
            env
        }
        Component::Report => vec![token, database],
    }
}

/// Where the generated webhook secret token lives.
pub fn generated_token_ref(bot: &TranscriptionBot) -> SecretKeyRef {
    SecretKeyRef {
        name: name(bot, "webhook-token"),
        key: TOKEN_KEY.to_owned(),
    }
}

/// Operator env first, then `extraEnv`; an extra entry replaces the operator's of the same
/// name (a list-map keyed by name must not repeat a key under server-side apply).
fn merge_env(mut env: Vec<EnvVar>, extra: &[EnvVar]) -> Vec<EnvVar> {
    for e in extra {
        match env.iter_mut().find(|x| x.name == e.name) {
            Some(slot) => *slot = e.clone(),
            None => env.push(e.clone()),
        }
    }
    env
}

/// Hash of the referenced credentials' digests, in env order (unknown refs count by name).
fn secrets_hash(env: &[EnvVar], inputs: &Inputs) -> String {
    let mut parts = Vec::new();
    for e in env {
        if let Some(sel) = e
            .value_from
            .as_ref()
            .and_then(|v| v.secret_key_ref.as_ref())
        {
            parts.push(format!("{}={}/{}", e.name, sel.name, sel.key));
            parts.push(
                inputs
                    .secret_digests
                    .get(&(sel.name.clone(), sel.key.clone()))
                    .cloned()
                    .unwrap_or_default(),
            );
        }
    }
    sha256_hex(parts)
}

fn config_hash(bot: &TranscriptionBot) -> String {
    let data = config_map(bot).data.unwrap_or_default();
    sha256_hex(data.iter().flat_map(|(k, v)| [k.as_str(), v.as_str()]))
}

fn quantity(s: &str) -> Quantity {
    Quantity(s.to_owned())
}

fn default_resources(component: Component) -> ResourceRequirements {
    let (cpu, memory, limit) = match component {
        Component::Webhook => ("50m", "64Mi", "256Mi"),
        Component::Worker => ("250m", "256Mi", "2Gi"),
        Component::Report => ("50m", "64Mi", "256Mi"),
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
        run_as_user: Some(UID),
        run_as_group: Some(UID),
        ..SecurityContext::default()
    }
}

fn restricted_pod_context() -> PodSecurityContext {
    PodSecurityContext {
        run_as_non_root: Some(true),
        run_as_user: Some(UID),
        run_as_group: Some(UID),
        fs_group: Some(UID),
        seccomp_profile: Some(SeccompProfile {
            type_: "RuntimeDefault".to_owned(),
            ..SeccompProfile::default()
        }),
        ..PodSecurityContext::default()
    }
}

/// The pod template of one component.
fn pod_template(
    bot: &TranscriptionBot,
    inputs: &Inputs,
    component: Component,
    args: &[&str],
    knobs: &PodKnobs,
    extra_env: &[EnvVar],
) -> PodTemplateSpec {
    let spec = &bot.spec;
    let mut env = vec![plain_env("TEMP_DIR", "/tmp")];
    if component == Component::Webhook {
        // The webhook drains in seconds; the workers' longer grace is in the ConfigMap.
        env.push(plain_env(
            "SHUTDOWN_GRACE_SECONDS",
            WEBHOOK_SHUTDOWN_SECONDS,
        ));
    }
    env.extend(credential_env(bot, component));
    let env = merge_env(env, extra_env);

    let serves_http = component != Component::Report;
    let container = Container {
        name: component.as_str().to_owned(),
        image: Some(inputs.image.clone()),
        image_pull_policy: spec.image_pull_policy.map(|p| p.as_str().to_owned()),
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
        resources: Some(
            knobs
                .resources
                .clone()
                .unwrap_or_else(|| default_resources(component)),
        ),
        security_context: Some(restricted_container_context()),
        volume_mounts: Some(vec![VolumeMount {
            name: "tmp".to_owned(),
            mount_path: "/tmp".to_owned(),
            ..VolumeMount::default()
        }]),
        env: Some(env),
        ..Container::default()
    };

    let mut pod_labels = knobs.pod_labels.clone();
    pod_labels.extend(selector_labels(bot, component.as_str()));
    let mut annotations = knobs.pod_annotations.clone();
    annotations.insert(CONFIG_HASH.to_owned(), config_hash(bot));
    annotations.insert(
        SECRETS_HASH.to_owned(),
        secrets_hash(container.env.as_deref().unwrap_or_default(), inputs),
    );

    let termination_grace = match component {
        Component::Webhook => WEBHOOK_GRACE_SECONDS,
        Component::Worker | Component::Report => {
            i64::from(spec.worker.shutdown_grace_seconds) + WORKER_EXTRA_GRACE_SECONDS
        }
    };

    PodTemplateSpec {
        metadata: Some(ObjectMeta {
            labels: Some(pod_labels),
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
            volumes: Some(vec![Volume {
                name: "tmp".to_owned(),
                empty_dir: Some(EmptyDirVolumeSource::default()),
                ..Volume::default()
            }]),
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

// ---------------------------------------------------------------------------------------------
// Webhook

/// `scribe webhook`: receives Telegram updates and queues them.
pub fn webhook_deployment(bot: &TranscriptionBot, inputs: &Inputs) -> Deployment {
    let w = &bot.spec.webhook;
    Deployment {
        metadata: meta(bot, name(bot, "webhook"), "webhook"),
        spec: Some(DeploymentSpec {
            replicas: Some(w.replicas),
            revision_history_limit: Some(5),
            selector: LabelSelector {
                match_labels: Some(selector_labels(bot, "webhook")),
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
                Component::Webhook,
                &["webhook"],
                &w.pod,
                &w.pod.extra_env,
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
        metadata: meta(bot, name(bot, "webhook"), "webhook"),
        spec: Some(ServiceSpec {
            type_: Some(w.service_type.as_str().to_owned()),
            selector: Some(selector_labels(bot, "webhook")),
            ports: Some(vec![ServicePort {
                name: Some("http".to_owned()),
                port: w.port.unwrap_or(80),
                target_port: Some(IntOrString::String("http".to_owned())),
                protocol: Some("TCP".to_owned()),
                ..ServicePort::default()
            }]),
            ..ServiceSpec::default()
        }),
        ..Service::default()
    }
}

/// An Ingress for `/telegram`, when enabled.
pub fn webhook_ingress(bot: &TranscriptionBot) -> Option<Ingress> {
    let ingress = bot.spec.webhook.ingress.as_ref().filter(|i| i.enabled)?;
    let mut metadata = meta(bot, name(bot, "webhook"), "webhook");
    if !ingress.annotations.is_empty() {
        metadata.annotations = Some(ingress.annotations.clone());
    }
    Some(Ingress {
        metadata,
        spec: Some(K8sIngressSpec {
            ingress_class_name: ingress.class_name.clone(),
            rules: Some(vec![IngressRule {
                host: ingress.host.clone(),
                http: Some(HTTPIngressRuleValue {
                    paths: vec![HTTPIngressPath {
                        path: Some(WEBHOOK_PATH.to_owned()),
                        path_type: "Prefix".to_owned(),
                        backend: IngressBackend {
                            service: Some(IngressServiceBackend {
                                name: name(bot, "webhook"),
                                port: Some(ServiceBackendPort {
                                    name: Some("http".to_owned()),
                                    ..ServiceBackendPort::default()
                                }),
                            }),
                            ..IngressBackend::default()
                        },
                    }],
                }),
            }]),
            tls: ingress.tls_secret_name.as_ref().map(|secret| {
                vec![IngressTLS {
                    hosts: ingress.host.clone().map(|h| vec![h]),
                    secret_name: Some(secret.clone()),
                }]
            }),
            ..K8sIngressSpec::default()
        }),
        ..Ingress::default()
    })
}

/// A Gateway API HTTPRoute for `/telegram`, when enabled.
pub fn webhook_http_route(bot: &TranscriptionBot) -> Option<DynamicObject> {
    let route = bot.spec.webhook.http_route.as_ref().filter(|r| r.enabled)?;
    let parent_refs: Vec<Value> = route
        .parent_refs
        .iter()
        .map(|p| {
            let mut v = json!({ "name": p.name });
            for (key, value) in [
                ("namespace", &p.namespace),
                ("sectionName", &p.section_name),
                ("group", &p.group),
                ("kind", &p.kind),
            ] {
                if let Some(value) = value {
                    v[key] = json!(value);
                }
            }
            v
        })
        .collect();
    let mut spec = json!({
        "parentRefs": parent_refs,
        "rules": [{
            "matches": [{ "path": { "type": "PathPrefix", "value": WEBHOOK_PATH } }],
            "backendRefs": [{
                "name": name(bot, "webhook"),
                "port": bot.spec.webhook.port.unwrap_or(80),
            }],
        }],
    });
    if !route.hostnames.is_empty() {
        spec["hostnames"] = json!(route.hostnames);
    }
    Some(dynamic(
        bot,
        &Kind::HttpRoute.api_resource(),
        name(bot, "webhook"),
        "webhook",
        spec,
    ))
}

/// A PodDisruptionBudget keeping `minAvailable` webhook pods, when enabled.
pub fn webhook_pdb(bot: &TranscriptionBot) -> Option<PodDisruptionBudget> {
    let pdb = bot
        .spec
        .webhook
        .pod_disruption_budget
        .as_ref()
        .filter(|p| p.enabled)?;
    Some(PodDisruptionBudget {
        metadata: meta(bot, name(bot, "webhook"), "webhook"),
        spec: Some(PodDisruptionBudgetSpec {
            min_available: Some(IntOrString::Int(pdb.min_available)),
            selector: Some(LabelSelector {
                match_labels: Some(selector_labels(bot, "webhook")),
                ..LabelSelector::default()
            }),
            unhealthy_pod_eviction_policy: Some("AlwaysAllow".to_owned()),
            ..PodDisruptionBudgetSpec::default()
        }),
        ..PodDisruptionBudget::default()
    })
}

// ---------------------------------------------------------------------------------------------
// Workers

/// `scribe worker`. With autoscaling on, `spec.replicas` is left out entirely, so the
/// operator never fights the HorizontalPodAutoscaler (KEDA's or its own) over it.
pub fn worker_deployment(bot: &TranscriptionBot, inputs: &Inputs) -> Deployment {
    let w = &bot.spec.worker;
    let replicas = match scaling(bot, inputs.apis) {
        Scaling::Fixed => Some(w.replicas),
        Scaling::Keda | Scaling::HpaKedaMissing | Scaling::HpaNoManagementUrl => None,
    };
    Deployment {
        metadata: meta(bot, name(bot, "worker"), "worker"),
        spec: Some(DeploymentSpec {
            replicas,
            revision_history_limit: Some(5),
            selector: LabelSelector {
                match_labels: Some(selector_labels(bot, "worker")),
                ..LabelSelector::default()
            },
            template: pod_template(
                bot,
                inputs,
                Component::Worker,
                &["worker"],
                &w.pod,
                &w.pod.extra_env,
            ),
            ..DeploymentSpec::default()
        }),
        ..Deployment::default()
    }
}

/// A PodDisruptionBudget allowing `maxUnavailable` workers down at once, when enabled.
pub fn worker_pdb(bot: &TranscriptionBot) -> Option<PodDisruptionBudget> {
    let pdb = bot
        .spec
        .worker
        .pod_disruption_budget
        .as_ref()
        .filter(|p| p.enabled)?;
    Some(PodDisruptionBudget {
        metadata: meta(bot, name(bot, "worker"), "worker"),
        spec: Some(PodDisruptionBudgetSpec {
            max_unavailable: Some(IntOrString::Int(pdb.max_unavailable)),
            selector: Some(LabelSelector {
                match_labels: Some(selector_labels(bot, "worker")),
                ..LabelSelector::default()
            }),
            unhealthy_pod_eviction_policy: Some("AlwaysAllow".to_owned()),
            ..PodDisruptionBudgetSpec::default()
        }),
        ..PodDisruptionBudget::default()
    })
}

/// The RabbitMQ queue the workers consume jobs from.
pub fn jobs_queue(bot: &TranscriptionBot) -> String {
    format!("scribe.{}.jobs", bot.bot_name())
}

/// KEDA ScaledObject on the jobs queue depth (management API, so unacknowledged jobs count).
pub fn scaled_object(bot: &TranscriptionBot, inputs: &Inputs) -> Option<DynamicObject> {
    if scaling(bot, inputs.apis) != Scaling::Keda {
        return None;
    }
    let a = bot.spec.worker.autoscaling.as_ref()?;
    let spec = json!({
        "scaleTargetRef": { "apiVersion": "apps/v1", "kind": "Deployment", "name": name(bot, "worker") },
        "minReplicaCount": a.min_replicas,
        "maxReplicaCount": a.max_replicas,
        "cooldownPeriod": a.cooldown_seconds,
        "triggers": [{
            "type": "rabbitmq",
            "metadata": {
                "protocol": "http",
                "mode": "QueueLength",
                "queueName": jobs_queue(bot),
                "value": a.target_queue_length.to_string(),
            },
            "authenticationRef": { "name": name(bot, "worker") },
        }],
    });
    Some(dynamic(
        bot,
        &Kind::ScaledObject.api_resource(),
        name(bot, "worker"),
        "worker",
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
        &Kind::TriggerAuthentication.api_resource(),
        name(bot, "worker"),
        "worker",
        spec,
    ))
}

/// CPU HorizontalPodAutoscaler, when autoscaling is on but KEDA cannot do it.
pub fn worker_hpa(bot: &TranscriptionBot, inputs: &Inputs) -> Option<HorizontalPodAutoscaler> {
    match scaling(bot, inputs.apis) {
        Scaling::HpaKedaMissing | Scaling::HpaNoManagementUrl => {}
        Scaling::Fixed | Scaling::Keda => return None,
    }
    let a = bot.spec.worker.autoscaling.as_ref()?;
    Some(HorizontalPodAutoscaler {
        metadata: meta(bot, name(bot, "worker"), "worker"),
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
                        average_utilization: Some(70),
                        ..MetricTarget::default()
                    },
                }),
                ..MetricSpec::default()
            }]),
            behavior: Some(HorizontalPodAutoscalerBehavior {
                scale_down: Some(HPAScalingRules {
                    stabilization_window_seconds: Some(a.cooldown_seconds.min(3600)),
                    ..HPAScalingRules::default()
                }),
                ..HorizontalPodAutoscalerBehavior::default()
            }),
        }),
        ..HorizontalPodAutoscaler::default()
    })
}

// ---------------------------------------------------------------------------------------------
// Reports

/// Which admin report a CronJob sends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Report {
    Daily,
    Weekly,
}

impl Report {
    fn as_str(self) -> &'static str {
        match self {
            Report::Daily => "daily",
            Report::Weekly => "weekly",
        }
    }
}

/// `scribe report daily|weekly` on its schedule, never two at once, when reports are enabled.
pub fn report_cronjob(bot: &TranscriptionBot, inputs: &Inputs, report: Report) -> Option<CronJob> {
    let reports = &bot.spec.reports;
    if !reports.enabled {
        return None;
    }
    let schedule = match report {
        Report::Daily => reports.daily_schedule.clone(),
        Report::Weekly => reports.weekly_schedule.clone(),
    };
    let knobs = &bot.spec.worker.pod;
    let knobs = PodKnobs {
        resources: None,
        ..knobs.clone()
    };
    Some(CronJob {
        metadata: meta(bot, name(bot, report.as_str()), "report"),
        spec: Some(CronJobSpec {
            schedule,
            time_zone: reports.time_zone.clone(),
            concurrency_policy: Some("Forbid".to_owned()),
            starting_deadline_seconds: Some(600),
            successful_jobs_history_limit: Some(3),
            failed_jobs_history_limit: Some(3),
            job_template: JobTemplateSpec {
                metadata: None,
                spec: Some(JobSpec {
                    backoff_limit: Some(2),
                    active_deadline_seconds: Some(1800),
                    ttl_seconds_after_finished: Some(86400),
                    template: pod_template(
                        bot,
                        inputs,
                        Component::Report,
                        &["report", report.as_str()],
                        &knobs,
                        &bot.spec.worker.pod.extra_env,
                    ),
                    ..JobSpec::default()
                }),
            },
            ..CronJobSpec::default()
        }),
        ..CronJob::default()
    })
}

// ---------------------------------------------------------------------------------------------
// The whole set

/// Kinds of children (the generated token Secret is handled on its own: created once).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Kind {
    ConfigMap,
    Service,
    Deployment,
    Ingress,
    HttpRoute,
    PodDisruptionBudget,
    HorizontalPodAutoscaler,
    ScaledObject,
    TriggerAuthentication,
    CronJob,
}

impl Kind {
    pub fn api_resource(self) -> ApiResource {
        fn typed<K: k8s_openapi::Resource>(plural: &str) -> ApiResource {
            ApiResource {
                group: K::GROUP.to_owned(),
                version: K::VERSION.to_owned(),
                api_version: K::API_VERSION.to_owned(),
                kind: K::KIND.to_owned(),
                plural: plural.to_owned(),
            }
        }
        fn custom(group: &str, version: &str, kind: &str, plural: &str) -> ApiResource {
            ApiResource {
                group: group.to_owned(),
                version: version.to_owned(),
                api_version: format!("{group}/{version}"),
                kind: kind.to_owned(),
                plural: plural.to_owned(),
            }
        }
        match self {
            Kind::ConfigMap => typed::<ConfigMap>("configmaps"),
            Kind::Service => typed::<Service>("services"),
            Kind::Deployment => typed::<Deployment>("deployments"),
            Kind::Ingress => typed::<Ingress>("ingresses"),
            Kind::HttpRoute => custom("gateway.networking.k8s.io", "v1", "HTTPRoute", "httproutes"),
            Kind::PodDisruptionBudget => typed::<PodDisruptionBudget>("poddisruptionbudgets"),
            Kind::HorizontalPodAutoscaler => {
                typed::<HorizontalPodAutoscaler>("horizontalpodautoscalers")
            }
            Kind::ScaledObject => custom("keda.sh", "v1alpha1", "ScaledObject", "scaledobjects"),
            Kind::TriggerAuthentication => custom(
                "keda.sh",
                "v1alpha1",
                "TriggerAuthentication",
                "triggerauthentications",
            ),
            Kind::CronJob => typed::<CronJob>("cronjobs"),
        }
    }

    /// Whether the cluster serves this kind.
    pub fn served(self, apis: Apis) -> bool {
        match self {
            Kind::HttpRoute => apis.gateway,
            Kind::ScaledObject | Kind::TriggerAuthentication => apis.keda,
            Kind::ConfigMap
            | Kind::Service
            | Kind::Deployment
            | Kind::Ingress
            | Kind::PodDisruptionBudget
            | Kind::HorizontalPodAutoscaler
            | Kind::CronJob => true,
        }
    }
}

/// One child: the object to apply, or `None` when an object of that kind and name must not
/// exist (a disabled option).
#[derive(Debug, Clone, PartialEq)]
pub struct Child {
    pub kind: Kind,
    pub name: String,
    pub object: Option<Value>,
}

fn dynamic(
    bot: &TranscriptionBot,
    resource: &ApiResource,
    name: String,
    component: &str,
    spec: Value,
) -> DynamicObject {
    let mut object = DynamicObject::new(&name, resource).data(json!({ "spec": spec }));
    object.metadata = meta(bot, name, component);
    object
}

fn encode<T: serde::Serialize>(
    kind: &'static str,
    object: Option<T>,
) -> Result<Option<Value>, crate::Error> {
    object
        .map(|o| serde_json::to_value(o))
        .transpose()
        .map_err(|source| crate::Error::Encode { kind, source })
}

/// Every child in apply order, present or to be absent, limited to the kinds the cluster
/// serves. Typed objects carry their `apiVersion`/`kind` (k8s-openapi serializes them).
pub fn children(bot: &TranscriptionBot, inputs: &Inputs) -> Result<Vec<Child>, crate::Error> {
    let mut out = vec![
        Child {
            kind: Kind::ConfigMap,
            name: name(bot, "config"),
            object: encode("ConfigMap", Some(config_map(bot)))?,
        },
        Child {
            kind: Kind::Service,
            name: name(bot, "webhook"),
            object: encode("Service", Some(webhook_service(bot)))?,
        },
        Child {
            kind: Kind::Deployment,
            name: name(bot, "webhook"),
            object: encode("Deployment", Some(webhook_deployment(bot, inputs)))?,
        },
        Child {
            kind: Kind::Ingress,
            name: name(bot, "webhook"),
            object: encode("Ingress", webhook_ingress(bot))?,
        },
        Child {
            kind: Kind::HttpRoute,
            name: name(bot, "webhook"),
            object: encode("HTTPRoute", webhook_http_route(bot))?,
        },
        Child {
            kind: Kind::PodDisruptionBudget,
            name: name(bot, "webhook"),
            object: encode("PodDisruptionBudget", webhook_pdb(bot))?,
        },
        Child {
            kind: Kind::Deployment,
            name: name(bot, "worker"),
            object: encode("Deployment", Some(worker_deployment(bot, inputs)))?,
        },
        Child {
            kind: Kind::TriggerAuthentication,
            name: name(bot, "worker"),
            object: encode("TriggerAuthentication", trigger_authentication(bot, inputs))?,
        },
        Child {
            kind: Kind::ScaledObject,
            name: name(bot, "worker"),
            object: encode("ScaledObject", scaled_object(bot, inputs))?,
        },
        Child {
            kind: Kind::HorizontalPodAutoscaler,
            name: name(bot, "worker"),
            object: encode("HorizontalPodAutoscaler", worker_hpa(bot, inputs))?,
        },
        Child {
            kind: Kind::PodDisruptionBudget,
            name: name(bot, "worker"),
            object: encode("PodDisruptionBudget", worker_pdb(bot))?,
        },
    ];
    for report in [Report::Daily, Report::Weekly] {
        out.push(Child {
            kind: Kind::CronJob,
            name: name(bot, report.as_str()),
            object: encode("CronJob", report_cronjob(bot, inputs, report))?,
        });
    }
    out.retain(|c| c.kind.served(inputs.apis));
    Ok(out)
}

/// Fingerprint of the whole desired set (stored in `status.applied`).
pub fn fingerprint(children: &[Child]) -> String {
    sha256_hex(children.iter().flat_map(|c| {
        [
            format!("{:?}/{}", c.kind, c.name),
            c.object.as_ref().map_or_else(String::new, Value::to_string),
        ]
    }))
}

/// Marks the Deployments with the set's fingerprint, so a later reconcile can tell from them
/// alone whether the applied set is current.
pub fn stamp(children: &mut [Child], fingerprint: &str) {
    for child in children.iter_mut().filter(|c| c.kind == Kind::Deployment) {
        if let Some(object) = child.object.as_mut() {
            object["metadata"]["annotations"][APPLIED] = json!(fingerprint);
        }
    }
}

#[cfg(test)]
#[path = "desired_tests.rs"]
mod tests;
