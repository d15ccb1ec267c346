//! Running one transcription job: claim the row (a finished job is acknowledged without work, a
//! stale one is taken over), keep a heartbeat, download → probe and analyse → set the hold to the
//! probed duration → recognise → format → deliver → charge. Failures release the whole hold; transient
//! ones go back to the queue with a delay until the attempts run out, then to the dead letters.

use std::path::Path;
use std::time::{Duration, Instant};

use scribe_audio as audio;
use scribe_core::billing::{Package, billable_seconds};
use scribe_core::i18n::{Lang, Msg, Stage};
use scribe_core::retry::{Classify, Retry};
use scribe_core::time::now_millis;
use scribe_queue::Delivery;
use scribe_store::{self as store, Claim, Job, JobStats, User};
use scribe_telegram::{self as telegram, TextOptions};
use tokio::sync::watch;
use tokio_util::sync::CancellationToken;
use tracing::Instrument;

use crate::alerts;
use crate::context::Context;
use crate::delivery::Recipient;
use crate::intake::TranscribeJob;
use crate::pipeline;
use crate::progress::{Progress, Target};

#[derive(Debug, thiserror::Error)]
enum Error {
    #[error("the file is larger than the Bot API serves")]
    TooLarge,
    #[error(transparent)]
    Pipeline(#[from] pipeline::Error),
    #[error("balance too low: {balance} s, needs {needed} s")]
    Insufficient { balance: i64, needed: i64 },
    #[error(transparent)]
    Telegram(#[from] telegram::Error),
    #[error(transparent)]
    Store(#[from] store::Error),
    #[error("audio work directory error")]
    Io(#[source] std::io::Error),
    #[error("shutting down")]
    Interrupted,
    #[error("another worker took the job over")]
    TakenOver,
}

impl From<audio::Error> for Error {
    fn from(e: audio::Error) -> Self {
        Error::Pipeline(pipeline::Error::Audio(e))
    }
}

/// What becomes of a failed job.
enum Verdict {
    /// Try again later (if attempts remain).
    Transient,
    /// Fail now and tell the user.
    Permanent,
}

impl Error {
    /// Result label for metrics and the job row.
    fn kind(&self) -> &'static str {
        match self {
            Error::TooLarge => "too_large",
            Error::Pipeline(pipeline::Error::Audio(audio::Error::Undecodable { .. })) => {
                "undecodable"
            }
            Error::Pipeline(pipeline::Error::Audio(audio::Error::NoAudio)) => "no_audio",
            Error::Pipeline(pipeline::Error::Audio(
                audio::Error::Spawn { .. } | audio::Error::Io(_),
            )) => "internal",
            Error::Pipeline(pipeline::Error::Io(_)) | Error::Io(_) => "internal",
            Error::Pipeline(pipeline::Error::Asr(_)) => "provider",
            Error::Pipeline(pipeline::Error::NoSpeech) => "no_speech",
            Error::Insufficient { .. } => "insufficient",
            Error::Telegram(_) => "telegram",
            Error::Store(_) => "store",
            Error::Interrupted => "interrupted",
            Error::TakenOver => "taken_over",
        }
    }

    fn verdict(&self) -> Verdict {
        let transient = match self {
            Error::Pipeline(pipeline::Error::Asr(e)) => {
                matches!(e.retry(), Retry::Transient { .. })
            }
            Error::Telegram(e) => matches!(e.retry(), Retry::Transient { .. }),
            Error::Store(e) => e.is_unavailable(),
            // A missing ffmpeg or a full disk is the deployment's fault, not the file's.
            Error::Pipeline(pipeline::Error::Audio(
                audio::Error::Spawn { .. } | audio::Error::Io(_),
            ))
            | Error::Pipeline(pipeline::Error::Io(_))
            | Error::Io(_) => true,
            Error::TooLarge
            | Error::Pipeline(pipeline::Error::Audio(
                audio::Error::Undecodable { .. } | audio::Error::NoAudio,
            ))
            | Error::Pipeline(pipeline::Error::NoSpeech)
            | Error::Insufficient { .. } => false,
            Error::Interrupted | Error::TakenOver => true,
        };
        if transient {
            Verdict::Transient
        } else {
            Verdict::Permanent
        }
    }

    fn user_message(&self, ctx: &Context, lang: Lang) -> String {
        match self {
            Error::TooLarge => Msg::FileTooLarge {
                limit_mb: ctx.delivery.max_file_bytes / (1024 * 1024),
            }
            .render(lang),
            Error::Pipeline(pipeline::Error::Audio(audio::Error::Undecodable { .. })) => {
                Msg::CouldNotDecode.render(lang)
            }
            Error::Pipeline(pipeline::Error::Audio(audio::Error::NoAudio)) => {
                Msg::NoAudioTrack.render(lang)
            }
            Error::Pipeline(pipeline::Error::NoSpeech) => Msg::NoSpeech.render(lang),
            Error::Pipeline(pipeline::Error::Asr(_)) => Msg::ProviderUnavailable.render(lang),
            Error::Insufficient { balance, needed } => {
                let package = Package::cheapest_covering(&ctx.billing.packages, needed - balance)
                    .map(|p| (p.id.as_str(), p.minutes, p.stars));
                Msg::Insufficient {
                    balance: *balance,
                    needed: *needed,
                    package,
                }
                .render(lang)
            }
            _ => Msg::InternalError.render(lang),
        }
    }
}

/// Handles one delivery of the jobs queue and finishes it. `hard_stop` fires when the shutdown
/// grace period is over: the job is then handed back to the queue.
pub async fn handle(ctx: &Context, delivery: Delivery, hard_stop: CancellationToken) {
    let Ok(message) = serde_json::from_slice::<TranscribeJob>(&delivery.payload) else {
        tracing::error!("job message is not valid; dead-lettering it");
        ctx.metrics.dead_letters.inc();
        finish(delivery.dead_letter().await);
        return;
    };
    let span = tracing::info_span!("job", bot = %ctx.bot.name, job_id = message.job_id, trace_id = %delivery.trace_id);
    async move {
        let stale_before =
            now_millis() - i64::try_from(ctx.jobs.stale_after.as_millis()).unwrap_or(i64::MAX);
        match ctx
            .store
            .claim_job(message.job_id, &ctx.worker_id, stale_before)
            .await
        {
            Ok(Claim::Run(job)) => run(ctx, job, delivery, hard_stop).await,
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
                tracing::warn!(%error, "store unavailable; job will be retried");
                finish(delivery.retry_later(Duration::from_secs(5)).await);
            }
        }
    }
    .instrument(span)
    .await;
}

fn finish(result: scribe_queue::Result<()>) {
    if let Err(error) = result {
        tracing::warn!(%error, "could not finish the delivery; the broker will redeliver");
    }
}

struct InFlight<'a>(&'a Context);

impl Drop for InFlight<'_> {
    fn drop(&mut self) {
        self.0.metrics.jobs_in_flight.dec();
    }
}

