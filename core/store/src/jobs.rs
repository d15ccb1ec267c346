//! Transcription jobs: one row per media update, a small state machine
//! (`queued` → `running` with heartbeat → `done` | `failed`) and the money that moves with it.
//! Every transition that touches money happens in the same transaction as the ledger rows.

use super::ledger::{Applied, apply};
use super::{Error, Result, Store};
use scribe_core::billing::Reason;
use scribe_core::media::Media;
use scribe_core::time::{now_millis, now_secs};

/// What intake knows about a new job.
#[derive(Debug, Clone)]
pub struct NewJob {
    pub bot: String,
    pub update_id: i64,
    pub user_id: i64,
    pub chat_id: i64,
    pub message_id: i64,
    pub media: Media,
    pub trace_id: String,
    /// Hold at most this much when the duration is unknown (documents).
    pub unknown_duration_cap: i64,
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
    pub state: String,
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
}

macro_rules! job_columns {
    () => {
        "id, bot, update_id, user_id, chat_id, message_id, status_message_id, media_kind, file_id, \
     file_unique_id, file_size, file_name, mime_type, reported_seconds, state, attempts, held_seconds, \
     charged_seconds, released_seconds, audio_seconds, chunks, error_kind, formatter, trace_id, worker, heartbeat_at, created_at, \
     started_at, finished_at"
    };
}
pub(super) use job_columns;

/// Result of intake.
#[derive(Debug, Clone)]
pub enum Intake {
    /// A new job with its hold.
    Created(Job),
    /// This update already produced a job (a redelivery).
    Existing(Job),
    /// Not enough balance; nothing was written. `needed` is unknown for documents.
    Insufficient { balance: i64, needed: Option<i64> },
}

