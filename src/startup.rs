//! Wiring shared by the subcommands: configuration, store, Telegram identity, the ops server.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context as _;
use scribe_core::config::{ConfigErrors, Env, JobsConfig, ProcessConfig, StoreConfig};
use scribe_core::retry::{Backoff, Classify, Retry};
use scribe_core::store::Store;
use scribe_core::telegram::Telegram;
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

/// Connects and applies migrations (safe when replicas start together).
pub async fn open_store(config: &StoreConfig) -> anyhow::Result<Store> {
    let store = Store::connect(&config.url, config.max_connections)
        .await
        .context("cannot connect to the database (DATABASE_URL)")?;
    store.migrate().await.context("database migration failed")?;
    Ok(store)
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

/// The bot's username from `getMe`, retried while Telegram is unreachable. A rejected token is
/// a configuration error and fails at once.
pub async fn bot_username(
    telegram: &Telegram,
    shutdown: &CancellationToken,
) -> anyhow::Result<String> {
    let backoff = Backoff::new(u32::MAX, Duration::from_secs(1));
    let mut failures = 0;
    loop {
        match telegram.get_me().await {
            Ok(me) => {
                return me
                    .get("username")
                    .and_then(|u| u.as_str())
                    .map(str::to_owned)
                    .context("getMe returned no username");
            }
            Err(e) if e.retry() == Retry::Permanent => {
                return Err(anyhow::Error::new(e).context("Telegram rejected TELEGRAM_BOT_TOKEN"));
            }
            Err(e) => {
                failures += 1;
                let wait = backoff.delay(failures, None);
                tracing::warn!(error = %e, wait_ms = wait.as_millis() as u64, "Telegram unreachable; retrying getMe");
                tokio::select! {
                    () = shutdown.cancelled() => anyhow::bail!("shut down before Telegram answered"),
                    () = tokio::time::sleep(wait) => {}
                }
            }
        }
    }
}

/// Binds `addr` and serves `router` until `shutdown`.
pub async fn serve(
    addr: SocketAddr,
    router: axum::Router,
    shutdown: CancellationToken,
) -> anyhow::Result<JoinHandle<()>> {
    let listener = tokio::net::TcpListener::bind(addr)
        .await
        .with_context(|| format!("cannot listen on {addr} (LISTEN_ADDR)"))?;
    let local = listener.local_addr().context("listener address")?;
    tracing::info!(addr = %local, "serving /metrics, /healthz, /readyz");
    Ok(tokio::spawn(async move {
        if let Err(error) = scribe_core::ops::serve(listener, router, shutdown).await {
            tracing::error!(%error, "HTTP server failed");
        }
    }))
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

/// Jobs settings are needed by `run` and `worker` alike.
pub fn jobs(env: &mut Env) -> JobsConfig {
    JobsConfig::from_env(env)
}
