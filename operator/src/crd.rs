//! The `TranscriptionBot` custom resource (`scribe.dev/v1alpha1`): spec, status and the CRD.
//!
//! Conventions (Kubernetes API conventions): camelCase fields, no floats, no unsigned integers,
//! durations as `…Seconds`, credentials only as `…SecretRef` (same namespace, never inline).
//! Validation lives in the schema: schemars attributes for types, lengths, ranges and patterns,
//! CEL rules (`x-kubernetes-validations`) for what spans fields or versions of the object.
//! Every field carries a description (`kubectl explain transcriptionbot.spec…`).
//!
//! Versioning: `v1alpha1` only grows. New fields are optional with defaults that keep older
//! objects meaning what they meant (e.g. `spec.dashscope` became optional; `spec.asr`,
//! `spec.llm` and `spec.gemini` add providers beside it). A breaking change needs `v1alpha2`
//! served beside this version with a conversion path.

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

/// Annotation that pauses reconciling of one bot (value `disabled`), like `spec.suspend`.
pub const RECONCILE_ANNOTATION: &str = "scribe.dev/reconcile";
/// The value of [`RECONCILE_ANNOTATION`] that pauses.
pub const RECONCILE_DISABLED: &str = "disabled";

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
        name = "Reason",
        type_ = "string",
        json_path = ".status.conditions[?(@.type==\"Ready\")].reason",
        description = "Why the bot is (not) ready"
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
    printcolumn(
        name = "Message",
        type_ = "string",
        json_path = ".status.conditions[?(@.type==\"Ready\")].message",
        description = "What the Ready condition says",
        priority = "1"
    ),
    validation = Rule::new("has(self.spec.botName) || self.metadata.name.matches('^[a-z0-9-]{1,40}$')")
        .message("metadata.name is not a valid bot name (1-40 of a-z, 0-9, -): set spec.botName"),
    validation = Rule::new("size(self.metadata.name) <= 45")
        .message("metadata.name must be at most 45 characters (child objects append suffixes)")
)]
#[x_kube(
    validation = Rule::new("has(self.botName) == has(oldSelf.botName)")
        .message("botName cannot be added or removed after creation"),
    validation = Rule::new(
        "has(self.dashscope) || !((!has(self.asr) || !has(self.asr.provider) || self.asr.provider == 'dashscope') || (!has(self.llm) || !has(self.llm.provider) || self.llm.provider == 'dashscope') || (has(self.fallback) && has(self.fallback.provider) && self.fallback.provider == 'dashscope'))"
    )
    .message("spec.dashscope is required while a slot uses DashScope (asr.provider and llm.provider default to dashscope; set both to other providers for a bot without DashScope)"),
    validation = Rule::new(
        "has(self.gemini) || (has(self.fallback) && has(self.fallback.apiKeySecretRef)) || !((has(self.llm) && has(self.llm.provider) && self.llm.provider == 'gemini') || (has(self.fallback) && has(self.fallback.provider) && self.fallback.provider == 'gemini'))"
    )
    .message("a formatter slot uses Gemini: set spec.gemini.apiKeySecretRef"),
    validation = Rule::new(
        "!(has(self.fallback) && has(self.fallback.provider) && self.fallback.provider == 'openai') || (has(self.llm) && has(self.llm.openai))"
    )
    .message("fallback.provider openai uses the chat server of spec.llm.openai: set it")
)]
#[serde(rename_all = "camelCase")]
pub struct TranscriptionBotSpec {
    /// Bot identity: names queues (`scribe.<botName>.*`) and metrics labels. Defaults to
    /// metadata.name. Immutable.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(pattern(r"^[a-z0-9-]{1,40}$"))]
    #[x_kube(validation = Rule::new("self == oldSelf").message("botName is immutable"))]
    pub bot_name: Option<String>,

    /// Container image of the bot pods; defaults to the operator's `SCRIBE_IMAGE`. A cluster may
    /// restrict it to an allow-list (the chart's admission policy).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(min = 1, max = 512))]
    pub image: Option<String>,

