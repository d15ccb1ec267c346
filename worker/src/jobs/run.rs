//! One attempt at a claimed job: download → probe and analyse → set the hold to the decoded
//! length → recognise → format → keep the text with the job → deliver it part by part → charge.
//! A job found `delivering` (its worker died while sending) skips straight to sending what is
//! missing. The attempt runs under a deadline, with a heartbeat that lives exactly as long as
//! the attempt (a panic ends both), and stops when the job is taken over or the process must
//! hand it back.

use std::future::Future;
use std::panic::AssertUnwindSafe;
use std::path::Path;
use std::time::{Duration, Instant};

use futures::FutureExt;
use scribe_audio::Analysis;
use scribe_core::billing::billable_seconds;
use scribe_core::i18n::date_time;
use scribe_core::i18n::{Lang, Stage};
use scribe_core::telemetry::chain;
use scribe_queue::Delivery;
use scribe_store::{
    self as store, Job, JobState, JobStats, Keep, TranscriptOwner, User, UserSettings,
};
use scribe_telegram as telegram;
use tokio::sync::watch;
use tokio_util::sync::CancellationToken;

use super::error::Error;
use super::outcome;
use crate::actions;
use crate::context::Context;
use crate::delivery::{self, Recipient};
use crate::glossary::Glossary;
use crate::pipeline::subtitles::Cue;
use crate::pipeline::{self, Hints};
use crate::privacy;
use crate::progress::{Progress, Target};
use crate::recognition::Recognition;

fn millis(since: Instant) -> i64 {
    i64::try_from(since.elapsed().as_millis()).unwrap_or(i64::MAX)
}

struct InFlight<'a>(&'a Context);

impl Drop for InFlight<'_> {
    fn drop(&mut self) {
        self.0.metrics.jobs_in_flight.dec();
    }
}

pub(super) async fn run(ctx: &Context, job: Job, delivery: Delivery, hard_stop: CancellationToken) {
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
        found => {
            if let Err(e) = &found {
                tracing::warn!(error = %chain(e), "job's user not read; retrying the job");
            } else {
                tracing::warn!(
                    user_id = job.user_id,
                    "job's user not found; retrying the job"
                );
            }
            if let Err(e) = ctx.store.requeue_job(job.id, &ctx.worker_id).await {
                tracing::warn!(error = %chain(&e), "could not hand the job back");
            }
            super::finish(delivery.retry_later(Duration::from_secs(5)).await);
            return;
        }
    };
    let lang = ctx.lang_of(&user);
    let progress = (job.state == JobState::Running).then(|| {
        Progress::start(Target {
            telegram: ctx.telegram.clone(),
            metrics: ctx.metrics.clone(),
            throttle: ctx.throttle.clone(),
            interval: ctx.delivery.progress_interval,
            chat_id: job.chat_id,
            message_id: job.status_message_id,
            lang,
        })
    });
    let started = Instant::now();
    let attempt = async {
        match job.state {
            JobState::Delivering => resume(ctx, &job, &user, lang).await,
            _ => process(ctx, &job, &user, lang, progress).await,
        }
    };
    // The heartbeat is polled by this task, not spawned: whatever ends the attempt (success,
    // error, panic, shutdown) ends the heartbeat with it.
    let result = tokio::select! {
        r = AssertUnwindSafe(attempt).catch_unwind() => r.unwrap_or_else(|panic| {
            let what = panic
                .downcast_ref::<&str>()
                .map(|s| (*s).to_owned())
                .or_else(|| panic.downcast_ref::<String>().cloned())
                .unwrap_or_default();
            Err(Error::Panicked(what))
        }),
        () = hard_stop.cancelled() => Err(Error::Interrupted),
        taken = heartbeat(ctx, job.id) => Err(taken),
    };
    match result {
        Ok(mut stats) => {
            stats.total_ms = Some(millis(started));
            ctx.metrics.stage("total", started.elapsed().as_secs_f64());
            match keep_for(ctx, &job, &user).await {
                Ok(keep) => outcome::completed(ctx, &job, &user, lang, stats, keep, delivery).await,
                Err(error) => outcome::failed(ctx, &job, lang, error, delivery).await,
            }
        }
        Err(error) => outcome::failed(ctx, &job, lang, error, delivery).await,
    }
}

