//! What admins read: statistics, stage metrics, system status and the periodic report — all
//! computed from the store (and the queue's depth), so every replica answers the same — and
//! CSV exports streamed page by page into a file, with no row cap.

use std::time::Duration;

use scribe_core::i18n::{Lang, date_time};
use scribe_core::retry::{Classify, Retry};
use scribe_core::text::escape_html;
use scribe_core::time::now_secs;
use scribe_queue::{Queue, QueueName};
use scribe_store::{ExportTable, STAGES, Stats, Store, percentile};
use scribe_telegram::{Telegram, TextOptions};
use tokio::io::AsyncWriteExt;

/// Rows fetched per query while exporting.
pub const EXPORT_PAGE: i64 = 500;

/// The `/stat` text (also the body of the periodic report).
pub fn stat_text(stats: &Stats, title: &str, lang: Lang) -> String {
    let mut out = format!("📊 <b>{}</b>\n", escape_html(title));
    out.push_str(&format!(
        "{}: {} ({} {}, {} {})\n",
        lang.t("Users", "Пользователи"),
        stats.users_total,
        stats.users_new,
        lang.t("new", "новых"),
        stats.users_active,
        lang.t("active", "активных")
    ));
    out.push_str(&format!(
        "{}: {} {}, {} {}\n",
        lang.t("Jobs", "Задания"),
        stats.jobs_done,
        lang.t("done", "готово"),
        stats.jobs_failed,
        lang.t("failed", "с ошибкой")
    ));
    out.push_str(&format!(
        "{}: {}\n",
        lang.t("Audio charged", "Списано аудио"),
        lang.duration(stats.audio_seconds)
    ));
    out.push_str(&format!(
        "{}: {} ⭐ ({} {}, {} {})\n",
        lang.t("Revenue", "Выручка"),
        stats.revenue_stars,
        stats.payments,
        lang.t("payments", "платежей"),
        stats.refunds,
        lang.t("refunds", "возвратов")
    ));
    if !stats.failures.is_empty() {
        let list: Vec<String> = stats
            .failures
            .iter()
            .map(|(k, n)| format!("{} {n}", escape_html(k)))
            .collect();
        out.push_str(&format!(
            "{}: {}\n",
            lang.t("Failures", "Ошибки"),
            list.join(", ")
        ));
    }
    if !stats.top_users.is_empty() {
        out.push_str(&format!("{}:\n", lang.t("Top users", "Топ пользователей")));
        for (id, name, seconds) in &stats.top_users {
            out.push_str(&format!(
                "• {} (<code>{id}</code>) — {}\n",
                escape_html(name),
                lang.duration(*seconds)
            ));
        }
    }
    out.trim_end().to_owned()
}

fn ms(v: Option<i64>) -> String {
    v.map_or_else(|| "—".into(), |v| format!("{:.1} s", v as f64 / 1000.0))
}

