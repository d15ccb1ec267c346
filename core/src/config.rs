//! Configuration: one typed struct per component, read once from the environment.
//!
//! Every setting a process reads is listed in [`SETTINGS`] (name, default, meaning), which is the
//! source of `docs/configuration.md` and is checked against what the code actually reads. Reading
//! never stops at the first problem: [`Env`] collects one line per missing or invalid setting and
//! [`Env::finish`] reports them all at once.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::str::FromStr;
use std::time::Duration;

use url::Url;

use crate::billing::{Package, TrialMode};
use crate::secret::Secret;

/// One documented setting.
#[derive(Debug, Clone, Copy)]
pub struct Setting {
    pub name: &'static str,
    /// Default as written in the environment; empty when there is none.
    pub default: &'static str,
    /// Which processes read it.
    pub used_by: &'static str,
    pub doc: &'static str,
}

const ALL: &str = "all";
const WORKERS: &str = "run, worker, transcribe";
const BOT: &str = "run, worker";
const REPORTING: &str = "run, worker, report";
const CLUSTER: &str = "webhook, worker";

/// Every environment variable scribe reads.
pub const SETTINGS: &[Setting] = &[
    Setting {
        name: "BOT_NAME",
        default: "scribe",
        used_by: ALL,
        doc: "Bot identity: names queues (`scribe.<bot>.*`), metrics labels and deduplication keys. Lowercase letters, digits and `-`.",
    },
    Setting {
        name: "LOG_FORMAT",
        default: "json",
        used_by: ALL,
        doc: "`json` (one object per line, with trace ids) or `text`.",
    },
    Setting {
        name: "LOG_LEVEL",
        default: "info",
        used_by: ALL,
        doc: "tracing filter, e.g. `info` or `scribe_worker=debug,info`.",
    },
    Setting {
        name: "LISTEN_ADDR",
        default: "0.0.0.0:8080",
        used_by: ALL,
        doc: "HTTP address for `/metrics`, `/healthz`, `/readyz` (and `POST /telegram` on the webhook).",
    },
    Setting {
        name: "SHUTDOWN_GRACE_SECONDS",
        default: "25",
        used_by: ALL,
        doc: "After SIGTERM, how long in-flight work may take before it is handed back to the queue.",
    },
    Setting {
        name: "TELEGRAM_BOT_TOKEN",
        default: "",
        used_by: REPORTING,
        doc: "Bot token from @BotFather (secret; required).",
    },
    Setting {
        name: "TELEGRAM_API_URL",
        default: "https://api.telegram.org",
        used_by: REPORTING,
        doc: "Bot API base URL: the cloud API, a local Bot API server, or a fake.",
    },
    Setting {
        name: "TELEGRAM_MAX_FILE_MB",
        default: "20",
        used_by: BOT,
        doc: "Largest file the bot accepts. The cloud Bot API serves at most 20 MB; a local Bot API server (`--local`) up to 2000.",
    },
    Setting {
        name: "TELEGRAM_POLL_TIMEOUT_SECONDS",
        default: "25",
        used_by: "run",
        doc: "Long-polling timeout of `getUpdates` in the all-in-one mode.",
    },
    Setting {
        name: "WEBHOOK_SECRET_TOKEN",
        default: "",
        used_by: "webhook",
        doc: "Secret Telegram sends in `X-Telegram-Bot-Api-Secret-Token` (secret; required by the webhook).",
    },
    Setting {
        name: "WEBHOOK_MAX_BODY_BYTES",
        default: "1048576",
        used_by: "webhook",
        doc: "Largest update body accepted (larger → 413).",
    },
    Setting {
        name: "WEBHOOK_CONFIRM_TIMEOUT_MS",
        default: "5000",
        used_by: "webhook",
        doc: "How long the webhook waits for RabbitMQ's publisher confirm before answering 503.",
    },
    Setting {
        name: "DATABASE_URL",
        default: "sqlite:./scribe.db?mode=rwc",
        used_by: "run, worker, migrate, report",
        doc: "`sqlite:` file or `postgres://` URL (secret: may carry a password).",
    },
    Setting {
        name: "DATABASE_MAX_CONNECTIONS",
        default: "10",
        used_by: "run, worker, migrate, report",
        doc: "Connection pool size per process.",
    },
    Setting {
        name: "AMQP_URL",
        default: "amqp://guest:guest@127.0.0.1:5672/%2f",
        used_by: CLUSTER,
        doc: "RabbitMQ URL (secret: carries credentials).",
    },
    Setting {
        name: "AMQP_PREFETCH_UPDATES",
        default: "32",
        used_by: "worker",
        doc: "Unacknowledged updates a worker holds at once.",
    },
    Setting {
        name: "AMQP_PUBLISH_CHANNELS",
        default: "4",
        used_by: CLUSTER,
        doc: "Confirm-mode channels one process publishes on (shared by all requests).",
    },
    Setting {
        name: "DASHSCOPE_API_KEY",
        default: "",
        used_by: WORKERS,
        doc: "Model Studio (DashScope) API key (secret; required). Keys are region-specific.",
    },
    Setting {
        name: "DASHSCOPE_REGION",
        default: "intl",
        used_by: WORKERS,
        doc: "`intl` (Singapore, dashscope-intl), `cn` (Beijing) or `us` (Virginia).",
    },
    Setting {
        name: "DASHSCOPE_BASE_URL",
        default: "",
        used_by: WORKERS,
        doc: "Overrides the region's host (workspace hosts, proxies, fakes).",
    },
    Setting {
        name: "ASR_PROVIDER",
        default: "dashscope",
        used_by: WORKERS,
        doc: "`dashscope` (native qwen3-asr-flash) or `openai` (any `/v1/audio/transcriptions` server, e.g. self-hosted Whisper).",
    },
    Setting {
        name: "ASR_MODEL",
        default: "qwen3-asr-flash",
        used_by: WORKERS,
        doc: "Speech recognition model.",
    },
    Setting {
        name: "OPENAI_ASR_BASE_URL",
        default: "https://api.openai.com",
        used_by: WORKERS,
        doc: "Base URL of the OpenAI-compatible transcription server (with `ASR_PROVIDER=openai`).",
    },
    Setting {
        name: "OPENAI_ASR_API_KEY",
        default: "",
        used_by: WORKERS,
        doc: "Bearer key of the OpenAI-compatible transcription server (secret).",
    },
    Setting {
        name: "LLM_MODEL",
        default: "qwen-plus",
        used_by: WORKERS,
        doc: "DashScope model that formats transcripts; empty disables formatting by DashScope.",
    },
    Setting {
        name: "LLM_FALLBACK_MODEL",
        default: "gemini-2.5-flash",
        used_by: WORKERS,
        doc: "Gemini model used when the primary formatter fails (needs `GEMINI_API_KEY`).",
    },
    Setting {
        name: "GEMINI_API_KEY",
        default: "",
        used_by: WORKERS,
        doc: "Google Gemini API key (secret); without it there is no fallback formatter.",
    },
    Setting {
        name: "GEMINI_BASE_URL",
        default: "https://generativelanguage.googleapis.com",
        used_by: WORKERS,
        doc: "Gemini API base URL.",
    },
    Setting {
        name: "PROVIDER_TIMEOUT_SECONDS",
        default: "120",
        used_by: WORKERS,
        doc: "Timeout of one ASR or LLM request.",
    },
    Setting {
        name: "PROVIDER_ATTEMPTS",
        default: "4",
        used_by: WORKERS,
        doc: "Attempts per provider request on 429, 5xx and timeouts (first try included).",
    },
    Setting {
        name: "PROVIDER_RETRY_BASE_MS",
        default: "1000",
        used_by: WORKERS,
        doc: "First backoff delay between provider attempts; doubles each time, full jitter, capped at 30 s.",
    },
    Setting {
        name: "ASR_CHUNK_SECONDS",
        default: "180",
        used_by: WORKERS,
        doc: "Longest audio sent in one ASR request; longer audio is split at pauses.",
    },
    Setting {
        name: "ASR_CONCURRENCY",
        default: "4",
        used_by: WORKERS,
        doc: "Chunks of one job transcribed at once.",
    },
    Setting {
        name: "ASR_PASSTHROUGH",
        default: "true",
        used_by: WORKERS,
        doc: "Send Ogg/Opus voice notes to ASR as they are (no transcoding).",
    },
    Setting {
        name: "FORMAT_CHUNK_CHARS",
        default: "4000",
        used_by: WORKERS,
        doc: "Transcripts longer than this are formatted in parallel chunks.",
    },
    Setting {
        name: "PROGRESS_INTERVAL_SECONDS",
        default: "3",
        used_by: BOT,
        doc: "Least time between two progress edits of a chat's status message (stage changes excepted).",
    },
    Setting {
        name: "DELIVERY_FILE_THRESHOLD_CHARS",
        default: "8000",
        used_by: BOT,
        doc: "Results longer than this are sent as a `.txt` document unless the user chose `split`.",
    },
    Setting {
        name: "TEMP_DIR",
        default: "",
        used_by: WORKERS,
        doc: "Directory for downloads and audio work files (default: the system temporary directory).",
    },
    Setting {
        name: "ADMIN_IDS",
        default: "",
        used_by: REPORTING,
        doc: "Comma-separated Telegram user ids of the bot's admins.",
    },
    Setting {
        name: "TRIAL_MODE",
        default: "auto",
        used_by: BOT,
        doc: "`auto` (granted on first contact), `review` (admins approve `/trial` requests) or `off`.",
    },
    Setting {
        name: "TRIAL_MINUTES",
        default: "15",
        used_by: BOT,
        doc: "Free minutes of a trial.",
    },
    Setting {
        name: "LOW_BALANCE_MINUTES",
        default: "5",
        used_by: BOT,
        doc: "A note follows a job when less than this remains.",
    },
    Setting {
        name: "PACKAGES",
        default: "micro:10:5:3,start:50:35,standard:200:119,profi:1000:549,editorial:3000:1399,max:8888:4444",
        used_by: BOT,
        doc: "Minute packages `id:minutes:stars[:limit per user]`, comma-separated.",
    },
    Setting {
        name: "WORKER_CONCURRENCY",
        default: "2",
        used_by: BOT,
        doc: "Transcription jobs one process runs at once.",
    },
    Setting {
        name: "UPDATES_CONCURRENCY",
        default: "16",
        used_by: BOT,
        doc: "Updates (commands, intake) one process handles at once.",
    },
    Setting {
        name: "JOB_MAX_ATTEMPTS",
        default: "3",
        used_by: BOT,
        doc: "Attempts of a job whose provider keeps failing before it is given up.",
    },
    Setting {
        name: "JOB_RETRY_DELAYS_SECONDS",
        default: "30,120,600",
        used_by: BOT,
        doc: "Delay before each job retry (the last value repeats).",
    },
    Setting {
        name: "JOB_HEARTBEAT_SECONDS",
        default: "10",
        used_by: BOT,
        doc: "How often a running job proves it is alive.",
    },
    Setting {
        name: "JOB_STALE_SECONDS",
        default: "60",
        used_by: BOT,
        doc: "A running job whose heartbeat is older than this is taken over by another worker.",
    },
    Setting {
        name: "ALERT_FAILURE_STREAK",
        default: "3",
        used_by: BOT,
        doc: "Admins are alerted after this many failed jobs in a row (across replicas).",
    },
    Setting {
        name: "ALERT_BACKLOG_JOBS",
        default: "50",
        used_by: BOT,
        doc: "Admins are alerted when more jobs than this wait in the queue.",
    },
    Setting {
        name: "ALERT_CHECK_SECONDS",
        default: "30",
        used_by: BOT,
        doc: "How often a worker records that it is alive and checks the jobs backlog.",
    },
    Setting {
        name: "ALERT_COOLDOWN_MINUTES",
        default: "30",
        used_by: BOT,
        doc: "The same alert is not repeated (by any replica) within this time.",
    },
];

