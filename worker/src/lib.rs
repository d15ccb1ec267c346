//! Update handling (commands, intake) and the transcription pipeline, consuming the updates and
//! jobs queues with separate concurrency budgets. The same code serves the cluster (RabbitMQ)
//! and the all-in-one mode (store-backed queue), where `polling` is also the ingress.
#![forbid(unsafe_code)]

pub mod actions;
pub mod admin;
pub mod alerts;
pub mod batch;
pub mod buttons;
pub mod callbacks;
pub mod commands;
pub mod consumer;
pub mod context;
pub mod delivery;
pub mod error;
pub mod glossary;
pub mod groups;
pub mod intake;
pub mod jobs;
pub mod messages;
pub mod payments;
pub mod pipeline;
pub mod polling;
pub mod privacy;
pub mod progress;
pub mod recognition;
pub mod replies;
pub mod reports;
pub mod settings;
pub mod sweeper;
pub mod trials;
pub mod updates;

use std::time::Duration;

use scribe_queue::QueueName;
use tokio_util::sync::CancellationToken;
use tracing::Instrument;

pub use context::{BotIdentity, Context, DeliveryConfig};

/// Which queues a worker consumes (SREs may run separate pools).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Queues {
    Updates,
    Jobs,
    All,
}

/// Consumes the chosen queues until `shutdown`, then drains within `grace`.
pub async fn run(
    ctx: Context,
    queues: Queues,
    prefetch_updates: u16,
    shutdown: CancellationToken,
    grace: Duration,
) {
    let role = match queues {
        Queues::Updates => "updates",
        Queues::Jobs => "jobs",
        Queues::All => "all",
    };
    let monitor = tokio::spawn(
        alerts::monitor(ctx.clone(), role, shutdown.clone())
            .instrument(tracing::info_span!("monitor", role)),
    );
    let sweeper = tokio::spawn(
        sweeper::run(ctx.clone(), shutdown.clone()).instrument(tracing::info_span!("sweeper")),
    );
    let updates = matches!(queues, Queues::Updates | Queues::All).then(|| {
        let ctx = ctx.clone();
        let budget = consumer::Budget {
            queue: QueueName::Updates,
            concurrency: ctx.jobs.updates_concurrency,
            prefetch: prefetch_updates,
        };
        consumer::consume(
            ctx.queue.clone(),
            budget,
            shutdown.clone(),
            grace,
            move |delivery, _hard_stop| {
                let ctx = ctx.clone();
                async move { updates::handle(&ctx, delivery).await }
            },
        )
    });
    let jobs = matches!(queues, Queues::Jobs | Queues::All).then(|| {
        let ctx = ctx.clone();
        let concurrency = ctx.jobs.worker_concurrency;
        let budget = consumer::Budget {
            queue: QueueName::Jobs,
            concurrency,
            prefetch: u16::try_from(concurrency).unwrap_or(u16::MAX),
        };
        consumer::consume(
            ctx.queue.clone(),
            budget,
            shutdown.clone(),
            grace,
            move |delivery, hard_stop| {
                let ctx = ctx.clone();
                async move { jobs::handle(&ctx, delivery, hard_stop).await }
            },
        )
    });
    match (updates, jobs) {
        (Some(u), Some(j)) => {
            tokio::join!(u, j);
        }
        (Some(u), None) => u.await,
        (None, Some(j)) => j.await,
        (None, None) => {}
    }
    for (name, task) in [("monitor", monitor), ("sweeper", sweeper)] {
        if let Err(error) = task.await {
            tracing::error!(task = name, %error, "background task ended abnormally");
        }
    }
}