/// Result of trying to take a job.
#[derive(Debug, Clone)]
pub enum Claim {
    /// Ours to run now.
    Run(Job),
    /// Already finished (`done` or `failed`): acknowledge without work.
    Finished(Job),
    /// Another worker is running it and its heartbeat is fresh.
    Busy,
    Missing,
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

impl Store {
    /// Creates the job for a media update and holds its balance, in one transaction. A
    /// redelivered update finds its job and holds nothing more.
    pub async fn create_job(&self, new: &NewJob) -> Result<Intake> {
        let mut tx = self.begin().await?;
        let media = &new.media;
        let created = sqlx::query_as::<_, Job>(concat!("INSERT INTO jobs (bot, update_id, user_id, chat_id, message_id, media_kind, file_id, file_unique_id, \
                 file_size, file_name, mime_type, reported_seconds, state, trace_id, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, 'queued', $13, $14) \
             ON CONFLICT (bot, update_id) DO NOTHING RETURNING ", job_columns!(), ""))
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
        .bind(&new.trace_id)
        .bind(now_secs())
        .fetch_optional(&mut *tx)
        .await?;
        let Some(mut job) = created else {
            let existing = sqlx::query_as::<_, Job>(concat!(
                "SELECT ",
                job_columns!(),
                " FROM jobs WHERE bot = $1 AND update_id = $2"
            ))
            .bind(&new.bot)
            .bind(new.update_id)
            .fetch_one(&mut *tx)
            .await?;
            return Ok(Intake::Existing(existing));
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
        let key = job_key(job.id);
        match apply(
            &mut tx,
            new.user_id,
            Reason::Hold,
            &key,
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
        sqlx::query("UPDATE jobs SET held_seconds = $2 WHERE id = $1")
            .bind(job.id)
            .bind(hold)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        job.held_seconds = hold;
        Ok(Intake::Created(job))
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

    /// Takes a job for `worker`: a queued job, or a running one whose heartbeat is older than
    /// `stale_before_ms`. Counts the attempt.
    pub async fn claim_job(
        &self,
        job_id: i64,
        worker: &str,
        stale_before_ms: i64,
    ) -> Result<Claim> {
        let now = now_millis();
        let claimed = sqlx::query_as::<_, Job>(concat!("UPDATE jobs SET state = 'running', worker = $2, heartbeat_at = $3, attempts = attempts + 1, \
                 started_at = COALESCE(started_at, $4) \
             WHERE id = $1 AND (state = 'queued' OR (state = 'running' AND (heartbeat_at IS NULL OR heartbeat_at < $5))) \
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
            Some(job) if job.state == "done" || job.state == "failed" => Claim::Finished(job),
            Some(_) => Claim::Busy,
        })
    }

    /// Proves `worker` still runs the job; false when it was taken over or finished.
    pub async fn heartbeat(&self, job_id: i64, worker: &str) -> Result<bool> {
        Ok(sqlx::query(
            "UPDATE jobs SET heartbeat_at = $3 WHERE id = $1 AND worker = $2 AND state = 'running'",
        )
        .bind(job_id)
        .bind(worker)
        .bind(now_millis())
        .execute(&self.pool)
        .await?
        .rows_affected()
            == 1)
    }

    /// Moves the job's hold to exactly `seconds` (the probed duration): releases the excess or
    /// holds the difference. Keyed by the target, so a retried attempt changes nothing.
    pub async fn set_job_hold(&self, job_id: i64, seconds: i64) -> Result<()> {
        let mut tx = self.begin().await?;
        let (user_id, held): (i64, i64) = sqlx::query_as(
            "SELECT user_id, held_seconds FROM jobs WHERE id = $1 AND state = 'running'",
        )
        .bind(job_id)
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
        tx.commit().await?;
        Ok(())
    }

    /// Finishes a job: charges its hold (the probed duration) and stores its measurements.
    /// Returns the seconds charged now (0 when it was already finished).
    pub async fn complete_job(&self, job_id: i64, stats: &JobStats) -> Result<i64> {
        let mut tx = self.begin().await?;
        let finished = sqlx::query_as::<_, (i64, i64)>(
            "UPDATE jobs SET state = 'done', charged_seconds = held_seconds, held_seconds = 0, finished_at = $2, \
                 audio_seconds = $3, chunks = $4, formatter = $5, download_ms = $6, prepare_ms = $7, asr_ms = $8, \
                 llm_ms = $9, deliver_ms = $10, total_ms = $11, worker = NULL \
             WHERE id = $1 AND state = 'running' RETURNING user_id, charged_seconds",
        )
        .bind(job_id)
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
            return Ok(0);
        };
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
        }
        tx.commit().await?;
        Ok(charged)
    }

    /// Fails a job that is not finished yet and releases its whole hold. Returns the seconds
    /// released, or `None` when the job had already finished (nothing changed).
    pub async fn fail_job(
        &self,
        job_id: i64,
        error_kind: &str,
        stats: &JobStats,
    ) -> Result<Option<i64>> {
        let mut tx = self.begin().await?;
        let failed = sqlx::query_as::<_, (i64, i64)>(
            "UPDATE jobs SET state = 'failed', error_kind = $2, charged_seconds = 0, finished_at = $3, \
                 audio_seconds = COALESCE($4, audio_seconds), download_ms = $5, prepare_ms = $6, asr_ms = $7, \
                 total_ms = $8, chunks = $9, worker = NULL, released_seconds = held_seconds, held_seconds = 0 \
             WHERE id = $1 AND state IN ('queued', 'running') RETURNING user_id, released_seconds",
        )
        .bind(job_id)
        .bind(error_kind)
        .bind(now_secs())
        .bind(stats.audio_seconds)
        .bind(stats.download_ms)
        .bind(stats.prepare_ms)
        .bind(stats.asr_ms)
        .bind(stats.total_ms)
        .bind(stats.chunks)
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
        }
        tx.commit().await?;
        Ok(Some(released))
    }

    /// Hands a running job back to the queue (retry later, or shutdown).
    pub async fn requeue_job(&self, job_id: i64, worker: &str) -> Result<bool> {
        Ok(sqlx::query("UPDATE jobs SET state = 'queued', worker = NULL WHERE id = $1 AND state = 'running' AND worker = $2")
            .bind(job_id)
            .bind(worker)
            .execute(&self.pool)
            .await?
            .rows_affected()
            == 1)
    }

    /// All-in-one start-up: this process is the only worker, so every `running` job was
    /// interrupted (crash, Ctrl-C) and is queued again.
    pub async fn requeue_interrupted_jobs(&self) -> Result<u64> {
        Ok(
            sqlx::query("UPDATE jobs SET state = 'queued', worker = NULL WHERE state = 'running'")
                .execute(&self.pool)
                .await?
                .rows_affected(),
        )
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