/// Reads settings from a set of variables and collects every problem.
pub struct Env {
    vars: BTreeMap<String, String>,
    errors: Vec<String>,
    read: BTreeSet<&'static str>,
}

/// All configuration problems, one line each.
#[derive(Debug)]
pub struct ConfigErrors(pub Vec<String>);

impl fmt::Display for ConfigErrors {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, line) in self.0.iter().enumerate() {
            if i > 0 {
                writeln!(f)?;
            }
            write!(f, "config: {line}")?;
        }
        Ok(())
    }
}

impl std::error::Error for ConfigErrors {}

impl Env {
    /// The process environment.
    pub fn from_process() -> Self {
        Self::from_pairs(std::env::vars())
    }

    pub fn from_pairs<K: Into<String>, V: Into<String>>(
        pairs: impl IntoIterator<Item = (K, V)>,
    ) -> Self {
        Self {
            vars: pairs
                .into_iter()
                .map(|(k, v)| (k.into(), v.into()))
                .collect(),
            errors: Vec::new(),
            read: BTreeSet::new(),
        }
    }

    /// Names read so far (used to check [`SETTINGS`] is complete).
    pub fn names_read(&self) -> &BTreeSet<&'static str> {
        &self.read
    }

    fn raw(&mut self, name: &'static str) -> Option<String> {
        self.read.insert(name);
        self.vars
            .get(name)
            .map(|v| v.trim().to_owned())
            .filter(|v| !v.is_empty())
    }

    fn default_of(name: &'static str) -> &'static str {
        SETTINGS
            .iter()
            .find(|s| s.name == name)
            .map_or("", |s| s.default)
    }

    /// A plain string, or its documented default.
    pub fn string(&mut self, name: &'static str) -> String {
        self.raw(name)
            .unwrap_or_else(|| Self::default_of(name).to_owned())
    }

    /// A string that may be absent.
    pub fn optional(&mut self, name: &'static str) -> Option<String> {
        self.raw(name)
    }

    pub fn optional_secret(&mut self, name: &'static str) -> Option<Secret> {
        self.raw(name).map(Secret::new)
    }

    pub fn required_secret(&mut self, name: &'static str) -> Secret {
        match self.raw(name) {
            Some(v) => Secret::new(v),
            None => {
                self.errors.push(format!("{name} is required but not set"));
                Secret::new("")
            }
        }
    }

    /// A secret with a (non-secret) default, such as a local broker URL.
    pub fn secret_or_default(&mut self, name: &'static str) -> Secret {
        Secret::new(self.string(name))
    }

    /// A value parsed with `FromStr`, or its documented default.
    pub fn parse<T>(&mut self, name: &'static str) -> T
    where
        T: FromStr + Default,
        T::Err: fmt::Display,
    {
        let (text, from_default) = match self.raw(name) {
            Some(v) => (v, false),
            None => (Self::default_of(name).to_owned(), true),
        };
        match text.parse::<T>() {
            Ok(v) => v,
            Err(e) => {
                let origin = if from_default { " (default)" } else { "" };
                self.errors
                    .push(format!("{name}={text:?}{origin} is invalid: {e}"));
                T::default()
            }
        }
    }

    /// A positive integer.
    pub fn positive(&mut self, name: &'static str) -> u32 {
        let v: u32 = self.parse(name);
        if v == 0 && !self.errors.iter().any(|e| e.starts_with(name)) {
            self.errors.push(format!("{name} must be at least 1"));
            return 1;
        }
        v.max(1)
    }

    pub fn seconds(&mut self, name: &'static str) -> Duration {
        Duration::from_secs(u64::from(self.positive(name)))
    }

    pub fn url(&mut self, name: &'static str) -> Url {
        let text = self.string(name);
        match Url::parse(&text) {
            Ok(u) if matches!(u.scheme(), "http" | "https") => u,
            Ok(_) => {
                self.errors
                    .push(format!("{name}={text:?} must be an http(s) URL"));
                fallback_url()
            }
            Err(e) => {
                self.errors.push(format!("{name}={text:?} is invalid: {e}"));
                fallback_url()
            }
        }
    }

    pub fn error(&mut self, line: String) {
        self.errors.push(line);
    }

    /// Ok when every setting read so far was valid.
    pub fn finish(self) -> Result<(), ConfigErrors> {
        if self.errors.is_empty() {
            Ok(())
        } else {
            Err(ConfigErrors(self.errors))
        }
    }
}

fn fallback_url() -> Url {
    Url::parse("http://invalid.invalid/").unwrap_or_else(|_| unreachable!("a constant URL parses"))
}

/// Bot identity and the people who run it.
#[derive(Debug, Clone)]
pub struct BotConfig {
    pub name: String,
    pub admins: Vec<i64>,
}

impl BotConfig {
    pub fn from_env(env: &mut Env) -> Self {
        let name = env.string("BOT_NAME");
        if name.is_empty()
            || name.len() > 40
            || !name
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
        {
            env.error(format!(
                "BOT_NAME={name:?} is invalid: use 1-40 lowercase letters, digits or '-'"
            ));
        }
        let admins = match env.optional("ADMIN_IDS") {
            None => Vec::new(),
            Some(list) => {
                let mut ids = Vec::new();
                for part in list.split(',').map(str::trim).filter(|p| !p.is_empty()) {
                    match part.parse::<i64>() {
                        Ok(id) => ids.push(id),
                        Err(_) => env.error(format!(
                            "ADMIN_IDS contains {part:?}, which is not a Telegram user id"
                        )),
                    }
                }
                ids
            }
        };
        Self { name, admins }
    }

    pub fn is_admin(&self, user_id: i64) -> bool {
        self.admins.contains(&user_id)
    }
}

/// Process-level settings: logs, HTTP address, shutdown.
#[derive(Debug, Clone)]
pub struct ProcessConfig {
    pub log_json: bool,
    pub log_level: String,
    pub listen_addr: SocketAddr,
    pub shutdown_grace: Duration,
}

impl ProcessConfig {
    pub fn from_env(env: &mut Env) -> Self {
        let log_json = match env.string("LOG_FORMAT").as_str() {
            "json" => true,
            "text" => false,
            other => {
                env.error(format!("LOG_FORMAT={other:?} must be json or text"));
                true
            }
        };
        Self {
            log_json,
            log_level: env.string("LOG_LEVEL"),
            listen_addr: env.parse::<SocketAddrSetting>("LISTEN_ADDR").0,
            shutdown_grace: env.seconds("SHUTDOWN_GRACE_SECONDS"),
        }
    }
}

/// `SocketAddr` has no `Default`; this wrapper gives [`Env::parse`] one.
struct SocketAddrSetting(SocketAddr);

impl Default for SocketAddrSetting {
    fn default() -> Self {
        Self(SocketAddr::from(([0, 0, 0, 0], 8080)))
    }
}

impl FromStr for SocketAddrSetting {
    type Err = std::net::AddrParseError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        s.parse().map(Self)
    }
}

