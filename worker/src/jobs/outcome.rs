//! What comes of an attempt: charged and acknowledged; handed back for a later retry; or failed
//! — hold released, user told, and (when the job used up its attempts) admins alerted and the
//! message moved to the dead letters. Only the worker that owns a job changes it.

use std::time::Duration;

use scribe_core::i18n::{Lang, Msg, Stage};
use scribe_core::telemetry::chain;
use scribe_queue::Delivery;
use scribe_store::{Job, JobStats, Keep, Owner, User};
use scribe_telegram::TextOptions;

use super::error::{Error, Verdict};
use super::finish;
use crate::alerts;
use crate::context::Context;
use crate::replies::show_on_status;

pub(super) async fn completed(
    ctx: &Context,
    job: &Job,
    user: &User,
    lang: Lang,
    stats: JobStats,
    keep: Option<Keep>,
    delivery: Delivery,
) {
    match ctx
        .store
        .complete_job(job.id, &ctx.worker_id, &stats, keep)
        .await
    {
        Ok(Some(charged)) => {
            ctx.metrics.job("done");
            ctx.metrics.balance("settle", charged);
            ctx.metrics
                .audio_seconds
                .inc_by(u64::try_from(charged).unwrap_or(0));
            tracing::info!(charged, "job done");
            alerts::job_succeeded(ctx).await;
        }
        Ok(None) => {
            tracing::warn!(
                "the job was taken from this worker before it was recorded; leaving it to its owner"
            );
            finish(delivery.ack().await);
            return;
        }
        Err(error) => {
            // Delivered but not recorded: the job stays `delivering` with every part sent, so
            // whoever takes it over sends nothing again and records it.
            tracing::error!(error = %chain(&error), "could not record the finished job");
            if let Err(e) = ctx.store.requeue_job(job.id, &ctx.worker_id).await {
                tracing::warn!(error = %chain(&e), "could not hand the job back");
            }
            finish(delivery.retry_later(Duration::from_secs(30)).await);
            return;
        }
    }
    finish(delivery.ack().await);
    // The low-balance note goes to the payer's private chat only: a group never hears a balance.
    let now = match ctx.store.user(user.id).await {
        Ok(now) => now,
        Err(e) => {
            tracing::warn!(error = %chain(&e), "balance not read after the job; no low-balance note");
            None
        }
    };
    if let Some(now) = now
        && now.balance < ctx.billing.low_balance_seconds
        && job.chat_id == user.id
    {
        let text = Msg::LowBalance {
            balance: now.balance,
        }
        .render(lang);
        if let Err(e) = ctx
            .telegram
            .send_message(job.chat_id, &text, &TextOptions::html())
            .await
        {
            ctx.metrics.telegram_error("sendMessage", e.kind());
        }
    }
}

pub(super) async fn failed(ctx: &Context, job: &Job, lang: Lang, error: Error, delivery: Delivery) {
    let kind = error.kind();
    let why = chain(&error);
    match error.verdict() {
        Verdict::HandBack => {
            tracing::info!("interrupted by shutdown; handing the job back");
            if let Err(e) = ctx.store.requeue_job(job.id, &ctx.worker_id).await {
                tracing::warn!(error = %chain(&e), "could not hand the job back; its heartbeat will lapse");
            }
            finish(delivery.requeue().await);
            return;
        }
        Verdict::Drop => {
            finish(delivery.ack().await);
            return;
        }
        Verdict::Transient if job.attempts < i64::from(ctx.jobs.max_attempts) => {
            let delay = ctx
                .jobs
                .retry_delay(u32::try_from(job.attempts).unwrap_or(u32::MAX));
            tracing::warn!(error = %why, attempt = job.attempts, delay_s = delay.as_secs(), "job failed; retrying later");
            ctx.metrics.job_retries.inc();
            match ctx.store.requeue_job(job.id, &ctx.worker_id).await {
                Ok(true) => {}
                Ok(false) => {
                    finish(delivery.ack().await);
                    return;
                }
                Err(e) => {
                    tracing::warn!(error = %chain(&e), "could not hand the job back; its heartbeat will lapse")
                }
            }
            show_on_status(
                ctx,
                job,
                &Msg::Stage(Stage::Retrying {
                    in_seconds: delay.as_secs(),
                })
                .render(lang),
            )
            .await;
            finish(delivery.retry_later(delay).await);
            return;
        }
        Verdict::Transient => {
            tracing::error!(error = %why, attempts = job.attempts, "job failed after its last attempt");
        }
        Verdict::Permanent => tracing::info!(error = %why, "job failed"),
    }
    let dead = error.verdict() == Verdict::Transient;
    give_up(
        ctx,
        job,
        kind,
        &error.user_message(ctx, lang),
        dead,
        delivery,
    )
    .await;
}

/// Claimed once more than `JOB_MAX_ATTEMPTS` allows: the earlier attempts ended however they
/// ended (a crash, an OOM kill, a panic) — this one is not started.
pub(super) async fn exhausted(ctx: &Context, job: &Job, delivery: Delivery) {
    tracing::error!(
        attempts = job.attempts.saturating_sub(1),
        "job used up its attempts; giving up"
    );
    let lang = match ctx.store.user(job.user_id).await {
        Ok(Some(user)) => ctx.lang_of(&user),
        Ok(None) => Lang::En,
        Err(e) => {
            tracing::warn!(error = %chain(&e), "user not read; telling them in English");
            Lang::En
        }
    };
    give_up(
        ctx,
        job,
        "exhausted",
        &Msg::InternalError.render(lang),
        true,
        delivery,
    )
    .await;
}

/// Fails the job (hold released), tells the user, and for a job that used up its attempts
/// alerts admins and moves its message to the dead letters.
async fn give_up(
    ctx: &Context,
    job: &Job,
    kind: &'static str,
    user_text: &str,
    dead: bool,
    delivery: Delivery,
) {
    match ctx
        .store
        .fail_job(
            job.id,
            Owner::Worker(&ctx.worker_id),
            kind,
            &JobStats::default(),
        )
        .await
    {
        Ok(Some(released)) => {
            ctx.metrics.job(kind);
            ctx.metrics.balance("release", released);
        }
        Ok(None) => {
            tracing::info!("the job is not this worker's any more; leaving it");
            finish(delivery.ack().await);
            return;
        }
        Err(e) => {
            tracing::error!(error = %chain(&e), "could not record the failed job; retrying");
            if let Err(e) = ctx.store.requeue_job(job.id, &ctx.worker_id).await {
                tracing::warn!(error = %chain(&e), "could not hand the job back");
            }
            finish(delivery.retry_later(Duration::from_secs(30)).await);
            return;
        }
    }
    show_on_status(ctx, job, user_text).await;
    if dead {
        ctx.metrics.dead_letters.inc();
        alerts::job_failed(ctx, kind).await;
        if kind == "provider" || kind == "exhausted" {
            alerts::job_given_up(ctx, job, kind).await;
        }
        finish(delivery.dead_letter().await);
    } else {
        finish(delivery.ack().await);
    }
}