    /// Pull policy of the bot containers (default: the cluster's, `IfNotPresent` for tags).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub image_pull_policy: Option<PullPolicy>,

    /// Secrets (in this namespace) for pulling the bot image.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub image_pull_secrets: Vec<LocalObjectReference>,

    /// Service account of the bot pods (they never call the Kubernetes API; its token is not
    /// mounted). A cluster may forbid custom ones (the chart's admission policy).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(min = 1, max = 253))]
    pub service_account_name: Option<String>,

    /// Pauses the operator for this bot (as the annotation `scribe.dev/reconcile: disabled`
    /// does): no child object, Telegram call or finalizer change until it is false again; the
    /// status says so. Meant for incidents; the bot keeps running as it was.
    #[serde(default)]
    pub suspend: bool,

    /// The Telegram side: token, public webhook URL, Bot API server.
    pub telegram: TelegramSpec,

    /// Model Studio (DashScope): required while the recogniser or a formatter uses it (the
    /// defaults do).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dashscope: Option<DashscopeSpec>,

    /// Google Gemini: required while a formatter slot uses it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub gemini: Option<GeminiSpec>,

    /// The speech recogniser: DashScope (default) or an OpenAI-compatible server.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub asr: Option<AsrSpec>,

    /// The primary formatter of transcripts.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub llm: Option<LlmSpec>,

    /// The formatter used when the primary one fails.
    #[serde(default)]
    #[schemars(extend("default" = {}))]
    pub fallback: FallbackSpec,

    /// The RabbitMQ broker.
    pub rabbitmq: RabbitmqSpec,
    /// The PostgreSQL store.
    pub database: DatabaseSpec,

    /// Telegram user ids of the bot's admins.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[schemars(length(max = 100))]
    pub admins: Vec<i64>,

    /// Trials, minute packages and the price of transcript actions.
    #[serde(default)]
    #[schemars(extend("default" = {}))]
    pub billing: BillingSpec,

    /// Per-user limits (admins are exempt).
    #[serde(default)]
    #[schemars(extend("default" = {}))]
    pub limits: LimitsSpec,

    /// What the bot keeps about its users.
    #[serde(default)]
    #[schemars(extend("default" = {}))]
    pub privacy: PrivacySpec,

    /// The webhook Deployment (receives Telegram's updates) and how it is exposed.
    #[serde(default)]
    #[schemars(extend("default" = {}))]
    pub webhook: WebhookSpec,

    /// The worker Deployment (handles updates, transcribes) and its scaling.
    #[serde(default)]
    #[schemars(extend("default" = {}))]
    pub worker: WorkerSpec,

    /// The admins' daily and weekly reports.
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

/// A container image pull policy.
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
#[x_kube(
    validation = Rule::new("!has(self.apiUrl) || self.apiUrl.startsWith('https://') || has(self.localServer)")
        .message("apiUrl must be https unless localServer marks it as a local Bot API server in this namespace"),
    validation = Rule::new("!has(self.localServer) || has(self.apiUrl)")
        .message("localServer describes the server at apiUrl: set apiUrl")
)]
#[serde(rename_all = "camelCase")]
pub struct TelegramSpec {
    /// The bot token from @BotFather.
    pub token_secret_ref: SecretKeyRef,
    /// Public HTTPS base URL that reaches the webhook Service; the webhook is registered at
    /// `<publicUrl>/telegram`. Telegram accepts ports 443, 80, 88 and 8443.
    #[schemars(length(min = 9, max = 2048), pattern(r"^https://"))]
    #[x_kube(validation = Rule::new("isURL(self)").message("publicUrl must be an https URL"))]
    pub public_url: String,
    /// Bot API base URL; default the cloud Bot API. The bot token is sent there, so it must be
    /// https, unless `localServer` marks it as a local Bot API server: a Service of this
    /// namespace, named exactly `<service>.<namespace>.svc` or
    /// `<service>.<namespace>.svc.cluster.local` (e.g. `http://telegram-bot-api.voice.svc:8081`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(min = 8, max = 2048), pattern(r"^https?://"))]
    #[x_kube(validation = Rule::new("isURL(self)").message("apiUrl must be an http(s) URL"))]
    pub api_url: Option<String>,
    /// Largest file the bot accepts (the cloud Bot API serves at most 20).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 1, max = 2000))]
    pub max_file_mb: Option<i32>,
    /// Marks `apiUrl` as a local Bot API server (`telegram-bot-api`) run in this namespace:
    /// plain http is then allowed, to a Service of this namespace only.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub local_server: Option<LocalServerSpec>,
}

