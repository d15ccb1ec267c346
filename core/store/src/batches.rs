//! Forwarded voice messages waiting to become one transcript: each forwarded part is kept here
//! as it arrives; when the chat has been quiet for the batch window, the parts become one job
//! (see `Store::create_job` with parts). Whoever closes a batch takes exactly the parts it saw,
//! so a part that arrives meanwhile waits for the next close.

use super::{Result, Store};
use scribe_core::time::now_secs;

/// One forwarded message of a batch.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct BatchPart {
    pub bot: String,
    pub chat_id: i64,
    pub message_id: i64,
    pub user_id: i64,
    pub update_id: i64,
    pub media_kind: String,
    pub file_id: String,
    pub file_unique_id: String,
    pub file_size: Option<i64>,
    pub reported_seconds: i64,
    /// Who sent the original, as its forward origin names them.
    pub sender: String,
    /// When the original was sent (seconds).
    pub sent_at: i64,
    pub trace_id: String,
}

const PART_COLUMNS: &str = "bot, chat_id, message_id, user_id, update_id, media_kind, file_id, file_unique_id, \
     file_size, reported_seconds, sender, sent_at, trace_id";

impl Store {
    /// Keeps a forwarded part (a redelivered update keeps it once). Returns how many parts the
    /// chat's batch holds now.
    pub async fn add_batch_part(&self, part: &BatchPart) -> Result<i64> {
        sqlx::query(sqlx::AssertSqlSafe(format!(
            "INSERT INTO batch_parts ({PART_COLUMNS}, received_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14) \
             ON CONFLICT (bot, chat_id, message_id) DO NOTHING"
        )))
        .bind(&part.bot)
        .bind(part.chat_id)
        .bind(part.message_id)
        .bind(part.user_id)
        .bind(part.update_id)
        .bind(&part.media_kind)
        .bind(&part.file_id)
        .bind(&part.file_unique_id)
        .bind(part.file_size)
        .bind(part.reported_seconds)
        .bind(&part.sender)
        .bind(part.sent_at)
        .bind(&part.trace_id)
        .bind(now_secs())
        .execute(&self.pool)
        .await?;
        self.batch_size(&part.bot, part.chat_id).await
    }

    async fn batch_size(&self, bot: &str, chat_id: i64) -> Result<i64> {
        Ok(
            sqlx::query_scalar("SELECT COUNT(*) FROM batch_parts WHERE bot = $1 AND chat_id = $2")
                .bind(bot)
                .bind(chat_id)
                .fetch_one(&self.pool)
                .await?,
        )
    }

    /// Takes the chat's batch when it holds exactly `expected` parts (nothing arrived since the
    /// closer was scheduled), in the order the messages were forwarded. `None`: more arrived (a
    /// later closer takes them) or another replica took them.
    pub async fn take_batch(
        &self,
        bot: &str,
        chat_id: i64,
        expected: i64,
    ) -> Result<Option<Vec<BatchPart>>> {
        let mut tx = self.begin().await?;
        let parts = sqlx::query_as::<_, BatchPart>(sqlx::AssertSqlSafe(format!(
            "SELECT {PART_COLUMNS} FROM batch_parts WHERE bot = $1 AND chat_id = $2 ORDER BY message_id"
        )))
        .bind(bot)
        .bind(chat_id)
        .fetch_all(&mut *tx)
        .await?;
        if i64::try_from(parts.len()).unwrap_or(i64::MAX) != expected {
            return Ok(None);
        }
        let deleted = sqlx::query("DELETE FROM batch_parts WHERE bot = $1 AND chat_id = $2")
            .bind(bot)
            .bind(chat_id)
            .execute(&mut *tx)
            .await?
            .rows_affected();
        if i64::try_from(deleted).unwrap_or(i64::MAX) != expected {
            return Ok(None);
        }
        tx.commit().await?;
        Ok(Some(parts))
    }
}
