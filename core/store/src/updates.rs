//! Update deduplication: `(bot, update_id)` is claimed before an update is handled and marked
//! done after, so a redelivered update is handled once, and an update whose handler crashed is
//! taken again once its claim lapses. Entries expire: Telegram restarts update ids after a week
//! without updates, and a new update that reuses an old id must be handled.

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
    /// Claims the update for `lease_ms`. An entry last seen before `expired_before` (seconds)
    /// belongs to an older update that had the same id, and is claimed afresh.
    pub async fn claim_update(
        &self,
        bot: &str,
        update_id: i64,
        lease_ms: i64,
        expired_before: i64,
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
        let reused = sqlx::query(
            "UPDATE updates_seen SET done = 0, claimed_until = $3, seen_at = $4 WHERE bot = $1 AND update_id = $2 AND seen_at < $5",
        )
        .bind(bot)
        .bind(update_id)
        .bind(now + lease_ms)
        .bind(now_secs())
        .bind(expired_before)
        .execute(&self.pool)
        .await?
        .rows_affected();
        if reused == 1 {
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

    /// Forgets update ids seen before `before` (seconds); returns how many.
    pub async fn forget_updates(&self, before: i64) -> Result<u64> {
        Ok(sqlx::query("DELETE FROM updates_seen WHERE seen_at < $1")
            .bind(before)
            .execute(&self.pool)
            .await?
            .rows_affected())
    }

    /// Counts one update of `user_id` in the current `window` (seconds) and returns how many the
    /// user sent in it so far, shared by every replica.
    pub async fn count_user_update(&self, user_id: i64, window: i64) -> Result<i64> {
        let start = now_secs() / window.max(1) * window.max(1);
        Ok(sqlx::query_scalar(
            "INSERT INTO rate_windows (user_id, window_start, hits) VALUES ($1, $2, 1) \
             ON CONFLICT (user_id) DO UPDATE SET \
                 hits = CASE WHEN rate_windows.window_start = excluded.window_start THEN rate_windows.hits + 1 ELSE 1 END, \
                 window_start = excluded.window_start \
             RETURNING hits",
        )
        .bind(user_id)
        .bind(start)
        .fetch_one(&self.pool)
        .await?)
    }
}