/// A local Bot API server in the bot's namespace.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, Eq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct LocalServerSpec {
    /// Where a server in `--local` mode keeps the files it hands out as absolute paths; the
    /// workers mount that volume read-only and read the files directly (up to 2000 MB).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub files: Option<LocalFilesSpec>,
}

/// The local Bot API server's file directory, shared with the workers.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct LocalFilesSpec {
    /// Absolute directory the server keeps files in (its `--dir`), as the server's file paths
    /// spell it. Mounted read-only at this path in worker pods and passed as
    /// `TELEGRAM_LOCAL_ROOT`; paths outside it are refused.
    #[schemars(length(min = 2, max = 255), pattern(r"^/[-_.a-zA-Z0-9/]+$"))]
    pub root: String,
    /// PersistentVolumeClaim (in this namespace) holding that directory. Worker pods on other
    /// nodes need a ReadWriteMany or ReadOnlyMany volume.
    #[schemars(length(min = 1, max = 253))]
    pub claim_name: String,
}

#[derive(KubeSchema, Serialize, Deserialize, Clone, Debug, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct DashscopeSpec {
    /// Model Studio (DashScope) API key; keys are region-specific.
    pub api_key_secret_ref: SecretKeyRef,
    /// Region of the key and of the endpoint.
    #[serde(default)]
    pub region: Region,
    /// Overrides the region's host (workspace hosts, proxies). The API key is sent there.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(min = 8, max = 2048), pattern(r"^https?://"))]
    #[x_kube(validation = Rule::new("isURL(self)").message("baseUrl must be an http(s) URL"))]
    pub base_url: Option<String>,
    /// Recognition model when DashScope recognises and `asr.model` is unset.
    #[serde(default = "default_asr_model")]
    #[schemars(length(min = 1, max = 128))]
    pub asr_model: String,
    /// Formatting model when DashScope formats and `llm.model` is unset.
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

/// Google Gemini.
#[derive(KubeSchema, Serialize, Deserialize, Clone, Debug, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct GeminiSpec {
    /// Gemini API key.
    pub api_key_secret_ref: SecretKeyRef,
    /// Overrides the Gemini API host (proxies). The API key is sent there.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(min = 8, max = 2048), pattern(r"^https?://"))]
    #[x_kube(validation = Rule::new("isURL(self)").message("baseUrl must be an http(s) URL"))]
    pub base_url: Option<String>,
}

/// An OpenAI-compatible server (vLLM, Ollama, LocalAI, faster-whisper-server, a hosted one).
#[derive(KubeSchema, Serialize, Deserialize, Clone, Debug, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct OpenAiServerSpec {
    /// Base URL, without `/v1` (e.g. `http://vllm.llm:8000`). The API key, if any, is sent
    /// there.
    #[schemars(length(min = 8, max = 2048), pattern(r"^https?://"))]
    #[x_kube(validation = Rule::new("isURL(self)").message("baseUrl must be an http(s) URL"))]
    pub base_url: String,
    /// Bearer key; omit for servers without authentication.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub api_key_secret_ref: Option<SecretKeyRef>,
}

/// Which speech recogniser transcribes (`ASR_PROVIDER`).
#[derive(Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum AsrProvider {
    Dashscope,
    Openai,
}

impl AsrProvider {
    pub fn as_str(self) -> &'static str {
        match self {
            AsrProvider::Dashscope => "dashscope",
            AsrProvider::Openai => "openai",
        }
    }
}