/// How to reach the Bot API.
#[derive(Debug, Clone)]
pub struct TelegramConfig {
    pub token: Secret,
    pub api_url: Url,
    pub max_file_bytes: u64,
    pub poll_timeout: Duration,
}

impl TelegramConfig {
    pub fn from_env(env: &mut Env) -> Self {
        let token = env.required_secret("TELEGRAM_BOT_TOKEN");
        if !token.expose().is_empty() && !token.expose().contains(':') {
            env.error("TELEGRAM_BOT_TOKEN does not look like a bot token (<id>:<secret>)".into());
        }
        Self {
            token,
            api_url: env.url("TELEGRAM_API_URL"),
            max_file_bytes: u64::from(env.positive("TELEGRAM_MAX_FILE_MB")) * 1024 * 1024,
            poll_timeout: Duration::from_secs(u64::from(
                env.parse::<u32>("TELEGRAM_POLL_TIMEOUT_SECONDS"),
            )),
        }
    }
}

/// Where the store lives.
#[derive(Debug, Clone)]
pub struct StoreConfig {
    pub url: Secret,
    pub max_connections: u32,
}

impl StoreConfig {
    pub fn from_env(env: &mut Env) -> Self {
        let url = env.secret_or_default("DATABASE_URL");
        let text = url.expose();
        if !(text.starts_with("sqlite:")
            || text.starts_with("postgres://")
            || text.starts_with("postgresql://"))
        {
            env.error("DATABASE_URL must start with sqlite: or postgres://".into());
        }
        Self {
            url,
            max_connections: env.positive("DATABASE_MAX_CONNECTIONS"),
        }
    }
}

