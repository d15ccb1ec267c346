//! `voice`: our own time per short voice note, and where it goes. Fifteen notes of ~10 s, one
//! after another, the providers answering at once. Each note's timeline is put together from
//! three clocks read to the microsecond: the requests as the fakes received them (Telegram's
//! `sendMessage`, `getFile`, the final edit; the recogniser's and formatter's requests), the
//! process's own log lines (`job created`, `job delivered`, `job done`), and the stage times the
//! job row keeps.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use scribe_fakes::telegram::{Call, FileKind};
use scribe_testkit::audio::{self, Format};
use scribe_testkit::bot::{Fakes, Scribe};

use super::{Media, Offered, SETTINGS, binary, delivered, fakes_answering, job, offer, speech};

const NOTES: i64 = 15;
/// One note offered this often at most.
const PACE: Duration = Duration::from_millis(250);
/// What a ~10 s note says: long enough for the formatter to be asked.
const NOTE_TEXT: &str = "bench the quarterly numbers look better than we expected so please send \
                         the draft to the whole team before Friday and we will meet next week";

/// One note's moments, in milliseconds after its update was offered.
#[derive(Debug, Default, Clone)]
struct Timeline {
    created: f64,
    status: f64,
    get_file: f64,
    asr_start: f64,
    asr_end: f64,
    /// The formatter's requests (zero when it was not asked).
    llm: f64,
    delivered: f64,
    done: f64,
    row: Row,
    /// Telegram requests in this chat, by method.
    calls: BTreeMap<String, usize>,
}

/// Stage times the job row keeps (milliseconds).
#[derive(Debug, Default, Clone, sqlx::FromRow)]
struct Row {
    id: i64,
    chat_id: i64,
    download_ms: Option<i64>,
    prepare_ms: Option<i64>,
    asr_ms: Option<i64>,
    llm_ms: Option<i64>,
    deliver_ms: Option<i64>,
    total_ms: Option<i64>,
}

/// The finished jobs' rows, read with plain SQL so that older binaries' stores read the same.
async fn rows(database_url: &str) -> Vec<Row> {
    let pool = sqlx::sqlite::SqlitePool::connect(database_url)
        .await
        .expect("open the store");
    let rows = sqlx::query_as::<_, Row>(
        "SELECT id, chat_id, download_ms, prepare_ms, asr_ms, llm_ms, deliver_ms, total_ms \
         FROM jobs WHERE finished_at IS NOT NULL",
    )
    .fetch_all(&pool)
    .await
    .expect("read the jobs");
    pool.close().await;
    rows
}

/// A log line about a job.
struct Event {
    /// Milliseconds since the epoch.
    at: f64,
    job_id: i64,
    message: String,
}

/// The JSON log lines that name a job (in a field or in their span).
fn log_events(logs: &str) -> Vec<Event> {
    logs.lines()
        .filter_map(|line| {
            let v: serde_json::Value = serde_json::from_str(line).ok()?;
            let at = unix_ms_of(v.get("timestamp")?.as_str()?)?;
            let job_id = v
                .get("job_id")
                .or_else(|| v.pointer("/span/job_id"))?
                .as_i64()?;
            // Flattened (`message` at the top) or not (under `fields`).
            let message = v
                .get("message")
                .or_else(|| v.pointer("/fields/message"))?
                .as_str()?
                .to_owned();
            Some(Event {
                at,
                job_id,
                message,
            })
        })
        .collect()
}