/// The speech recogniser and its request budget.
#[derive(KubeSchema, Serialize, Deserialize, Clone, Debug, Default, PartialEq)]
#[x_kube(
    validation = Rule::new("!has(self.provider) || self.provider != 'openai' || (has(self.openai) && has(self.model))")
        .message("provider openai needs openai.baseUrl and model")
)]
#[serde(rename_all = "camelCase")]
pub struct AsrSpec {
    /// `dashscope` (default) or `openai` (any `/v1/audio/transcriptions` server, e.g. a
    /// self-hosted Whisper).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub provider: Option<AsrProvider>,
    /// Recognition model; with DashScope the default is `dashscope.asrModel`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(min = 1, max = 128))]
    pub model: Option<String>,
    /// The OpenAI-compatible transcription server (with provider `openai`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub openai: Option<OpenAiServerSpec>,
    /// Recognition requests the account may start per minute, for all workers together. Each
    /// worker gets `max(1, requestsPerMinute / most workers)` (autoscaling's maxReplicas, or
    /// the fixed replica count). Default: the bot's per-process default.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 1, max = 1000000))]
    pub requests_per_minute: Option<i32>,
    /// Recognition requests one worker keeps in flight at once.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 1, max = 1024))]
    pub max_inflight: Option<i32>,
}

/// Which service formats transcripts (`LLM_PROVIDER`, `LLM_FALLBACK_PROVIDER`).
#[derive(Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum LlmProvider {
    Dashscope,
    Gemini,
    Openai,
    None,
}

impl LlmProvider {
    pub fn as_str(self) -> &'static str {
        match self {
            LlmProvider::Dashscope => "dashscope",
            LlmProvider::Gemini => "gemini",
            LlmProvider::Openai => "openai",
            LlmProvider::None => "none",
        }
    }
}

/// The primary formatter.
#[derive(KubeSchema, Serialize, Deserialize, Clone, Debug, Default, PartialEq)]
#[x_kube(
    validation = Rule::new("!has(self.provider) || !(self.provider in ['openai', 'gemini']) || has(self.model)")
        .message("provider openai or gemini needs model"),
    validation = Rule::new("!has(self.provider) || self.provider != 'openai' || has(self.openai)")
        .message("provider openai needs openai.baseUrl")
)]
#[serde(rename_all = "camelCase")]
pub struct LlmSpec {
    /// `dashscope` (default), `gemini`, `openai` (any `/v1/chat/completions` server) or `none`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub provider: Option<LlmProvider>,
    /// Formatting model; with DashScope the default is `dashscope.llmModel`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(min = 1, max = 128))]
    pub model: Option<String>,
    /// The OpenAI-compatible chat server, used by whichever formatter slot (this one or
    /// `fallback`) says `openai`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub openai: Option<OpenAiServerSpec>,
}

/// The formatter used when the primary one fails.
#[derive(KubeSchema, Serialize, Deserialize, Clone, Debug, Default, PartialEq)]
#[x_kube(
    validation = Rule::new("!has(self.provider) || !(self.provider in ['openai', 'dashscope']) || has(self.model)")
        .message("provider openai or dashscope needs model")
)]
#[serde(rename_all = "camelCase")]
pub struct FallbackSpec {
    /// `gemini`, `dashscope`, `openai` (the chat server of `llm.openai`) or `none`. Default:
    /// `gemini` when a Gemini key is set, else `none`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub provider: Option<LlmProvider>,
    /// Model of the fallback formatter (with Gemini the default is `gemini-2.5-flash`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(min = 1, max = 128))]
    pub model: Option<String>,
    /// Gemini API key (older spelling of `spec.gemini.apiKeySecretRef`, which wins).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub api_key_secret_ref: Option<SecretKeyRef>,
}

/// The RabbitMQ broker.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct RabbitmqSpec {
    /// AMQP URL (`amqp://user:password@host:5672/vhost`) the webhook and workers use. Its
    /// vhost is also the one KEDA reads the queue depth in.
    pub url_secret_ref: SecretKeyRef,
    /// Management API URL (`http://user:password@host:15672`) KEDA reads queue depth from
    /// (`protocol: http`, so unacknowledged jobs count). Needed for KEDA autoscaling.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub management_url_secret_ref: Option<SecretKeyRef>,
}

