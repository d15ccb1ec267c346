//! Media intake, fast: size check, the result cache (the same file with the same recognition
//! settings is answered at once, free), the job row with its balance hold (per-user and daily
//! limits checked in the same transaction), the status message whose id travels with the job, and
//! the job published to the jobs queue. A redelivered update finds its job and only finishes what
//! the first delivery left undone. The same intake serves private chats, `/t` in groups, a
//! group's auto mode and forwarded batches; only who pays and where answers go differ.

use scribe_core::billing::Package;
use scribe_core::i18n::{Label, Lang, Msg, Stage};
use scribe_core::retry::{Classify, Retry};
use scribe_core::telemetry::chain;
use scribe_core::time::now_secs;
use scribe_queue::{Message as QueueMessage, QueueName};
use scribe_store::{
    DailyCap, Intake, Job, JobPart, JobSource, JobState, JobStats, Keep, NewJob, Owner,
    TranscriptOwner, User,
};
use scribe_telegram::{InlineButton, InlineKeyboard, Media, TextOptions};

use crate::actions;
use crate::context::Context;
use crate::delivery::{self, Recipient};
use crate::error::Result;
use crate::messages::JobMessage;
use crate::pipeline::subtitles::Cue;
use crate::privacy;
use crate::recognition::Recognition;
use crate::replies::send_with;

/// Documents have no duration until probed; hold at most this much for them.
const UNKNOWN_DURATION_CAP_SECONDS: i64 = 6 * 3600;

/// Where a request came from, which decides who pays and how refusals are worded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Origin {
    /// The user's own private chat.
    Private,
    /// `/t` in a group: the member who asked pays; refusals are short and private-safe.
    Group,
    /// A group's auto mode: the sponsor pays within a daily cap; refusals are one notice a day.
    Auto(DailyCap),
}

/// One transcription asked for.
pub struct Request<'a> {
    /// Whose balance pays.
    pub payer: &'a User,
    /// Who asked, when not the payer.
    pub requested_by: Option<i64>,
    pub chat_id: i64,
    /// The message that asked (a redelivery of it finds its job).
    pub message_id: i64,
    /// The media message answers reply to, when not `message_id`.
    pub reply_to: Option<i64>,
    pub media: Media,
    pub update_id: i64,
    pub trace_id: &'a str,
    /// The language replies are in.
    pub lang: Lang,
    pub recognition: Recognition,
    pub origin: Origin,
    /// A forwarded batch's parts (their lengths add up to `media.duration`).
    pub parts: Vec<JobPart>,
    /// How long whoever owns the transcript keeps it; `None` when nothing may be kept (then
    /// nothing is served from a kept transcript either).
    pub keep: Option<Keep>,
}

impl<'a> Request<'a> {
    /// A user's media in their private chat, with their own settings.
    pub fn private(
        ctx: &Context,
        user: &'a User,
        update_id: i64,
        message_id: i64,
        media: Media,
        trace_id: &'a str,
    ) -> Request<'a> {
        Request {
            payer: user,
            requested_by: None,
            chat_id: user.id,
            message_id,
            reply_to: None,
            media,
            update_id,
            trace_id,
            lang: ctx.lang_of(user),
            recognition: Recognition::of_user(user),
            origin: Origin::Private,
            parts: Vec::new(),
            keep: privacy::keep(ctx, TranscriptOwner::User(user.id), user.retention_days),
        }
    }

    fn source(&self) -> JobSource {
        match (self.origin, self.parts.is_empty()) {
            (Origin::Private, true) => JobSource::Private,
            (Origin::Private, false) => JobSource::Batch,
            (Origin::Group, _) => JobSource::Command,
            (Origin::Auto(_), _) => JobSource::Auto,
        }
    }

    fn reply_target(&self) -> i64 {
        self.reply_to.unwrap_or(self.message_id)
    }

    fn new_job(&self, ctx: &Context) -> NewJob {
        NewJob {
            bot: ctx.bot.name.clone(),
            update_id: self.update_id,
            user_id: self.payer.id,
            chat_id: self.chat_id,
            message_id: self.message_id,
            media: self.media.clone(),
            trace_id: self.trace_id.to_owned(),
            unknown_duration_cap: UNKNOWN_DURATION_CAP_SECONDS,
            max_active: (!ctx.bot.is_admin(self.payer.id)).then_some(ctx.limits.max_active_jobs),
            source: self.source(),
            requested_by: self.requested_by,
            reply_to: self.reply_to,
            settings_key: self.recognition.key(),
            daily_cap: match self.origin {
                Origin::Auto(cap) => Some(cap),
                Origin::Private | Origin::Group => None,
            },
            parts: self.parts.clone(),
        }
    }
}

/// Takes in one request: answers it from the cache, refuses it with a reply, or starts a job.
pub async fn handle(ctx: &Context, request: Request<'_>) -> Result<()> {
    let limit = ctx.delivery.max_file_bytes;
    if request
        .media
        .file_size
        .is_some_and(|s| u64::try_from(s).unwrap_or(0) > limit)
    {
        ctx.metrics.job("too_large");
        let text = Msg::FileTooLarge {
            limit_mb: limit / (1024 * 1024),
        }
        .render(request.lang);
        return say(ctx, &request, &text, None).await;
    }
    if request.parts.is_empty() && request.keep.is_some() && from_cache(ctx, &request).await? {
        return Ok(());
    }
    let job = match ctx.store.create_job(&request.new_job(ctx)).await? {
        Intake::Created(job) => {
            ctx.metrics.balance("hold", job.held_seconds);
            tracing::info!(
                job_id = job.id,
                held = job.held_seconds,
                source = request.source().as_str(),
                "job created"
            );
            job
        }
        Intake::Existing(job) if job.state == JobState::Queued => job,
        Intake::Existing(_) => return Ok(()),
        refused => return refuse(ctx, &request, refused).await,
    };
    if job.status_message_id.is_none() && !send_status(ctx, &job, request.lang).await? {
        return Ok(());
    }
    publish(ctx, job.id, request.trace_id).await
}

