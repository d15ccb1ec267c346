//! Rows of the in-process queue used by the all-in-one mode: publishing is an insert (durable
//! once committed), taking a message locks its row, acknowledging deletes it.

use super::{Result, Store};
use scribe_core::time::now_millis;

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct QueueRow {
    pub id: i64,
    pub payload: String,
    pub trace_id: String,
    pub attempt: i64,
    /// When first published, ms since the epoch.
    pub created_at: i64,
}

impl Store {
    pub async fn enqueue(
        &self,
        queue: &str,
        payload: &str,
        trace_id: &str,
        attempt: i64,
        delay_ms: i64,
    ) -> Result<()> {
        let now = now_millis();
        sqlx::query(
            "INSERT INTO queue_messages (queue, payload, trace_id, attempt, available_at, locked_until, created_at) \
             VALUES ($1, $2, $3, $4, $5, 0, $6)",
        )
        .bind(queue)
        .bind(payload)
        .bind(trace_id)
        .bind(attempt)
        .bind(now + delay_ms)
        .bind(now)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// Locks up to `limit` due messages of `queue` for `lock_ms` and returns them, oldest first.
    pub async fn take_due(&self, queue: &str, limit: i64, lock_ms: i64) -> Result<Vec<QueueRow>> {
        let now = now_millis();
        let mut rows = sqlx::query_as::<_, QueueRow>(
            "UPDATE queue_messages SET locked_until = $1 WHERE id IN ( \
                 SELECT id FROM queue_messages WHERE queue = $2 AND available_at <= $3 AND locked_until < $3 \
                 ORDER BY id LIMIT $4) AND locked_until < $3 \
             RETURNING id, payload, trace_id, attempt, created_at",
        )
        .bind(now + lock_ms)
        .bind(queue)
        .bind(now)
        .bind(limit)
        .fetch_all(&self.pool)
        .await?;
        rows.sort_by_key(|r| r.id);
        Ok(rows)
    }

    pub async fn delete_message(&self, id: i64) -> Result<()> {
        sqlx::query("DELETE FROM queue_messages WHERE id = $1")
            .bind(id)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// Makes a taken message available again after `delay_ms`, as attempt `attempt`, possibly
    /// in another queue (the dead-letter queue).
    pub async fn return_message(
        &self,
        id: i64,
        queue: &str,
        attempt: i64,
        delay_ms: i64,
    ) -> Result<()> {
        sqlx::query("UPDATE queue_messages SET queue = $2, attempt = $3, available_at = $4, locked_until = 0 WHERE id = $1")
            .bind(id)
            .bind(queue)
            .bind(attempt)
            .bind(now_millis() + delay_ms)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// Messages of `queue` not yet acknowledged.
    pub async fn queue_depth(&self, queue: &str) -> Result<i64> {
        Ok(
            sqlx::query_scalar("SELECT COUNT(*) FROM queue_messages WHERE queue = $1")
                .bind(queue)
                .fetch_one(&self.pool)
                .await?,
        )
    }

    /// Milliseconds until the next delayed message of `queue` becomes due, if any.
    pub async fn next_due_in(&self, queue: &str) -> Result<Option<i64>> {
        let next: Option<i64> = sqlx::query_scalar(
            "SELECT MIN(available_at) FROM queue_messages WHERE queue = $1 AND locked_until < $2",
        )
        .bind(queue)
        .bind(now_millis())
        .fetch_one(&self.pool)
        .await?;
        Ok(next.map(|t| (t - now_millis()).max(0)))
    }

    /// All-in-one start-up: nobody else consumes, so every lock is left over from a crash.
    pub async fn unlock_all_messages(&self) -> Result<u64> {
        Ok(
            sqlx::query("UPDATE queue_messages SET locked_until = 0 WHERE locked_until > 0")
                .execute(&self.pool)
                .await?
                .rows_affected(),
        )
    }
}
