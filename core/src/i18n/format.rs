//! Formatting both languages share: dates, people, percentages, queue depths, and escaping of
//! the values people typed.

use super::message::{Person, Ratio};
use crate::text::escape_html;

/// `YYYY-MM-DD HH:MM` (UTC) of seconds since the epoch.
pub fn date_time(epoch: i64) -> String {
    let days = epoch.div_euclid(86_400);
    let secs = epoch.rem_euclid(86_400);
    // Civil-from-days (Howard Hinnant's algorithm), valid for the proleptic Gregorian calendar.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02} {:02}:{:02}",
        secs / 3600,
        secs % 3600 / 60
    )
}

/// `Name (@username, id <code>123</code>)`, escaped.
pub(super) fn person(p: &Person<'_>) -> String {
    let name = escape_html(p.first_name);
    match p.username {
        Some(u) => format!("{name} (@{}, id <code>{}</code>)", escape_html(u), p.id),
        None => format!("{name} (id <code>{}</code>)", p.id),
    }
}

/// `12.5 %`, or a dash when the whole is zero.
pub(super) fn percent(r: Ratio) -> String {
    if r.of == 0 {
        "—".to_owned()
    } else {
        format!("{:.1} %", r.part as f64 * 100.0 / r.of as f64)
    }
}

/// Milliseconds as seconds with one decimal, followed by `unit`; a dash when unknown.
pub(super) fn seconds_of_millis(ms: Option<i64>, unit: &str) -> String {
    ms.map_or_else(
        || "—".into(),
        |v| format!("{:.1} {unit}", v as f64 / 1000.0),
    )
}

/// A queue depth, or `?` when the broker did not say.
pub(super) fn depth(d: Option<u64>) -> String {
    d.map_or_else(|| "?".to_owned(), |d| d.to_string())
}

/// Escaped values joined with `, `, or a dash when there are none.
pub(super) fn counts(items: &[(String, i64)]) -> String {
    if items.is_empty() {
        return "—".into();
    }
    items
        .iter()
        .map(|(k, n)| format!("{} {n}", escape_html(k)))
        .collect::<Vec<_>>()
        .join(", ")
}