/// Milliseconds since the epoch of an RFC 3339 UTC timestamp (`2026-12-01T16:45:00.123456Z`).
fn unix_ms_of(ts: &str) -> Option<f64> {
    let (date, time) = ts.trim_end_matches('Z').split_once('T')?;
    let mut d = date.splitn(3, '-').map(str::parse::<i64>);
    let (y, m, day) = (d.next()?.ok()?, d.next()?.ok()?, d.next()?.ok()?);
    let mut t = time.splitn(3, ':');
    let (h, min) = (
        t.next()?.parse::<f64>().ok()?,
        t.next()?.parse::<f64>().ok()?,
    );
    let s = t.next()?.parse::<f64>().ok()?;
    // Days from the civil date (proleptic Gregorian), after Howard Hinnant's algorithm.
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let days = era * 146_097 + doe - 719_468;
    Some(((days as f64 * 86_400.0) + h * 3600.0 + min * 60.0 + s) * 1e3)
}

fn after(offered: &Offered, at: Instant) -> f64 {
    (at - offered.at).as_secs_f64() * 1e3
}

fn in_chat(call: &Call, chat: i64) -> bool {
    call.params
        .get("chat_id")
        .and_then(serde_json::Value::as_i64)
        == Some(chat)
}

/// What the fakes saw of the note offered at `o` in `chat`, delivered at `at`.
fn timeline(fakes: &Fakes, chat: i64, o: &Offered, at: Instant) -> Timeline {
    let calls = fakes.telegram.calls();
    let first = |pred: &dyn Fn(&Call) -> bool| {
        calls
            .iter()
            .find(|c| c.at >= o.at && pred(c))
            .map_or(f64::NAN, |c| after(o, c.at))
    };
    let asr: Vec<_> = fakes
        .dashscope
        .asr()
        .calls()
        .into_iter()
        .filter(|c| c.started >= o.at)
        .map(|c| (c.started, c.finished))
        .collect();
    let llm: f64 = fakes
        .dashscope
        .llm()
        .calls()
        .iter()
        .map(|c| (c.started, c.finished))
        .chain(
            fakes
                .gemini
                .generate_content()
                .calls()
                .iter()
                .map(|c| (c.started, c.finished)),
        )
        .filter(|(started, _)| *started >= o.at)
        .map(|(started, finished)| (finished - started).as_secs_f64() * 1e3)
        .sum();
    let mut by_method = BTreeMap::new();
    for call in calls.iter().filter(|c| in_chat(c, chat)) {
        *by_method.entry(call.method.clone()).or_default() += 1;
    }
    Timeline {
        status: first(&|c| c.method == "sendMessage" && in_chat(c, chat)),
        get_file: first(&|c| c.method == "getFile"),
        asr_start: asr.iter().map(|c| after(o, c.0)).fold(f64::NAN, f64::min),
        asr_end: asr.iter().map(|c| after(o, c.1)).fold(f64::NAN, f64::max),
        llm,
        delivered: after(o, at),
        calls: by_method,
        ..Timeline::default()
    }
}

/// The median, smallest and largest of `v`.
fn spread(mut v: Vec<f64>) -> (f64, f64, f64) {
    v.retain(|x| x.is_finite());
    v.sort_by(f64::total_cmp);
    match (v.first(), v.last()) {
        (Some(&min), Some(&max)) => (v[v.len() / 2], min, max),
        _ => (f64::NAN, f64::NAN, f64::NAN),
    }
}

