//! Admin alerts: failed jobs in a row, a provider that stays down, a growing backlog. Streaks
//! and cooldowns live in the store, so replicas neither miss a streak nor repeat each other.

use scribe_core::i18n::{GiveUpCause, Msg};
use scribe_queue::QueueName;
use scribe_store::Job;
use tokio_util::sync::CancellationToken;

use crate::context::Context;
use crate::replies::notify_admins;

const STREAK: &str = "job_failures";

fn cooldown(ctx: &Context) -> i64 {
    i64::try_from(ctx.alerts.cooldown.as_secs()).unwrap_or(i64::MAX)
}

async fn alert(ctx: &Context, kind: &str, notice: &Msg<'_>) {
    match ctx.store.claim_window(kind, cooldown(ctx)).await {
        Ok(true) => notify_admins(ctx, notice, &[]).await,
        Ok(false) => tracing::debug!(kind, "alert within its cooldown; not repeated"),
        Err(error) => {
            tracing::warn!(error = %scribe_core::telemetry::chain(&error), kind, "alert state unavailable")
        }
    }
}

/// A job succeeded: the failure streak ends.
pub async fn job_succeeded(ctx: &Context) {
    if let Err(error) = ctx.store.reset_streak(STREAK).await {
        tracing::warn!(error = %scribe_core::telemetry::chain(&error), "could not reset the failure streak");
    }
}

/// A job failed for a reason that is not the user's (provider, internal, delivery).
pub async fn job_failed(ctx: &Context, kind: &str) {
    match ctx.store.failure_streak(STREAK).await {
        Ok(streak) if streak >= ctx.alerts.failure_streak => {
            let notice = Msg::FailureStreak {
                streak,
                last_kind: kind,
            };
            alert(ctx, "failures", &notice).await;
        }
        Ok(_) => {}
        Err(error) => {
            tracing::warn!(error = %scribe_core::telemetry::chain(&error), "could not count the failure streak")
        }
    }
}

/// A job used up its attempts: the recogniser kept failing (`provider`), or attempts ended
/// without an answer — crashes, kills, panics (`exhausted`).
pub async fn job_given_up(ctx: &Context, job: &Job, kind: &'static str) {
    // `attempts` counts claims: an exhausted job's last claim found them used up and ran nothing.
    let (cause, attempts) = if kind == "provider" {
        (GiveUpCause::Provider, job.attempts)
    } else {
        (GiveUpCause::Exhausted, job.attempts.saturating_sub(1))
    };
    let notice = Msg::JobGivenUp {
        cause,
        job_id: job.id,
        user_id: job.user_id,
        attempts,
    };
    alert(ctx, kind, &notice).await;
}

/// Every `ALERT_CHECK_SECONDS`: records this worker as alive and checks the jobs backlog. Ends
/// at `shutdown`.
pub async fn monitor(ctx: Context, role: &'static str, shutdown: CancellationToken) {
    let mut tick = tokio::time::interval(ctx.alerts.check_every);
    loop {
        tokio::select! {
            () = shutdown.cancelled() => return,
            _ = tick.tick() => {}
        }
        if let Err(error) = ctx.store.worker_seen(&ctx.worker_id, role).await {
            tracing::warn!(error = %scribe_core::telemetry::chain(&error), "could not record presence");
        }
        if role == "updates" {
            continue;
        }
        match ctx.queue.depth(QueueName::Jobs).await {
            Ok(depth) if depth > ctx.alerts.backlog_jobs => {
                let notice = Msg::Backlog {
                    depth,
                    threshold: ctx.alerts.backlog_jobs,
                };
                alert(&ctx, "backlog", &notice).await;
            }
            Ok(_) => {}
            Err(error) => {
                tracing::warn!(error = %scribe_core::telemetry::chain(&error), "could not read the queue depth")
            }
        }
    }
}