/// The same file with the same settings was transcribed and is still kept: the transcript is
/// sent at once, nothing is held or charged, and the job row says it came from the cache.
async fn from_cache(ctx: &Context, request: &Request<'_>) -> Result<bool> {
    let key = request.recognition.key();
    let Some(kept) = ctx
        .store
        .cached_transcript(&request.media.file_unique_id, &key, now_secs())
        .await?
    else {
        return Ok(false);
    };
    let job = ctx
        .store
        .record_cached_job(&request.new_job(ctx), &kept, request.keep)
        .await?;
    ctx.metrics.job("cached");
    tracing::info!(
        job_id = job.id,
        from = kept.job_id,
        "answered from the cache"
    );
    let settings = request.payer.settings();
    let cues: Option<Vec<Cue>> = kept
        .cues
        .as_deref()
        .and_then(|c| serde_json::from_str(c).ok());
    let parts = delivery::plan(
        &kept.text,
        &settings,
        ctx.delivery.file_threshold_chars,
        request.lang,
        0,
        cues.as_deref(),
    );
    let buttons = actions::keyboard(job.id, request.lang);
    let last_text = parts.iter().rposition(delivery::Part::is_text);
    let recipient = Recipient {
        telegram: &ctx.telegram,
        backoff: ctx.telegram_backoff,
        chat_id: request.chat_id,
        reply_to: request.reply_target(),
        status_message_id: None,
    };
    for (i, part) in parts.iter().enumerate() {
        let keyboard = Some(&buttons).filter(|_| Some(i) == last_text);
        recipient.send(part, keyboard).await?;
    }
    Ok(true)
}

/// A refusal from the store, told where it belongs: the user in private; in a group, a short
/// reply that names no amount (balances are private) with a button to the bot; auto mode's
/// pause once a day.
async fn refuse(ctx: &Context, request: &Request<'_>, refused: Intake) -> Result<()> {
    let lang = request.lang;
    let (kind, text) = match (&refused, request.origin) {
        (Intake::TooMany { active }, _) => (
            "too_many",
            Msg::TooManyJobs { active: *active }.render(lang),
        ),
        (Intake::Insufficient { .. }, Origin::Group) => {
            ("insufficient", Msg::GroupTopUp.render(lang))
        }
        (Intake::Insufficient { .. } | Intake::OverCap { .. }, Origin::Auto(cap)) => {
            ctx.metrics.job("auto_paused");
            let day = scribe_store::epoch_day(now_secs());
            if !ctx.store.claim_auto_notice(cap.chat_id, day).await? {
                return Ok(());
            }
            let over_cap = matches!(refused, Intake::OverCap { .. });
            return say(
                ctx,
                request,
                &Msg::AutoPaused { over_cap }.render(lang),
                None,
            )
            .await;
        }
        (
            Intake::Insufficient {
                balance,
                needed: Some(needed),
            },
            Origin::Private,
        ) => {
            let package = Package::cheapest_covering(&ctx.billing.packages, needed - balance)
                .map(|p| (p.id.as_str(), p.minutes, p.stars));
            let text = Msg::Insufficient {
                balance: *balance,
                needed: *needed,
                package,
            }
            .render(lang);
            ("insufficient", text)
        }
        (Intake::Insufficient { needed: None, .. }, Origin::Private) => {
            ("insufficient", Msg::BalanceEmpty.render(lang))
        }
        (Intake::OverCap { .. }, _) | (Intake::Created(_) | Intake::Existing(_), _) => {
            return Ok(());
        }
    };
    ctx.metrics.job(kind);
    let button = (request.origin == Origin::Group).then(|| InlineKeyboard {
        inline_keyboard: vec![vec![InlineButton::link(
            Label::OpenBot.render(lang),
            ctx.me.start_link("topup"),
        )]],
    });
    say(ctx, request, &text, button).await
}

/// Replies to the request's message (in a group, as a reply to it).
async fn say(
    ctx: &Context,
    request: &Request<'_>,
    html: &str,
    keyboard: Option<InlineKeyboard>,
) -> Result<()> {
    let mut options = TextOptions::html();
    if request.origin != Origin::Private {
        options = options.replying_to(request.message_id);
    }
    options.reply_markup = keyboard;
    send_with(ctx, request.chat_id, html, &options).await
}

/// Publishes the job's message (intake, and the sweeper for a job whose message was lost) and
/// records when.
pub async fn publish(ctx: &Context, job_id: i64, trace_id: &str) -> Result<()> {
    ctx.queue
        .publish(
            QueueName::Jobs,
            QueueMessage {
                payload: JobMessage::Transcribe { job_id }.to_bytes(),
                trace_id: trace_id.to_owned(),
            },
        )
        .await?;
    ctx.store.mark_published(job_id).await?;
    Ok(())
}

/// Sends the "received, queued" message (replying to the media) and records its id. Returns
/// false when the chat can never be reached (blocked bot, removed from the group): the job is
/// failed and its hold released.
async fn send_status(ctx: &Context, job: &Job, lang: Lang) -> Result<bool> {
    let text = Msg::Stage(Stage::Queued).render(lang);
    let options = TextOptions::html().replying_to(job.reply_target());
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
            tracing::warn!(error = %chain(&e), job_id = job.id, "chat unreachable; failing the job");
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