/// Beats until the job is not ours any more; then says so.
async fn heartbeat(ctx: &Context, job_id: i64) -> Error {
    let mut tick = tokio::time::interval(ctx.jobs.heartbeat);
    tick.tick().await;
    loop {
        tick.tick().await;
        match ctx.store.heartbeat(job_id, &ctx.worker_id).await {
            Ok(true) => {}
            Ok(false) => {
                tracing::warn!("job was taken over or finished by someone else; stopping");
                return Error::TakenOver;
            }
            Err(error) => tracing::warn!(error = %chain(&error), "heartbeat failed"),
        }
    }
}

/// `fut`, or [`Error::Deadline`] once `limit` has passed.
async fn within<T>(
    limit: Duration,
    fut: impl Future<Output = Result<T, Error>>,
) -> Result<T, Error> {
    tokio::time::timeout(limit, fut)
        .await
        .unwrap_or(Err(Error::Deadline(limit)))
}

/// One input of a job: its file, and for a batch part the heading its text gets.
struct Piece {
    file_id: String,
    heading: Option<String>,
}

/// A single job's one file, or a batch's parts in order.
async fn pieces(ctx: &Context, job: &Job) -> Result<Vec<Piece>, Error> {
    let parts = ctx.store.job_parts(job.id).await?;
    if parts.is_empty() {
        return Ok(vec![Piece {
            file_id: job.file_id.clone(),
            heading: None,
        }]);
    }
    Ok(parts
        .into_iter()
        .map(|part| Piece {
            file_id: part.file_id,
            heading: Some(format!("{} · {}", part.sender, date_time(part.sent_at))),
        })
        .collect())
}

/// A piece, downloaded and measured.
struct Measured {
    input: telegram::Downloaded,
    analysis: Analysis,
}

async fn process(
    ctx: &Context,
    job: &Job,
    user: &User,
    lang: Lang,
    progress: Option<Progress>,
) -> Result<JobStats, Error> {
    let Some(progress) = progress else {
        return Err(Error::Io(std::io::Error::other("no progress display")));
    };
    let stages = progress.sender().clone();
    let work = tempfile::Builder::new()
        .prefix("scribe-job-")
        .tempdir_in(&ctx.pipeline.config().temp_dir)
        .map_err(Error::Io)?;
    // Ends every subprocess of this attempt when the attempt ends, however it ends.
    let cancel = CancellationToken::new();
    let _cancel_on_exit = cancel.clone().drop_guard();
    let pieces = pieces(ctx, job).await?;
    let subtitles = pieces.len() == 1 && Recognition::from_key(&job.settings_key).subtitles;

    let started = Instant::now();
    let measured =
        measure_and_hold(ctx, job, &pieces, work.path(), subtitles, &stages, &cancel).await?;
    let seconds = measured.seconds;
    let (download_ms, prepare_ms) = (measured.download_ms, millis(started) - measured.download_ms);
    let measured = measured.pieces;

    // Now the deadline follows the decoded length.
    let deadline = ctx.jobs.deadline(seconds);
    let started = Instant::now();
    let heard = within(
        deadline,
        recognise(ctx, job, user, &measured, &stages, &cancel),
    )
    .await?;
    let asr_ms = millis(started);
    drop(work);
    if heard.texts.iter().all(|t| t.is_none()) {
        return Err(Error::Pipeline(pipeline::Error::NoSpeech));
    }
    stages.send_replace(Stage::Formatting);
    let started = Instant::now();
    let (text, formatter) = format_all(ctx, &pieces, &heard, deadline).await;
    let llm_ms = millis(started);

    stages.send_replace(Stage::Sending);
    progress.finish().await;
    begin_delivery(ctx, job, &text, heard.cues.as_deref()).await?;
    let audio_seconds = billable_seconds(seconds);
    let started = Instant::now();
    let result = Delivered {
        text: &text,
        cues: heard.cues.as_deref(),
        audio_seconds,
    };
    within(deadline, send(ctx, job, user, lang, &result, 0)).await?;
    ctx.metrics
        .stage("deliver", started.elapsed().as_secs_f64());
    tracing::info!(pieces = pieces.len(), formatter = %formatter, subtitles = heard.cues.is_some(), "job delivered");
    Ok(JobStats {
        audio_seconds: Some(audio_seconds),
        chunks: i64::try_from(heard.chunks).ok(),
        formatter: Some(formatter),
        download_ms: Some(download_ms),
        prepare_ms: Some(prepare_ms),
        asr_ms: Some(asr_ms),
        llm_ms: Some(llm_ms),
        deliver_ms: Some(millis(started)),
        total_ms: None,
    })
}