/// The webhook's request handling.
#[derive(Debug, Clone)]
pub struct WebhookConfig {
    pub secret: Secret,
    pub max_body_bytes: usize,
    pub confirm_timeout: Duration,
}

impl WebhookConfig {
    pub fn from_env(env: &mut Env) -> Self {
        let secret = env.required_secret("WEBHOOK_SECRET_TOKEN");
        let s = secret.expose();
        if !s.is_empty()
            && (s.len() > 256
                || !s
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-'))
        {
            env.error(
                "WEBHOOK_SECRET_TOKEN must be 1-256 characters of A-Z, a-z, 0-9, _ and -".into(),
            );
        }
        Self {
            secret,
            max_body_bytes: env.positive("WEBHOOK_MAX_BODY_BYTES") as usize,
            confirm_timeout: Duration::from_millis(u64::from(
                env.positive("WEBHOOK_CONFIRM_TIMEOUT_MS"),
            )),
        }
    }
}

/// How to reach RabbitMQ.
#[derive(Debug, Clone)]
pub struct BrokerConfig {
    pub url: Secret,
    pub prefetch_updates: u16,
    pub publish_channels: usize,
}

impl BrokerConfig {
    pub fn from_env(env: &mut Env) -> Self {
        let url = env.secret_or_default("AMQP_URL");
        if !(url.expose().starts_with("amqp://") || url.expose().starts_with("amqps://")) {
            env.error("AMQP_URL must start with amqp:// or amqps://".into());
        }
        Self {
            url,
            prefetch_updates: u16::try_from(env.positive("AMQP_PREFETCH_UPDATES"))
                .unwrap_or(u16::MAX),
            publish_channels: env.positive("AMQP_PUBLISH_CHANNELS") as usize,
        }
    }
}

/// DashScope region → host.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Region {
    #[default]
    Intl,
    Cn,
    Us,
}

