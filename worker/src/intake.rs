//! Media intake, fast: size check, the job row with its balance hold, the status message whose
//! id travels with the job, and the job published to the jobs queue. A redelivered update finds
//! its job and only finishes what the first delivery left undone.

use scribe_core::billing::Package;
use scribe_core::i18n::{Msg, Stage};
use scribe_core::retry::{Classify, Retry};
use scribe_queue::{Message as QueueMessage, QueueName};
use scribe_store::{Intake, Job, JobState, JobStats, NewJob, Owner, User};
use scribe_telegram::{Media, Message, TextOptions};

use crate::context::Context;
use crate::error::Result;
use crate::messages::TranscribeJob;
use crate::replies::reply;

/// Documents have no duration until probed; hold at most this much for them.
const UNKNOWN_DURATION_CAP_SECONDS: i64 = 6 * 3600;

pub async fn handle(
    ctx: &Context,
    user: &User,
    update_id: i64,
    message: &Message,
    media: Media,
    trace_id: &str,
) -> Result<()> {
    let lang = ctx.lang_of(user);
    let chat = message.chat.id;
    let limit = ctx.delivery.max_file_bytes;
    if media
        .file_size
        .is_some_and(|s| u64::try_from(s).unwrap_or(0) > limit)
    {
        ctx.metrics.job("too_large");
        return reply(
            ctx,
            chat,
            &Msg::FileTooLarge {
                limit_mb: limit / (1024 * 1024),
            }
            .render(lang),
        )
        .await;
    }
    let new = NewJob {
        bot: ctx.bot.name.clone(),
        update_id,
        user_id: user.id,
        chat_id: chat,
        message_id: message.message_id,
        media,
        trace_id: trace_id.to_owned(),
        unknown_duration_cap: UNKNOWN_DURATION_CAP_SECONDS,
        max_active: (!ctx.bot.is_admin(user.id)).then_some(ctx.limits.max_active_jobs),
    };
    let job = match ctx.store.create_job(&new).await? {
        Intake::Insufficient {
            balance,
            needed: Some(needed),
        } => {
            ctx.metrics.job("insufficient");
            let package = Package::cheapest_covering(&ctx.billing.packages, needed - balance)
                .map(|p| (p.id.as_str(), p.minutes, p.stars));
            return reply(
                ctx,
                chat,
                &Msg::Insufficient {
                    balance,
                    needed,
                    package,
                }
                .render(lang),
            )
            .await;
        }
        Intake::Insufficient { needed: None, .. } => {
            ctx.metrics.job("insufficient");
            return reply(ctx, chat, &Msg::BalanceEmpty.render(lang)).await;
        }
        Intake::Created(job) => {
            ctx.metrics.balance("hold", job.held_seconds);
            tracing::info!(job_id = job.id, held = job.held_seconds, "job created");
            job
        }
        Intake::TooMany { active } => {
            ctx.metrics.job("too_many");
            return reply(ctx, chat, &Msg::TooManyJobs { active }.render(lang)).await;
        }
        Intake::Existing(job) if job.state == JobState::Queued => job,
        Intake::Existing(_) => return Ok(()),
    };
    if job.status_message_id.is_none() && !send_status(ctx, &job, lang).await? {
        return Ok(());
    }
    publish(ctx, job.id, trace_id).await
}

/// Publishes the job's message (intake, and the sweeper for a job whose message was lost) and
/// records when.
pub async fn publish(ctx: &Context, job_id: i64, trace_id: &str) -> Result<()> {
    ctx.queue
        .publish(
            QueueName::Jobs,
            QueueMessage {
                payload: TranscribeJob { job_id }.to_bytes(),
                trace_id: trace_id.to_owned(),
            },
        )
        .await?;
    ctx.store.mark_published(job_id).await?;
    Ok(())
}

/// Sends the "received, queued" message and records its id. Returns false when the user can
/// never be reached (blocked bot): the job is failed and its hold released.
async fn send_status(ctx: &Context, job: &Job, lang: scribe_core::i18n::Lang) -> Result<bool> {
    let text = Msg::Stage(Stage::Queued).render(lang);
    let options = TextOptions::html().replying_to(job.message_id);
    let sent = ctx
        .telegram_backoff
        .run(
            |_| ctx.telegram.send_message(job.chat_id, &text, &options),
            |_| {},
        )
        .await;
    match sent {
        Ok(status) => {
            ctx.store
                .set_status_message(job.id, status.message_id)
                .await?;
            Ok(true)
        }
        Err(e) if e.retry() == Retry::Permanent => {
            tracing::warn!(error = %e, job_id = job.id, "user unreachable; failing the job");
            if let Some(released) = ctx
                .store
                .fail_job(job.id, Owner::Anyone, "undeliverable", &JobStats::default())
                .await?
            {
                ctx.metrics.balance("release", released);
            }
            ctx.metrics.job("undeliverable");
            Ok(false)
        }
        Err(e) => Err(e.into()),
    }
}
