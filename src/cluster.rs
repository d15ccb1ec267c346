//! The cluster roles: `scribe webhook` (HTTP ingress → RabbitMQ) and `scribe worker` (RabbitMQ →
//! handlers and pipeline, on PostgreSQL).

use std::sync::Arc;

use scribe_core::config::{BotConfig, BrokerConfig, Env, ProcessConfig, WebhookConfig};
use scribe_core::metrics::Metrics;
use scribe_core::ops::{self, Ops};
use scribe_queue::Queue;
use scribe_rabbitmq::{self as rabbit, RabbitQueue};
use scribe_webhook::http::{self, Webhook};
use scribe_worker::Queues;

use crate::startup::{self, HandlerSettings, Handlers, Result};

/// `scribe webhook`.
pub async fn webhook() -> Result<()> {
    let mut env = Env::from_process();
    let process = ProcessConfig::from_env(&mut env);
    let bot = BotConfig::from_env(&mut env);
    let hook = WebhookConfig::from_env(&mut env);
    let broker = BrokerConfig::from_env(&mut env);
    env.finish()?;
    let shutdown = startup::begin(&process);
    let rabbit = RabbitQueue::new(rabbit::Settings {
        url: broker.url,
        bot: bot.name.clone(),
        publishers: broker.publish_channels,
        connection_name: format!("{}-webhook", bot.name),
        confirm_timeout: broker.confirm_timeout,
        retry_delays: Vec::new(),
    });
    let queue: Arc<dyn Queue> = Arc::new(rabbit.clone());
    if !queue.ready().await {
        tracing::warn!("RabbitMQ is not reachable yet; answering 503 until it is");
    }
    let (metrics, registry) = Metrics::new(&bot.name);
    let ops = Ops::new(
        registry,
        vec![startup::queue_check(queue.clone())],
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
    let server = startup::serve(&process, router, shutdown.clone()).await?;
    let _ = server.await;
    rabbit.close().await;
    tracing::info!("stopped");
    Ok(())
}

/// `scribe worker`. `/healthz` answers from the start, before migrations run (a long migration
/// must not fail the liveness or startup probe); `/readyz` waits for the store.
pub async fn worker(queues: Queues) -> Result<()> {
    let mut env = Env::from_process();
    let process = ProcessConfig::from_env(&mut env);
    let broker = BrokerConfig::from_env(&mut env);
    let settings = HandlerSettings::from_env(&mut env);
    env.finish()?;
    if queues != Queues::Updates {
        startup::check_tools()?;
    }
    let shutdown = startup::begin(&process);
    let worker_id = startup::worker_id();
    let rabbit = RabbitQueue::new(rabbit::Settings {
        url: broker.url,
        bot: settings.bot.name.clone(),
        publishers: broker.publish_channels,
        connection_name: worker_id.to_string(),
        confirm_timeout: broker.confirm_timeout,
        // The job retry ladder and the batch window each get a delay queue of their own.
        retry_delays: settings
            .jobs
            .retry_delays
            .iter()
            .copied()
            .chain([settings.privacy.batch_window])
            .collect(),
    });
    let queue: Arc<dyn Queue> = Arc::new(rabbit.clone());
    let (metrics, registry) = Metrics::new(&settings.bot.name);
    let opened = startup::OpenedStore::default();
    let ops = Ops::new(
        registry,
        vec![opened.check(), startup::queue_check(queue.clone())],
        shutdown.clone(),
    );
    let server = startup::serve(&process, ops::router(ops), shutdown.clone()).await?;
    let store = match startup::open_store(&settings.store).await {
        Ok(store) => store,
        Err(e) => {
            shutdown.cancel();
            let _ = server.await;
            return Err(e.into());
        }
    };
    opened.set(store.clone());
    let Handlers { ctx, .. } = Handlers::build(
        settings,
        store.clone(),
        queue.clone(),
        metrics,
        worker_id,
        &shutdown,
    )
    .await?;
    tracing::info!(bot = %ctx.bot.name, ?queues, "scribe worker");
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