impl Region {
    pub fn host(self) -> &'static str {
        match self {
            Region::Intl => "https://dashscope-intl.aliyuncs.com",
            Region::Cn => "https://dashscope.aliyuncs.com",
            Region::Us => "https://dashscope-us.aliyuncs.com",
        }
    }
}

impl FromStr for Region {
    type Err = &'static str;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "intl" => Ok(Region::Intl),
            "cn" => Ok(Region::Cn),
            "us" => Ok(Region::Us),
            _ => Err("expected intl, cn or us"),
        }
    }
}

/// Which speech recogniser to call.
#[derive(Debug, Clone)]
pub enum AsrBackend {
    DashScope,
    OpenAi {
        base_url: Url,
        api_key: Option<Secret>,
    },
}

/// ASR and LLM providers.
#[derive(Debug, Clone)]
pub struct ProviderConfig {
    pub dashscope_key: Secret,
    pub dashscope_url: Url,
    pub asr: AsrBackend,
    pub asr_model: String,
    pub llm_model: Option<String>,
    pub fallback_model: Option<String>,
    pub gemini_key: Option<Secret>,
    pub gemini_url: Url,
    pub timeout: Duration,
    pub attempts: u32,
    pub retry_base: Duration,
}

impl ProviderConfig {
    pub fn from_env(env: &mut Env) -> Self {
        let region: Region = env.parse("DASHSCOPE_REGION");
        let dashscope_url = match env.optional("DASHSCOPE_BASE_URL") {
            Some(_) => env.url("DASHSCOPE_BASE_URL"),
            None => Url::parse(region.host())
                .unwrap_or_else(|_| unreachable!("region hosts are valid URLs")),
        };
        let asr = match env.string("ASR_PROVIDER").as_str() {
            "dashscope" => AsrBackend::DashScope,
            "openai" => AsrBackend::OpenAi {
                base_url: env.url("OPENAI_ASR_BASE_URL"),
                api_key: env.optional_secret("OPENAI_ASR_API_KEY"),
            },
            other => {
                env.error(format!(
                    "ASR_PROVIDER={other:?} must be dashscope or openai"
                ));
                AsrBackend::DashScope
            }
        };
        let llm_model = env.optional("LLM_MODEL").or_else(|| {
            // An explicitly empty LLM_MODEL disables the primary formatter.
            let set_empty = env.vars.contains_key("LLM_MODEL");
            (!set_empty).then(|| Env::default_of("LLM_MODEL").to_owned())
        });
        // The DashScope key is needed by the DashScope recogniser and by the primary formatter.
        let dashscope_key = if matches!(asr, AsrBackend::DashScope) || llm_model.is_some() {
            env.required_secret("DASHSCOPE_API_KEY")
        } else {
            env.optional_secret("DASHSCOPE_API_KEY")
                .unwrap_or_else(|| Secret::new(""))
        };
        let gemini_key = env.optional_secret("GEMINI_API_KEY");
        Self {
            dashscope_key,
            dashscope_url,
            asr,
            asr_model: env.string("ASR_MODEL"),
            llm_model,
            fallback_model: Some(env.string("LLM_FALLBACK_MODEL")).filter(|m| !m.is_empty()),
            gemini_key,
            gemini_url: env.url("GEMINI_BASE_URL"),
            timeout: env.seconds("PROVIDER_TIMEOUT_SECONDS"),
            attempts: env.positive("PROVIDER_ATTEMPTS"),
            retry_base: Duration::from_millis(u64::from(env.positive("PROVIDER_RETRY_BASE_MS"))),
        }
    }
}