/// Records the text (and cues) about to go out, while this worker still owns the job: a
/// takeover from here on delivers what was recorded instead of recognising again.
async fn begin_delivery(
    ctx: &Context,
    job: &Job,
    text: &str,
    cues: Option<&[Cue]>,
) -> Result<(), Error> {
    let cues_json = cues.map(|c| serde_json::to_string(c).unwrap_or_default());
    if ctx
        .store
        .begin_delivery(job.id, &ctx.worker_id, text, cues_json.as_deref())
        .await?
    {
        Ok(())
    } else {
        Err(Error::TakenOver)
    }
}

/// Every piece downloaded and measured, and the job's hold made their decoded length.
struct MeasuredJob {
    pieces: Vec<Option<Measured>>,
    /// What is billed: the decoded length of every piece with sound in it.
    seconds: f64,
    download_ms: i64,
}

/// Downloads and measures the pieces (before the real length is known, the deadline follows
/// what the files claim), then holds the decoded length.
async fn measure_and_hold(
    ctx: &Context,
    job: &Job,
    pieces: &[Piece],
    dir: &Path,
    full: bool,
    stages: &watch::Sender<Stage>,
    cancel: &CancellationToken,
) -> Result<MeasuredJob, Error> {
    let started = Instant::now();
    let measured = within(
        ctx.jobs.deadline(job.reported_seconds as f64),
        measure(ctx, pieces, dir, full, stages, cancel),
    )
    .await?;
    let download_ms = millis(started);
    let seconds: f64 = measured.iter().flatten().map(|m| m.analysis.seconds).sum();
    if seconds <= 0.0 {
        return Err(Error::Pipeline(pipeline::Error::NoSpeech));
    }
    hold_decoded(ctx, job, seconds).await?;
    Ok(MeasuredJob {
        pieces: measured,
        seconds,
        download_ms,
    })
}

/// What the recogniser heard: each piece's text (`None`: no speech), a subtitle job's cues, and
/// the glossary the formatter is to spell.
struct Heard {
    texts: Vec<Option<String>>,
    cues: Option<Vec<Cue>>,
    glossary: Glossary,
    /// Requests the recogniser got (chunks, or subtitle segments).
    chunks: usize,
}

/// Recognises every measured piece with the job's settings: a single file with subtitles
/// segment by segment, anything else chunk by chunk.
async fn recognise(
    ctx: &Context,
    job: &Job,
    user: &User,
    measured: &[Option<Measured>],
    stages: &watch::Sender<Stage>,
    cancel: &CancellationToken,
) -> Result<Heard, Error> {
    let recognition = recognition_of(ctx, job, user).await?;
    let context = recognition.glossary.context();
    let hints = Hints {
        language: recognition.language.as_deref(),
        context: context.as_deref(),
    };
    let (texts, cues, chunks) = match measured {
        [Some(only)] if recognition.subtitles => {
            let subtitled = ctx
                .pipeline
                .subtitles(only.input.path(), &only.analysis, hints, stages, cancel)
                .await
                .map_err(Error::Pipeline)?;
            let requests = subtitled.requests;
            (vec![Some(subtitled.text)], Some(subtitled.cues), requests)
        }
        _ => {
            let recognised = recognise_all(ctx, measured, hints, stages, cancel).await?;
            let chunks = recognised.iter().flatten().map(|r| r.chunks).sum();
            let texts = recognised.into_iter().map(|r| r.map(|r| r.text)).collect();
            (texts, None, chunks)
        }
    };
    Ok(Heard {
        texts,
        cues,
        glossary: recognition.glossary,
        chunks,
    })
}

/// Formats every piece's text through the chain, all at once; returns the delivered text and
/// the formatter recorded with the job. Past `limit` (a model answering slower than the job's
/// deadline allows) the recognised text goes out as it is.
async fn format_all(
    ctx: &Context,
    pieces: &[Piece],
    heard: &Heard,
    limit: Duration,
) -> (String, String) {
    let glossary = heard.glossary.entries();
    let chain = futures::future::join_all(heard.texts.iter().map(|t| async move {
        match t {
            Some(text) => Some(ctx.pipeline.format(text, glossary).await),
            None => None,
        }
    }));
    let formatted = match tokio::time::timeout(limit, chain).await {
        Ok(formatted) => formatted,
        Err(_) => {
            tracing::warn!(
                ?limit,
                "formatting ran past the job's deadline; the raw text goes out"
            );
            let raw = |text: &String| pipeline::Formatted {
                text: text.clone(),
                formatter: pipeline::RAW.to_owned(),
                llm_ms: 0,
            };
            heard.texts.iter().map(|t| t.as_ref().map(raw)).collect()
        }
    };
    let formatter = formatted
        .iter()
        .flatten()
        .map(|f| f.formatter.clone())
        .next()
        .unwrap_or_default();
    (assemble(pieces, &formatted), formatter)
}

