//! Read-side queries for admins: statistics over a period, per-user totals, stage timings and
//! the state of the job table. Everything is computed from rows, so every replica answers the
//! same.

use super::{Result, Store};

/// Numbers for `/stat` and the periodic report.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Stats {
    pub users_total: i64,
    pub users_new: i64,
    pub users_active: i64,
    pub jobs_done: i64,
    pub jobs_failed: i64,
    pub audio_seconds: i64,
    pub payments: i64,
    pub revenue_stars: i64,
    pub refunds: i64,
    /// `(user id, first name, seconds charged)`, most first.
    pub top_users: Vec<(i64, String, i64)>,
    /// `(error kind, count)` of failed jobs, most first.
    pub failures: Vec<(String, i64)>,
}

/// A user's totals for the `/user` card.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct UserTotals {
    pub jobs_done: i64,
    pub jobs_failed: i64,
    pub seconds_charged: i64,
    pub stars_paid: i64,
    pub last_job_at: Option<i64>,
}

/// Timings and outcomes of the jobs finished in a period, for `/metrics`.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Timings {
    /// Milliseconds per stage: download, prepare, asr, llm, deliver, total (in that order).
    pub stages: [Vec<i64>; 6],
    /// Seconds jobs waited before their first start.
    pub waits: Vec<i64>,
    /// `(formatter, count)` of done jobs: a model name, `raw` or `skipped`.
    pub formatters: Vec<(String, i64)>,
    pub done: i64,
    /// `(error kind, count)`.
    pub failed: Vec<(String, i64)>,
}

/// download, prepare, asr, llm, deliver, total (ms), started_at, created_at.
type TimingRow = (
    Option<i64>,
    Option<i64>,
    Option<i64>,
    Option<i64>,
    Option<i64>,
    Option<i64>,
    Option<i64>,
    i64,
);

pub const STAGES: [&str; 6] = ["download", "prepare", "asr", "llm", "deliver", "total"];