/// Knobs of the transcription pipeline.
#[derive(Debug, Clone)]
pub struct PipelineConfig {
    pub chunk_seconds: u32,
    pub asr_concurrency: usize,
    pub passthrough: bool,
    pub format_chunk_chars: usize,
    pub progress_interval: Duration,
    pub file_threshold_chars: usize,
    pub temp_dir: PathBuf,
}

impl PipelineConfig {
    pub fn from_env(env: &mut Env) -> Self {
        let chunk_seconds = env.positive("ASR_CHUNK_SECONDS");
        if chunk_seconds < 10 {
            env.error("ASR_CHUNK_SECONDS must be at least 10".into());
        }
        let format_chunk_chars = env.positive("FORMAT_CHUNK_CHARS") as usize;
        if format_chunk_chars < 500 {
            env.error("FORMAT_CHUNK_CHARS must be at least 500".into());
        }
        Self {
            chunk_seconds: chunk_seconds.max(10),
            asr_concurrency: env.positive("ASR_CONCURRENCY") as usize,
            passthrough: env.parse::<bool>("ASR_PASSTHROUGH"),
            format_chunk_chars: format_chunk_chars.max(500),
            progress_interval: Duration::from_secs(u64::from(
                env.parse::<u32>("PROGRESS_INTERVAL_SECONDS"),
            )),
            file_threshold_chars: env.positive("DELIVERY_FILE_THRESHOLD_CHARS") as usize,
            temp_dir: env
                .optional("TEMP_DIR")
                .map_or_else(std::env::temp_dir, PathBuf::from),
        }
    }
}