async fn run(ctx: &Context, job: Job, delivery: Delivery, hard_stop: CancellationToken) {
    ctx.metrics.jobs_in_flight.inc();
    let _in_flight = InFlight(ctx);
    if job.attempts == 1 {
        ctx.metrics
            .queue_wait_seconds
            .get_or_create(&[("queue", "jobs")])
            .observe(delivery.waited_seconds());
    }
    let user = match ctx.store.user(job.user_id).await {
        Ok(Some(u)) => u,
        Ok(None) | Err(_) => {
            let _ = ctx.store.requeue_job(job.id, &ctx.worker_id).await;
            finish(delivery.retry_later(Duration::from_secs(5)).await);
            return;
        }
    };
    let lang = ctx.lang_of(&user);
    let shown = Progress::start(Target {
        telegram: ctx.telegram.clone(),
        metrics: ctx.metrics.clone(),
        throttle: ctx.throttle.clone(),
        interval: ctx.delivery.progress_interval,
        chat_id: job.chat_id,
        message_id: job.status_message_id,
        lang,
    });
    let stages = shown.sender().clone();
    // Delivery takes it out to finish it first, so no late progress edit lands on the result.
    let mut progress = Some(shown);
    let taken_over = CancellationToken::new();
    let heartbeat = tokio::spawn(
        heartbeat(ctx.clone(), job.id, taken_over.clone()).instrument(tracing::Span::current()),
    );
    let started = Instant::now();
    let result = tokio::select! {
        r = process(ctx, &job, &user, lang, &stages, &mut progress) => r,
        () = hard_stop.cancelled() => Err(Error::Interrupted),
        () = taken_over.cancelled() => Err(Error::TakenOver),
    };
    heartbeat.abort();
    if let Some(p) = progress.take() {
        p.finish().await;
    }
    match result {
        Ok(mut stats) => {
            stats.total_ms = Some(i64::try_from(started.elapsed().as_millis()).unwrap_or(i64::MAX));
            ctx.metrics.stage("total", started.elapsed().as_secs_f64());
            completed(ctx, &job, &user, lang, stats, delivery).await;
        }
        Err(error) => failed(ctx, &job, lang, error, delivery).await,
    }
}

