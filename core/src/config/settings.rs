//! Every environment variable scribe reads: its name (a constant, the only place the name is
//! spelled), default, readers and meaning. The table is the source of `docs/configuration.md`;
//! the operator builds its ConfigMap from the same constants.

pub const BOT_NAME: &str = "BOT_NAME";
pub const LOG_FORMAT: &str = "LOG_FORMAT";
pub const LOG_LEVEL: &str = "LOG_LEVEL";
pub const LISTEN_ADDR: &str = "LISTEN_ADDR";
pub const SHUTDOWN_GRACE_SECONDS: &str = "SHUTDOWN_GRACE_SECONDS";
pub const TELEGRAM_BOT_TOKEN: &str = "TELEGRAM_BOT_TOKEN";
pub const TELEGRAM_API_URL: &str = "TELEGRAM_API_URL";
pub const TELEGRAM_MAX_FILE_MB: &str = "TELEGRAM_MAX_FILE_MB";
pub const TELEGRAM_POLL_TIMEOUT_SECONDS: &str = "TELEGRAM_POLL_TIMEOUT_SECONDS";
pub const WEBHOOK_SECRET_TOKEN: &str = "WEBHOOK_SECRET_TOKEN";
pub const WEBHOOK_MAX_BODY_BYTES: &str = "WEBHOOK_MAX_BODY_BYTES";
pub const WEBHOOK_CONFIRM_TIMEOUT_MS: &str = "WEBHOOK_CONFIRM_TIMEOUT_MS";
pub const DATABASE_URL: &str = "DATABASE_URL";
pub const DATABASE_MAX_CONNECTIONS: &str = "DATABASE_MAX_CONNECTIONS";
pub const AMQP_URL: &str = "AMQP_URL";
pub const AMQP_PREFETCH_UPDATES: &str = "AMQP_PREFETCH_UPDATES";
pub const AMQP_PUBLISH_CHANNELS: &str = "AMQP_PUBLISH_CHANNELS";
pub const DASHSCOPE_API_KEY: &str = "DASHSCOPE_API_KEY";
pub const DASHSCOPE_REGION: &str = "DASHSCOPE_REGION";
pub const DASHSCOPE_BASE_URL: &str = "DASHSCOPE_BASE_URL";
pub const ASR_PROVIDER: &str = "ASR_PROVIDER";
pub const ASR_MODEL: &str = "ASR_MODEL";
pub const OPENAI_ASR_BASE_URL: &str = "OPENAI_ASR_BASE_URL";
pub const OPENAI_ASR_API_KEY: &str = "OPENAI_ASR_API_KEY";
pub const LLM_MODEL: &str = "LLM_MODEL";
pub const LLM_FALLBACK_MODEL: &str = "LLM_FALLBACK_MODEL";
pub const GEMINI_API_KEY: &str = "GEMINI_API_KEY";
pub const GEMINI_BASE_URL: &str = "GEMINI_BASE_URL";
pub const PROVIDER_TIMEOUT_SECONDS: &str = "PROVIDER_TIMEOUT_SECONDS";
pub const PROVIDER_ATTEMPTS: &str = "PROVIDER_ATTEMPTS";
pub const PROVIDER_RETRY_BASE_MS: &str = "PROVIDER_RETRY_BASE_MS";
pub const ASR_CHUNK_SECONDS: &str = "ASR_CHUNK_SECONDS";
pub const ASR_PASSTHROUGH: &str = "ASR_PASSTHROUGH";
pub const FORMAT_CHUNK_CHARS: &str = "FORMAT_CHUNK_CHARS";
pub const PROGRESS_INTERVAL_SECONDS: &str = "PROGRESS_INTERVAL_SECONDS";
pub const DELIVERY_FILE_THRESHOLD_CHARS: &str = "DELIVERY_FILE_THRESHOLD_CHARS";
pub const TEMP_DIR: &str = "TEMP_DIR";
pub const ADMIN_IDS: &str = "ADMIN_IDS";
pub const TRIAL_MODE: &str = "TRIAL_MODE";
pub const TRIAL_MINUTES: &str = "TRIAL_MINUTES";
pub const LOW_BALANCE_MINUTES: &str = "LOW_BALANCE_MINUTES";
pub const PACKAGES: &str = "PACKAGES";
pub const WORKER_CONCURRENCY: &str = "WORKER_CONCURRENCY";
pub const UPDATES_CONCURRENCY: &str = "UPDATES_CONCURRENCY";
pub const JOB_MAX_ATTEMPTS: &str = "JOB_MAX_ATTEMPTS";
pub const JOB_RETRY_DELAYS_SECONDS: &str = "JOB_RETRY_DELAYS_SECONDS";
pub const JOB_HEARTBEAT_SECONDS: &str = "JOB_HEARTBEAT_SECONDS";
pub const JOB_STALE_SECONDS: &str = "JOB_STALE_SECONDS";
pub const ALERT_FAILURE_STREAK: &str = "ALERT_FAILURE_STREAK";
pub const ALERT_BACKLOG_JOBS: &str = "ALERT_BACKLOG_JOBS";
pub const ALERT_CHECK_SECONDS: &str = "ALERT_CHECK_SECONDS";
pub const ALERT_COOLDOWN_MINUTES: &str = "ALERT_COOLDOWN_MINUTES";

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
pub const HTTP_HEADER_TIMEOUT_SECONDS: &str = "HTTP_HEADER_TIMEOUT_SECONDS";
pub const HTTP_REQUEST_TIMEOUT_SECONDS: &str = "HTTP_REQUEST_TIMEOUT_SECONDS";
pub const MAX_AUDIO_SECONDS: &str = "MAX_AUDIO_SECONDS";
pub const ASR_MAX_INFLIGHT: &str = "ASR_MAX_INFLIGHT";
pub const ASR_REQUESTS_PER_MINUTE: &str = "ASR_REQUESTS_PER_MINUTE";
pub const ASR_MAX_REQUEST_BYTES: &str = "ASR_MAX_REQUEST_BYTES";
pub const JOB_TIMEOUT_SECONDS: &str = "JOB_TIMEOUT_SECONDS";
pub const TELEGRAM_LOCAL_ROOT: &str = "TELEGRAM_LOCAL_ROOT";
pub const MAX_ACTIVE_JOBS_PER_USER: &str = "MAX_ACTIVE_JOBS_PER_USER";
pub const USER_UPDATES_PER_MINUTE: &str = "USER_UPDATES_PER_MINUTE";
pub const AMQP_CONFIRM_TIMEOUT_MS: &str = "AMQP_CONFIRM_TIMEOUT_MS";
pub const SWEEP_INTERVAL_SECONDS: &str = "SWEEP_INTERVAL_SECONDS";
pub const JOB_REPUBLISH_AFTER_SECONDS: &str = "JOB_REPUBLISH_AFTER_SECONDS";
pub const JOB_MAX_AGE_HOURS: &str = "JOB_MAX_AGE_HOURS";
pub const UPDATE_DEDUPE_HOURS: &str = "UPDATE_DEDUPE_HOURS";
pub const RETENTION_DAYS: &str = "RETENTION_DAYS";
pub const BATCH_WINDOW_SECONDS: &str = "BATCH_WINDOW_SECONDS";
pub const ACTIONS_PER_DAY: &str = "ACTIONS_PER_DAY";
pub const ACTION_SECONDS: &str = "ACTION_SECONDS";
pub const LLM_PROVIDER: &str = "LLM_PROVIDER";
pub const LLM_FALLBACK_PROVIDER: &str = "LLM_FALLBACK_PROVIDER";
pub const OPENAI_LLM_BASE_URL: &str = "OPENAI_LLM_BASE_URL";
pub const OPENAI_LLM_API_KEY: &str = "OPENAI_LLM_API_KEY";

