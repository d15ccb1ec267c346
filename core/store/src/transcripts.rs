//! Delivered transcripts, kept with their owner (a user, or a group) for the owner's retention:
//! they are the result cache (the same file with the same recognition settings is answered from
//! here, free) and what transcript actions work on. Audio is never kept. A sweep deletes what has
//! expired, a retention change re-dates what is kept, and `/forget` removes a user's content.

use scribe_core::time::now_secs;
use sqlx::{Any, Transaction};

use super::{Result, Store};

/// Whose a transcript is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TranscriptOwner {
    User(i64),
    /// A group: its transcripts follow the group's retention.
    Chat(i64),
}

impl TranscriptOwner {
    pub(super) fn columns(self) -> (Option<i64>, Option<i64>) {
        match self {
            TranscriptOwner::User(id) => (Some(id), None),
            TranscriptOwner::Chat(id) => (None, Some(id)),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct Transcript {
    pub id: i64,
    pub owner_user: Option<i64>,
    pub owner_chat: Option<i64>,
    pub job_id: i64,
    pub file_unique_id: String,
    pub settings_key: String,
    pub text: String,
    /// A subtitle transcript's cues (JSON).
    pub cues: Option<String>,
    pub created_at: i64,
    pub expires_at: i64,
}

const TRANSCRIPT_COLUMNS: &str = "id, owner_user, owner_chat, job_id, file_unique_id, settings_key, text, cues, created_at, expires_at";

/// A transcript to keep.
pub(super) struct NewTranscript<'a> {
    pub owner: TranscriptOwner,
    pub job_id: i64,
    pub file_unique_id: &'a str,
    pub settings_key: &'a str,
    pub text: &'a str,
    pub cues: Option<&'a str>,
    pub days: i64,
}

/// Keeps a transcript, inside the caller's transaction (the job's completion or its answer
/// from the cache); returns its id.
pub(super) async fn insert(
    tx: &mut Transaction<'static, Any>,
    new: &NewTranscript<'_>,
) -> Result<i64> {
    let (user, chat) = new.owner.columns();
    let now = now_secs();
    Ok(sqlx::query_scalar(
        "INSERT INTO transcripts (owner_user, owner_chat, job_id, file_unique_id, settings_key, text, cues, created_at, expires_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING id",
    )
    .bind(user)
    .bind(chat)
    .bind(new.job_id)
    .bind(new.file_unique_id)
    .bind(new.settings_key)
    .bind(new.text)
    .bind(new.cues)
    .bind(now)
    .bind(now + new.days * 86_400)
    .fetch_one(&mut **tx)
    .await?)
}

/// What `/forget` removed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Forgotten {
    pub transcripts: u64,
    pub jobs: u64,
}

impl Store {
    /// The newest unexpired transcript of the same file with the same recognition settings.
    pub async fn cached_transcript(
        &self,
        file_unique_id: &str,
        settings_key: &str,
        now: i64,
    ) -> Result<Option<Transcript>> {
        Ok(sqlx::query_as::<_, Transcript>(sqlx::AssertSqlSafe(format!(
            "SELECT {TRANSCRIPT_COLUMNS} FROM transcripts \
             WHERE file_unique_id = $1 AND settings_key = $2 AND expires_at > $3 ORDER BY id DESC LIMIT 1"
        )))
        .bind(file_unique_id)
        .bind(settings_key)
        .bind(now)
        .fetch_optional(&self.pool)
        .await?)
    }

    /// The kept transcript a job delivered, unless it expired: what its action buttons work on.
    pub async fn transcript_of_job(&self, job_id: i64, now: i64) -> Result<Option<Transcript>> {
        Ok(sqlx::query_as::<_, Transcript>(sqlx::AssertSqlSafe(format!(
            "SELECT {TRANSCRIPT_COLUMNS} FROM transcripts WHERE job_id = $1 AND expires_at > $2 ORDER BY id DESC LIMIT 1"
        )))
        .bind(job_id)
        .bind(now)
        .fetch_optional(&self.pool)
        .await?)
    }

