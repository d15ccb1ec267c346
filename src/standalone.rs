//! `scribe run`: the whole bot in one process — long polling, both consumers, the store-backed
//! queue and SQLite by default. Jobs interrupted by a crash or Ctrl-C resume on the next start.

use std::sync::Arc;

use anyhow::Context as _;
use scribe_core::config::{Env, ProcessConfig};
use scribe_core::metrics::Metrics;
use scribe_core::ops::{self, Ops};
use scribe_core::telemetry::chain;
use scribe_queue::Queue;
use scribe_store::{Store, StoreQueue};
use scribe_telegram::Telegram;
use scribe_worker::Queues;
use scribe_worker::polling::Poller;

use crate::startup::{self, HandlerSettings, Handlers, Result};

pub async fn run(delete_webhook: bool) -> Result<()> {
    let mut env = Env::from_process();
    let process = ProcessConfig::from_env(&mut env);
    let settings = HandlerSettings::from_env(&mut env);
    env.finish()?;
    startup::check_tools()?;
    let shutdown = startup::begin(&process);

    let store = startup::open_store(&settings.store).await?;
    let queue = recovered_queue(&store).await?;
    let (metrics, registry) = Metrics::new(&settings.bot.name);
    let Handlers { ctx, poll_timeout } = Handlers::build(
        settings,
        store.clone(),
        queue.clone(),
        metrics,
        startup::worker_id(),
        &shutdown,
    )
    .await?;

    clear_webhook(&ctx.telegram, delete_webhook).await?;
    // The menus Telegram shows (the operator sets them in the cluster). A Bot API server that
    // lacks the call does not stop the bot.
    if let Err(error) = scribe_operator::registration::set_menus(&ctx.telegram).await {
        tracing::warn!(error = %chain(&error), "could not set the command menus");
    }
    tracing::info!(bot = %ctx.bot.name, "scribe run: all-in-one mode");

    let ops = Ops::new(
        registry,
        vec![startup::store_check(store.clone())],
        shutdown.clone(),
    );
    let server = startup::serve(&process, ops::router(ops), shutdown.clone()).await?;
    let poller = Poller {
        telegram: ctx.telegram.clone(),
        store: store.clone(),
        queue,
        bot: ctx.bot.name.clone(),
        timeout: poll_timeout,
        delete_webhook,
    };
    tokio::join!(
        poller.run(shutdown.clone()),
        scribe_worker::run(
            ctx,
            Queues::All,
            32,
            shutdown.clone(),
            process.shutdown_grace
        ),
    );
    let _ = server.await;
    store.close().await;
    tracing::info!("stopped");
    Ok(())
}

/// The store-backed queue, once the jobs the previous run left (a crash, Ctrl-C) are back in it.
async fn recovered_queue(store: &Store) -> Result<Arc<dyn Queue>> {
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
    Ok(Arc::new(
        StoreQueue::start(store.clone())
            .await
            .context("cannot start the queue")?,
    ))
}

/// A webhook blocks polling. Telegram tells (getWebhookInfo); an emulator that lacks the method
/// is no reason to stop: then `getUpdates` answers 409 if one is set, and the poller explains or
/// removes it.
async fn clear_webhook(telegram: &Telegram, delete_webhook: bool) -> Result<()> {
    match telegram.get_webhook_info().await {
        Ok(info) if !info.url.is_empty() && !delete_webhook => {
            return Err(anyhow::anyhow!(
                "this bot has a webhook set, so it cannot poll; run `scribe run --delete-webhook` to remove it"
            )
            .into());
        }
        Ok(info) if !info.url.is_empty() => {
            telegram
                .delete_webhook()
                .await
                .context("deleteWebhook failed")?;
            tracing::warn!("webhook removed; polling instead");
        }
        Ok(_) => {}
        Err(error) => {
            tracing::info!(error = %chain(&error), "getWebhookInfo unavailable; a webhook that blocks polling shows up when polling starts");
        }
    }
    Ok(())
}
