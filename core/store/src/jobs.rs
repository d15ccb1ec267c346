//! Transcription jobs: one row per transcribed message and a small state machine —
//! `queued` → `running` (one worker, with a heartbeat) → `delivering` (the text is kept here
//! until every part of it went out) → `done` | `failed` — and the money that moves with it.
//! Every transition that touches money happens in the same transaction as its ledger rows, and
//! every transition a worker makes checks that the worker still owns the job.

use std::fmt;
use std::str::FromStr;

use scribe_core::billing::Reason;
use scribe_core::media::Media;
use scribe_core::time::{now_millis, now_secs};
use sqlx::{Any, Transaction};

use super::ledger::{Applied, apply};
use super::transcripts::{self, NewTranscript, Transcript, TranscriptOwner};
use super::{Error, Result, Store};

/// Where a job is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum JobState {
    /// Waiting for a worker (first time, or handed back for a retry).
    Queued,
    /// A worker downloads, recognises and formats it.
    Running,
    /// The text exists and is being sent; a worker taking over sends only what is missing.
    Delivering,
    /// Delivered and charged.
    Done,
    /// Given up; its whole hold was released.
    Failed,
}

impl JobState {
    pub const ALL: [JobState; 5] = [
        JobState::Queued,
        JobState::Running,
        JobState::Delivering,
        JobState::Done,
        JobState::Failed,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            JobState::Queued => "queued",
            JobState::Running => "running",
            JobState::Delivering => "delivering",
            JobState::Done => "done",
            JobState::Failed => "failed",
        }
    }

    /// `done` or `failed`: nothing will happen to the job any more.
    pub fn is_finished(self) -> bool {
        matches!(self, JobState::Done | JobState::Failed)
    }
}

impl fmt::Display for JobState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A state name the schema does not know.
#[derive(Debug, thiserror::Error)]
#[error("unknown {kind} {value:?}")]
pub struct UnknownState {
    pub kind: &'static str,
    pub value: String,
}

impl FromStr for JobState {
    type Err = UnknownState;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        JobState::ALL
            .into_iter()
            .find(|state| state.as_str() == s)
            .ok_or_else(|| UnknownState {
                kind: "job state",
                value: s.to_owned(),
            })
    }
}

impl TryFrom<String> for JobState {
    type Error = UnknownState;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        s.parse()
    }
}

/// How a job came about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JobSource {
    /// Media sent to the bot in private.
    Private,
    /// `/t` (`/transcribe`) in a group, replying to the media: paid by who asked.
    Command,
    /// A voice or video note in a group in auto mode: paid by the sponsor.
    Auto,
    /// Voice messages forwarded together: one job, one transcript.
    Batch,
    /// Answered from a kept transcript: no work, no charge.
    Cache,
}

impl JobSource {
    pub const ALL: [JobSource; 5] = [
        JobSource::Private,
        JobSource::Command,
        JobSource::Auto,
        JobSource::Batch,
        JobSource::Cache,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            JobSource::Private => "private",
            JobSource::Command => "command",
            JobSource::Auto => "auto",
            JobSource::Batch => "batch",
            JobSource::Cache => "cache",
        }
    }
}

impl TryFrom<String> for JobSource {
    type Error = UnknownState;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        JobSource::ALL
            .into_iter()
            .find(|source| source.as_str() == s)
            .ok_or(UnknownState {
                kind: "job source",
                value: s,
            })
    }
}

/// A finished job's text is kept for `owner` for `days` (the owner's retention).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Keep {
    pub owner: TranscriptOwner,
    pub days: i64,
}

/// A group's auto mode pays at most this much a day.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DailyCap {
    pub chat_id: i64,
    pub seconds: i64,
    /// Start of the current day (seconds).
    pub since: i64,
}

/// One forwarded message of a batch job.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct JobPart {
    pub idx: i64,
    pub file_id: String,
    pub file_unique_id: String,
    pub file_size: Option<i64>,
    pub reported_seconds: i64,
    pub sender: String,
    pub sent_at: i64,
}

/// What a delivered job keeps as its transcript.
#[derive(sqlx::FromRow)]
struct Delivered {
    result_text: Option<String>,
    result_cues: Option<String>,
    file_unique_id: String,
    settings_key: String,
    source: String,
}

