//! The `TranscriptionBot` custom resource (`scribe.dev/v1alpha1`): spec, status and the CRD.
//!
//! Conventions (Kubernetes API conventions): camelCase fields, no floats, no unsigned integers,
//! durations as `…Seconds`, credentials only as `…SecretRef` (same namespace, never inline).
//! Validation lives in the schema: schemars attributes for types, lengths, ranges and patterns,
//! CEL rules (`x-kubernetes-validations`) for what spans fields or versions of the object.

use std::collections::BTreeMap;

use k8s_openapi::api::core::v1::{
    Affinity, EnvVar, LocalObjectReference, ResourceRequirements, Toleration,
    TopologySpreadConstraint,
};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::Condition;
use kube::core::crd::CustomResourceExt;
use kube::{CustomResource, KubeSchema};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// API group of every scribe resource.
pub const GROUP: &str = "scribe.dev";

/// The bot: its Telegram identity, the providers it uses, and how its webhook, workers and
/// reports run in this namespace.
#[derive(CustomResource, KubeSchema, Serialize, Deserialize, Clone, Debug, PartialEq)]
#[kube(
    group = "scribe.dev",
    version = "v1alpha1",
    kind = "TranscriptionBot",
    namespaced,
    status = "TranscriptionBotStatus",
    shortname = "tbot",
    category = "scribe",
    derive = "PartialEq",
    doc = "A Telegram transcription bot run by the scribe operator.",
    printcolumn(
        name = "Ready",
        type_ = "string",
        json_path = ".status.conditions[?(@.type==\"Ready\")].status",
        description = "Whether the bot serves users"
    ),
    printcolumn(
        name = "Webhook",
        type_ = "string",
        json_path = ".status.webhookUrl",
        description = "Webhook URL registered with Telegram"
    ),
    printcolumn(
        name = "Workers",
        type_ = "string",
        json_path = ".status.workers",
        description = "Available/desired worker replicas"
    ),
    printcolumn(
        name = "Age",
        type_ = "date",
        json_path = ".metadata.creationTimestamp"
    ),
    validation = Rule::new("has(self.spec.botName) || self.metadata.name.matches('^[a-z0-9-]{1,40}$')")
        .message("metadata.name is not a valid bot name (1-40 of a-z, 0-9, -): set spec.botName"),
    validation = Rule::new("size(self.metadata.name) <= 45")
        .message("metadata.name must be at most 45 characters (child objects append suffixes)")
)]
#[x_kube(
    validation = Rule::new("has(self.botName) == has(oldSelf.botName)")
        .message("botName cannot be added or removed after creation")
)]
#[serde(rename_all = "camelCase")]
pub struct TranscriptionBotSpec {
    /// Bot identity: names queues (`scribe.<botName>.*`) and metrics labels. Defaults to
    /// metadata.name. Immutable.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(pattern(r"^[a-z0-9-]{1,40}$"))]
    #[x_kube(validation = Rule::new("self == oldSelf").message("botName is immutable"))]
    pub bot_name: Option<String>,

    /// Container image of the bot pods; defaults to the operator's `SCRIBE_IMAGE`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(min = 1, max = 512))]
    pub image: Option<String>,

    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub image_pull_policy: Option<PullPolicy>,

    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub image_pull_secrets: Vec<LocalObjectReference>,

    /// Service account of the bot pods (they never call the Kubernetes API; its token is not
    /// mounted).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(min = 1, max = 253))]
    pub service_account_name: Option<String>,

    pub telegram: TelegramSpec,
    pub dashscope: DashscopeSpec,

    #[serde(default)]
    #[schemars(extend("default" = {}))]
    pub fallback: FallbackSpec,

    pub rabbitmq: RabbitmqSpec,
    pub database: DatabaseSpec,

    /// Telegram user ids of the bot's admins.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[schemars(length(max = 100))]
    pub admins: Vec<i64>,

    #[serde(default)]
    #[schemars(extend("default" = {}))]
    pub billing: BillingSpec,