/// The job's recognition settings: language and subtitles from its settings key, the glossary
/// of whoever owns its transcript (the group's in a group) as it is now.
async fn recognition_of(ctx: &Context, job: &Job, user: &User) -> Result<Recognition, Error> {
    let glossary = if job.chat_id == user.id {
        user.glossary.clone()
    } else {
        ctx.store.group(job.chat_id).await?.glossary
    };
    Ok(Recognition {
        glossary: Glossary::parse(&glossary),
        ..Recognition::from_key(&job.settings_key)
    })
}

/// Downloads and measures every piece at once (`full`: from a decode of all of it, as
/// subtitles need); a silent piece is `None` (nothing to bill or recognise). A single silent
/// file fails the job as "no speech".
async fn measure(
    ctx: &Context,
    pieces: &[Piece],
    dir: &Path,
    full: bool,
    stages: &watch::Sender<Stage>,
    cancel: &CancellationToken,
) -> Result<Vec<Option<Measured>>, Error> {
    stages.send_replace(Stage::Downloading);
    let downloads = futures::future::join_all(pieces.iter().enumerate().map(|(i, piece)| {
        let dest = dir.join(format!("input{i:02}"));
        async move { download(ctx, &piece.file_id, &dest).await }
    }))
    .await;
    stages.send_replace(Stage::Preparing);
    let mut measured = Vec::with_capacity(pieces.len());
    for input in downloads {
        let input = input?;
        let analysis = ctx.pipeline.analyse(input.path(), full, cancel).await?;
        if analysis.is_silent() && pieces.len() == 1 {
            return Err(Error::Pipeline(pipeline::Error::NoSpeech));
        }
        measured.push((!analysis.is_silent()).then_some(Measured { input, analysis }));
    }
    Ok(measured)
}

/// Recognises every piece with sound at once (the provider budget decides how many requests
/// really go out together); a piece whose text is no speech is `None`.
async fn recognise_all(
    ctx: &Context,
    measured: &[Option<Measured>],
    hints: Hints<'_>,
    stages: &watch::Sender<Stage>,
    cancel: &CancellationToken,
) -> Result<Vec<Option<pipeline::Recognised>>, Error> {
    let results = futures::future::join_all(measured.iter().map(|piece| async move {
        let Some(piece) = piece else {
            return Ok(None);
        };
        match ctx
            .pipeline
            .recognise(piece.input.path(), &piece.analysis, hints, stages, cancel)
            .await
        {
            Ok(recognised) => Ok(Some(recognised)),
            Err(pipeline::Error::NoSpeech) => Ok(None),
            Err(e) => Err(Error::Pipeline(e)),
        }
    }))
    .await;
    results.into_iter().collect()
}

/// The delivered text: a single file's text, or each batch part under its heading, in order.
fn assemble(pieces: &[Piece], formatted: &[Option<pipeline::Formatted>]) -> String {
    if let ([piece], [Some(only)]) = (pieces, formatted)
        && piece.heading.is_none()
    {
        return only.text.clone();
    }
    pieces
        .iter()
        .zip(formatted)
        .map(|(piece, text)| {
            let body = text.as_ref().map_or("—", |f| f.text.as_str());
            match &piece.heading {
                Some(heading) => format!("{heading}\n{body}"),
                None => body.to_owned(),
            }
        })
        .collect::<Vec<_>>()
        .join("\n\n")
}

/// A job whose worker died while sending: send what is missing, nothing twice.
async fn resume(ctx: &Context, job: &Job, user: &User, lang: Lang) -> Result<JobStats, Error> {
    let text = job.result_text.as_deref().unwrap_or_default();
    let cues: Option<Vec<Cue>> = job
        .result_cues
        .as_deref()
        .and_then(|c| serde_json::from_str(c).ok());
    let audio_seconds = job.held_seconds;
    let already = usize::try_from(job.delivered_parts).unwrap_or(0);
    tracing::info!(already, "resuming an interrupted delivery");
    let started = Instant::now();
    let result = Delivered {
        text,
        cues: cues.as_deref(),
        audio_seconds,
    };
    within(
        ctx.jobs.deadline(audio_seconds as f64),
        send(ctx, job, user, lang, &result, already),
    )
    .await?;
    Ok(JobStats {
        audio_seconds: Some(audio_seconds),
        deliver_ms: Some(millis(started)),
        ..JobStats::default()
    })
}

