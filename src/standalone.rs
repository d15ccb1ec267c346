//! `scribe run`: the whole bot in one process — long polling, both consumers, the store-backed
//! queue and SQLite by default. Jobs interrupted by a crash or Ctrl-C resume on the next start.

use std::sync::Arc;

use anyhow::Context as _;
use scribe_core::config::{
    BillingConfig, BotConfig, Env, PipelineConfig, ProcessConfig, ProviderConfig, StoreConfig,
    TelegramConfig,
};
use scribe_core::metrics::Metrics;
use scribe_core::ops::{self, Check, Ops};
use scribe_core::queue::{Queue, StoreQueue};
use scribe_core::telegram::Telegram;
use scribe_webhook::poll::Poller;
use scribe_worker::pipeline::Pipeline;
use scribe_worker::{Context, DeliveryConfig, Queues};
use tokio_util::sync::CancellationToken;

use crate::startup::{self, Result};

pub async fn run(delete_webhook: bool) -> Result<()> {
    let mut env = Env::from_process();
    let process = ProcessConfig::from_env(&mut env);
    let bot = BotConfig::from_env(&mut env);
    let telegram_config = TelegramConfig::from_env(&mut env);
    let store_config = StoreConfig::from_env(&mut env);
    let providers = ProviderConfig::from_env(&mut env);
    let pipeline_config = PipelineConfig::from_env(&mut env);
    let billing = BillingConfig::from_env(&mut env);
    let jobs = startup::jobs(&mut env);
    env.finish()?;
    scribe_core::telemetry::init(process.log_json, &process.log_level);

    let shutdown = CancellationToken::new();
    tokio::spawn(scribe_core::shutdown::on_signal(shutdown.clone()));

    let http =
        scribe_core::http::client(providers.timeout).context("cannot build the HTTP client")?;
    let store = startup::open_store(&store_config).await?;
    let interrupted = store
        .requeue_interrupted_jobs()
        .await
        .context("cannot recover interrupted jobs")?;
    if interrupted > 0 {
        tracing::info!(
            jobs = interrupted,
            "resuming jobs interrupted by the previous run"
        );
    }
    let queue: Arc<dyn Queue> = Arc::new(
        StoreQueue::start(store.clone())
            .await
            .context("cannot start the queue")?,
    );
    let (metrics, registry) = Metrics::new(&bot.name);
    let TelegramConfig {
        token,
        api_url,
        max_file_bytes,
        poll_timeout,
    } = telegram_config;
    let telegram = Telegram::new(http.clone(), api_url, token);

    let username = startup::bot_username(&telegram, &shutdown).await?;
    let webhook = telegram
        .get_webhook_info()
        .await
        .context("getWebhookInfo failed")?;
    if !webhook.url.is_empty() {
        if !delete_webhook {
            return Err(anyhow::anyhow!(
                "this bot has a webhook set, so it cannot poll; run `scribe run --delete-webhook` to remove it"
            )
            .into());
        }
        telegram
            .delete_webhook()
            .await
            .context("deleteWebhook failed")?;
        tracing::warn!("webhook removed; polling instead");
    }
    tracing::info!(bot = %bot.name, username = %username, "scribe run: all-in-one mode");

    let ops = Ops::new(
        registry,
        vec![Check::Store(store.clone())],
        shutdown.clone(),
    );
    let server = startup::serve(process.listen_addr, ops::router(ops), shutdown.clone()).await?;

    let pipeline = Pipeline::from_config(providers, pipeline_config.clone(), http, metrics.clone());
    let ctx = Context {
        bot: Arc::new(bot),
        username: Arc::from(username),
        store: store.clone(),
        telegram: telegram.clone(),
        queue: queue.clone(),
        pipeline,
        billing: Arc::new(billing),
        jobs: Arc::new(jobs),
        delivery: Arc::new(DeliveryConfig {
            max_file_bytes,
            progress_interval: pipeline_config.progress_interval,
            file_threshold_chars: pipeline_config.file_threshold_chars,
        }),
        metrics,
        throttle: Default::default(),
        telegram_backoff: startup::telegram_backoff(),
        worker_id: startup::worker_id(),
    };
    let poller = Poller {
        telegram,
        store: store.clone(),
        queue,
        bot: ctx.bot.name.clone(),
        timeout: poll_timeout,
    };
    let grace = process.shutdown_grace;
    tokio::join!(
        poller.run(shutdown.clone()),
        scribe_worker::run(ctx, Queues::All, 32, shutdown.clone(), grace),
    );
    let _ = server.await;
    store.close().await;
    tracing::info!("stopped");
    Ok(())
}