/// A line of the breakdown: its name and how to read it off a timeline.
type Line = (&'static str, fn(&Timeline) -> f64);

const STAGES: &[Line] = &[
    (
        "update offered → `job created` logged (poll, update queue, dedupe, user, job row)",
        |t| t.created,
    ),
    ("`job created` → status message at Telegram", |t| {
        t.status - t.created
    }),
    (
        "status message → `getFile` (job queue, claim, progress display)",
        |t| t.get_file - t.status,
    ),
    (
        "`getFile` → ASR request (download, length, hold, chunk)",
        |t| t.asr_start - t.get_file,
    ),
    ("ASR request at the fake (answers at once)", |t| {
        t.asr_end - t.asr_start
    }),
    (
        "ASR answered → transcript at Telegram (format, stop progress, final edit)",
        |t| t.delivered - t.asr_end,
    ),
    ("  of which the formatter's requests at the fake", |t| t.llm),
    (
        "transcript at Telegram → `job done` logged (record, charge, ack)",
        |t| t.done - t.delivered,
    ),
    ("**update offered → transcript at Telegram**", |t| {
        t.delivered
    }),
    ("**our own time (providers' time subtracted)**", |t| {
        t.delivered - (t.asr_end - t.asr_start) - t.llm
    }),
];

fn row_ms(v: Option<i64>) -> f64 {
    v.map_or(f64::NAN, |ms| ms as f64)
}

const ROW: &[Line] = &[
    ("download_ms", |t| row_ms(t.row.download_ms)),
    ("prepare_ms", |t| row_ms(t.row.prepare_ms)),
    ("asr_ms", |t| row_ms(t.row.asr_ms)),
    ("llm_ms", |t| row_ms(t.row.llm_ms)),
    ("deliver_ms", |t| row_ms(t.row.deliver_ms)),
    ("total_ms", |t| row_ms(t.row.total_ms)),
];

fn table(title: &str, lines: &[Line], timelines: &[Timeline]) {
    println!("\n| {title} | median | min | max |\n|---|---|---|---|");
    for &(name, f) in lines {
        let (med, min, max) = spread(timelines.iter().map(f).collect());
        println!("| {name} | {med:.1} | {min:.1} | {max:.1} |");
    }
}

pub(super) async fn run() {
    let fakes = fakes_answering(NOTE_TEXT).await;
    let mut scribe = Scribe::start(&binary(), &fakes, SETTINGS).await;
    scribe.http_addr().await;
    let note = audio::encode(&speech(10.0), Format::VoiceNote);
    let media = Media {
        bytes: note,
        kind: FileKind::Voice,
        seconds: 10.0,
        mime: "audio/ogg",
        name: "voice.ogg",
    };
    // One note to warm up (first connections, statements prepared), not counted.
    job(&fakes, 1000, &media).await;
    let mut notes = BTreeMap::new();
    // Notes come at a person's pace, well inside the recogniser's rate budget (one second of
    // `ASR_REQUESTS_PER_MINUTE` may start at once, then it paces): back to back they would
    // measure the budget's pacing, not our time.
    let mut pace = tokio::time::interval(PACE);
    for chat in 1001..=1000 + NOTES {
        pace.tick().await;
        let o = offer(&fakes, chat, &media);
        let at = delivered(&fakes, chat).await;
        notes.insert(chat, (o, timeline(&fakes, chat, &o, at)));
    }
    // The last job is recorded done just after its text went out.
    let rows = scribe_fakes::wait_until_async("every job recorded", super::LONG_WAIT, || async {
        let rows = rows(&scribe.database_url).await;
        (rows.len() > usize::try_from(NOTES).unwrap_or(0)).then_some(rows)
    })
    .await;
    let events = log_events(&scribe.logs());
    scribe.terminate().await;
    for row in rows {
        let Some((o, t)) = notes.get_mut(&row.chat_id) else {
            continue;
        };
        let logged = |message: &str| {
            events
                .iter()
                .find(|e| e.job_id == row.id && e.message == message)
                .map_or(f64::NAN, |e| e.at - o.unix_ms)
        };
        t.created = logged("job created");
        t.done = logged("job done");
        t.row = row;
    }
    let timelines: Vec<Timeline> = notes.into_values().map(|(_, t)| t).collect();
    println!(
        "\n{NOTES} voice notes of 10 s, one after another, providers answering at once (`{}`)",
        binary()
    );
    table(
        "stage (ms after the update was offered)",
        STAGES,
        &timelines,
    );
    table("the job row's stage times (ms)", ROW, &timelines);
    if let Some(t) = timelines.first() {
        let calls: Vec<String> = t.calls.iter().map(|(m, n)| format!("{m} ×{n}")).collect();
        println!(
            "\nTelegram requests in the chat per note: {}",
            calls.join(", ")
        );
    }
}