/// Trial, packages, low-balance note.
#[derive(Debug, Clone)]
pub struct BillingConfig {
    pub trial_mode: TrialMode,
    pub trial_seconds: i64,
    pub low_balance_seconds: i64,
    pub packages: Vec<Package>,
}

impl BillingConfig {
    pub fn from_env(env: &mut Env) -> Self {
        let packages = match Package::parse_list(&env.string("PACKAGES")) {
            Ok(p) => p,
            Err(e) => {
                env.error(format!("PACKAGES is invalid: {e}"));
                Vec::new()
            }
        };
        Self {
            trial_mode: env.parse("TRIAL_MODE"),
            trial_seconds: i64::from(env.parse::<u32>("TRIAL_MINUTES")) * 60,
            low_balance_seconds: i64::from(env.parse::<u32>("LOW_BALANCE_MINUTES")) * 60,
            packages,
        }
    }
}

/// When admins are alerted.
#[derive(Debug, Clone)]
pub struct AlertsConfig {
    pub failure_streak: i64,
    pub backlog_jobs: u64,
    pub cooldown: Duration,
    pub check_every: Duration,
}

impl AlertsConfig {
    pub fn from_env(env: &mut Env) -> Self {
        Self {
            failure_streak: i64::from(env.positive("ALERT_FAILURE_STREAK")),
            backlog_jobs: u64::from(env.positive("ALERT_BACKLOG_JOBS")),
            cooldown: Duration::from_secs(u64::from(env.positive("ALERT_COOLDOWN_MINUTES")) * 60),
            check_every: env.seconds("ALERT_CHECK_SECONDS"),
        }
    }
}

/// Concurrency budgets and the job retry ladder.
#[derive(Debug, Clone)]
pub struct JobsConfig {
    pub worker_concurrency: usize,
    pub updates_concurrency: usize,
    pub max_attempts: u32,
    pub retry_delays: Vec<Duration>,
    pub heartbeat: Duration,
    pub stale_after: Duration,
}

impl JobsConfig {
    pub fn from_env(env: &mut Env) -> Self {
        let retry_delays = match parse_seconds_list(&env.string("JOB_RETRY_DELAYS_SECONDS")) {
            Ok(d) => d,
            Err(e) => {
                env.error(format!("JOB_RETRY_DELAYS_SECONDS is invalid: {e}"));
                vec![Duration::from_secs(30)]
            }
        };
        let heartbeat = env.seconds("JOB_HEARTBEAT_SECONDS");
        let stale_after = env.seconds("JOB_STALE_SECONDS");
        if stale_after <= heartbeat * 2 {
            env.error("JOB_STALE_SECONDS must be more than twice JOB_HEARTBEAT_SECONDS".into());
        }
        Self {
            worker_concurrency: env.positive("WORKER_CONCURRENCY") as usize,
            updates_concurrency: env.positive("UPDATES_CONCURRENCY") as usize,
            max_attempts: env.positive("JOB_MAX_ATTEMPTS"),
            retry_delays,
            heartbeat,
            stale_after,
        }
    }

    /// Delay before retry number `attempt` (1-based); the last value repeats.
    pub fn retry_delay(&self, attempt: u32) -> Duration {
        let idx = (attempt.max(1) as usize - 1).min(self.retry_delays.len().saturating_sub(1));
        self.retry_delays
            .get(idx)
            .copied()
            .unwrap_or(Duration::from_secs(30))
    }
}