    #[serde(default)]
    #[schemars(extend("default" = {}))]
    pub webhook: WebhookSpec,

    #[serde(default)]
    #[schemars(extend("default" = {}))]
    pub worker: WorkerSpec,

    #[serde(default)]
    #[schemars(extend("default" = {}))]
    pub reports: ReportsSpec,
}

/// A key of a Secret in the bot's namespace.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq, JsonSchema)]
pub struct SecretKeyRef {
    /// Secret name.
    #[schemars(length(min = 1, max = 253))]
    pub name: String,
    /// Key inside the Secret's data.
    #[schemars(length(min = 1, max = 253), pattern(r"^[-._a-zA-Z0-9]+$"))]
    pub key: String,
}

#[derive(Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq, JsonSchema)]
pub enum PullPolicy {
    Always,
    IfNotPresent,
    Never,
}

impl PullPolicy {
    pub fn as_str(self) -> &'static str {
        match self {
            PullPolicy::Always => "Always",
            PullPolicy::IfNotPresent => "IfNotPresent",
            PullPolicy::Never => "Never",
        }
    }
}

#[derive(KubeSchema, Serialize, Deserialize, Clone, Debug, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct TelegramSpec {
    /// The bot token from @BotFather.
    pub token_secret_ref: SecretKeyRef,
    /// Public HTTPS base URL that reaches the webhook Service; the webhook is registered at
    /// `<publicUrl>/telegram`. Telegram accepts ports 443, 80, 88 and 8443.
    #[schemars(length(min = 9, max = 2048), pattern(r"^https://"))]
    #[x_kube(validation = Rule::new("isURL(self)").message("publicUrl must be an https URL"))]
    pub public_url: String,
    /// Bot API base URL (a local Bot API server); default the cloud Bot API.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(min = 8, max = 2048), pattern(r"^https?://"))]
    #[x_kube(validation = Rule::new("isURL(self)").message("apiUrl must be an http(s) URL"))]
    pub api_url: Option<String>,
    /// Largest file the bot accepts (the cloud Bot API serves at most 20).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 1, max = 2000))]
    pub max_file_mb: Option<i32>,
}

#[derive(KubeSchema, Serialize, Deserialize, Clone, Debug, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct DashscopeSpec {
    /// Model Studio (DashScope) API key; keys are region-specific.
    pub api_key_secret_ref: SecretKeyRef,
    #[serde(default)]
    pub region: Region,
    /// Overrides the region's host (workspace hosts, proxies).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(min = 8, max = 2048), pattern(r"^https?://"))]
    #[x_kube(validation = Rule::new("isURL(self)").message("baseUrl must be an http(s) URL"))]
    pub base_url: Option<String>,
    #[serde(default = "default_asr_model")]
    #[schemars(length(min = 1, max = 128))]
    pub asr_model: String,
    #[serde(default = "default_llm_model")]
    #[schemars(length(min = 1, max = 128))]
    pub llm_model: String,
}

/// DashScope region (as the bot's `DASHSCOPE_REGION` spells it).
#[derive(Serialize, Deserialize, Clone, Copy, Debug, Default, PartialEq, Eq, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum Region {
    #[default]
    Intl,
    Cn,
    Us,
}

impl Region {
    pub fn as_str(self) -> &'static str {
        match self {
            Region::Intl => "intl",
            Region::Cn => "cn",
            Region::Us => "us",
        }
    }
}

fn default_asr_model() -> String {
    "qwen3-asr-flash".into()
}

fn default_llm_model() -> String {
    "qwen-plus".into()
}

fn default_fallback_model() -> String {
    "gemini-2.5-flash".into()
}

/// The formatter used when DashScope's fails (Gemini).
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct FallbackSpec {
    #[serde(default = "default_fallback_model")]
    #[schemars(length(min = 1, max = 128))]
    pub model: String,
    /// Gemini API key; without it there is no fallback formatter.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub api_key_secret_ref: Option<SecretKeyRef>,
}

