//! Wiring shared by the subcommands: configuration, store, Telegram identity, the ops server.

use std::sync::Arc;
use std::time::Duration;

use anyhow::Context as _;
use scribe_core::config::{
    AlertsConfig, BillingConfig, BotConfig, ConfigErrors, Env, JobsConfig, LimitsConfig,
    PipelineConfig, PrivacyConfig, ProcessConfig, ProviderConfig, StoreConfig, TelegramConfig,
};
use scribe_core::metrics::Metrics;
use scribe_core::ops::Check;
use scribe_core::retry::{Backoff, Classify, Retry};
use scribe_queue::Queue;
use scribe_store::Store;
use scribe_telegram::Telegram;
use scribe_worker::pipeline::Pipeline;
use scribe_worker::{BotIdentity, Context, DeliveryConfig};
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

/// How a subcommand fails: bad settings (one line each, exit 2) or anything else (exit 1).
pub enum Failure {
    Config(ConfigErrors),
    Other(anyhow::Error),
}

impl From<anyhow::Error> for Failure {
    fn from(e: anyhow::Error) -> Self {
        Failure::Other(e)
    }
}

impl From<ConfigErrors> for Failure {
    fn from(e: ConfigErrors) -> Self {
        Failure::Config(e)
    }
}

pub type Result<T, E = Failure> = std::result::Result<T, E>;

/// Starts logging and turns SIGTERM/Ctrl-C into the returned shutdown token.
pub fn begin(process: &ProcessConfig) -> CancellationToken {
    scribe_core::telemetry::init(process.log_json, &process.log_level);
    let shutdown = CancellationToken::new();
    tokio::spawn(scribe_core::shutdown::on_signal(shutdown.clone()));
    shutdown
}

/// Connects and applies migrations (safe when replicas start together).
pub async fn open_store(config: &StoreConfig) -> anyhow::Result<Store> {
    let store = Store::connect(&config.url, config.max_connections)
        .await
        .context("cannot connect to the database (DATABASE_URL)")?;
    store.migrate().await.context("database migration failed")?;
    Ok(store)
}

/// `scribe operator`.
pub async fn operator() -> Result<()> {
    let mut env = Env::from_process();
    let process = ProcessConfig::from_env(&mut env);
    let config = scribe_operator::OperatorConfig::from_env(&mut env);
    env.finish()?;
    let shutdown = begin(&process);
    let (metrics, registry) = scribe_operator::Metrics::new();
    let ops = scribe_core::ops::Ops::new(registry, vec![], shutdown.clone());
    let server = serve(&process, scribe_core::ops::router(ops), shutdown.clone()).await?;
    let client = scribe_operator::client().await.map_err(|e| {
        // One line for people; the whole chain for whoever reads the logs.
        tracing::debug!(error = ?e, "Kubernetes client");
        anyhow::anyhow!("cannot reach the Kubernetes API: {e}")
    })?;
    let result = scribe_operator::run(config, client, metrics, shutdown.clone()).await;
    shutdown.cancel();
    let _ = server.await;
    result.map_err(|e| anyhow::Error::new(e).into())
}

/// `scribe migrate`.
pub async fn migrate() -> Result<()> {
    let mut env = Env::from_process();
    let process = ProcessConfig::from_env(&mut env);
    let store = StoreConfig::from_env(&mut env);
    env.finish()?;
    scribe_core::telemetry::init(process.log_json, &process.log_level);
    open_store(&store).await?;
    tracing::info!("migrations applied");
    Ok(())
}

/// `scribe report daily|weekly`: the report to every admin.
pub async fn report(period: scribe_worker::reports::Period) -> Result<()> {
    let mut env = Env::from_process();
    let process = ProcessConfig::from_env(&mut env);
    let bot = BotConfig::from_env(&mut env);
    let telegram = TelegramConfig::from_env(&mut env);
    let store_config = StoreConfig::from_env(&mut env);
    env.finish()?;
    scribe_core::telemetry::init(process.log_json, &process.log_level);
    if bot.admins.is_empty() {
        return Err(anyhow::anyhow!("ADMIN_IDS is empty: nobody to send the report to").into());
    }
    let store = open_store(&store_config).await?;
    let http = scribe_core::http::client(Duration::from_secs(30))
        .context("cannot build the HTTP client")?;
    let telegram = Telegram::new(http, telegram.api_url, telegram.token);
    let sent = scribe_worker::reports::send_report(&store, &telegram, &bot.admins, period)
        .await
        .context("cannot read the report from the store")?;
    store.close().await;
    tracing::info!(sent, admins = bot.admins.len(), "report sent");
    if sent == 0 {
        return Err(anyhow::anyhow!("the report reached no admin").into());
    }
    Ok(())
}

