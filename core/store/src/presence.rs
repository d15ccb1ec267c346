//! Process presence and alert bookkeeping shared by all replicas: workers record that they are
//! alive, and an alert goes out only when its cooldown, kept here, allows.

use super::{Result, Store};
use scribe_core::time::now_secs;

impl Store {
    /// Records that worker `id` (`role`: updates, jobs, all, run) is alive now.
    pub async fn worker_seen(&self, id: &str, role: &str) -> Result<()> {
        let now = now_secs();
        sqlx::query(
            "INSERT INTO workers (id, role, started_at, seen_at) VALUES ($1, $2, $3, $3) \
             ON CONFLICT (id) DO UPDATE SET seen_at = excluded.seen_at, role = excluded.role",
        )
        .bind(id)
        .bind(role)
        .bind(now)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// `(id, role, seen_at)` of workers seen since `since`, most recent first.
    pub async fn workers_seen(&self, since: i64) -> Result<Vec<(String, String, i64)>> {
        Ok(sqlx::query_as(
            "SELECT id, role, seen_at FROM workers WHERE seen_at >= $1 ORDER BY seen_at DESC, id",
        )
        .bind(since)
        .fetch_all(&self.pool)
        .await?)
    }

    /// Counts one more failure in a row for `kind`; returns the streak.
    pub async fn failure_streak(&self, kind: &str) -> Result<i64> {
        Ok(sqlx::query_scalar(
            "INSERT INTO alerts (kind, streak, last_sent_at) VALUES ($1, 1, 0) \
             ON CONFLICT (kind) DO UPDATE SET streak = alerts.streak + 1 RETURNING streak",
        )
        .bind(kind)
        .fetch_one(&self.pool)
        .await?)
    }

    /// Ends a failure streak (a success).
    pub async fn reset_streak(&self, kind: &str) -> Result<()> {
        sqlx::query("UPDATE alerts SET streak = 0 WHERE kind = $1 AND streak > 0")
            .bind(kind)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// True for exactly one caller per `window_secs` across all replicas: that caller sends the
    /// alert `kind`, or takes this turn of a periodic task.
    pub async fn claim_window(&self, kind: &str, window_secs: i64) -> Result<bool> {
        let now = now_secs();
        sqlx::query("INSERT INTO alerts (kind, streak, last_sent_at) VALUES ($1, 0, 0) ON CONFLICT (kind) DO NOTHING")
            .bind(kind)
            .execute(&self.pool)
            .await?;
        Ok(sqlx::query(
            "UPDATE alerts SET last_sent_at = $2 WHERE kind = $1 AND last_sent_at <= $3",
        )
        .bind(kind)
        .bind(now)
        .bind(now - window_secs)
        .execute(&self.pool)
        .await?
        .rows_affected()
            == 1)
    }
}