impl Default for FallbackSpec {
    fn default() -> Self {
        Self {
            model: default_fallback_model(),
            api_key_secret_ref: None,
        }
    }
}

#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct RabbitmqSpec {
    /// AMQP URL (`amqp://user:password@host:5672/vhost`) the webhook and workers use.
    pub url_secret_ref: SecretKeyRef,
    /// Management API URL (`http://user:password@host:15672`) KEDA reads queue depth from
    /// (`protocol: http`, so unacknowledged jobs count). Needed for KEDA autoscaling.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub management_url_secret_ref: Option<SecretKeyRef>,
}

#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct DatabaseSpec {
    /// PostgreSQL URL of the bot's store.
    pub url_secret_ref: SecretKeyRef,
}

fn default_trial_minutes() -> i32 {
    15
}

#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct BillingSpec {
    #[serde(default)]
    pub trial_mode: TrialMode,
    /// Free minutes of a trial.
    #[serde(default = "default_trial_minutes")]
    #[schemars(range(min = 0, max = 600))]
    pub trial_minutes: i32,
    /// Minute packages sold for Telegram Stars; empty keeps the bot's built-in list.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[schemars(length(max = 20))]
    pub packages: Vec<Package>,
}

impl Default for BillingSpec {
    fn default() -> Self {
        Self {
            trial_mode: TrialMode::default(),
            trial_minutes: default_trial_minutes(),
            packages: Vec::new(),
        }
    }
}

/// How new users get trial minutes.
#[derive(Serialize, Deserialize, Clone, Copy, Debug, Default, PartialEq, Eq, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum TrialMode {
    #[default]
    Auto,
    Review,
    Off,
}

impl TrialMode {
    pub fn as_str(self) -> &'static str {
        match self {
            TrialMode::Auto => "auto",
            TrialMode::Review => "review",
            TrialMode::Off => "off",
        }
    }
}

#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct Package {
    #[schemars(pattern(r"^[a-z0-9_-]{1,32}$"))]
    pub id: String,
    #[schemars(range(min = 1, max = 100000))]
    pub minutes: i32,
    /// Price in Telegram Stars.
    #[schemars(range(min = 1, max = 100000))]
    pub stars: i32,
    /// How many times one user may buy it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 1, max = 1000))]
    pub per_user_limit: Option<i32>,
}

/// Scheduling and pod knobs shared by the webhook and the workers.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct PodKnobs {
    /// Container resources; modest requests are set when empty.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resources: Option<ResourceRequirements>,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub node_selector: BTreeMap<String, String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tolerations: Vec<Toleration>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub affinity: Option<Affinity>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub topology_spread_constraints: Vec<TopologySpreadConstraint>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(min = 1, max = 253))]
    pub priority_class_name: Option<String>,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub pod_annotations: BTreeMap<String, String>,
    /// Extra pod labels (the operator's selector labels win on conflict).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub pod_labels: BTreeMap<String, String>,
    /// Extra environment variables; an entry replaces the operator's variable of the same name.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub extra_env: Vec<EnvVar>,
}

fn default_webhook_replicas() -> i32 {
    2
}

#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct WebhookSpec {
    #[serde(default = "default_webhook_replicas")]
    #[schemars(range(min = 1, max = 20))]
    pub replicas: i32,
    /// Port of the webhook Service (default 80); pods listen on 8080.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 1, max = 65535))]
    pub port: Option<i32>,
    #[serde(flatten)]
    pub pod: PodKnobs,
    #[serde(default)]
    pub service_type: ServiceType,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ingress: Option<IngressSpec>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub http_route: Option<HttpRouteSpec>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pod_disruption_budget: Option<WebhookDisruptionBudget>,
}

impl Default for WebhookSpec {
    fn default() -> Self {
        Self {
            replicas: default_webhook_replicas(),
            port: None,
            pod: PodKnobs::default(),
            service_type: ServiceType::default(),
            ingress: None,
            http_route: None,
            pod_disruption_budget: None,
        }
    }
}