/// The PostgreSQL store.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct DatabaseSpec {
    /// PostgreSQL URL of the bot's store.
    pub url_secret_ref: SecretKeyRef,
}

fn default_trial_minutes() -> i32 {
    15
}

/// Trials, packages and actions.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct BillingSpec {
    /// How new users get trial minutes.
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
    /// Free transcript actions (summary, action items, translation) per user per day.
    /// Default: the bot's.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 0, max = 10000))]
    pub actions_per_day: Option<i32>,
    /// Seconds of balance one action costs once the day's free ones are used. Default: the
    /// bot's.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 1, max = 3600))]
    pub action_seconds: Option<i32>,
}

impl Default for BillingSpec {
    fn default() -> Self {
        Self {
            trial_mode: TrialMode::default(),
            trial_minutes: default_trial_minutes(),
            packages: Vec::new(),
            actions_per_day: None,
            action_seconds: None,
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

/// A minute package sold for Telegram Stars.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct Package {
    /// Identifier in invoices and callbacks.
    #[schemars(pattern(r"^[a-z0-9_-]{1,32}$"))]
    pub id: String,
    /// Minutes the package adds to the balance.
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

/// Per-user limits; unset fields keep the bot's defaults.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, Eq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct LimitsSpec {
    /// Queued or running jobs one user may have; more are refused with a reply.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 1, max = 1000))]
    pub max_active_jobs_per_user: Option<i32>,
    /// Updates one user may send per minute before the bot ignores them for the rest of it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 1, max = 10000))]
    pub user_updates_per_minute: Option<i32>,
    /// Longest audio accepted (decoded length); longer audio is refused and not charged.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 1, max = 86400))]
    pub max_audio_seconds: Option<i32>,
}

/// What the bot keeps; unset fields keep the bot's defaults.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, Eq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct PrivacySpec {
    /// Default days a delivered transcript is kept (users choose theirs with /retention).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 1, max = 3650))]
    pub retention_days: Option<i32>,
}

/// Scheduling and pod knobs shared by the webhook and the workers.
#[derive(KubeSchema, Serialize, Deserialize, Clone, Debug, Default, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct PodKnobs {
    /// Container resources; modest requests are set when empty. An ephemeral-storage request
    /// and limit matching the scratch space are added unless set here.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resources: Option<ResourceRequirements>,
    /// Node labels the pods must run on.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub node_selector: BTreeMap<String, String>,
    /// Taints the pods tolerate.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tolerations: Vec<Toleration>,
    /// Node and pod (anti-)affinity of the pods.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub affinity: Option<Affinity>,
    /// How the pods spread over zones and nodes.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub topology_spread_constraints: Vec<TopologySpreadConstraint>,
    /// PriorityClass of the pods.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(min = 1, max = 253))]
    pub priority_class_name: Option<String>,
    /// Extra pod annotations.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub pod_annotations: BTreeMap<String, String>,
    /// Extra pod labels (the operator's selector labels win on conflict).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub pod_labels: BTreeMap<String, String>,
    /// Extra environment variables; an entry replaces the operator's variable of the same name.
    /// `TELEGRAM_API_URL` cannot be set here (it would send the token past `telegram.apiUrl`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[schemars(length(max = 100))]
    #[x_kube(
        validation = Rule::new("!self.exists(e, e.name == 'TELEGRAM_API_URL')")
            .message("extraEnv cannot set TELEGRAM_API_URL: set spec.telegram.apiUrl")
    )]
    pub extra_env: Vec<EnvVar>,
}

fn default_webhook_replicas() -> i32 {
    2
}