/// The bot's identity from `getMe`, retried while Telegram is unreachable. A rejected token is
/// a configuration error and fails at once.
pub async fn bot_identity(
    telegram: &Telegram,
    shutdown: &CancellationToken,
) -> anyhow::Result<BotIdentity> {
    let backoff = Backoff::new(u32::MAX, Duration::from_secs(1));
    let mut failures = 0;
    loop {
        match telegram.get_me().await {
            Ok(me) => {
                let username = me
                    .get("username")
                    .and_then(|u| u.as_str())
                    .map(str::to_owned)
                    .context("getMe returned no username")?;
                return Ok(BotIdentity {
                    id: me
                        .get("id")
                        .and_then(serde_json::Value::as_i64)
                        .unwrap_or(0),
                    username,
                    reads_all_group_messages: me
                        .get("can_read_all_group_messages")
                        .and_then(serde_json::Value::as_bool)
                        .unwrap_or(false),
                });
            }
            Err(e) if e.retry() == Retry::Permanent => {
                return Err(anyhow::Error::new(e).context("Telegram rejected TELEGRAM_BOT_TOKEN"));
            }
            Err(e) => {
                failures += 1;
                let wait = backoff.delay(failures, None);
                tracing::warn!(error = %scribe_core::telemetry::chain(&e), wait_ms = wait.as_millis() as u64, "Telegram unreachable; retrying getMe");
                tokio::select! {
                    () = shutdown.cancelled() => anyhow::bail!("shut down before Telegram answered"),
                    () = tokio::time::sleep(wait) => {}
                }
            }
        }
    }
}

/// Binds `LISTEN_ADDR` and serves `router` until `shutdown`.
pub async fn serve(
    process: &ProcessConfig,
    router: axum::Router,
    shutdown: CancellationToken,
) -> anyhow::Result<JoinHandle<()>> {
    let addr = process.listen_addr;
    let timeouts = process.http_timeouts;
    let listener = tokio::net::TcpListener::bind(addr)
        .await
        .with_context(|| format!("cannot listen on {addr} (LISTEN_ADDR)"))?;
    let local = listener.local_addr().context("listener address")?;
    tracing::info!(addr = %local, "serving /metrics, /healthz, /readyz");
    Ok(tokio::spawn(async move {
        if let Err(error) = scribe_core::ops::serve(listener, router, timeouts, shutdown).await {
            tracing::error!(%error, "HTTP server failed");
        }
    }))
}

/// The programs the audio pipeline runs: found on `PATH` (not run: a wedged binary must not
/// hang start-up), or one line that names what is missing and how to get it.
pub fn check_tools() -> anyhow::Result<()> {
    let path = std::env::var_os("PATH").unwrap_or_default();
    let missing: Vec<&str> = ["ffmpeg", "ffprobe"]
        .into_iter()
        .filter(|tool| !std::env::split_paths(&path).any(|dir| dir.join(tool).is_file()))
        .collect();
    if missing.is_empty() {
        return Ok(());
    }
    Err(anyhow::anyhow!(
        "{} not found on PATH; install ffmpeg (Debian/Ubuntu: apt install ffmpeg, macOS: brew install ffmpeg)",
        missing.join(" and ")
    ))
}

/// `/readyz` asks the database.
pub fn store_check(store: Store) -> Check {
    Check::new("store", move || {
        let store = store.clone();
        async move { store.ping().await }
    })
}

/// The store once it is open (after migrations): until then `/readyz` says it is unavailable.
#[derive(Clone, Default)]
pub struct OpenedStore(Arc<std::sync::OnceLock<Store>>);

impl OpenedStore {
    /// The store is open.
    pub fn set(&self, store: Store) {
        // Set once, right after opening; a second call would find the same store there.
        let _ = self.0.set(store);
    }

