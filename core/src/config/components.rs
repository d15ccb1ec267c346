//! The typed configuration of each component, read once from the environment. Each
//! `from_env` reads only its own settings (named by the constants of [`super::settings`]) and
//! leaves every problem in the [`Env`].

use std::net::SocketAddr;
use std::path::PathBuf;
use std::str::FromStr;
use std::time::Duration;

use url::Url;

use super::env::Env;
use super::settings::*;
use crate::billing::{Package, TrialMode};
use crate::secret::Secret;

/// Bot identity and the people who run it.
#[derive(Debug, Clone)]
pub struct BotConfig {
    pub name: String,
    pub admins: Vec<i64>,
}

impl BotConfig {
    pub fn from_env(env: &mut Env) -> Self {
        let name = env.string(BOT_NAME);
        if name.is_empty()
            || name.len() > 40
            || !name
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
        {
            env.error(format!(
                "{BOT_NAME}={name:?} is invalid: use 1-40 lowercase letters, digits or '-'"
            ));
        }
        let admins = match env.optional(ADMIN_IDS) {
            None => Vec::new(),
            Some(list) => {
                let mut ids = Vec::new();
                for part in list.split(',').map(str::trim).filter(|p| !p.is_empty()) {
                    match part.parse::<i64>() {
                        Ok(id) => ids.push(id),
                        Err(_) => env.error(format!(
                            "{ADMIN_IDS} contains {part:?}, which is not a Telegram user id"
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
    pub http_timeouts: crate::ops::Timeouts,
    pub shutdown_grace: Duration,
}

impl ProcessConfig {
    pub fn from_env(env: &mut Env) -> Self {
        let log_json = match env.string(LOG_FORMAT).as_str() {
            "json" => true,
            "text" => false,
            "auto" => !std::io::IsTerminal::is_terminal(&std::io::stderr()),
            other => {
                env.error(format!("{LOG_FORMAT}={other:?} must be auto, json or text"));
                true
            }
        };
        Self {
            log_json,
            log_level: env.string(LOG_LEVEL),
            listen_addr: env.parse::<SocketAddrSetting>(LISTEN_ADDR).0,
            http_timeouts: crate::ops::Timeouts {
                header_read: env.seconds(HTTP_HEADER_TIMEOUT_SECONDS),
                request: env.seconds(HTTP_REQUEST_TIMEOUT_SECONDS),
            },
            shutdown_grace: env.seconds(SHUTDOWN_GRACE_SECONDS),
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
    /// A local Bot API server's files directory (its paths are used only inside it).
    pub local_root: Option<PathBuf>,
}

impl TelegramConfig {
    pub fn from_env(env: &mut Env) -> Self {
        let token = env.required_secret(TELEGRAM_BOT_TOKEN);
        if !token.expose().is_empty() && !token.expose().contains(':') {
            env.error(format!(
                "{TELEGRAM_BOT_TOKEN} does not look like a bot token (<id>:<secret>)"
            ));
        }
        Self {
            token,
            api_url: env.url(TELEGRAM_API_URL),
            max_file_bytes: u64::from(env.positive(TELEGRAM_MAX_FILE_MB)) * 1024 * 1024,
            poll_timeout: Duration::from_secs(u64::from(
                env.parse::<u32>(TELEGRAM_POLL_TIMEOUT_SECONDS),
            )),
            local_root: env.optional(TELEGRAM_LOCAL_ROOT).map(PathBuf::from),
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
        let url = env.secret_or_default(DATABASE_URL);
        let text = url.expose();
        if !(text.starts_with("sqlite:")
            || text.starts_with("postgres://")
            || text.starts_with("postgresql://"))
        {
            env.error(format!(
                "{DATABASE_URL} must start with sqlite: or postgres://"
            ));
        }
        Self {
            url,
            max_connections: env.positive(DATABASE_MAX_CONNECTIONS),
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
        let secret = env.required_secret(WEBHOOK_SECRET_TOKEN);
        let s = secret.expose();
        if !s.is_empty()
            && (s.len() > 256
                || !s
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-'))
        {
            env.error(format!(
                "{WEBHOOK_SECRET_TOKEN} must be 1-256 characters of A-Z, a-z, 0-9, _ and -"
            ));
        }
        Self {
            secret,
            max_body_bytes: env.positive(WEBHOOK_MAX_BODY_BYTES) as usize,
            confirm_timeout: Duration::from_millis(u64::from(
                env.positive(WEBHOOK_CONFIRM_TIMEOUT_MS),
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
    /// How long a publish waits for the broker's confirm.
    pub confirm_timeout: Duration,
}

impl BrokerConfig {
    pub fn from_env(env: &mut Env) -> Self {
        let url = env.secret_or_default(AMQP_URL);
        if !(url.expose().starts_with("amqp://") || url.expose().starts_with("amqps://")) {
            env.error(format!("{AMQP_URL} must start with amqp:// or amqps://"));
        }
        Self {
            url,
            prefetch_updates: u16::try_from(env.positive(AMQP_PREFETCH_UPDATES))
                .unwrap_or(u16::MAX),
            publish_channels: env.positive(AMQP_PUBLISH_CHANNELS) as usize,
            confirm_timeout: Duration::from_millis(u64::from(
                env.positive(AMQP_CONFIRM_TIMEOUT_MS),
            )),
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

/// Which service formats (or summarises) text in one slot of the formatter chain.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LlmBackend {
    DashScope,
    Gemini,
    /// Any `/v1/chat/completions` server (`OPENAI_LLM_BASE_URL`).
    OpenAi,
}

impl LlmBackend {
    /// `None` for `none` (the slot is off).
    fn parse(text: &str) -> Result<Option<LlmBackend>, ()> {
        match text {
            "dashscope" => Ok(Some(LlmBackend::DashScope)),
            "gemini" => Ok(Some(LlmBackend::Gemini)),
            "openai" => Ok(Some(LlmBackend::OpenAi)),
            "none" => Ok(None),
            _ => Err(()),
        }
    }
}

/// One link of the formatter chain.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LlmSlot {
    pub backend: LlmBackend,
    pub model: String,
}

/// ASR and LLM providers.
#[derive(Debug, Clone)]
pub struct ProviderConfig {
    pub dashscope_key: Secret,
    pub dashscope_url: Url,
    pub asr: AsrBackend,
    pub asr_model: String,
    /// The formatter chain: primary, then fallback (slots that are off are left out).
    pub formatters: Vec<LlmSlot>,
    pub gemini_key: Option<Secret>,
    pub gemini_url: Url,
    pub openai_llm_url: Url,
    pub openai_llm_key: Option<Secret>,
    pub timeout: Duration,
    pub attempts: u32,
    pub retry_base: Duration,
}

impl ProviderConfig {
    pub fn from_env(env: &mut Env) -> Self {
        let region: Region = env.parse(DASHSCOPE_REGION);
        let dashscope_url = match env.optional(DASHSCOPE_BASE_URL) {
            Some(_) => env.url(DASHSCOPE_BASE_URL),
            None => Url::parse(region.host())
                .unwrap_or_else(|_| unreachable!("region hosts are valid URLs")),
        };
        let asr = AsrBackend::from_env(env);
        let gemini_key = env.optional_secret(GEMINI_API_KEY);
        let formatters = LlmSlot::chain_from_env(env, gemini_key.is_some());
        // The DashScope key is needed only by what runs on DashScope.
        let uses_dashscope = matches!(asr, AsrBackend::DashScope)
            || formatters
                .iter()
                .any(|s| s.backend == LlmBackend::DashScope);
        let dashscope_key = if uses_dashscope {
            env.required_secret(DASHSCOPE_API_KEY)
        } else {
            env.optional_secret(DASHSCOPE_API_KEY)
                .unwrap_or_else(|| Secret::new(""))
        };
        let uses_openai_llm = formatters.iter().any(|s| s.backend == LlmBackend::OpenAi);
        Self {
            dashscope_key,
            dashscope_url,
            asr,
            asr_model: env.string(ASR_MODEL),
            formatters,
            gemini_key,
            gemini_url: env.url(GEMINI_BASE_URL),
            openai_llm_url: env.url(OPENAI_LLM_BASE_URL),
            openai_llm_key: uses_openai_llm
                .then(|| env.optional_secret(OPENAI_LLM_API_KEY))
                .flatten(),
            timeout: env.seconds(PROVIDER_TIMEOUT_SECONDS),
            attempts: env.positive(PROVIDER_ATTEMPTS),
            retry_base: Duration::from_millis(u64::from(env.positive(PROVIDER_RETRY_BASE_MS))),
        }
    }
}

impl AsrBackend {
    fn from_env(env: &mut Env) -> Self {
        match env.string(ASR_PROVIDER).as_str() {
            "dashscope" => AsrBackend::DashScope,
            "openai" => AsrBackend::OpenAi {
                base_url: env.url(OPENAI_ASR_BASE_URL),
                api_key: env.optional_secret(OPENAI_ASR_API_KEY),
            },
            other => {
                env.error(format!(
                    "{ASR_PROVIDER}={other:?} must be dashscope or openai"
                ));
                AsrBackend::DashScope
            }
        }
    }
}

impl LlmSlot {
    /// The formatter chain: the primary slot, then the fallback, leaving out those that are off.
    fn chain_from_env(env: &mut Env, has_gemini_key: bool) -> Vec<LlmSlot> {
        let primary = LlmSlot::from_env(env, LLM_PROVIDER, LLM_MODEL);
        let fallback = LlmSlot::from_env(env, LLM_FALLBACK_PROVIDER, LLM_FALLBACK_MODEL);
        // Gemini without a key: the primary slot cannot work (an error); a fallback slot is
        // simply not there, as it always was.
        if primary
            .as_ref()
            .is_some_and(|s| s.backend == LlmBackend::Gemini)
            && !has_gemini_key
        {
            env.error(format!("{LLM_PROVIDER}=gemini needs {GEMINI_API_KEY}"));
        }
        let fallback = fallback.filter(|s| s.backend != LlmBackend::Gemini || has_gemini_key);
        primary.into_iter().chain(fallback).collect()
    }

    /// The slot that `provider` and `model` describe; `None` when it is off.
    fn from_env(env: &mut Env, provider: &'static str, model: &'static str) -> Option<LlmSlot> {
        let backend = match LlmBackend::parse(&env.string(provider)) {
            Ok(b) => b,
            Err(()) => {
                let given = env.string(provider);
                env.error(format!(
                    "{provider}={given:?} must be dashscope, gemini, openai or none"
                ));
                None
            }
        };
        // An explicitly empty model turns the slot off (as `LLM_MODEL=` always did).
        let model = env
            .optional(model)
            .or_else(|| (!env.is_set(model)).then(|| env.string(model)))?;
        Some(LlmSlot {
            backend: backend?,
            model,
        })
    }
}

/// Knobs of the transcription pipeline.
#[derive(Debug, Clone)]
pub struct PipelineConfig {
    pub chunk_seconds: u32,
    /// Longest audio accepted (decoded), seconds.
    pub max_audio_seconds: u32,
    /// Largest recognition request body, bytes.
    pub max_request_bytes: u64,
    /// Recognition requests in flight at once, for the whole process.
    pub max_inflight: usize,
    /// Recognition requests started per minute, for the whole process.
    pub requests_per_minute: u32,
    pub passthrough: bool,
    pub format_chunk_chars: usize,
    pub progress_interval: Duration,
    pub file_threshold_chars: usize,
    pub temp_dir: PathBuf,
}

impl PipelineConfig {
    pub fn from_env(env: &mut Env) -> Self {
        let chunk_seconds = env.positive(ASR_CHUNK_SECONDS);
        if chunk_seconds < 10 {
            env.error(format!("{ASR_CHUNK_SECONDS} must be at least 10"));
        }
        let format_chunk_chars = env.positive(FORMAT_CHUNK_CHARS) as usize;
        if format_chunk_chars < 500 {
            env.error(format!("{FORMAT_CHUNK_CHARS} must be at least 500"));
        }
        let max_request_bytes = u64::from(env.positive(ASR_MAX_REQUEST_BYTES));
        if max_request_bytes < 256 * 1024 {
            env.error(format!("{ASR_MAX_REQUEST_BYTES} must be at least 262144"));
        }
        Self {
            chunk_seconds: chunk_seconds.max(10),
            max_audio_seconds: env.positive(MAX_AUDIO_SECONDS),
            max_request_bytes: max_request_bytes.max(256 * 1024),
            max_inflight: env.positive(ASR_MAX_INFLIGHT) as usize,
            requests_per_minute: env.positive(ASR_REQUESTS_PER_MINUTE),
            passthrough: env.parse::<bool>(ASR_PASSTHROUGH),
            format_chunk_chars: format_chunk_chars.max(500),
            progress_interval: Duration::from_secs(u64::from(
                env.parse::<u32>(PROGRESS_INTERVAL_SECONDS),
            )),
            file_threshold_chars: env.positive(DELIVERY_FILE_THRESHOLD_CHARS) as usize,
            temp_dir: env
                .optional(TEMP_DIR)
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
    /// Free transcript actions per user per UTC day.
    pub actions_per_day: i64,
    /// What each further action costs, seconds of balance.
    pub action_seconds: i64,
}

impl BillingConfig {
    pub fn from_env(env: &mut Env) -> Self {
        let packages = match Package::parse_list(&env.string(PACKAGES)) {
            Ok(p) => p,
            Err(e) => {
                env.error(format!("{PACKAGES} is invalid: {e}"));
                Vec::new()
            }
        };
        Self {
            trial_mode: env.parse(TRIAL_MODE),
            trial_seconds: i64::from(env.parse::<u32>(TRIAL_MINUTES)) * 60,
            low_balance_seconds: i64::from(env.parse::<u32>(LOW_BALANCE_MINUTES)) * 60,
            packages,
            actions_per_day: i64::from(env.parse::<u32>(ACTIONS_PER_DAY)),
            action_seconds: i64::from(env.parse::<u32>(ACTION_SECONDS)),
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
            failure_streak: i64::from(env.positive(ALERT_FAILURE_STREAK)),
            backlog_jobs: u64::from(env.positive(ALERT_BACKLOG_JOBS)),
            cooldown: Duration::from_secs(u64::from(env.positive(ALERT_COOLDOWN_MINUTES)) * 60),
            check_every: env.seconds(ALERT_CHECK_SECONDS),
        }
    }
}

/// What is kept and for how long; how forwarded messages are batched.
#[derive(Debug, Clone)]
pub struct PrivacyConfig {
    /// Days a transcript is kept unless its owner chose otherwise (0: none).
    pub retention_days: i64,
    /// Forwarded voice messages this close together become one transcript.
    pub batch_window: Duration,
}

impl PrivacyConfig {
    pub fn from_env(env: &mut Env) -> Self {
        let retention_days = i64::from(env.parse::<u32>(RETENTION_DAYS));
        if retention_days > 365 {
            env.error(format!("{RETENTION_DAYS} must be at most 365"));
        }
        Self {
            retention_days: retention_days.min(365),
            batch_window: env.seconds(BATCH_WINDOW_SECONDS),
        }
    }
}

/// What one user may do: active jobs, updates per minute; how long update ids are remembered.
#[derive(Debug, Clone)]
pub struct LimitsConfig {
    pub max_active_jobs: i64,
    pub updates_per_minute: i64,
    pub dedupe_window: Duration,
}

impl LimitsConfig {
    pub fn from_env(env: &mut Env) -> Self {
        Self {
            max_active_jobs: i64::from(env.positive(MAX_ACTIVE_JOBS_PER_USER)),
            updates_per_minute: i64::from(env.positive(USER_UPDATES_PER_MINUTE)),
            dedupe_window: Duration::from_secs(u64::from(env.positive(UPDATE_DEDUPE_HOURS)) * 3600),
        }
    }
}

/// Concurrency budgets, the job retry ladder, deadlines and the sweeper.
#[derive(Debug, Clone)]
pub struct JobsConfig {
    pub worker_concurrency: usize,
    pub updates_concurrency: usize,
    pub max_attempts: u32,
    pub retry_delays: Vec<Duration>,
    pub heartbeat: Duration,
    pub stale_after: Duration,
    /// A job's deadline before the audio's length is added.
    pub timeout: Duration,
    pub sweep_every: Duration,
    pub republish_after: Duration,
    pub max_age: Duration,
}

impl JobsConfig {
    pub fn from_env(env: &mut Env) -> Self {
        let retry_delays = match parse_seconds_list(&env.string(JOB_RETRY_DELAYS_SECONDS)) {
            Ok(d) => d,
            Err(e) => {
                env.error(format!("{JOB_RETRY_DELAYS_SECONDS} is invalid: {e}"));
                vec![Duration::from_secs(30)]
            }
        };
        let heartbeat = env.seconds(JOB_HEARTBEAT_SECONDS);
        let stale_after = env.seconds(JOB_STALE_SECONDS);
        if stale_after <= heartbeat * 2 {
            env.error(format!(
                "{JOB_STALE_SECONDS} must be more than twice {JOB_HEARTBEAT_SECONDS}"
            ));
        }
        Self {
            worker_concurrency: env.positive(WORKER_CONCURRENCY) as usize,
            updates_concurrency: env.positive(UPDATES_CONCURRENCY) as usize,
            max_attempts: env.positive(JOB_MAX_ATTEMPTS),
            retry_delays,
            heartbeat,
            stale_after,
            timeout: env.seconds(JOB_TIMEOUT_SECONDS),
            sweep_every: env.seconds(SWEEP_INTERVAL_SECONDS),
            republish_after: env.seconds(JOB_REPUBLISH_AFTER_SECONDS),
            max_age: Duration::from_secs(u64::from(env.positive(JOB_MAX_AGE_HOURS)) * 3600),
        }
    }

    /// How long a job of `audio_seconds` may take in all: the base timeout plus twice the
    /// audio's length.
    pub fn deadline(&self, audio_seconds: f64) -> Duration {
        self.timeout + Duration::from_secs_f64(audio_seconds.max(0.0) * 2.0)
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
    use std::collections::BTreeSet;

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
        let _ = LimitsConfig::from_env(&mut e);
        let _ = PrivacyConfig::from_env(&mut e);
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
