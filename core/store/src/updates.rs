//! Update deduplication: `(bot, update_id)` is claimed before an update is handled and marked
//! done after, so a redelivered update is handled once, and an update whose handler crashed is
//! taken again once its claim lapses.

use super::{Result, Store};
use scribe_core::time::{now_millis, now_secs};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UpdateClaim {
    /// Ours to handle.
    Fresh,
    /// Handled before: acknowledge and do nothing.
    Done,
    /// Someone is handling it right now.
    Busy,
}

impl Store {
    pub async fn claim_update(
        &self,
        bot: &str,
        update_id: i64,
        lease_ms: i64,
    ) -> Result<UpdateClaim> {
        let now = now_millis();
        let inserted = sqlx::query(
            "INSERT INTO updates_seen (bot, update_id, done, claimed_until, seen_at) VALUES ($1, $2, 0, $3, $4) \
             ON CONFLICT (bot, update_id) DO NOTHING",
        )
        .bind(bot)
        .bind(update_id)
        .bind(now + lease_ms)
        .bind(now_secs())
        .execute(&self.pool)
        .await?
        .rows_affected();
        if inserted == 1 {
            return Ok(UpdateClaim::Fresh);
        }
        let retaken = sqlx::query(
            "UPDATE updates_seen SET claimed_until = $3 WHERE bot = $1 AND update_id = $2 AND done = 0 AND claimed_until < $4",
        )
        .bind(bot)
        .bind(update_id)
        .bind(now + lease_ms)
        .bind(now)
        .execute(&self.pool)
        .await?
        .rows_affected();
        if retaken == 1 {
            return Ok(UpdateClaim::Fresh);
        }
        let done: i64 =
            sqlx::query_scalar("SELECT done FROM updates_seen WHERE bot = $1 AND update_id = $2")
                .bind(bot)
                .bind(update_id)
                .fetch_one(&self.pool)
                .await?;
        Ok(if done != 0 {
            UpdateClaim::Done
        } else {
            UpdateClaim::Busy
        })
    }

    pub async fn complete_update(&self, bot: &str, update_id: i64) -> Result<()> {
        sqlx::query("UPDATE updates_seen SET done = 1 WHERE bot = $1 AND update_id = $2")
            .bind(bot)
            .bind(update_id)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// Lets a redelivery take the update at once (its handler failed and will be retried).
    pub async fn release_update(&self, bot: &str, update_id: i64) -> Result<()> {
        sqlx::query("UPDATE updates_seen SET claimed_until = 0 WHERE bot = $1 AND update_id = $2 AND done = 0")
            .bind(bot)
            .bind(update_id)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// Whether the update was handled to the end.
    pub async fn update_done(&self, bot: &str, update_id: i64) -> Result<bool> {
        let done: Option<i64> =
            sqlx::query_scalar("SELECT done FROM updates_seen WHERE bot = $1 AND update_id = $2")
                .bind(bot)
                .bind(update_id)
                .fetch_optional(&self.pool)
                .await?;
        Ok(done == Some(1))
    }
}