    /// `/readyz` asks the database, once there is one.
    pub fn check(&self) -> Check {
        let opened = self.clone();
        Check::new("store", move || {
            let store = opened.0.get().cloned();
            async move {
                match store {
                    Some(store) => store.ping().await,
                    None => false,
                }
            }
        })
    }
}

/// `/readyz` asks the queue.
pub fn queue_check(queue: Arc<dyn Queue>) -> Check {
    Check::new("queue", move || {
        let queue = queue.clone();
        async move { queue.ready().await }
    })
}

/// A name for this process in job rows: host name and a random suffix.
pub fn worker_id() -> Arc<str> {
    let host = std::env::var("HOSTNAME").unwrap_or_else(|_| "scribe".into());
    Arc::from(format!("{host}-{:08x}", fastrand::u32(..)))
}

/// Backoff for Telegram calls whose failure matters.
pub fn telegram_backoff() -> Backoff {
    Backoff::new(4, Duration::from_millis(500))
}

/// The settings of every process that handles updates and jobs (`run` and `worker`).
pub struct HandlerSettings {
    pub bot: BotConfig,
    pub telegram: TelegramConfig,
    pub store: StoreConfig,
    pub providers: ProviderConfig,
    pub pipeline: PipelineConfig,
    pub billing: BillingConfig,
    pub jobs: JobsConfig,
    pub alerts: AlertsConfig,
    pub limits: LimitsConfig,
    pub privacy: PrivacyConfig,
}

impl HandlerSettings {
    pub fn from_env(env: &mut Env) -> Self {
        Self {
            bot: BotConfig::from_env(env),
            telegram: TelegramConfig::from_env(env),
            store: StoreConfig::from_env(env),
            providers: ProviderConfig::from_env(env),
            pipeline: PipelineConfig::from_env(env),
            billing: BillingConfig::from_env(env),
            jobs: JobsConfig::from_env(env),
            alerts: AlertsConfig::from_env(env),
            limits: LimitsConfig::from_env(env),
            privacy: PrivacyConfig::from_env(env),
        }
    }
}

/// What the handlers share, built from their settings once the store and the queue exist.
pub struct Handlers {
    pub ctx: Context,
    /// The long-polling timeout (all-in-one mode).
    pub poll_timeout: Duration,
}

impl Handlers {
    /// Builds the handler context; asks Telegram who the bot is (retrying while unreachable).
    pub async fn build(
        settings: HandlerSettings,
        store: Store,
        queue: Arc<dyn Queue>,
        metrics: Metrics,
        worker_id: Arc<str>,
        shutdown: &CancellationToken,
    ) -> anyhow::Result<Handlers> {
        let HandlerSettings {
            bot,
            telegram,
            store: _,
            providers,
            pipeline,
            billing,
            jobs,
            alerts,
            limits,
            privacy,
        } = settings;
        let http =
            scribe_core::http::client(providers.timeout).context("cannot build the HTTP client")?;
        let TelegramConfig {
            token,
            api_url,
            max_file_bytes,
            poll_timeout,
            local_root,
        } = telegram;
        let telegram = Telegram::new(http.clone(), api_url, token).with_local_root(local_root);
        let me = bot_identity(&telegram, shutdown).await?;
        tracing::info!(bot = %bot.name, username = %me.username, "bot identity");
        let delivery = DeliveryConfig {
            max_file_bytes,
            progress_interval: pipeline.progress_interval,
            file_threshold_chars: pipeline.file_threshold_chars,
        };
        let ctx = Context {
            bot: Arc::new(bot),
            me: Arc::new(me),
            store,
            telegram,
            queue,
            pipeline: Pipeline::from_config(providers, pipeline, http, metrics.clone()),
            billing: Arc::new(billing),
            jobs: Arc::new(jobs),
            alerts: Arc::new(alerts),
            limits: Arc::new(limits),
            privacy: Arc::new(privacy),
            delivery: Arc::new(delivery),
            metrics,
            throttle: Default::default(),
            telegram_backoff: telegram_backoff(),
            worker_id,
        };
        Ok(Handlers { ctx, poll_timeout })
    }
}