fn parse_seconds_list(text: &str) -> Result<Vec<Duration>, String> {
    let list: Result<Vec<Duration>, String> = text
        .split(',')
        .map(str::trim)
        .filter(|p| !p.is_empty())
        .map(|p| {
            p.parse::<u64>()
                .map(Duration::from_secs)
                .map_err(|_| format!("{p:?} is not a whole number of seconds"))
        })
        .collect();
    match list {
        Ok(l) if l.is_empty() => Err("needs at least one delay".into()),
        other => other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(pairs: &[(&str, &str)]) -> Env {
        Env::from_pairs(pairs.iter().map(|(k, v)| (*k, *v)))
    }

    #[test]
    fn every_problem_is_reported_on_its_own_line() {
        let mut e = env(&[
            ("WORKER_CONCURRENCY", "many"),
            ("DASHSCOPE_REGION", "mars"),
            ("ADMIN_IDS", "1, x"),
        ]);
        let _ = BotConfig::from_env(&mut e);
        let _ = TelegramConfig::from_env(&mut e);
        let _ = ProviderConfig::from_env(&mut e);
        let _ = JobsConfig::from_env(&mut e);
        let errors = e.finish().expect_err("invalid settings").0;
        let joined = errors.join("\n");
        assert!(
            joined.contains("TELEGRAM_BOT_TOKEN is required"),
            "{joined}"
        );
        assert!(joined.contains("DASHSCOPE_API_KEY is required"), "{joined}");
        assert!(
            joined.contains("WORKER_CONCURRENCY=\"many\" is invalid"),
            "{joined}"
        );
        assert!(
            joined.contains("DASHSCOPE_REGION=\"mars\" is invalid"),
            "{joined}"
        );
        assert!(joined.contains("ADMIN_IDS contains \"x\""), "{joined}");
        assert_eq!(errors.len(), 5, "{joined}");
    }

    #[test]
    fn secrets_never_appear_in_errors_or_debug() {
        let mut e = env(&[
            ("TELEGRAM_BOT_TOKEN", "12345:supersecret"),
            ("DASHSCOPE_API_KEY", "sk-hidden"),
        ]);
        let t = TelegramConfig::from_env(&mut e);
        let p = ProviderConfig::from_env(&mut e);
        assert!(e.finish().is_ok());
        let debug = format!("{t:?} {p:?}");
        assert!(
            !debug.contains("supersecret") && !debug.contains("sk-hidden"),
            "{debug}"
        );
    }

    #[test]
    fn every_setting_read_is_documented() {
        let mut e = env(&[
            ("ASR_PROVIDER", "openai"),
            ("DASHSCOPE_BASE_URL", "http://x"),
        ]);
        let _ = BotConfig::from_env(&mut e);
        let _ = ProcessConfig::from_env(&mut e);
        let _ = TelegramConfig::from_env(&mut e);
        let _ = StoreConfig::from_env(&mut e);
        let _ = ProviderConfig::from_env(&mut e);
        let _ = PipelineConfig::from_env(&mut e);
        let _ = BillingConfig::from_env(&mut e);
        let _ = JobsConfig::from_env(&mut e);
        let _ = WebhookConfig::from_env(&mut e);
        let _ = BrokerConfig::from_env(&mut e);
        let _ = AlertsConfig::from_env(&mut e);
        let documented: BTreeSet<&str> = SETTINGS.iter().map(|s| s.name).collect();
        for name in e.names_read() {
            assert!(
                documented.contains(name),
                "{name} is read but not in SETTINGS"
            );
        }
    }

    #[test]
    fn defaults_are_valid() {
        let mut e = env(&[("TELEGRAM_BOT_TOKEN", "1:x"), ("DASHSCOPE_API_KEY", "k")]);
        let p = ProviderConfig::from_env(&mut e);
        let b = BillingConfig::from_env(&mut e);
        let j = JobsConfig::from_env(&mut e);
        let _ = PipelineConfig::from_env(&mut e);
        let _ = ProcessConfig::from_env(&mut e);
        let _ = StoreConfig::from_env(&mut e);
        e.finish().expect("defaults parse");
        assert_eq!(
            p.dashscope_url.as_str(),
            "https://dashscope-intl.aliyuncs.com/"
        );
        assert_eq!(b.packages.len(), 6);
        assert_eq!(b.trial_seconds, 900);
        assert_eq!(j.retry_delay(1), Duration::from_secs(30));
        assert_eq!(j.retry_delay(9), Duration::from_secs(600));
    }
}
