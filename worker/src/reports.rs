//! What admins read: statistics, stage metrics, system status and the periodic report — all
//! computed from the store (and the queue's depth), so every replica answers the same — and
//! CSV exports streamed page by page into a file, with no row cap.

use std::time::Duration;

use scribe_core::i18n::{
    Lang, MetricsSummary, Msg, OldestJob, Ratio, StageTiming, StatSummary, StatTitle,
    StatusSummary, WorkerLine,
};
use scribe_core::retry::{Classify, Retry};
use scribe_core::telemetry::chain;
use scribe_core::time::now_secs;
use scribe_queue::{Queue, QueueName};
use scribe_store::{ExportTable, STAGES, Stats, Store, percentile};
use scribe_telegram::{Telegram, TextOptions};
use tokio::io::AsyncWriteExt;

/// Rows fetched per query while exporting.
pub const EXPORT_PAGE: i64 = 500;

/// The `/stat` text (also the body of the periodic report).
pub fn stat_text(stats: &Stats, title: StatTitle, lang: Lang) -> String {
    Msg::Stat {
        title,
        stats: StatSummary {
            users_total: stats.users_total,
            users_new: stats.users_new,
            users_active: stats.users_active,
            jobs_done: stats.jobs_done,
            jobs_failed: stats.jobs_failed,
            audio_seconds: stats.audio_seconds,
            revenue_stars: stats.revenue_stars,
            payments: stats.payments,
            refunds: stats.refunds,
            failures: &stats.failures,
            top_users: &stats.top_users,
        },
    }
    .render(lang)
}

/// Sums the counts of `items` whose name passes `keep`.
fn sum(items: &[(String, i64)], keep: impl Fn(&str) -> bool) -> i64 {
    items
        .iter()
        .filter(|(name, _)| keep(name))
        .map(|(_, n)| n)
        .sum()
}

/// The `/metrics` text over the last `hours`.
pub async fn metrics_text(
    store: &Store,
    queue: &dyn Queue,
    hours: i64,
    lang: Lang,
) -> Result<String, scribe_store::Error> {
    let timings = store.timings(now_secs() - hours * 3600).await?;
    let stages: Vec<StageTiming> = STAGES
        .iter()
        .zip(&timings.stages)
        .map(|(stage, values)| StageTiming {
            stage,
            p50_ms: percentile(values, 0.5),
            p95_ms: percentile(values, 0.95),
        })
        .collect();
    let failed = sum(&timings.failed, |_| true);
    let provider_failed = sum(&timings.failed, |k| k == "provider");
    let formatted = sum(&timings.formatters, |f| f != "skipped");
    let by_fallback = sum(&timings.formatters, |f| {
        f != "skipped" && f != "raw" && !f.starts_with("qwen")
    });
    let raw = sum(&timings.formatters, |f| f == "raw");
    let summary = MetricsSummary {
        hours,
        stages: &stages,
        recognition: Ratio {
            part: timings.done,
            of: timings.done + provider_failed,
        },
        by_fallback: Ratio {
            part: by_fallback,
            of: formatted,
        },
        left_raw: Ratio {
            part: raw,
            of: formatted,
        },
        errors: Ratio {
            part: failed,
            of: timings.done + failed,
        },
        jobs_queue: shown("jobs queue depth", queue.depth(QueueName::Jobs).await),
        wait_p50_ms: percentile(&timings.waits, 0.5).map(|s| s * 1000),
        wait_p95_ms: percentile(&timings.waits, 0.95).map(|s| s * 1000),
    };
    Ok(Msg::Metrics(summary).render(lang))
}

/// A broker figure for a report: shown as unknown when the broker cannot say, and logged.
fn shown<T>(what: &str, figure: Result<T, scribe_queue::Error>) -> Option<T> {
    figure
        .map_err(|e| tracing::warn!(error = %chain(&e), what, "figure unavailable for a report"))
        .ok()
}

/// Workers listed by `/status`, at most.
const STATUS_WORKERS: usize = 10;

/// The `/status` text: queues, jobs per state, oldest unfinished job, workers seen.
pub async fn status_text(
    store: &Store,
    queue: &dyn Queue,
    lang: Lang,
) -> Result<String, scribe_store::Error> {
    let now = now_secs();
    let jobs = store.jobs_by_state().await?;
    let oldest = store.oldest_unfinished().await?.map(|t| OldestJob {
        age_seconds: now - t,
        created_at: t,
    });
    let seen = store.workers_seen(now - 120).await?;
    let workers: Vec<WorkerLine> = seen
        .iter()
        .take(STATUS_WORKERS)
        .map(|(id, role, at)| WorkerLine {
            id,
            role,
            seconds_ago: now - at,
        })
        .collect();
    let summary = StatusSummary {
        updates_queue: shown("updates queue depth", queue.depth(QueueName::Updates).await),
        jobs_queue: shown("jobs queue depth", queue.depth(QueueName::Jobs).await),
        dead_letters: shown("dead letters", queue.dead_letters().await),
        jobs: &jobs,
        oldest,
        workers_seen: seen.len(),
        workers: &workers,
    };
    Ok(Msg::Status(summary).render(lang))
}