/// The webhook Deployment and how Telegram reaches it.
#[derive(KubeSchema, Serialize, Deserialize, Clone, Debug, PartialEq)]
#[x_kube(
    validation = Rule::new(
        "!has(self.podDisruptionBudget) || !has(self.podDisruptionBudget.enabled) || !self.podDisruptionBudget.enabled || (has(self.podDisruptionBudget.minAvailable) ? self.podDisruptionBudget.minAvailable : 1) < (has(self.replicas) ? self.replicas : 2)"
    )
    .message("podDisruptionBudget.minAvailable must be below replicas, or no webhook pod could ever be evicted (node drains would hang)")
)]
#[serde(rename_all = "camelCase")]
pub struct WebhookSpec {
    /// Webhook pods; two keep updates flowing through a restart or a node drain.
    #[serde(default = "default_webhook_replicas")]
    #[schemars(range(min = 1, max = 20))]
    pub replicas: i32,
    /// Port of the webhook Service (default 80); pods listen on 8080.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 1, max = 65535))]
    pub port: Option<i32>,
    #[serde(flatten)]
    pub pod: PodKnobs,
    /// Type of the webhook Service.
    #[serde(default)]
    pub service_type: ServiceType,
    /// An Ingress for `<publicUrl>/telegram`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ingress: Option<IngressSpec>,
    /// A Gateway API HTTPRoute for `<publicUrl>/telegram`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub http_route: Option<HttpRouteSpec>,
    /// A PodDisruptionBudget for the webhook pods.
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

/// A Service type.
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
    /// Create the Ingress.
    #[serde(default)]
    pub enabled: bool,
    /// IngressClass; default: the cluster's default class.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(min = 1, max = 253))]
    pub class_name: Option<String>,
    /// Host of the rule (usually the host of publicUrl).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(min = 1, max = 253))]
    pub host: Option<String>,
    /// Annotations of the Ingress (controller or cert-manager settings).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub annotations: BTreeMap<String, String>,
    /// TLS certificate Secret for `host`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(min = 1, max = 253))]
    pub tls_secret_name: Option<String>,
}

/// A Gateway API HTTPRoute for `/telegram`.
#[derive(KubeSchema, Serialize, Deserialize, Clone, Debug, Default, PartialEq)]
#[x_kube(
    validation = Rule::new("!has(self.enabled) || !self.enabled || (has(self.parentRefs) && size(self.parentRefs) > 0)")
        .message("an enabled httpRoute needs at least one parentRef (the Gateway it attaches to)")
)]
#[serde(rename_all = "camelCase")]
pub struct HttpRouteSpec {
    /// Create the HTTPRoute.
    #[serde(default)]
    pub enabled: bool,
    /// Gateways (or other parents) the route attaches to.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[schemars(length(max = 32))]
    pub parent_refs: Vec<ParentRef>,
    /// Host names the route matches (usually the host of publicUrl).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[schemars(length(max = 16))]
    pub hostnames: Vec<String>,
}

/// A Gateway (or other parent) the HTTPRoute attaches to.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ParentRef {
    /// Name of the parent.
    #[schemars(length(min = 1, max = 253))]
    pub name: String,
    /// Namespace of the parent; default the bot's.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub namespace: Option<String>,
    /// Listener of the Gateway to attach to.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub section_name: Option<String>,
    /// API group of the parent; default `gateway.networking.k8s.io`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub group: Option<String>,
    /// Kind of the parent; default `Gateway`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kind: Option<String>,
}

fn one() -> i32 {
    1
}

/// A PodDisruptionBudget keeping webhook pods available.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct WebhookDisruptionBudget {
    /// Create the PodDisruptionBudget.
    #[serde(default)]
    pub enabled: bool,
    /// Webhook pods that must stay available during voluntary disruptions; below `replicas`.
    #[serde(default = "one")]
    #[schemars(range(min = 0, max = 20))]
    pub min_available: i32,
}

/// A PodDisruptionBudget bounding worker pods down at once.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct WorkerDisruptionBudget {
    /// Create the PodDisruptionBudget.
    #[serde(default)]
    pub enabled: bool,
    /// Worker pods that may be down at once during voluntary disruptions.
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