async fn heartbeat(ctx: Context, job_id: i64, taken_over: CancellationToken) {
    let mut tick = tokio::time::interval(ctx.jobs.heartbeat);
    tick.tick().await;
    loop {
        tick.tick().await;
        match ctx.store.heartbeat(job_id, &ctx.worker_id).await {
            Ok(true) => {}
            Ok(false) => {
                tracing::warn!("job was taken over by another worker; stopping");
                taken_over.cancel();
                return;
            }
            Err(error) => tracing::warn!(%error, "heartbeat failed"),
        }
    }
}

fn millis(since: Instant) -> i64 {
    i64::try_from(since.elapsed().as_millis()).unwrap_or(i64::MAX)
}

async fn process(
    ctx: &Context,
    job: &Job,
    user: &User,
    lang: Lang,
    stages: &watch::Sender<Stage>,
    progress: &mut Option<Progress>,
) -> Result<JobStats, Error> {
    stages.send_replace(Stage::Downloading);
    let started = Instant::now();
    let work = tempfile::Builder::new()
        .prefix("scribe-download-")
        .tempdir_in(&ctx.pipeline.config().temp_dir)
        .map_err(Error::Io)?;
    let input = download(ctx, job, work.path()).await?;
    let download_ms = millis(started);
    ctx.metrics
        .stage("download", started.elapsed().as_secs_f64());

    stages.send_replace(Stage::Preparing);
    let started = Instant::now();
    let probe = audio::probe(input.path()).await?;
    let analysis = ctx.pipeline.analyse(input.path(), &probe).await?;
    hold_probed(ctx, job, analysis.duration).await?;
    let prepare_ms = millis(started);
    let recognised = ctx
        .pipeline
        .recognise(
            input.path(),
            &probe,
            &analysis,
            user.asr_language.as_deref(),
            stages,
        )
        .await?;
    drop(work);

    stages.send_replace(Stage::Formatting);
    let formatted = ctx.pipeline.format(&recognised.text).await;

    stages.send_replace(Stage::Sending);
    if let Some(p) = progress.take() {
        p.finish().await;
    }
    let started = Instant::now();
    let settings = user.settings();
    let recipient = Recipient {
        telegram: &ctx.telegram,
        backoff: ctx.telegram_backoff,
        chat_id: job.chat_id,
        reply_to: job.message_id,
        status_message_id: job.status_message_id,
        lang,
        settings: &settings,
        file_threshold_chars: ctx.delivery.file_threshold_chars,
        audio_seconds: billable_seconds(analysis.duration),
    };
    let sent = recipient.deliver(&formatted.text).await?;
    ctx.metrics
        .stage("deliver", started.elapsed().as_secs_f64());
    tracing::info!(chunks = recognised.chunks, formatter = %formatted.formatter, sent = sent.as_str(), "job delivered");
    Ok(JobStats {
        audio_seconds: Some(billable_seconds(analysis.duration)),
        chunks: i64::try_from(recognised.chunks).ok(),
        formatter: Some(formatted.formatter),
        download_ms: Some(download_ms),
        prepare_ms: Some(prepare_ms),
        asr_ms: Some(recognised.asr_ms),
        llm_ms: Some(formatted.llm_ms),
        deliver_ms: Some(millis(started)),
        total_ms: None,
    })
}

/// Fetches the file (or finds it on a local Bot API server's disk).
async fn download(ctx: &Context, job: &Job, dir: &Path) -> Result<telegram::Downloaded, Error> {
    let file = ctx
        .telegram_backoff
        .run(|_| ctx.telegram.get_file(&job.file_id), |_| {})
        .await
        .map_err(|e| {
            if e.is_file_too_big() {
                Error::TooLarge
            } else {
                Error::Telegram(e)
            }
        })?;
    if file
        .file_size
        .is_some_and(|s| u64::try_from(s).unwrap_or(0) > ctx.delivery.max_file_bytes)
    {
        return Err(Error::TooLarge);
    }
    let Some(path) = file.file_path else {
        return Err(Error::TooLarge);
    };
    let dest = dir.join("input");
    Ok(ctx
        .telegram_backoff
        .run(|_| ctx.telegram.download(&path, &dest), |_| {})
        .await?)
}

