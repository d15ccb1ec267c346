//! The cluster roles: `scribe webhook` (HTTP ingress → RabbitMQ) and `scribe worker` (RabbitMQ →
//! handlers and pipeline, on PostgreSQL).

use std::sync::Arc;

use anyhow::Context as _;
use scribe_core::config::{
    BillingConfig, BotConfig, BrokerConfig, Env, PipelineConfig, ProcessConfig, ProviderConfig,
    StoreConfig, TelegramConfig, WebhookConfig,
};
use scribe_core::metrics::Metrics;
use scribe_core::ops::{self, Check, Ops};
use scribe_core::queue::{Queue, RabbitQueue};
use scribe_core::telegram::Telegram;
use scribe_webhook::http::{self, Webhook};
use scribe_worker::pipeline::Pipeline;
use scribe_worker::{Context, DeliveryConfig, Queues};
use tokio_util::sync::CancellationToken;

use crate::startup::{self, Result};

/// `scribe webhook`.
pub async fn webhook() -> Result<()> {
    let mut env = Env::from_process();
    let process = ProcessConfig::from_env(&mut env);
    let bot = BotConfig::from_env(&mut env);
    let hook = WebhookConfig::from_env(&mut env);
    let broker = BrokerConfig::from_env(&mut env);
    env.finish()?;
    scribe_core::telemetry::init(process.log_json, &process.log_level);

    let shutdown = CancellationToken::new();
    tokio::spawn(scribe_core::shutdown::on_signal(shutdown.clone()));
    let rabbit = RabbitQueue::new(
        broker.url,
        &bot.name,
        broker.publish_channels,
        &format!("{}-webhook", bot.name),
    );
    let queue: Arc<dyn Queue> = Arc::new(rabbit.clone());
    if !queue.ready().await {
        tracing::warn!("RabbitMQ is not reachable yet; answering 503 until it is");
    }
    let (metrics, registry) = Metrics::new(&bot.name);
    let ops = Ops::new(
        registry,
        vec![Check::Queue(queue.clone())],
        shutdown.clone(),
    );
    let router = http::router(Webhook {
        queue,
        secret: hook.secret,
        max_body_bytes: hook.max_body_bytes,
        confirm_timeout: hook.confirm_timeout,
        metrics,
    })
    .merge(ops::router(ops));
    tracing::info!(bot = %bot.name, path = http::PATH, "scribe webhook");
    let server = startup::serve(process.listen_addr, router, shutdown.clone()).await?;
    let _ = server.await;
    rabbit.close().await;
    tracing::info!("stopped");
    Ok(())
}

/// `scribe worker`.
pub async fn worker(queues: Queues) -> Result<()> {
    let mut env = Env::from_process();
    let process = ProcessConfig::from_env(&mut env);
    let bot = BotConfig::from_env(&mut env);
    let telegram_config = TelegramConfig::from_env(&mut env);
    let store_config = StoreConfig::from_env(&mut env);
    let broker = BrokerConfig::from_env(&mut env);
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
    let worker_id = startup::worker_id();
    let rabbit = RabbitQueue::new(broker.url, &bot.name, broker.publish_channels, &worker_id);
    let queue: Arc<dyn Queue> = Arc::new(rabbit.clone());
    let (metrics, registry) = Metrics::new(&bot.name);
    let TelegramConfig {
        token,
        api_url,
        max_file_bytes,
        poll_timeout: _,
    } = telegram_config;
    let telegram = Telegram::new(http.clone(), api_url, token);
    let username = startup::bot_username(&telegram, &shutdown).await?;
    let ops = Ops::new(
        registry,
        vec![Check::Store(store.clone()), Check::Queue(queue.clone())],
        shutdown.clone(),
    );
    let server = startup::serve(process.listen_addr, ops::router(ops), shutdown.clone()).await?;
    tracing::info!(bot = %bot.name, username = %username, ?queues, "scribe worker");

    let pipeline = Pipeline::from_config(providers, pipeline_config.clone(), http, metrics.clone());
    let ctx = Context {
        bot: Arc::new(bot),
        username: Arc::from(username),
        store: store.clone(),
        telegram,
        queue,
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
        worker_id,
    };
    scribe_worker::run(
        ctx,
        queues,
        broker.prefetch_updates,
        shutdown.clone(),
        process.shutdown_grace,
    )
    .await;
    // Deliveries not finished by now return to their queues when the connection closes.
    rabbit.close().await;
    let _ = server.await;
    store.close().await;
    tracing::info!("stopped");
    Ok(())
}