    /// Every transcript `owner` keeps, newest first (for tests and `/privacy`'s count).
    pub async fn transcripts_of(&self, owner: TranscriptOwner) -> Result<Vec<Transcript>> {
        let (user, chat) = owner.columns();
        Ok(sqlx::query_as::<_, Transcript>(sqlx::AssertSqlSafe(format!(
            "SELECT {TRANSCRIPT_COLUMNS} FROM transcripts \
             WHERE (owner_user = $1 AND $1 IS NOT NULL) OR (owner_chat = $2 AND $2 IS NOT NULL) ORDER BY id DESC"
        )))
        .bind(user)
        .bind(chat)
        .fetch_all(&self.pool)
        .await?)
    }

    /// Deletes every transcript expired at `now` (the clock is a parameter: tests move it).
    pub async fn delete_expired_transcripts(&self, now: i64) -> Result<u64> {
        Ok(
            sqlx::query("DELETE FROM transcripts WHERE expires_at <= $1")
                .bind(now)
                .execute(&self.pool)
                .await?
                .rows_affected(),
        )
    }

    /// Sets how long `owner`'s transcripts are kept (`None`: the default `default_days`; 0:
    /// none) and re-dates what is kept by it: what is older than the new retention goes at the
    /// next sweep, and with 0 at once.
    pub async fn set_retention(
        &self,
        owner: TranscriptOwner,
        days: Option<i64>,
        default_days: i64,
    ) -> Result<()> {
        let mut tx = self.begin().await?;
        match owner {
            TranscriptOwner::User(id) => {
                sqlx::query("UPDATE users SET retention_days = $2 WHERE id = $1")
                    .bind(id)
                    .bind(days)
                    .execute(&mut *tx)
                    .await?;
            }
            TranscriptOwner::Chat(id) => {
                sqlx::query("UPDATE chats SET retention_days = $2 WHERE id = $1")
                    .bind(id)
                    .bind(days)
                    .execute(&mut *tx)
                    .await?;
            }
        }
        let keep = days.unwrap_or(default_days);
        let (user, chat) = owner.columns();
        let scope =
            "((owner_user = $1 AND $1 IS NOT NULL) OR (owner_chat = $2 AND $2 IS NOT NULL))";
        if keep <= 0 {
            sqlx::query(sqlx::AssertSqlSafe(format!(
                "DELETE FROM transcripts WHERE {scope}"
            )))
            .bind(user)
            .bind(chat)
            .execute(&mut *tx)
            .await?;
        } else {
            sqlx::query(sqlx::AssertSqlSafe(format!(
                "UPDATE transcripts SET expires_at = created_at + $3 WHERE {scope}"
            )))
            .bind(user)
            .bind(chat)
            .bind(keep * 86_400)
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        Ok(())
    }

    /// `/forget`: deletes every transcript the user owns and what their jobs said about the
    /// files (names, Telegram file ids), forwarded parts waiting to be batched, and resets
    /// their settings. Balances, the ledger's amounts and reasons, and payments stay: they are
    /// money records.
    pub async fn forget_user(&self, user_id: i64) -> Result<Forgotten> {
        let mut tx = self.begin().await?;
        let transcripts = sqlx::query("DELETE FROM transcripts WHERE owner_user = $1")
            .bind(user_id)
            .execute(&mut *tx)
            .await?
            .rows_affected();
        let jobs = sqlx::query(
            "UPDATE jobs SET file_name = NULL, file_id = '', file_unique_id = '', mime_type = NULL, result_text = NULL, result_cues = NULL \
             WHERE (user_id = $1 OR requested_by = $1) AND state IN ('done', 'failed')",
        )
        .bind(user_id)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        sqlx::query(
            "DELETE FROM job_parts WHERE job_id IN (SELECT id FROM jobs WHERE user_id = $1 AND state IN ('done', 'failed'))",
        )
        .bind(user_id)
        .execute(&mut *tx)
        .await?;
        sqlx::query("DELETE FROM batch_parts WHERE user_id = $1")
            .bind(user_id)
            .execute(&mut *tx)
            .await?;
        sqlx::query(
            "UPDATE users SET asr_language = NULL, ui_lang = NULL, code_output = 0, keep_yo = 1, \
             long_output = 'auto', retention_days = NULL, subtitles = 0, glossary = '' WHERE id = $1",
        )
        .bind(user_id)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(Forgotten { transcripts, jobs })
    }
}