/// Makes the job's hold exactly the probed duration.
async fn hold_probed(ctx: &Context, job: &Job, duration: f64) -> Result<(), Error> {
    let seconds = billable_seconds(duration);
    match ctx.store.set_job_hold(job.id, seconds).await {
        Ok(()) => Ok(()),
        Err(store::Error::Insufficient { balance, .. }) => {
            let held = ctx.store.job(job.id).await?.map_or(0, |j| j.held_seconds);
            Err(Error::Insufficient {
                balance: balance + held,
                needed: seconds,
            })
        }
        Err(e) => Err(e.into()),
    }
}

async fn completed(
    ctx: &Context,
    job: &Job,
    user: &User,
    lang: Lang,
    stats: JobStats,
    delivery: Delivery,
) {
    match ctx.store.complete_job(job.id, &stats).await {
        Ok(charged) => {
            ctx.metrics.job("done");
            ctx.metrics.balance("settle", charged);
            ctx.metrics
                .audio_seconds
                .inc_by(u64::try_from(charged).unwrap_or(0));
            tracing::info!(charged, "job done");
            alerts::job_succeeded(ctx).await;
        }
        Err(error) => {
            // Delivered but not recorded: redelivery finds the job running with our stale
            // heartbeat and runs it again; better twice delivered than delivered and unpaid.
            tracing::error!(%error, "could not record the finished job");
            finish(delivery.retry_later(ctx.jobs.stale_after).await);
            return;
        }
    }
    finish(delivery.ack().await);
    if let Ok(Some(now)) = ctx.store.user(user.id).await
        && now.balance < ctx.billing.low_balance_seconds
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

async fn failed(ctx: &Context, job: &Job, lang: Lang, error: Error, delivery: Delivery) {
    let kind = error.kind();
    match (&error, error.verdict()) {
        (Error::Interrupted, _) => {
            tracing::info!("interrupted by shutdown; handing the job back");
            let _ = ctx.store.requeue_job(job.id, &ctx.worker_id).await;
            finish(delivery.requeue().await);
            return;
        }
        (Error::TakenOver, _) => {
            finish(delivery.ack().await);
            return;
        }
        (_, Verdict::Transient) if job.attempts < i64::from(ctx.jobs.max_attempts) => {
            let delay = ctx
                .jobs
                .retry_delay(u32::try_from(job.attempts).unwrap_or(u32::MAX));
            tracing::warn!(%error, attempt = job.attempts, delay_s = delay.as_secs(), "job failed; retrying later");
            ctx.metrics.job_retries.inc();
            let _ = ctx.store.requeue_job(job.id, &ctx.worker_id).await;
            show(
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
        _ => {}
    }
    let dead = matches!(error.verdict(), Verdict::Transient);
    if dead {
        tracing::error!(%error, attempts = job.attempts, "job failed after its last attempt");
    } else {
        tracing::info!(%error, "job failed");
    }
    match ctx.store.fail_job(job.id, kind, &JobStats::default()).await {
        Ok(released) => {
            ctx.metrics.job(kind);
            ctx.metrics.balance("release", released.unwrap_or(0));
        }
        Err(e) => {
            tracing::error!(error = %e, "could not record the failed job; retrying");
            finish(delivery.retry_later(Duration::from_secs(30)).await);
            return;
        }
    }
    show(ctx, job, &error.user_message(ctx, lang)).await;
    if dead {
        ctx.metrics.dead_letters.inc();
        alerts::job_failed(ctx, kind).await;
        if kind == "provider" {
            alerts::provider_down(ctx, job).await;
        }
        finish(delivery.dead_letter().await);
    } else {
        finish(delivery.ack().await);
    }
}

/// Puts `html` into the job's status message (or a new message).
async fn show(ctx: &Context, job: &Job, html: &str) {
    let options = TextOptions::html();
    let edited = match job.status_message_id {
        Some(id) => {
            ctx.telegram
                .edit_message_text(job.chat_id, id, html, &options)
                .await
        }
        None => Err(telegram::Error::Status {
            method: "editMessageText",
            status: 404,
        }),
    };
    if edited.is_err()
        && let Err(e) = ctx
            .telegram
            .send_message(job.chat_id, html, &options.replying_to(job.message_id))
            .await
    {
        ctx.metrics.telegram_error("sendMessage", e.kind());
    }
}