const ALL: &str = "all";
const WORKERS: &str = "run, worker, transcribe";
const BOT: &str = "run, worker";
const REPORTING: &str = "run, worker, report";
const CLUSTER: &str = "webhook, worker";

/// Every environment variable scribe reads.
pub const SETTINGS: &[Setting] = &[
    Setting {
        name: BOT_NAME,
        default: "scribe",
        used_by: ALL,
        doc: "Bot identity: names queues (`scribe.<bot>.*`), metrics labels and deduplication keys. Lowercase letters, digits and `-`.",
    },
    Setting {
        name: LOG_FORMAT,
        default: "auto",
        used_by: ALL,
        doc: "`json` (one object per line, with trace ids), `text` (readable lines), or `auto`: text when standard error is a terminal, JSON otherwise.",
    },
    Setting {
        name: LOG_LEVEL,
        default: "info",
        used_by: ALL,
        doc: "tracing filter, e.g. `info` or `scribe_worker=debug,info` (`scribe transcribe`, a command-line tool, defaults to `warn`).",
    },
    Setting {
        name: LISTEN_ADDR,
        default: "0.0.0.0:8080",
        used_by: ALL,
        doc: "HTTP address for `/metrics`, `/healthz`, `/readyz` (and `POST /telegram` on the webhook).",
    },
    Setting {
        name: HTTP_HEADER_TIMEOUT_SECONDS,
        default: "10",
        used_by: ALL,
        doc: "A client of the HTTP listener must send a request's headers within this time, or the connection is closed.",
    },
    Setting {
        name: HTTP_REQUEST_TIMEOUT_SECONDS,
        default: "30",
        used_by: ALL,
        doc: "Longest an HTTP request may take, body and handling included (then 408).",
    },
    Setting {
        name: SHUTDOWN_GRACE_SECONDS,
        default: "25",
        used_by: ALL,
        doc: "After SIGTERM, how long in-flight work may take before it is handed back to the queue.",
    },
    Setting {
        name: TELEGRAM_BOT_TOKEN,
        default: "",
        used_by: REPORTING,
        doc: "Bot token from @BotFather (secret; required).",
    },
    Setting {
        name: TELEGRAM_API_URL,
        default: "https://api.telegram.org",
        used_by: REPORTING,
        doc: "Bot API base URL: the cloud API, a local Bot API server, or a fake.",
    },
    Setting {
        name: TELEGRAM_MAX_FILE_MB,
        default: "20",
        used_by: BOT,
        doc: "Largest file the bot accepts. The cloud Bot API serves at most 20 MB; a local Bot API server (`--local`) up to 2000.",
    },
    Setting {
        name: TELEGRAM_POLL_TIMEOUT_SECONDS,
        default: "25",
        used_by: "run",
        doc: "Long-polling timeout of `getUpdates` in the all-in-one mode.",
    },
    Setting {
        name: WEBHOOK_SECRET_TOKEN,
        default: "",
        used_by: "webhook",
        doc: "Secret Telegram sends in `X-Telegram-Bot-Api-Secret-Token` (secret; required by the webhook).",
    },
    Setting {
        name: WEBHOOK_MAX_BODY_BYTES,
        default: "1048576",
        used_by: "webhook",
        doc: "Largest update body accepted (larger → 413).",
    },
    Setting {
        name: WEBHOOK_CONFIRM_TIMEOUT_MS,
        default: "5000",
        used_by: "webhook",
        doc: "How long the webhook waits for RabbitMQ's publisher confirm before answering 503.",
    },
    Setting {
        name: DATABASE_URL,
        default: "sqlite:./scribe.db?mode=rwc",
        used_by: "run, worker, migrate, report",
        doc: "`sqlite:` file or `postgres://` URL (secret: may carry a password).",
    },
    Setting {
        name: DATABASE_MAX_CONNECTIONS,
        default: "10",
        used_by: "run, worker, migrate, report",
        doc: "Connection pool size per process.",
    },
    Setting {
        name: AMQP_URL,
        default: "amqp://guest:guest@127.0.0.1:5672/%2f",
        used_by: CLUSTER,
        doc: "RabbitMQ URL (secret: carries credentials).",
    },
    Setting {
        name: AMQP_PREFETCH_UPDATES,
        default: "32",
        used_by: "worker",
        doc: "Unacknowledged updates a worker holds at once.",
    },
    Setting {
        name: AMQP_PUBLISH_CHANNELS,
        default: "4",
        used_by: CLUSTER,
        doc: "Confirm-mode channels one process publishes on (shared by all requests).",
    },
    Setting {
        name: DASHSCOPE_API_KEY,
        default: "",
        used_by: WORKERS,
        doc: "Model Studio (DashScope) API key (secret; required). Keys are region-specific.",
    },
    Setting {
        name: DASHSCOPE_REGION,
        default: "intl",
        used_by: WORKERS,
        doc: "`intl` (Singapore, dashscope-intl), `cn` (Beijing) or `us` (Virginia).",
    },
    Setting {
        name: DASHSCOPE_BASE_URL,
        default: "",
        used_by: WORKERS,
        doc: "Overrides the region's host (workspace hosts, proxies, fakes).",
    },
    Setting {
        name: ASR_PROVIDER,
        default: "dashscope",
        used_by: WORKERS,
        doc: "`dashscope` (native qwen3-asr-flash) or `openai` (any `/v1/audio/transcriptions` server, e.g. self-hosted Whisper).",
    },
    Setting {
        name: ASR_MODEL,
        default: "qwen3-asr-flash",
        used_by: WORKERS,
        doc: "Speech recognition model.",
    },
    Setting {
        name: OPENAI_ASR_BASE_URL,
        default: "https://api.openai.com",
        used_by: WORKERS,
        doc: "Base URL of the OpenAI-compatible transcription server (with `ASR_PROVIDER=openai`).",
    },
    Setting {
        name: OPENAI_ASR_API_KEY,
        default: "",
        used_by: WORKERS,
        doc: "Bearer key of the OpenAI-compatible transcription server (secret).",
    },
    Setting {
        name: LLM_MODEL,
        default: "qwen-plus",
        used_by: WORKERS,
        doc: "Model of the primary formatter (`LLM_PROVIDER`); empty turns the primary formatter off.",
    },
    Setting {
        name: LLM_FALLBACK_MODEL,
        default: "gemini-2.5-flash",
        used_by: WORKERS,
        doc: "Model of the fallback formatter (`LLM_FALLBACK_PROVIDER`; a Gemini fallback needs `GEMINI_API_KEY`, without it there is none); empty turns the fallback off.",
    },
    Setting {
        name: GEMINI_API_KEY,
        default: "",
        used_by: WORKERS,
        doc: "Google Gemini API key (secret); without it there is no fallback formatter.",
    },
    Setting {
        name: GEMINI_BASE_URL,
        default: "https://generativelanguage.googleapis.com",
        used_by: WORKERS,
        doc: "Gemini API base URL.",
    },
    Setting {
        name: PROVIDER_TIMEOUT_SECONDS,
        default: "120",
        used_by: WORKERS,
        doc: "Timeout of one ASR or LLM request.",
    },
    Setting {
        name: PROVIDER_ATTEMPTS,
        default: "4",
        used_by: WORKERS,
        doc: "Attempts per provider request on 429, 5xx and timeouts (first try included).",
    },
    Setting {
        name: PROVIDER_RETRY_BASE_MS,
        default: "1000",
        used_by: WORKERS,
        doc: "First backoff delay between provider attempts; doubles each time, full jitter, capped at 30 s.",
    },
    Setting {
        name: ASR_CHUNK_SECONDS,
        default: "180",
        used_by: WORKERS,
        doc: "Longest audio sent in one ASR request; longer audio is split at pauses.",
    },
    Setting {
        name: ASR_PASSTHROUGH,
        default: "true",
        used_by: WORKERS,
        doc: "Send Ogg/Opus voice notes to ASR as they are (no transcoding).",
    },
    Setting {
        name: FORMAT_CHUNK_CHARS,
        default: "4000",
        used_by: WORKERS,
        doc: "Transcripts longer than this are formatted in parallel chunks.",
    },
    Setting {
        name: PROGRESS_INTERVAL_SECONDS,
        default: "3",
        used_by: BOT,
        doc: "Least time between two progress edits of a chat's status message (stage changes excepted).",
    },
    Setting {
        name: DELIVERY_FILE_THRESHOLD_CHARS,
        default: "8000",
        used_by: BOT,
        doc: "Results longer than this are sent as a `.txt` document unless the user chose `split`.",
    },
    Setting {
        name: TEMP_DIR,
        default: "",
        used_by: WORKERS,
        doc: "Directory for downloads and audio work files (default: the system temporary directory).",
    },
    Setting {
        name: ADMIN_IDS,
        default: "",
        used_by: REPORTING,
        doc: "Comma-separated Telegram user ids of the bot's admins.",
    },
    Setting {
        name: TRIAL_MODE,
        default: "auto",
        used_by: BOT,
        doc: "`auto` (granted on first contact), `review` (admins approve `/trial` requests) or `off`.",
    },
    Setting {
        name: TRIAL_MINUTES,
        default: "15",
        used_by: BOT,
        doc: "Free minutes of a trial.",
    },
    Setting {
        name: LOW_BALANCE_MINUTES,
        default: "5",
        used_by: BOT,
        doc: "A note follows a job when less than this remains.",
    },
    Setting {
        name: PACKAGES,
        default: "micro:10:5:3,start:50:35,standard:200:119,profi:1000:549,editorial:3000:1399,max:8888:4444",
        used_by: BOT,
        doc: "Minute packages `id:minutes:stars[:limit per user]`, comma-separated.",
    },
    Setting {
        name: WORKER_CONCURRENCY,
        default: "2",
        used_by: BOT,
        doc: "Transcription jobs one process runs at once.",
    },
    Setting {
        name: UPDATES_CONCURRENCY,
        default: "16",
        used_by: BOT,
        doc: "Updates (commands, intake) one process handles at once.",
    },
    Setting {
        name: JOB_MAX_ATTEMPTS,
        default: "3",
        used_by: BOT,
        doc: "Attempts of a job whose provider keeps failing before it is given up.",
    },
    Setting {
        name: JOB_RETRY_DELAYS_SECONDS,
        default: "30,120,600",
        used_by: BOT,
        doc: "Delay before each job retry (the last value repeats).",
    },
    Setting {
        name: JOB_HEARTBEAT_SECONDS,
        default: "10",
        used_by: BOT,
        doc: "How often a running job proves it is alive.",
    },
    Setting {
        name: JOB_STALE_SECONDS,
        default: "60",
        used_by: BOT,
        doc: "A running job whose heartbeat is older than this is taken over by another worker.",
    },
    Setting {
        name: ALERT_FAILURE_STREAK,
        default: "3",
        used_by: BOT,
        doc: "Admins are alerted after this many failed jobs in a row (across replicas).",
    },
    Setting {
        name: ALERT_BACKLOG_JOBS,
        default: "50",
        used_by: BOT,
        doc: "Admins are alerted when more jobs than this wait in the queue.",
    },
    Setting {
        name: ALERT_CHECK_SECONDS,
        default: "30",
        used_by: BOT,
        doc: "How often a worker records that it is alive and checks the jobs backlog.",
    },
    Setting {
        name: ALERT_COOLDOWN_MINUTES,
        default: "30",
        used_by: BOT,
        doc: "The same alert is not repeated (by any replica) within this time.",
    },
    Setting {
        name: MAX_AUDIO_SECONDS,
        default: "14400",
        used_by: WORKERS,
        doc: "Longest audio accepted (decoded length): decoding stops there, the user is told, nothing is charged.",
    },
    Setting {
        name: ASR_MAX_INFLIGHT,
        default: "32",
        used_by: WORKERS,
        doc: "Recognition requests one process keeps in flight at once, shared fairly by all its jobs.",
    },
    Setting {
        name: ASR_REQUESTS_PER_MINUTE,
        default: "600",
        used_by: WORKERS,
        doc: "Recognition requests one process starts per minute (its share of the account's limit); lowered on 429 and raised back slowly.",
    },
    Setting {
        name: ASR_MAX_REQUEST_BYTES,
        default: "10485760",
        used_by: WORKERS,
        doc: "Largest recognition request body (the audio as a base64 data URI counts); longer chunks are cut shorter or re-encoded to fit.",
    },
    Setting {
        name: JOB_TIMEOUT_SECONDS,
        default: "900",
        used_by: BOT,
        doc: "A job's deadline, plus twice the audio's length: a stage that hangs past it fails the job and releases its hold.",
    },
    Setting {
        name: TELEGRAM_LOCAL_ROOT,
        default: "",
        used_by: BOT,
        doc: "Directory a local Bot API server (`--local`) keeps files in; its absolute file paths are used only when they resolve inside it. Empty: local paths are refused.",
    },
    Setting {
        name: MAX_ACTIVE_JOBS_PER_USER,
        default: "3",
        used_by: BOT,
        doc: "Queued or running jobs one user may have; more are refused with a reply and nothing held (admins exempt).",
    },
    Setting {
        name: USER_UPDATES_PER_MINUTE,
        default: "30",
        used_by: BOT,
        doc: "Updates one user may send per minute before the bot stops answering them for the rest of the minute (admins exempt).",
    },
    Setting {
        name: AMQP_CONFIRM_TIMEOUT_MS,
        default: "5000",
        used_by: CLUSTER,
        doc: "How long a publish waits for RabbitMQ's confirm before it counts as failed (the webhook then answers 503; a worker retries later).",
    },
    Setting {
        name: SWEEP_INTERVAL_SECONDS,
        default: "60",
        used_by: BOT,
        doc: "How often one replica looks for jobs whose queue message is gone (republished or failed with the hold released).",
    },
    Setting {
        name: JOB_REPUBLISH_AFTER_SECONDS,
        default: "900",
        used_by: BOT,
        doc: "A job queued this long without being taken is published again (claims are idempotent).",
    },
    Setting {
        name: JOB_MAX_AGE_HOURS,
        default: "24",
        used_by: BOT,
        doc: "A job still unfinished this long after it was created is failed, its hold released and its user told.",
    },
    Setting {
        name: UPDATE_DEDUPE_HOURS,
        default: "48",
        used_by: BOT,
        doc: "How long an update id is remembered for deduplication (Telegram restarts ids after a week of silence).",
    },
    Setting {
        name: RETENTION_DAYS,
        default: "7",
        used_by: BOT,
        doc: "Default days a delivered transcript is kept (users change theirs with /retention); expired ones are deleted by a sweep.",
    },
    Setting {
        name: BATCH_WINDOW_SECONDS,
        default: "3",
        used_by: BOT,
        doc: "Voice messages forwarded to the bot within this many seconds of each other become one transcript.",
    },
    Setting {
        name: ACTIONS_PER_DAY,
        default: "30",
        used_by: BOT,
        doc: "Free transcript actions (summary, action items, translation) per user per day.",
    },
    Setting {
        name: ACTION_SECONDS,
        default: "30",
        used_by: BOT,
        doc: "Balance an action costs once the day's free ones are used.",
    },
    Setting {
        name: LLM_PROVIDER,
        default: "dashscope",
        used_by: WORKERS,
        doc: "Primary formatter: `dashscope`, `gemini`, `openai` (any `/v1/chat/completions` server) or `none`.",
    },
    Setting {
        name: LLM_FALLBACK_PROVIDER,
        default: "gemini",
        used_by: WORKERS,
        doc: "Fallback formatter: `gemini`, `dashscope`, `openai` or `none`.",
    },
    Setting {
        name: OPENAI_LLM_BASE_URL,
        default: "https://api.openai.com",
        used_by: WORKERS,
        doc: "Base URL of the OpenAI-compatible chat server (vLLM, Ollama, LocalAI, a hosted one).",
    },
    Setting {
        name: OPENAI_LLM_API_KEY,
        default: "",
        used_by: WORKERS,
        doc: "Bearer key of the OpenAI-compatible chat server (secret; optional for servers without auth).",
    },
];

/// The documented default of `name` (empty when it has none or is not a core setting).
pub fn default_of(name: &str) -> &'static str {
    SETTINGS
        .iter()
        .find(|s| s.name == name)
        .map_or("", |s| s.default)
}