/// Keeps a completed job's delivered text for `keep`'s owner, in the completion's transaction.
/// A batch's transcript is kept for actions, never as the cache entry of its first file.
async fn keep_delivered(
    tx: &mut Transaction<'static, Any>,
    job_id: i64,
    keep: Keep,
    delivered: Delivered,
) -> Result<()> {
    let Some(text) = delivered.result_text.filter(|_| keep.days > 0) else {
        return Ok(());
    };
    let file = if delivered.source == JobSource::Batch.as_str() {
        format!("batch:{job_id}")
    } else {
        delivered.file_unique_id
    };
    transcripts::insert(
        tx,
        &NewTranscript {
            owner: keep.owner,
            job_id,
            file_unique_id: &file,
            settings_key: &delivered.settings_key,
            text: &text,
            cues: delivered.result_cues.as_deref(),
            days: keep.days,
        },
    )
    .await?;
    Ok(())
}

/// What intake knows about a new job.
#[derive(Debug, Clone)]
pub struct NewJob {
    pub bot: String,
    pub update_id: i64,
    pub user_id: i64,
    pub chat_id: i64,
    /// The message the job transcribes; `(bot, chat_id, message_id)` identifies the job, so a
    /// redelivered update finds its job however its update id was numbered.
    pub message_id: i64,
    pub media: Media,
    pub trace_id: String,
    /// Hold at most this much when the duration is unknown (documents).
    pub unknown_duration_cap: i64,
    /// Refuse the job when the user already has this many queued or running jobs (`None`:
    /// no limit, for admins).
    pub max_active: Option<i64>,
    pub source: JobSource,
    /// Who asked, when that is not the payer (`/t` asks for oneself; auto mode has a sponsor).
    pub requested_by: Option<i64>,
    /// The message the result replies to (the media), when it is not `message_id`.
    pub reply_to: Option<i64>,
    /// The recognition settings the result depends on (with the file, the cache key).
    pub settings_key: String,
    /// Auto mode's daily cap.
    pub daily_cap: Option<DailyCap>,
    /// A batch's parts, in order (their lengths add up to `media.duration`).
    pub parts: Vec<JobPart>,
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Job {
    pub id: i64,
    pub bot: String,
    pub update_id: i64,
    pub user_id: i64,
    pub chat_id: i64,
    pub message_id: i64,
    pub status_message_id: Option<i64>,
    pub media_kind: String,
    pub file_id: String,
    pub file_unique_id: String,
    pub file_size: Option<i64>,
    pub file_name: Option<String>,
    pub mime_type: Option<String>,
    pub reported_seconds: i64,
    #[sqlx(try_from = "String")]
    pub state: JobState,
    pub attempts: i64,
    pub held_seconds: i64,
    pub charged_seconds: i64,
    pub released_seconds: i64,
    pub audio_seconds: Option<i64>,
    pub chunks: Option<i64>,
    pub error_kind: Option<String>,
    pub formatter: Option<String>,
    pub trace_id: String,
    pub worker: Option<String>,
    pub heartbeat_at: Option<i64>,
    pub created_at: i64,
    pub started_at: Option<i64>,
    pub finished_at: Option<i64>,
    /// The text being delivered (only while `delivering`).
    pub result_text: Option<String>,
    /// A subtitle job's cues (JSON), delivered with the text.
    pub result_cues: Option<String>,
    /// Parts of the text already sent.
    pub delivered_parts: i64,
    /// When the job's queue message was last published (seconds).
    pub published_at: Option<i64>,
    #[sqlx(try_from = "String")]
    pub source: JobSource,
    pub requested_by: Option<i64>,
    pub reply_to: Option<i64>,
    pub settings_key: String,
}

impl Job {
    /// The message the result replies to: the media.
    pub fn reply_target(&self) -> i64 {
        self.reply_to.unwrap_or(self.message_id)
    }
}

macro_rules! job_columns {
    () => {
        "id, bot, update_id, user_id, chat_id, message_id, status_message_id, media_kind, file_id, \
     file_unique_id, file_size, file_name, mime_type, reported_seconds, state, attempts, held_seconds, \
     charged_seconds, released_seconds, audio_seconds, chunks, error_kind, formatter, trace_id, worker, heartbeat_at, created_at, \
     started_at, finished_at, result_text, result_cues, delivered_parts, published_at, source, requested_by, reply_to, settings_key"
    };
}

/// States in which a job holds balance and may still change.
const ACTIVE: &str = "('queued', 'running', 'delivering')";

/// Result of intake.
#[derive(Debug, Clone)]
pub enum Intake {
    /// A new job with its hold.
    Created(Job),
    /// This message already has its job (a redelivery).
    Existing(Job),
    /// Not enough balance; nothing was written. `needed` is unknown for documents.
    Insufficient { balance: i64, needed: Option<i64> },
    /// The user already has `active` queued or running jobs; nothing was written.
    TooMany { active: i64 },
    /// Auto mode's daily cap would be passed (`used` so far today); nothing was written.
    OverCap { used: i64 },
}

/// Result of trying to take a job.
#[derive(Debug, Clone)]
pub enum Claim {
    /// Ours to run now (`attempts` already counts this one; the caller checks the limit).
    Run(Job),
    /// Already finished (`done` or `failed`): acknowledge without work.
    Finished(Job),
    /// Another worker is running it and its heartbeat is fresh.
    Busy,
    Missing,
}

/// Who may fail a job.
#[derive(Debug, Clone, Copy)]
pub enum Owner<'a> {
    /// Only the worker that runs it (a worker that lost the job changes nothing).
    Worker(&'a str),
    /// Whoever decides for the whole system: the sweeper, an admin's `/flush`, intake.
    Anyone,
}

/// Measurements of a finished job.
#[derive(Debug, Clone, Default)]
pub struct JobStats {
    pub audio_seconds: Option<i64>,
    pub chunks: Option<i64>,
    pub formatter: Option<String>,
    pub download_ms: Option<i64>,
    pub prepare_ms: Option<i64>,
    pub asr_ms: Option<i64>,
    pub llm_ms: Option<i64>,
    pub deliver_ms: Option<i64>,
    pub total_ms: Option<i64>,
}

fn job_key(job_id: i64) -> String {
    format!("job:{job_id}")
}

/// After `released` seconds of the user's holds went back to the balance: takes what a refund
/// still owes from them (the refund could not take minutes that were on hold), and forgets debt
/// that no remaining hold can pay.
async fn settle_refund_debt(
    tx: &mut Transaction<'static, Any>,
    user_id: i64,
    released: i64,
    key: &str,
) -> Result<()> {
    let (pending, held): (i64, i64) =
        sqlx::query_as("SELECT refund_pending, held FROM users WHERE id = $1")
            .bind(user_id)
            .fetch_one(&mut **tx)
            .await?;
    let take = pending.min(released).max(0);
    if take > 0
        && apply(
            tx,
            user_id,
            Reason::Refund,
            &format!("{key}:refund"),
            -take,
            0,
            None,
            Some("refund of minutes that were on hold"),
        )
        .await?
            == Applied::Now
    {
        super::payments::collect_refund_debt(tx, user_id, take).await?;
    }
    let left = (pending - take).min(held).max(0);
    if left != pending {
        sqlx::query("UPDATE users SET refund_pending = $2 WHERE id = $1")
            .bind(user_id)
            .bind(left)
            .execute(&mut **tx)
            .await?;
    }
    Ok(())
}

/// Inserts the job row of `new` — `queued` for a job to run, `done` (with no length and no
/// hold) for one answered from the cache. `None` when the message has its job already.
async fn insert_job(
    tx: &mut Transaction<'static, Any>,
    new: &NewJob,
    state: JobState,
) -> Result<Option<Job>> {
    let media = &new.media;
    let (source, finished) = match state {
        JobState::Done => (JobSource::Cache.as_str(), Some(now_secs())),
        _ => (new.source.as_str(), None),
    };
    let now = now_secs();
    Ok(sqlx::query_as::<_, Job>(concat!(
        "INSERT INTO jobs (bot, update_id, user_id, chat_id, message_id, media_kind, file_id, file_unique_id, \
             file_size, file_name, mime_type, reported_seconds, state, trace_id, created_at, published_at, \
             source, requested_by, reply_to, settings_key, started_at, finished_at, audio_seconds) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $15, $16, $17, $18, $19, $20, $20, $21) \
         ON CONFLICT (bot, chat_id, message_id) DO NOTHING RETURNING ",
        job_columns!(),
        ""
    ))
    .bind(&new.bot)
    .bind(new.update_id)
    .bind(new.user_id)
    .bind(new.chat_id)
    .bind(new.message_id)
    .bind(media.kind.as_str())
    .bind(&media.file_id)
    .bind(&media.file_unique_id)
    .bind(media.file_size)
    .bind(media.file_name.as_deref())
    .bind(media.mime_type.as_deref())
    .bind(media.duration.unwrap_or(0))
    .bind(state.as_str())
    .bind(&new.trace_id)
    .bind(now)
    .bind(source)
    .bind(new.requested_by)
    .bind(new.reply_to)
    .bind(&new.settings_key)
    .bind(finished)
    .bind(finished.map(|_| 0_i64))
    .fetch_optional(&mut **tx)
    .await?)
}

/// The job a message already has.
async fn job_of_message(tx: &mut Transaction<'static, Any>, new: &NewJob) -> Result<Job> {
    Ok(sqlx::query_as::<_, Job>(concat!(
        "SELECT ",
        job_columns!(),
        " FROM jobs WHERE bot = $1 AND chat_id = $2 AND message_id = $3"
    ))
    .bind(&new.bot)
    .bind(new.chat_id)
    .bind(new.message_id)
    .fetch_one(&mut **tx)
    .await?)
}

/// Seconds the group's auto mode used (or holds) today, other than `job_id`.
async fn auto_used(tx: &mut Transaction<'static, Any>, cap: DailyCap, job_id: i64) -> Result<i64> {
    Ok(sqlx::query_scalar(
        "SELECT CAST(COALESCE(SUM(held_seconds + charged_seconds), 0) AS BIGINT) FROM jobs \
         WHERE chat_id = $1 AND source = 'auto' AND created_at >= $2 AND id <> $3",
    )
    .bind(cap.chat_id)
    .bind(cap.since)
    .bind(job_id)
    .fetch_one(&mut **tx)
    .await?)
}

/// A batch job's parts, in order.
async fn insert_parts(
    tx: &mut Transaction<'static, Any>,
    job_id: i64,
    parts: &[JobPart],
) -> Result<()> {
    for part in parts {
        sqlx::query(
            "INSERT INTO job_parts (job_id, idx, file_id, file_unique_id, file_size, reported_seconds, sender, sent_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        )
        .bind(job_id)
        .bind(part.idx)
        .bind(&part.file_id)
        .bind(&part.file_unique_id)
        .bind(part.file_size)
        .bind(part.reported_seconds)
        .bind(&part.sender)
        .bind(part.sent_at)
        .execute(&mut **tx)
        .await?;
    }
    Ok(())
}

impl Store {
    /// Creates the job for a media message and holds its balance, in one transaction. A
    /// redelivered update finds its job and holds nothing more.
    pub async fn create_job(&self, new: &NewJob) -> Result<Intake> {
        let mut tx = self.begin().await?;
        let media = &new.media;
        let Some(mut job) = insert_job(&mut tx, new, JobState::Queued).await? else {
            return Ok(Intake::Existing(job_of_message(&mut tx, new).await?));
        };
        let balance: i64 = sqlx::query_scalar("SELECT balance FROM users WHERE id = $1")
            .bind(new.user_id)
            .fetch_one(&mut *tx)
            .await?;
        let (hold, needed) = match media.duration {
            Some(d) => (d.max(1), Some(d.max(1))),
            None => (balance.min(new.unknown_duration_cap), None),
        };
        if hold <= 0 || balance < hold {
            return Ok(Intake::Insufficient { balance, needed });
        }
        // The hold updates the user's row first: on PostgreSQL that row lock serialises
        // concurrent intakes of one user, so the count below sees every committed job.
        match apply(
            &mut tx,
            new.user_id,
            Reason::Hold,
            &job_key(job.id),
            -hold,
            hold,
            Some(job.id),
            None,
        )
        .await
        {
            Ok(_) => {}
            Err(Error::Insufficient { balance, .. }) => {
                return Ok(Intake::Insufficient { balance, needed });
            }
            Err(e) => return Err(e),
        }
        if let Some(cap) = new.daily_cap {
            let used = auto_used(&mut tx, cap, job.id).await?;
            if used + hold > cap.seconds {
                return Ok(Intake::OverCap { used });
            }
        }
        insert_parts(&mut tx, job.id, &new.parts).await?;
        if let Some(max) = new.max_active {
            let active: i64 = sqlx::query_scalar(sqlx::AssertSqlSafe(format!(
                "SELECT COUNT(*) FROM jobs WHERE user_id = $1 AND id <> $2 AND state IN {ACTIVE}"
            )))
            .bind(new.user_id)
            .bind(job.id)
            .fetch_one(&mut *tx)
            .await?;
            if active >= max {
                return Ok(Intake::TooMany { active });
            }
        }
        sqlx::query("UPDATE jobs SET held_seconds = $2 WHERE id = $1")
            .bind(job.id)
            .bind(hold)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        job.held_seconds = hold;
        Ok(Intake::Created(job))
    }

    /// Records a job answered from the kept transcript `kept`: done at once, nothing held or
    /// charged; with `keep`, the answer is kept for its new owner as well (their copy follows
    /// their retention and their `/forget`, and is what the job's action buttons work on). A
    /// redelivered update finds the job and changes nothing.
    pub async fn record_cached_job(
        &self,
        new: &NewJob,
        kept: &Transcript,
        keep: Option<Keep>,
    ) -> Result<Job> {
        let mut tx = self.begin().await?;
        let created = insert_job(&mut tx, new, JobState::Done).await?;
        let job = match created {
            Some(job) => {
                if let Some(keep) = keep.filter(|k| k.days > 0) {
                    transcripts::insert(
                        &mut tx,
                        &NewTranscript {
                            owner: keep.owner,
                            job_id: job.id,
                            file_unique_id: &kept.file_unique_id,
                            settings_key: &kept.settings_key,
                            text: &kept.text,
                            cues: kept.cues.as_deref(),
                            days: keep.days,
                        },
                    )
                    .await?;
                }
                job
            }
            None => job_of_message(&mut tx, new).await?,
        };
        tx.commit().await?;
        Ok(job)
    }

    /// A batch job's parts, in order (empty for other jobs).
    pub async fn job_parts(&self, job_id: i64) -> Result<Vec<JobPart>> {
        Ok(sqlx::query_as::<_, JobPart>(
            "SELECT idx, file_id, file_unique_id, file_size, reported_seconds, sender, sent_at \
             FROM job_parts WHERE job_id = $1 ORDER BY idx",
        )
        .bind(job_id)
        .fetch_all(&self.pool)
        .await?)
    }

    pub async fn job(&self, job_id: i64) -> Result<Option<Job>> {
        Ok(sqlx::query_as::<_, Job>(concat!(
            "SELECT ",
            job_columns!(),
            " FROM jobs WHERE id = $1"
        ))
        .bind(job_id)
        .fetch_optional(&self.pool)
        .await?)
    }

    pub async fn set_status_message(&self, job_id: i64, message_id: i64) -> Result<()> {
        sqlx::query("UPDATE jobs SET status_message_id = $2 WHERE id = $1")
            .bind(job_id)
            .bind(message_id)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// Records that the job's queue message was published now.
    pub async fn mark_published(&self, job_id: i64) -> Result<()> {
        sqlx::query("UPDATE jobs SET published_at = $2 WHERE id = $1")
            .bind(job_id)
            .bind(now_secs())
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// Takes a job for `worker`: a queued job, or a running or delivering one whose heartbeat
    /// is older than `stale_before_ms` (its worker died). Counts the attempt — however the
    /// previous one ended, so a job that kills its worker is still counted.
    pub async fn claim_job(
        &self,
        job_id: i64,
        worker: &str,
        stale_before_ms: i64,
    ) -> Result<Claim> {
        let now = now_millis();
        let claimed = sqlx::query_as::<_, Job>(concat!("UPDATE jobs SET state = CASE WHEN state = 'delivering' THEN 'delivering' ELSE 'running' END, \
                 worker = $2, heartbeat_at = $3, attempts = attempts + 1, started_at = COALESCE(started_at, $4) \
             WHERE id = $1 AND (state = 'queued' OR (state IN ('running', 'delivering') AND (heartbeat_at IS NULL OR heartbeat_at < $5))) \
             RETURNING ", job_columns!(), ""))
        .bind(job_id)
        .bind(worker)
        .bind(now)
        .bind(now / 1000)
        .bind(stale_before_ms)
        .fetch_optional(&self.pool)
        .await?;
        if let Some(job) = claimed {
            return Ok(Claim::Run(job));
        }
        Ok(match self.job(job_id).await? {
            None => Claim::Missing,
            Some(job) if job.state.is_finished() => Claim::Finished(job),
            Some(_) => Claim::Busy,
        })
    }

    /// Proves `worker` still runs the job; false when it was taken over or finished.
    pub async fn heartbeat(&self, job_id: i64, worker: &str) -> Result<bool> {
        Ok(sqlx::query(
            "UPDATE jobs SET heartbeat_at = $3 WHERE id = $1 AND worker = $2 AND state IN ('running', 'delivering')",
        )
        .bind(job_id)
        .bind(worker)
        .bind(now_millis())
        .execute(&self.pool)
        .await?
        .rows_affected()
            == 1)
    }

    /// Moves the hold of `worker`'s running job to exactly `seconds` (the decoded length):
    /// releases the excess or holds the difference. Keyed by the target, so a retried attempt
    /// changes nothing. Fails with [`Error::Insufficient`] when the balance cannot cover more.
    pub async fn set_job_hold(&self, job_id: i64, worker: &str, seconds: i64) -> Result<()> {
        let mut tx = self.begin().await?;
        let (user_id, held): (i64, i64) = sqlx::query_as(
            "SELECT user_id, held_seconds FROM jobs WHERE id = $1 AND state = 'running' AND worker = $2",
        )
        .bind(job_id)
        .bind(worker)
        .fetch_optional(&mut *tx)
        .await?
        .ok_or(Error::NotFound("running job"))?;
        let diff = seconds - held;
        if diff == 0 {
            return Ok(());
        }
        let key = format!("job:{job_id}:hold:{seconds}");
        let (reason, delta) = if diff > 0 {
            (Reason::Hold, -diff)
        } else {
            (Reason::Release, -diff)
        };
        if apply(
            &mut tx,
            user_id,
            reason,
            &key,
            delta,
            diff,
            Some(job_id),
            None,
        )
        .await?
            == Applied::Already
        {
            return Ok(());
        }
        sqlx::query("UPDATE jobs SET held_seconds = $2 WHERE id = $1 AND held_seconds = $3")
            .bind(job_id)
            .bind(seconds)
            .bind(held)
            .execute(&mut *tx)
            .await?;
        if diff < 0 {
            settle_refund_debt(&mut tx, user_id, -diff, &key).await?;
        }
        tx.commit().await?;
        Ok(())
    }

    /// `worker`'s running job has its text: it is kept with the job until delivered. False
    /// when the job is not `worker`'s any more.
    pub async fn begin_delivery(
        &self,
        job_id: i64,
        worker: &str,
        text: &str,
        cues: Option<&str>,
    ) -> Result<bool> {
        Ok(sqlx::query(
            "UPDATE jobs SET state = 'delivering', result_text = $3, result_cues = $4, delivered_parts = 0 \
             WHERE id = $1 AND worker = $2 AND state = 'running'",
        )
        .bind(job_id)
        .bind(worker)
        .bind(text)
        .bind(cues)
        .execute(&self.pool)
        .await?
        .rows_affected()
            == 1)
    }

    /// `parts` parts of the text have gone out. False when the job is not `worker`'s any more.
    pub async fn delivered(&self, job_id: i64, worker: &str, parts: i64) -> Result<bool> {
        Ok(sqlx::query(
            "UPDATE jobs SET delivered_parts = $3 WHERE id = $1 AND worker = $2 AND state = 'delivering'",
        )
        .bind(job_id)
        .bind(worker)
        .bind(parts)
        .execute(&self.pool)
        .await?
        .rows_affected()
            == 1)
    }

    /// Finishes `worker`'s job: charges its hold (the decoded length), stores its measurements
    /// and — with `keep` — keeps its delivered text for its owner, all at once. Returns the
    /// seconds charged, or `None` when the job is not `worker`'s any more (taken over, flushed):
    /// nothing changed.
    pub async fn complete_job(
        &self,
        job_id: i64,
        worker: &str,
        stats: &JobStats,
        keep: Option<Keep>,
    ) -> Result<Option<i64>> {
        let mut tx = self.begin().await?;
        let delivered: Option<Delivered> = sqlx::query_as(
            "SELECT result_text, result_cues, file_unique_id, settings_key, source FROM jobs \
             WHERE id = $1 AND worker = $2 AND state IN ('running', 'delivering')",
        )
        .bind(job_id)
        .bind(worker)
        .fetch_optional(&mut *tx)
        .await?;
        let finished = sqlx::query_as::<_, (i64, i64)>(
            "UPDATE jobs SET state = 'done', charged_seconds = held_seconds, held_seconds = 0, finished_at = $3, \
                 audio_seconds = $4, chunks = $5, formatter = $6, download_ms = $7, prepare_ms = $8, asr_ms = $9, \
                 llm_ms = $10, deliver_ms = $11, total_ms = $12, worker = NULL, result_text = NULL, result_cues = NULL \
             WHERE id = $1 AND worker = $2 AND state IN ('running', 'delivering') RETURNING user_id, charged_seconds",
        )
        .bind(job_id)
        .bind(worker)
        .bind(now_secs())
        .bind(stats.audio_seconds)
        .bind(stats.chunks)
        .bind(stats.formatter.as_deref())
        .bind(stats.download_ms)
        .bind(stats.prepare_ms)
        .bind(stats.asr_ms)
        .bind(stats.llm_ms)
        .bind(stats.deliver_ms)
        .bind(stats.total_ms)
        .fetch_optional(&mut *tx)
        .await?;
        let Some((user_id, charged)) = finished else {
            return Ok(None);
        };
        if let (Some(keep), Some(delivered)) = (keep, delivered) {
            keep_delivered(&mut tx, job_id, keep, delivered).await?;
        }
        if charged > 0 {
            apply(
                &mut tx,
                user_id,
                Reason::Settle,
                &job_key(job_id),
                0,
                -charged,
                Some(job_id),
                None,
            )
            .await?;
            settle_refund_debt(&mut tx, user_id, 0, &job_key(job_id)).await?;
        }
        tx.commit().await?;
        Ok(Some(charged))
    }

    /// Fails a job that is not finished yet and releases its whole hold. Returns the seconds
    /// released, or `None` when nothing changed (finished already, or not `owner`'s).
    pub async fn fail_job(
        &self,
        job_id: i64,
        owner: Owner<'_>,
        error_kind: &str,
        stats: &JobStats,
    ) -> Result<Option<i64>> {
        let mut tx = self.begin().await?;
        let worker = match owner {
            Owner::Worker(w) => Some(w),
            Owner::Anyone => None,
        };
        let failed = sqlx::query_as::<_, (i64, i64)>(sqlx::AssertSqlSafe(format!(
            "UPDATE jobs SET state = 'failed', error_kind = $2, charged_seconds = 0, finished_at = $3, \
                 audio_seconds = COALESCE($4, audio_seconds), download_ms = $5, prepare_ms = $6, asr_ms = $7, \
                 total_ms = $8, chunks = $9, worker = NULL, released_seconds = held_seconds, held_seconds = 0, \
                 result_text = NULL, result_cues = NULL \
             WHERE id = $1 AND state IN {ACTIVE} AND ($10 IS NULL OR worker = $10) RETURNING user_id, released_seconds"
        )))
        .bind(job_id)
        .bind(error_kind)
        .bind(now_secs())
        .bind(stats.audio_seconds)
        .bind(stats.download_ms)
        .bind(stats.prepare_ms)
        .bind(stats.asr_ms)
        .bind(stats.total_ms)
        .bind(stats.chunks)
        .bind(worker)
        .fetch_optional(&mut *tx)
        .await?;
        let Some((user_id, released)) = failed else {
            return Ok(None);
        };
        if released > 0 {
            apply(
                &mut tx,
                user_id,
                Reason::Release,
                &job_key(job_id),
                released,
                -released,
                Some(job_id),
                None,
            )
            .await?;
            settle_refund_debt(&mut tx, user_id, released, &job_key(job_id)).await?;
        }
        tx.commit().await?;
        Ok(Some(released))
    }

    /// Hands `worker`'s job back: a running job is queued again (retry later, shutdown); a
    /// delivering one stays delivering without an owner, so the next worker resumes sending.
    pub async fn requeue_job(&self, job_id: i64, worker: &str) -> Result<bool> {
        Ok(sqlx::query(
            "UPDATE jobs SET state = CASE WHEN state = 'delivering' THEN 'delivering' ELSE 'queued' END, \
                 worker = NULL, heartbeat_at = NULL \
             WHERE id = $1 AND state IN ('running', 'delivering') AND worker = $2",
        )
        .bind(job_id)
        .bind(worker)
        .execute(&self.pool)
        .await?
        .rows_affected()
            == 1)
    }

    /// All-in-one start-up: this process is the only worker, so every job a worker held was
    /// interrupted (crash, Ctrl-C) and is handed back.
    pub async fn requeue_interrupted_jobs(&self) -> Result<u64> {
        Ok(sqlx::query(
            "UPDATE jobs SET state = CASE WHEN state = 'delivering' THEN 'delivering' ELSE 'queued' END, \
                 worker = NULL, heartbeat_at = NULL WHERE state IN ('running', 'delivering')",
        )
        .execute(&self.pool)
        .await?
        .rows_affected())
    }

    /// Unfinished jobs whose queue message may be gone: queued and not published since
    /// `published_before` (seconds), or held by a worker whose heartbeat stopped before
    /// `stale_before_ms`.
    pub async fn orphaned_jobs(
        &self,
        published_before: i64,
        stale_before_ms: i64,
        limit: i64,
    ) -> Result<Vec<Job>> {
        Ok(sqlx::query_as::<_, Job>(concat!(
            "SELECT ",
            job_columns!(),
            " FROM jobs WHERE (state = 'queued' AND COALESCE(published_at, created_at) < $1) \
               OR (state IN ('running', 'delivering') AND COALESCE(heartbeat_at, 0) < $2) \
             ORDER BY id LIMIT $3"
        ))
        .bind(published_before)
        .bind(stale_before_ms)
        .bind(limit)
        .fetch_all(&self.pool)
        .await?)
    }

    /// Unfinished jobs created before `before` (seconds), oldest first.
    pub async fn stuck_jobs(&self, before: i64) -> Result<Vec<Job>> {
        Ok(sqlx::query_as::<_, Job>(sqlx::AssertSqlSafe(format!(
            "SELECT {} FROM jobs WHERE state IN {ACTIVE} AND created_at <= $1 ORDER BY id",
            job_columns!()
        )))
        .bind(before)
        .fetch_all(&self.pool)
        .await?)
    }

    /// The last `limit` jobs of a user, newest first.
    pub async fn jobs_of_user(&self, user_id: i64, limit: i64) -> Result<Vec<Job>> {
        Ok(sqlx::query_as::<_, Job>(concat!(
            "SELECT ",
            job_columns!(),
            " FROM jobs WHERE user_id = $1 ORDER BY id DESC LIMIT $2"
        ))
        .bind(user_id)
        .bind(limit)
        .fetch_all(&self.pool)
        .await?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn states_round_trip_through_their_names() {
        for state in JobState::ALL {
            assert_eq!(state.as_str().parse::<JobState>().ok(), Some(state));
        }
        assert!("stuck".parse::<JobState>().is_err());
        assert!(JobState::Done.is_finished() && JobState::Failed.is_finished());
        assert!(!JobState::Delivering.is_finished());
    }
}