#[derive(Serialize, Deserialize, Clone, Copy, Debug, Default, PartialEq, Eq, JsonSchema)]
pub enum ServiceType {
    #[default]
    ClusterIP,
    NodePort,
    LoadBalancer,
}

impl ServiceType {
    pub fn as_str(self) -> &'static str {
        match self {
            ServiceType::ClusterIP => "ClusterIP",
            ServiceType::NodePort => "NodePort",
            ServiceType::LoadBalancer => "LoadBalancer",
        }
    }
}

/// An Ingress for `<publicUrl>/telegram`; controller-neutral (no controller annotations are
/// added).
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct IngressSpec {
    #[serde(default)]
    pub enabled: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(min = 1, max = 253))]
    pub class_name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(min = 1, max = 253))]
    pub host: Option<String>,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub annotations: BTreeMap<String, String>,
    /// TLS certificate Secret for `host`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(min = 1, max = 253))]
    pub tls_secret_name: Option<String>,
}

/// A Gateway API HTTPRoute for `/telegram`.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct HttpRouteSpec {
    #[serde(default)]
    pub enabled: bool,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[schemars(length(max = 32))]
    pub parent_refs: Vec<ParentRef>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[schemars(length(max = 16))]
    pub hostnames: Vec<String>,
}

/// A Gateway (or other parent) the HTTPRoute attaches to.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ParentRef {
    #[schemars(length(min = 1, max = 253))]
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub namespace: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub section_name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub group: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kind: Option<String>,
}

fn one() -> i32 {
    1
}

#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct WebhookDisruptionBudget {
    #[serde(default)]
    pub enabled: bool,
    #[serde(default = "one")]
    #[schemars(range(min = 0, max = 20))]
    pub min_available: i32,
}

#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct WorkerDisruptionBudget {
    #[serde(default)]
    pub enabled: bool,
    #[serde(default = "one")]
    #[schemars(range(min = 1, max = 100))]
    pub max_unavailable: i32,
}

fn default_worker_concurrency() -> i32 {
    2
}

fn default_shutdown_grace() -> i32 {
    60
}

#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct WorkerSpec {
    /// Replicas when autoscaling is off.
    #[serde(default = "one")]
    #[schemars(range(min = 0, max = 100))]
    pub replicas: i32,
    /// Transcription jobs one worker runs at once.
    #[serde(default = "default_worker_concurrency")]
    #[schemars(range(min = 1, max = 64))]
    pub concurrency: i32,
    /// After SIGTERM, how long in-flight jobs may run before they go back to the queue.
    #[serde(default = "default_shutdown_grace")]
    #[schemars(range(min = 1, max = 3600))]
    pub shutdown_grace_seconds: i32,
    #[serde(flatten)]
    pub pod: PodKnobs,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub autoscaling: Option<AutoscalingSpec>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pod_disruption_budget: Option<WorkerDisruptionBudget>,
}

impl Default for WorkerSpec {
    fn default() -> Self {
        Self {
            replicas: one(),
            concurrency: default_worker_concurrency(),
            shutdown_grace_seconds: default_shutdown_grace(),
            pod: PodKnobs::default(),
            autoscaling: None,
            pod_disruption_budget: None,
        }
    }
}

fn default_max_replicas() -> i32 {
    10
}

fn default_target_queue_length() -> i32 {
    2
}

fn default_cooldown() -> i32 {
    300
}

