//! The jobs queue's messages: a forwarded batch to close, a transcript action to answer
//! ([`crate::actions`]), and — most of all — one transcription job to run: claim the row (a finished job is
//! acknowledged without work, a stale one is taken over, one that used up its attempts — however
//! they ended — is failed), run it ([`run`]), and finish the delivery with what came of it
//! ([`outcome`]).

mod error;
mod outcome;
mod run;

use std::time::Duration;

use scribe_core::telemetry::chain;
use scribe_core::time::now_millis;
use scribe_queue::Delivery;
use scribe_store::Claim;
use tokio_util::sync::CancellationToken;
use tracing::Instrument;

pub use error::{Error, Verdict};

use crate::context::Context;
use crate::messages::JobMessage;
use crate::{actions, batch};
use scribe_core::retry::{Classify, Retry};

/// Handles one delivery of the jobs queue and finishes it. `hard_stop` fires when the shutdown
/// grace period is over: the job is then handed back to the queue.
pub async fn handle(ctx: &Context, delivery: Delivery, hard_stop: CancellationToken) {
    let job_id = match JobMessage::from_bytes(&delivery.payload) {
        Some(JobMessage::Transcribe { job_id }) => job_id,
        Some(JobMessage::CloseBatch { close_batch }) => {
            let span = tracing::info_span!("batch", bot = %ctx.bot.name, chat_id = close_batch.chat_id, trace_id = %delivery.trace_id);
            return async {
                settle(
                    ctx,
                    "close the batch",
                    batch::close(ctx, close_batch).await,
                    delivery,
                )
                .await
            }
            .instrument(span)
            .await;
        }
        Some(JobMessage::Act { act }) => {
            let span = tracing::info_span!("action", bot = %ctx.bot.name, job_id = act.job_id, action = %act.action, trace_id = %delivery.trace_id);
            return async {
                settle(
                    ctx,
                    "answer the action",
                    actions::run(ctx, &act).await,
                    delivery,
                )
                .await
            }
            .instrument(span)
            .await;
        }
        None => {
            tracing::error!("job message is not valid; dead-lettering it");
            ctx.metrics.dead_letters.inc();
            finish(delivery.dead_letter().await);
            return;
        }
    };
    let span =
        tracing::info_span!("job", bot = %ctx.bot.name, job_id, trace_id = %delivery.trace_id);
    async move {
        let stale_before =
            now_millis() - i64::try_from(ctx.jobs.stale_after.as_millis()).unwrap_or(i64::MAX);
        match ctx
            .store
            .claim_job(job_id, &ctx.worker_id, stale_before)
            .await
        {
            Ok(Claim::Run(job)) if job.attempts > i64::from(ctx.jobs.max_attempts) => {
                outcome::exhausted(ctx, &job, delivery).await;
            }
            Ok(Claim::Run(job)) => run::run(ctx, job, delivery, hard_stop).await,
            Ok(Claim::Finished(job)) => {
                tracing::info!(state = %job.state, "job already finished; acknowledging");
                finish(delivery.ack().await);
            }
            Ok(Claim::Busy) => finish(delivery.retry_later(ctx.jobs.stale_after).await),
            Ok(Claim::Missing) => {
                tracing::warn!("job row not found; dropping the message");
                finish(delivery.ack().await);
            }
            Err(error) => {
                tracing::warn!(error = %chain(&error), "store unavailable; job will be retried");
                finish(delivery.retry_later(Duration::from_secs(5)).await);
            }
        }
    }
    .instrument(span)
    .await;
}

/// Finishes the delivery of a message handled in one step (a batch closed, an action
/// answered): acknowledged when it worked, retried a few times when the failure may pass,
/// dead-lettered otherwise.
async fn settle(ctx: &Context, what: &str, result: crate::error::Result<()>, delivery: Delivery) {
    match result {
        Ok(()) => finish(delivery.ack().await),
        Err(error) if delivery.attempt < 5 && error.retry() != Retry::Permanent => {
            tracing::warn!(error = %chain(&error), "could not {what}; retrying");
            finish(delivery.retry_later(Duration::from_secs(5)).await);
        }
        Err(error) => {
            tracing::error!(error = %chain(&error), "could not {what}");
            ctx.metrics.dead_letters.inc();
            finish(delivery.dead_letter().await);
        }
    }
}

fn finish(result: scribe_queue::Result<()>) {
    if let Err(error) = result {
        tracing::warn!(error = %chain(&error), "could not finish the delivery; the broker will redeliver");
    }
}
