//! Pages of whole tables for CSV export, by key (keyset pagination): any number of rows, each
//! page one bounded query.

use super::{Result, Store};

/// What `/export` can export.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExportTable {
    Users,
    Jobs,
    Payments,
    Ledger,
}

impl ExportTable {
    pub fn parse(s: &str) -> Option<ExportTable> {
        Some(match s {
            "users" => ExportTable::Users,
            "jobs" => ExportTable::Jobs,
            "payments" => ExportTable::Payments,
            "ledger" => ExportTable::Ledger,
            _ => return None,
        })
    }

    pub fn name(self) -> &'static str {
        match self {
            ExportTable::Users => "users",
            ExportTable::Jobs => "jobs",
            ExportTable::Payments => "payments",
            ExportTable::Ledger => "ledger",
        }
    }

    pub fn header(self) -> &'static [&'static str] {
        match self {
            ExportTable::Users => &[
                "id",
                "first_name",
                "username",
                "language_code",
                "balance_seconds",
                "held_seconds",
                "trial_state",
                "created_at",
                "last_seen_at",
            ],
            ExportTable::Jobs => &[
                "id",
                "user_id",
                "media_kind",
                "state",
                "error_kind",
                "audio_seconds",
                "charged_seconds",
                "chunks",
                "formatter",
                "attempts",
                "total_ms",
                "created_at",
                "finished_at",
            ],
            ExportTable::Payments => &[
                "charge_id",
                "user_id",
                "package_id",
                "stars",
                "seconds",
                "state",
                "refunded_seconds",
                "created_at",
                "refunded_at",
            ],
            ExportTable::Ledger => &[
                "id",
                "user_id",
                "reason",
                "idem_key",
                "delta",
                "held_delta",
                "job_id",
                "note",
                "created_at",
            ],
        }
    }
}

/// One exported row, as text.
pub type Row = Vec<String>;

fn text(v: Option<i64>) -> String {
    v.map(|v| v.to_string()).unwrap_or_default()
}

type UserRow = (
    i64,
    String,
    Option<String>,
    Option<String>,
    i64,
    i64,
    String,
    i64,
    i64,
);
type JobRow = (
    i64,
    i64,
    String,
    String,
    Option<String>,
    Option<i64>,
    i64,
    Option<i64>,
    Option<String>,
    i64,
    Option<i64>,
    i64,
    Option<i64>,
);
type PaymentRow = (String, i64, String, i64, i64, String, i64, i64, Option<i64>);
type LedgerExportRow = (
    i64,
    i64,
    String,
    String,
    i64,
    i64,
    Option<i64>,
    Option<String>,
    i64,
);

impl Store {
    /// Up to `limit` rows of `table` created since `since`, after the key `after` (the last key
    /// of the previous page), in key order. Returns the rows and the key to continue from.
    /// Long by design: one flat match over the closed `ExportTable`, a query per table.
    pub async fn export_page(
        &self,
        table: ExportTable,
        since: i64,
        after: Option<&str>,
        limit: i64,
    ) -> Result<(Vec<Row>, Option<String>)> {
        let after_id = after
            .and_then(|a| a.parse::<i64>().ok())
            .unwrap_or(i64::MIN);
        let rows: Vec<Row> = match table {
            ExportTable::Users => sqlx::query_as::<_, UserRow>(
                "SELECT id, first_name, username, language_code, balance, held, trial_state, created_at, last_seen_at \
                 FROM users WHERE created_at >= $1 AND id > $2 ORDER BY id LIMIT $3",
            )
            .bind(since)
            .bind(after_id)
            .bind(limit)
            .fetch_all(&self.pool)
            .await?
            .into_iter()
            .map(|r| {
                vec![
                    r.0.to_string(),
                    r.1,
                    r.2.unwrap_or_default(),
                    r.3.unwrap_or_default(),
                    r.4.to_string(),
                    r.5.to_string(),
                    r.6,
                    r.7.to_string(),
                    r.8.to_string(),
                ]
            })
            .collect(),
            ExportTable::Jobs => sqlx::query_as::<_, JobRow>(
                "SELECT id, user_id, media_kind, state, error_kind, audio_seconds, charged_seconds, chunks, formatter, attempts, \
                 total_ms, created_at, finished_at FROM jobs WHERE created_at >= $1 AND id > $2 ORDER BY id LIMIT $3",
            )
            .bind(since)
            .bind(after_id)
            .bind(limit)
            .fetch_all(&self.pool)
            .await?
            .into_iter()
            .map(|r| {
                vec![
                    r.0.to_string(),
                    r.1.to_string(),
                    r.2,
                    r.3,
                    r.4.unwrap_or_default(),
                    text(r.5),
                    r.6.to_string(),
                    text(r.7),
                    r.8.unwrap_or_default(),
                    r.9.to_string(),
                    text(r.10),
                    r.11.to_string(),
                    text(r.12),
                ]
            })
            .collect(),
            ExportTable::Payments => sqlx::query_as::<_, PaymentRow>(
                "SELECT charge_id, user_id, package_id, stars, seconds, state, refunded_seconds, created_at, refunded_at \
                 FROM payments WHERE created_at >= $1 AND charge_id > $2 ORDER BY charge_id LIMIT $3",
            )
            .bind(since)
            .bind(after.unwrap_or(""))
            .bind(limit)
            .fetch_all(&self.pool)
            .await?
            .into_iter()
            .map(|r| vec![r.0, r.1.to_string(), r.2, r.3.to_string(), r.4.to_string(), r.5, r.6.to_string(), r.7.to_string(), text(r.8)])
            .collect(),
            ExportTable::Ledger => sqlx::query_as::<_, LedgerExportRow>(
                "SELECT id, user_id, reason, idem_key, delta, held_delta, job_id, note, created_at \
                 FROM ledger WHERE created_at >= $1 AND id > $2 ORDER BY id LIMIT $3",
            )
            .bind(since)
            .bind(after_id)
            .bind(limit)
            .fetch_all(&self.pool)
            .await?
            .into_iter()
            .map(|r| {
                vec![
                    r.0.to_string(),
                    r.1.to_string(),
                    r.2,
                    r.3,
                    r.4.to_string(),
                    r.5.to_string(),
                    text(r.6),
                    r.7.unwrap_or_default(),
                    r.8.to_string(),
                ]
            })
            .collect(),
        };
        let next = rows.last().and_then(|r| r.first().cloned());
        Ok((rows, next))
    }
}