/// What a job delivers.
struct Delivered<'a> {
    text: &'a str,
    cues: Option<&'a [Cue]>,
    audio_seconds: i64,
}

/// Sends the parts of the result from `from` on, recording each one as it goes out. When the
/// transcript will be kept, its last text part carries the action buttons.
async fn send(
    ctx: &Context,
    job: &Job,
    user: &User,
    lang: Lang,
    result: &Delivered<'_>,
    from: usize,
) -> Result<(), Error> {
    let settings = delivery_settings(ctx, job, user).await?;
    let parts = delivery::plan(
        result.text,
        &settings,
        ctx.delivery.file_threshold_chars,
        lang,
        result.audio_seconds,
        result.cues,
    );
    let buttons = keep_for(ctx, job, user)
        .await?
        .map(|_| actions::keyboard(job.id, lang));
    let last_text = parts.iter().rposition(delivery::Part::is_text);
    let recipient = Recipient {
        telegram: &ctx.telegram,
        backoff: ctx.telegram_backoff,
        chat_id: job.chat_id,
        reply_to: job.reply_target(),
        status_message_id: job.status_message_id,
    };
    for (i, part) in parts.iter().enumerate().skip(from) {
        let keyboard = buttons.as_ref().filter(|_| Some(i) == last_text);
        recipient.send(part, keyboard).await?;
        let sent = i64::try_from(i + 1).unwrap_or(i64::MAX);
        if !ctx.store.delivered(job.id, &ctx.worker_id, sent).await? {
            return Err(Error::TakenOver);
        }
    }
    tracing::debug!(shape = delivery::shape(&parts), parts = parts.len(), "sent");
    Ok(())
}

/// How the text goes out: the user's own settings in private; in a group, the group's way with
/// long text (code and ё as by default: one member's taste is not the group's).
async fn delivery_settings(ctx: &Context, job: &Job, user: &User) -> Result<UserSettings, Error> {
    if job.chat_id == user.id {
        return Ok(user.settings());
    }
    let group = ctx.store.group(job.chat_id).await?;
    Ok(UserSettings {
        asr_language: group.asr_language,
        code_output: false,
        keep_yo: true,
        long_output: group.long_output,
        subtitles: group.subtitles,
    })
}

/// Who keeps a job's text, and for how long: the group for a group's job, else the
/// user. `None` when nothing is kept.
async fn keep_for(ctx: &Context, job: &Job, user: &User) -> Result<Option<Keep>, Error> {
    if job.chat_id == user.id {
        return Ok(privacy::keep(
            ctx,
            TranscriptOwner::User(user.id),
            user.retention_days,
        ));
    }
    let group = ctx.store.group(job.chat_id).await?;
    Ok(privacy::keep(
        ctx,
        TranscriptOwner::Chat(job.chat_id),
        group.retention_days,
    ))
}

/// Fetches a file into `dest` (or finds it on a local Bot API server's disk).
async fn download(
    ctx: &Context,
    file_id: &str,
    dest: &Path,
) -> Result<telegram::Downloaded, Error> {
    let file = ctx
        .telegram_backoff
        .run(|_| ctx.telegram.get_file(file_id), |_| {})
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
    match ctx
        .telegram_backoff
        .run(|_| ctx.telegram.download(&path, dest), |_| {})
        .await
    {
        Err(telegram::Error::LocalPath) => Err(Error::LocalPath),
        other => Ok(other?),
    }
}

/// Makes the job's hold exactly the decoded length; a longer file than the hold covers needs
/// the balance for the difference first.
async fn hold_decoded(ctx: &Context, job: &Job, duration: f64) -> Result<(), Error> {
    let seconds = billable_seconds(duration);
    match ctx
        .store
        .set_job_hold(job.id, &ctx.worker_id, seconds)
        .await
    {
        Ok(()) => Ok(()),
        Err(store::Error::Insufficient { balance, .. }) => {
            let held = ctx.store.job(job.id).await?.map_or(0, |j| j.held_seconds);
            Err(Error::Insufficient {
                balance: balance + held,
                needed: seconds,
            })
        }
        Err(store::Error::NotFound(_)) => Err(Error::TakenOver),
        Err(e) => Err(e.into()),
    }
}