/// Writes `table` (rows created in the last `days`, or all) as UTF-8 CSV into `path`, one page
/// at a time. Returns the number of rows.
pub async fn export_csv(
    store: &Store,
    table: ExportTable,
    days: Option<i64>,
    path: &std::path::Path,
) -> Result<u64, ExportError> {
    let since = days.map_or(i64::MIN, |d| now_secs() - d * 86_400);
    let mut file = tokio::io::BufWriter::new(
        tokio::fs::File::create(path)
            .await
            .map_err(ExportError::Io)?,
    );
    file.write_all(&csv_line(table.header().iter().copied()))
        .await
        .map_err(ExportError::Io)?;
    let mut after: Option<String> = None;
    let mut rows = 0u64;
    loop {
        let (page, next) = store
            .export_page(table, since, after.as_deref(), EXPORT_PAGE)
            .await?;
        for row in &page {
            file.write_all(&csv_line(row.iter().map(String::as_str)))
                .await
                .map_err(ExportError::Io)?;
        }
        rows += page.len() as u64;
        if (page.len() as i64) < EXPORT_PAGE {
            break;
        }
        after = next;
    }
    file.flush().await.map_err(ExportError::Io)?;
    Ok(rows)
}

#[derive(Debug, thiserror::Error)]
pub enum ExportError {
    #[error("store error")]
    Store(#[from] scribe_store::Error),
    #[error("export file error")]
    Io(#[source] std::io::Error),
}

impl Classify for ExportError {
    fn retry(&self) -> Retry {
        match self {
            ExportError::Store(e) => e.retry(),
            ExportError::Io(_) => Retry::Transient { after: None },
        }
    }
}

/// A text cell a spreadsheet would run as a formula (`=`, `+`, `-`, `@`, tab or CR first) gets
/// a leading `'`; numbers (a negative ledger delta) stay numbers.
fn neutralised(field: &str) -> std::borrow::Cow<'_, str> {
    let formula = field.starts_with(['=', '+', '-', '@', '\t', '\r']);
    if formula && field.parse::<i64>().is_err() {
        std::borrow::Cow::Owned(format!("'{field}"))
    } else {
        std::borrow::Cow::Borrowed(field)
    }
}

/// One CSV record (RFC 4180 quoting, formulas neutralised), with CRLF.
fn csv_line<'a>(fields: impl Iterator<Item = &'a str>) -> Vec<u8> {
    let quoted: Vec<String> = fields
        .map(|f| {
            let f = neutralised(f);
            if f.contains([',', '"', '\n', '\r']) {
                format!("\"{}\"", f.replace('"', "\"\""))
            } else {
                f.into_owned()
            }
        })
        .collect();
    format!("{}\r\n", quoted.join(",")).into_bytes()
}

/// A report period.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Period {
    Daily,
    Weekly,
}

impl Period {
    pub fn parse(s: &str) -> Option<Period> {
        match s {
            "daily" => Some(Period::Daily),
            "weekly" => Some(Period::Weekly),
            _ => None,
        }
    }

    pub fn days(self) -> i64 {
        match self {
            Period::Daily => 1,
            Period::Weekly => 7,
        }
    }

    pub fn title(self) -> StatTitle {
        match self {
            Period::Daily => StatTitle::DailyReport,
            Period::Weekly => StatTitle::WeeklyReport,
        }
    }
}

/// The report of `period`.
pub async fn report_text(
    store: &Store,
    period: Period,
    lang: Lang,
) -> Result<String, scribe_store::Error> {
    let stats = store.stats(now_secs() - period.days() * 86_400).await?;
    Ok(stat_text(&stats, period.title(), lang))
}

/// `scribe report daily|weekly`: sends the report to every admin. Returns how many got it.
pub async fn send_report(
    store: &Store,
    telegram: &Telegram,
    admins: &[i64],
    period: Period,
) -> Result<usize, scribe_store::Error> {
    let mut sent = 0;
    for admin in admins {
        let lang = match store.user(*admin).await? {
            Some(u) => Lang::pick(u.ui_lang.as_deref(), u.language_code.as_deref()),
            None => Lang::En,
        };
        let text = report_text(store, period, lang).await?;
        let backoff = scribe_core::retry::Backoff::new(4, Duration::from_millis(500));
        let options = TextOptions::html();
        match backoff
            .run(|_| telegram.send_message(*admin, &text, &options), |_| {})
            .await
        {
            Ok(_) => sent += 1,
            Err(e) => tracing::warn!(error = %chain(&e), admin, "report not delivered"),
        }
    }
    Ok(sent)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_fields_are_quoted_when_needed() {
        assert_eq!(
            csv_line(["a", "b,c", "say \"hi\"", "x\ny"].into_iter()),
            b"a,\"b,c\",\"say \"\"hi\"\"\",\"x\ny\"\r\n".to_vec()
        );
    }

    #[test]
    fn formulas_in_text_cells_are_neutralised_and_numbers_kept() {
        assert_eq!(
            csv_line(
                [
                    "=HYPERLINK(\"http://x\")",
                    "+1",
                    "-60",
                    "@SUM(A1)",
                    "\tx",
                    "plain"
                ]
                .into_iter()
            ),
            b"\"'=HYPERLINK(\"\"http://x\"\")\",+1,-60,'@SUM(A1),'\tx,plain\r\n".to_vec()
        );
    }

    #[test]
    fn report_periods_parse_from_their_names_only() {
        assert_eq!(Period::parse("daily").map(Period::days), Some(1));
        assert_eq!(Period::parse("weekly").map(Period::days), Some(7));
        for other in ["Daily", "monthly", "day", ""] {
            assert_eq!(Period::parse(other), None, "{other:?}");
        }
    }
}