fn default_temp_storage() -> String {
    "2Gi".into()
}

/// The workers.
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
    /// Scratch space of one worker (downloads and audio work files): the size limit of the
    /// `emptyDir` at `/tmp` and the pod's ephemeral-storage request. A quantity in bytes or
    /// Ki/Mi/Gi/Ti.
    #[serde(default = "default_temp_storage")]
    #[schemars(length(min = 1, max = 16), pattern(r"^[1-9][0-9]*(Ki|Mi|Gi|Ti)?$"))]
    pub temp_storage: String,
    #[serde(flatten)]
    pub pod: PodKnobs,
    /// Worker autoscaling.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub autoscaling: Option<AutoscalingSpec>,
    /// A PodDisruptionBudget for the worker pods.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pod_disruption_budget: Option<WorkerDisruptionBudget>,
}

impl Default for WorkerSpec {
    fn default() -> Self {
        Self {
            replicas: one(),
            concurrency: default_worker_concurrency(),
            shutdown_grace_seconds: default_shutdown_grace(),
            temp_storage: default_temp_storage(),
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
        .message("minReplicas must not exceed maxReplicas"),
    validation = Rule::new("!has(self.fallbackReplicas) || (self.fallbackReplicas >= self.minReplicas && self.fallbackReplicas <= self.maxReplicas)")
        .message("fallbackReplicas must lie between minReplicas and maxReplicas")
)]
#[serde(rename_all = "camelCase")]
pub struct AutoscalingSpec {
    /// Scale the workers (KEDA on the jobs queue; a CPU HorizontalPodAutoscaler without KEDA).
    #[serde(default)]
    pub enabled: bool,
    /// At least 1: workers also consume the updates queue (commands and media intake), so a
    /// bot whose workers scaled to zero would never see the update that creates a job.
    #[serde(default = "one")]
    #[schemars(range(min = 1, max = 100))]
    pub min_replicas: i32,
    /// Most workers.
    #[serde(default = "default_max_replicas")]
    #[schemars(range(min = 1, max = 100))]
    pub max_replicas: i32,
    /// Jobs (ready + unacknowledged) per worker replica KEDA aims for.
    #[serde(default = "default_target_queue_length")]
    #[schemars(range(min = 1, max = 1000))]
    pub target_queue_length: i32,
    /// Quiet time before scaling down: the HorizontalPodAutoscaler's scale-down stabilization
    /// window (at most 3600 s apply).
    #[serde(default = "default_cooldown")]
    #[schemars(range(min = 0, max = 86400))]
    pub cooldown_seconds: i32,
    /// Workers KEDA keeps while it cannot read the queue depth (management API unreachable),
    /// or more if more run already. Default: minReplicas.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 1, max = 100))]
    pub fallback_replicas: Option<i32>,
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
    /// Create the report CronJobs.
    #[serde(default = "yes")]
    pub enabled: bool,
    /// Cron schedule of the daily report.
    #[serde(default = "default_daily")]
    #[schemars(length(min = 9, max = 64))]
    pub daily_schedule: String,
    /// Cron schedule of the weekly report.
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
    /// Ready (summary), Reconciled, WebhookRegistered, WebhookHealthy, WorkersAvailable,
    /// Autoscaling, RouteAccepted.
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

/// Ready replica counts.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, Eq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ReplicaCounts {
    /// Ready webhook pods.
    pub webhook: i32,
    /// Ready worker pods.
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

    /// Why the operator must not write anything for this bot, if it must not: `spec.suspend`
    /// or the annotation `scribe.dev/reconcile: disabled`.
    pub fn paused_by(&self) -> Option<&'static str> {
        let annotated = self
            .metadata
            .annotations
            .as_ref()
            .and_then(|a| a.get(RECONCILE_ANNOTATION))
            .is_some_and(|v| v == RECONCILE_DISABLED);
        if self.spec.suspend {
            Some("spec.suspend is true")
        } else if annotated {
            Some("annotation scribe.dev/reconcile is disabled")
        } else {
            None
        }
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