/// The `/metrics` text over the last `hours`.
pub async fn metrics_text(
    store: &Store,
    queue: &dyn Queue,
    hours: i64,
    lang: Lang,
) -> Result<String, scribe_store::Error> {
    let timings = store.timings(now_secs() - hours * 3600).await?;
    let mut out = format!("📈 <b>{} {hours} h</b>\n", lang.t("Last", "За"));
    out.push_str(&format!("{} (p50 / p95):\n", lang.t("Stages", "Этапы")));
    for (name, values) in STAGES.iter().zip(&timings.stages) {
        out.push_str(&format!(
            "• {name}: {} / {}\n",
            ms(percentile(values, 0.5)),
            ms(percentile(values, 0.95))
        ));
    }
    let failed: i64 = timings.failed.iter().map(|(_, n)| n).sum();
    let provider_failed: i64 = timings
        .failed
        .iter()
        .filter(|(k, _)| k == "provider")
        .map(|(_, n)| n)
        .sum();
    let total = timings.done + failed;
    let rate = |n: i64, of: i64| {
        if of == 0 {
            "—".to_owned()
        } else {
            format!("{:.1} %", n as f64 * 100.0 / of as f64)
        }
    };
    out.push_str(&format!(
        "{}: {}\n",
        lang.t("Recognition success", "Успешное распознавание"),
        rate(timings.done, timings.done + provider_failed)
    ));
    let formatted: i64 = timings
        .formatters
        .iter()
        .filter(|(f, _)| f != "skipped")
        .map(|(_, n)| n)
        .sum();
    let by_fallback: i64 = timings
        .formatters
        .iter()
        .filter(|(f, _)| f != "skipped" && f != "raw" && !f.starts_with("qwen"))
        .map(|(_, n)| n)
        .sum();
    let raw: i64 = timings
        .formatters
        .iter()
        .filter(|(f, _)| f == "raw")
        .map(|(_, n)| n)
        .sum();
    out.push_str(&format!(
        "{}: {} {}, {} {}\n",
        lang.t("Formatting", "Оформление"),
        rate(by_fallback, formatted),
        lang.t("by the fallback", "через запасную модель"),
        rate(raw, formatted),
        lang.t("left raw", "без оформления")
    ));
    out.push_str(&format!(
        "{}: {}\n",
        lang.t("Error rate", "Доля ошибок"),
        rate(failed, total)
    ));
    let depth = queue
        .depth(QueueName::Jobs)
        .await
        .map_or_else(|_| "?".to_owned(), |d| d.to_string());
    out.push_str(&format!(
        "{}: {depth}; {} p50 / p95: {} / {}",
        lang.t("Jobs queue", "Очередь заданий"),
        lang.t("wait", "ожидание"),
        ms(percentile(&timings.waits, 0.5).map(|s| s * 1000)),
        ms(percentile(&timings.waits, 0.95).map(|s| s * 1000))
    ));
    Ok(out)
}

/// The `/status` text: queues, jobs per state, oldest unfinished job, workers seen.
pub async fn status_text(
    store: &Store,
    queue: &dyn Queue,
    lang: Lang,
) -> Result<String, scribe_store::Error> {
    let depth = |q| async move {
        queue
            .depth(q)
            .await
            .map_or_else(|_| "?".to_owned(), |d| d.to_string())
    };
    let dead = queue
        .dead_letters()
        .await
        .map_or_else(|_| "?".to_owned(), |d| d.to_string());
    let mut out = format!(
        "🩺 <b>{}</b>\n{}: updates {}, jobs {}, dead {dead}\n",
        lang.t("Status", "Состояние"),
        lang.t("Queues", "Очереди"),
        depth(QueueName::Updates).await,
        depth(QueueName::Jobs).await
    );
    let states: Vec<String> = store
        .jobs_by_state()
        .await?
        .into_iter()
        .map(|(s, n)| format!("{s} {n}"))
        .collect();
    out.push_str(&format!(
        "{}: {}\n",
        lang.t("Jobs", "Задания"),
        if states.is_empty() {
            "—".into()
        } else {
            states.join(", ")
        }
    ));
    match store.oldest_unfinished().await? {
        Some(t) => out.push_str(&format!(
            "{}: {} ({})\n",
            lang.t("Oldest unfinished job", "Самое старое незавершённое"),
            lang.duration(now_secs() - t),
            date_time(t)
        )),
        None => out.push_str(&format!(
            "{}\n",
            lang.t("No unfinished jobs.", "Незавершённых заданий нет.")
        )),
    }
    let workers = store.workers_seen(now_secs() - 120).await?;
    out.push_str(&format!(
        "{}: {}",
        lang.t("Workers seen (2 min)", "Воркеры за 2 мин"),
        workers.len()
    ));
    for (id, role, seen) in workers.iter().take(10) {
        out.push_str(&format!(
            "\n• <code>{}</code> {role} — {} s",
            escape_html(id),
            now_secs() - seen
        ));
    }
    Ok(out)
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

    pub fn title(self, lang: Lang) -> &'static str {
        match self {
            Period::Daily => lang.t("Daily report", "Отчёт за день"),
            Period::Weekly => lang.t("Weekly report", "Отчёт за неделю"),
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
    Ok(stat_text(&stats, period.title(lang), lang))
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
            Err(e) => tracing::warn!(error = %e, admin, "report not delivered"),
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
