//! The sweeper: no hold outlives its job and no job waits for a message that is gone. Every
//! `SWEEP_INTERVAL_SECONDS` one replica (a window claimed in the store) looks at unfinished jobs:
//! those older than `JOB_MAX_AGE_HOURS` are failed (hold released, user told); those whose queue
//! message may be lost — queued and not published for `JOB_REPUBLISH_AFTER_SECONDS`, or held by a
//! worker whose heartbeat stopped — are published again (claims are idempotent, so a duplicate
//! message costs nothing). It also forgets update ids past the deduplication window and deletes
//! transcripts past their owner's retention. `/flush` is a manual run of the same sweep. Every
//! process also removes the job directories a killed process left on its own disk.

use std::time::Duration;

use scribe_core::i18n::{Lang, Msg};
use scribe_core::telemetry::chain;
use scribe_core::time::{now_millis, now_secs};
use scribe_store::{JobStats, Owner};
use tokio_util::sync::CancellationToken;

use crate::context::Context;
use crate::error::Result;
use crate::intake;
use crate::replies::show_on_status;

/// Jobs looked at per sweep, at most (the next sweep takes the rest).
const BATCH: i64 = 200;

/// What one sweep did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Report {
    pub failed: usize,
    pub released: i64,
    pub republished: usize,
    pub updates_forgotten: u64,
    /// Transcripts past their owner's retention, deleted.
    pub transcripts_expired: u64,
}

fn seconds(d: Duration) -> i64 {
    i64::try_from(d.as_secs()).unwrap_or(i64::MAX / 2)
}

/// One sweep: fails jobs unfinished for longer than `older_than` (recording `kind`), republishes
/// orphaned ones, forgets old update ids.
pub async fn sweep(ctx: &Context, older_than: Duration, kind: &'static str) -> Result<Report> {
    let mut report = Report::default();
    for job in ctx
        .store
        .stuck_jobs(now_secs() - seconds(older_than))
        .await?
    {
        let Some(released) = ctx
            .store
            .fail_job(job.id, Owner::Anyone, kind, &JobStats::default())
            .await?
        else {
            continue;
        };
        report.failed += 1;
        report.released += released;
        ctx.metrics.job(kind);
        ctx.metrics.balance("release", released);
        tracing::warn!(
            job_id = job.id,
            kind,
            released,
            "unfinished job failed by the sweep"
        );
        let lang = match ctx.store.user(job.user_id).await? {
            Some(u) => ctx.lang_of(&u),
            None => Lang::En,
        };
        show_on_status(ctx, &job, &Msg::Flushed.render(lang)).await;
    }
    let published_before = now_secs() - seconds(ctx.jobs.republish_after);
    let stale_before =
        now_millis() - i64::try_from(ctx.jobs.stale_after.as_millis()).unwrap_or(i64::MAX / 2);
    for job in ctx
        .store
        .orphaned_jobs(published_before, stale_before, BATCH)
        .await?
    {
        match intake::publish(ctx, job.id, &job.trace_id).await {
            Ok(()) => {
                report.republished += 1;
                tracing::info!(job_id = job.id, state = %job.state, "job message published again");
            }
            Err(error) => {
                tracing::warn!(job_id = job.id, error = %chain(&error), "could not republish a job; next sweep");
                break;
            }
        }
    }
    report.updates_forgotten = ctx
        .store
        .forget_updates(now_secs() - seconds(ctx.limits.dedupe_window))
        .await?;
    report.transcripts_expired = ctx.store.delete_expired_transcripts(now_secs()).await?;
    Ok(report)
}

/// Sweeps every `SWEEP_INTERVAL_SECONDS`, one replica at a time, until `shutdown`. Each
/// process also clears its own temporary directory of job directories older than
/// `JOB_MAX_AGE_HOURS` (left by a process that was killed: their jobs have been failed or
/// taken over by then), first at start.
pub async fn run(ctx: Context, shutdown: CancellationToken) {
    let every = ctx.jobs.sweep_every;
    let mut tick = tokio::time::interval(every);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            () = shutdown.cancelled() => return,
            _ = tick.tick() => {}
        }
        let removed = ctx.pipeline.remove_stale_work(ctx.jobs.max_age).await;
        if removed > 0 {
            tracing::info!(removed, "job directories left by a killed process removed");
        }
        // A turn lasts slightly less than the interval, so the replica whose timer fires first
        // takes each turn and the others skip it.
        let turn = seconds(every).saturating_sub(1).max(1);
        match ctx.store.claim_window("sweep", turn).await {
            Ok(true) => {}
            Ok(false) => continue,
            Err(error) => {
                tracing::warn!(error = %chain(&error), "sweep turn unavailable");
                continue;
            }
        }
        match sweep(&ctx, ctx.jobs.max_age, "expired").await {
            Ok(report) if report != Report::default() => {
                tracing::info!(?report, "sweep");
            }
            Ok(_) => {}
            Err(error) => tracing::warn!(error = %chain(&error), "sweep failed; next turn"),
        }
    }
}

/// What `/flush` answers.
pub fn report_text(report: &Report, minutes: i64, lang: Lang) -> String {
    Msg::SweepReport {
        failed: report.failed,
        released: report.released,
        republished: report.republished,
        minutes,
    }
    .render(lang)
}