/// Worker autoscaling on the jobs queue depth (KEDA), or on CPU when KEDA is not installed.
#[derive(KubeSchema, Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
#[x_kube(
    validation = Rule::new("self.minReplicas <= self.maxReplicas")
        .message("minReplicas must not exceed maxReplicas")
)]
#[serde(rename_all = "camelCase")]
pub struct AutoscalingSpec {
    #[serde(default)]
    pub enabled: bool,
    /// At least 1: workers also consume the updates queue (commands and media intake), so a
    /// bot whose workers scaled to zero would never see the update that creates a job.
    #[serde(default = "one")]
    #[schemars(range(min = 1, max = 100))]
    pub min_replicas: i32,
    #[serde(default = "default_max_replicas")]
    #[schemars(range(min = 1, max = 100))]
    pub max_replicas: i32,
    /// Jobs (ready + unacknowledged) per worker replica KEDA aims for.
    #[serde(default = "default_target_queue_length")]
    #[schemars(range(min = 1, max = 1000))]
    pub target_queue_length: i32,
    /// Quiet time before scaling down.
    #[serde(default = "default_cooldown")]
    #[schemars(range(min = 0, max = 86400))]
    pub cooldown_seconds: i32,
}

fn yes() -> bool {
    true
}

fn default_daily() -> String {
    "0 8 * * *".into()
}

fn default_weekly() -> String {
    "0 8 * * 1".into()
}

/// Admin reports sent by CronJobs (`scribe report daily|weekly`).
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ReportsSpec {
    #[serde(default = "yes")]
    pub enabled: bool,
    #[serde(default = "default_daily")]
    #[schemars(length(min = 9, max = 64))]
    pub daily_schedule: String,
    #[serde(default = "default_weekly")]
    #[schemars(length(min = 9, max = 64))]
    pub weekly_schedule: String,
    /// IANA time zone of the schedules (default: the controller manager's).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(min = 1, max = 64))]
    pub time_zone: Option<String>,
}

impl Default for ReportsSpec {
    fn default() -> Self {
        Self {
            enabled: true,
            daily_schedule: default_daily(),
            weekly_schedule: default_weekly(),
            time_zone: None,
        }
    }
}

/// What the operator observed, written only by the operator.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct TranscriptionBotStatus {
    /// The metadata.generation this status was computed from.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub observed_generation: Option<i64>,
    /// Ready (summary), WebhookRegistered, WorkersAvailable, Autoscaling.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[schemars(schema_with = "conditions_schema")]
    pub conditions: Vec<Condition>,
    /// The webhook URL registered with Telegram.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub webhook_url: Option<String>,
    /// Ready replica counts.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub replicas: Option<ReplicaCounts>,
    /// Available/desired workers, for `kubectl get`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub workers: Option<String>,
    /// sha256 of what was registered with Telegram (URL, allowed updates, commands and a hash
    /// of the token and webhook secret); Telegram is called again only when it changes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub registration: Option<String>,
    /// sha256 of the child objects last applied; they are applied again only when it changes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub applied: Option<String>,
}

#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, Eq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ReplicaCounts {
    pub webhook: i32,
    pub worker: i32,
}

/// Conditions are a list-map keyed by `type`, so server-side apply merges them per type.
fn conditions_schema(generator: &mut schemars::SchemaGenerator) -> schemars::Schema {
    let mut schema = generator.subschema_for::<Vec<Condition>>();
    schema.insert("x-kubernetes-list-type".into(), "map".into());
    schema.insert(
        "x-kubernetes-list-map-keys".into(),
        serde_json::json!(["type"]),
    );
    schema
}

impl TranscriptionBot {
    /// The bot identity: `spec.botName`, or the object's name.
    pub fn bot_name(&self) -> String {
        self.spec
            .bot_name
            .clone()
            .or_else(|| self.metadata.name.clone())
            .unwrap_or_default()
    }
}

/// The CRD as YAML (what `manifests/crd.yaml` holds and `scribe crd` prints).
pub fn crd_yaml() -> String {
    let crd = TranscriptionBot::crd();
    // Serializing a CRD cannot fail: it is plain data with string keys.
    match serde_saphyr::to_string(&crd) {
        Ok(yaml) => yaml,
        Err(e) => unreachable!("CRD serializes to YAML: {e}"),
    }
}

#[cfg(test)]
#[path = "crd_tests.rs"]
mod tests;