impl Store {
    pub async fn stats(&self, since: i64) -> Result<Stats> {
        let count = |sql: &'static str| async move {
            sqlx::query_scalar::<_, i64>(sql)
                .bind(since)
                .fetch_one(&self.pool)
                .await
        };
        let users_total: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM users")
            .fetch_one(&self.pool)
            .await?;
        let top_users: Vec<(i64, String, i64)> = sqlx::query_as(
            "SELECT u.id, u.first_name, CAST(SUM(j.charged_seconds) AS BIGINT) AS s FROM jobs j JOIN users u ON u.id = j.user_id \
             WHERE j.state = 'done' AND j.finished_at >= $1 GROUP BY u.id, u.first_name ORDER BY s DESC, u.id LIMIT 5",
        )
        .bind(since)
        .fetch_all(&self.pool)
        .await?;
        let failures: Vec<(String, i64)> = sqlx::query_as(
            "SELECT COALESCE(error_kind, 'unknown'), COUNT(*) AS n FROM jobs WHERE state = 'failed' AND finished_at >= $1 \
             GROUP BY COALESCE(error_kind, 'unknown') ORDER BY n DESC",
        )
        .bind(since)
        .fetch_all(&self.pool)
        .await?;
        Ok(Stats {
            users_total,
            users_new: count("SELECT COUNT(*) FROM users WHERE created_at >= $1").await?,
            users_active: count("SELECT COUNT(*) FROM users WHERE last_seen_at >= $1").await?,
            jobs_done: count("SELECT COUNT(*) FROM jobs WHERE state = 'done' AND finished_at >= $1").await?,
            jobs_failed: count("SELECT COUNT(*) FROM jobs WHERE state = 'failed' AND finished_at >= $1").await?,
            audio_seconds: count(
                "SELECT CAST(COALESCE(SUM(charged_seconds), 0) AS BIGINT) FROM jobs WHERE state = 'done' AND finished_at >= $1",
            )
            .await?,
            payments: count("SELECT COUNT(*) FROM payments WHERE created_at >= $1").await?,
            revenue_stars: count(
                "SELECT CAST(COALESCE(SUM(stars), 0) AS BIGINT) FROM payments WHERE created_at >= $1 AND state = 'paid'",
            )
            .await?,
            refunds: count("SELECT COUNT(*) FROM payments WHERE refunded_at >= $1").await?,
            top_users,
            failures,
        })
    }

    pub async fn user_totals(&self, user_id: i64) -> Result<UserTotals> {
        let (jobs_done, jobs_failed, seconds_charged, last_job_at): (i64, i64, i64, Option<i64>) = sqlx::query_as(
            "SELECT CAST(COALESCE(SUM(CASE WHEN state = 'done' THEN 1 ELSE 0 END), 0) AS BIGINT), \
                    CAST(COALESCE(SUM(CASE WHEN state = 'failed' THEN 1 ELSE 0 END), 0) AS BIGINT), \
                    CAST(COALESCE(SUM(charged_seconds), 0) AS BIGINT), MAX(created_at) \
             FROM jobs WHERE user_id = $1",
        )
        .bind(user_id)
        .fetch_one(&self.pool)
        .await?;
        let stars_paid: i64 = sqlx::query_scalar(
            "SELECT CAST(COALESCE(SUM(stars), 0) AS BIGINT) FROM payments WHERE user_id = $1 AND state = 'paid'",
        )
        .bind(user_id)
        .fetch_one(&self.pool)
        .await?;
        Ok(UserTotals {
            jobs_done,
            jobs_failed,
            seconds_charged,
            stars_paid,
            last_job_at,
        })
    }

    /// Jobs done and seconds charged for a user since `since`.
    pub async fn usage_since(&self, user_id: i64, since: i64) -> Result<(i64, i64)> {
        Ok(sqlx::query_as(
            "SELECT COUNT(*), CAST(COALESCE(SUM(charged_seconds), 0) AS BIGINT) FROM jobs \
             WHERE user_id = $1 AND state = 'done' AND finished_at >= $2",
        )
        .bind(user_id)
        .bind(since)
        .fetch_one(&self.pool)
        .await?)
    }

    pub async fn timings(&self, since: i64) -> Result<Timings> {
        let rows: Vec<TimingRow> =
            sqlx::query_as(
                "SELECT download_ms, prepare_ms, asr_ms, llm_ms, deliver_ms, total_ms, started_at, created_at \
                 FROM jobs WHERE state = 'done' AND finished_at >= $1",
            )
            .bind(since)
            .fetch_all(&self.pool)
            .await?;
        let mut timings = Timings {
            done: i64::try_from(rows.len()).unwrap_or(i64::MAX),
            ..Timings::default()
        };
        for (download, prepare, asr, llm, deliver, total, started, created) in rows {
            for (i, v) in [download, prepare, asr, llm, deliver, total]
                .into_iter()
                .enumerate()
            {
                if let Some(v) = v {
                    timings.stages[i].push(v);
                }
            }
            if let Some(started) = started {
                timings.waits.push((started - created).max(0));
            }
        }
        for stage in &mut timings.stages {
            stage.sort_unstable();
        }
        timings.waits.sort_unstable();
        timings.formatters = sqlx::query_as(
            "SELECT COALESCE(formatter, 'unknown'), COUNT(*) AS n FROM jobs WHERE state = 'done' AND finished_at >= $1 \
             GROUP BY COALESCE(formatter, 'unknown') ORDER BY n DESC",
        )
        .bind(since)
        .fetch_all(&self.pool)
        .await?;
        timings.failed = sqlx::query_as(
            "SELECT COALESCE(error_kind, 'unknown'), COUNT(*) AS n FROM jobs WHERE state = 'failed' AND finished_at >= $1 \
             GROUP BY COALESCE(error_kind, 'unknown') ORDER BY n DESC",
        )
        .bind(since)
        .fetch_all(&self.pool)
        .await?;
        Ok(timings)
    }

    /// `(state, count)` of every job.
    pub async fn jobs_by_state(&self) -> Result<Vec<(String, i64)>> {
        Ok(
            sqlx::query_as("SELECT state, COUNT(*) AS n FROM jobs GROUP BY state ORDER BY state")
                .fetch_all(&self.pool)
                .await?,
        )
    }

    /// Creation time of the oldest unfinished job.
    pub async fn oldest_unfinished(&self) -> Result<Option<i64>> {
        Ok(sqlx::query_scalar(
            "SELECT MIN(created_at) FROM jobs WHERE state IN ('queued', 'running', 'delivering')",
        )
        .fetch_one(&self.pool)
        .await?)
    }
}

/// The `p`-th percentile (0..=1) of sorted values.
pub fn percentile(sorted: &[i64], p: f64) -> Option<i64> {
    if sorted.is_empty() {
        return None;
    }
    let rank = ((sorted.len() as f64 - 1.0) * p.clamp(0.0, 1.0)).round() as usize;
    sorted.get(rank).copied()
}
