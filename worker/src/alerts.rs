//! Admin alerts: failed jobs in a row, a provider that stays down, a growing backlog. Streaks
//! and cooldowns live in the store, so replicas neither miss a streak nor repeat each other.

use scribe_core::text::escape_html;
use scribe_queue::QueueName;
use scribe_store::Job;
use tokio_util::sync::CancellationToken;

use crate::context::Context;
use crate::replies::notify_admins;

const STREAK: &str = "job_failures";

fn cooldown(ctx: &Context) -> i64 {
    i64::try_from(ctx.alerts.cooldown.as_secs()).unwrap_or(i64::MAX)
}

async fn alert(ctx: &Context, kind: &str, text: &str) {
    match ctx.store.claim_window(kind, cooldown(ctx)).await {
        Ok(true) => notify_admins(ctx, text, None).await,
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
            let text = format!(
                "🚨 {streak} jobs failed in a row; the last one: {}.",
                escape_html(kind)
            );
            alert(ctx, "failures", &text).await;
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
    let why = if kind == "provider" {
        "The speech recogniser keeps failing"
    } else {
        "A job keeps ending its worker's attempts (crash, kill or panic)"
    };
    let text = format!(
        "🚨 {why}: job {} of user <code>{}</code> was given up after {} attempts and moved to the dead-letter queue (hold released, user told).",
        job.id, job.user_id, job.attempts
    );
    alert(ctx, kind, &text).await;
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
                let text = format!(
                    "🚨 {depth} jobs are waiting in the queue (threshold {}).",
                    ctx.alerts.backlog_jobs
                );
                alert(&ctx, "backlog", &text).await;
            }
            Ok(_) => {}
            Err(error) => {
                tracing::warn!(error = %scribe_core::telemetry::chain(&error), "could not read the queue depth")
            }
        }
    }
}
