//! Pipeline benchmark (`cargo bench --bench pipeline [-- SECTION…]`): the real `scribe run` on
//! SQLite against the fakes, with default settings except a trial that covers the work and a
//! file limit a local Bot API server allows. Sections (all when none is named):
//!
//! - `voice`: 15 voice notes of ~10 s, providers answering at once, one after another. Our own
//!   time per note, from the update being offered to the text reaching the fake Telegram (the
//!   providers' time subtracted), and where it goes: the job row's stage times and timestamps,
//!   and the Telegram calls each note made.
//! - `overhead`: a 30 s voice note and a 10-minute MP3, providers at once, next to the bare
//!   ffmpeg transcode of the same file measured in the same run.
//! - `hour`: a 60-minute M4A and a 60-minute MP3 with the fake recogniser at 2 s a request,
//!   default budget (every chunk in flight) against `ASR_MAX_INFLIGHT=1` (one chunk after
//!   another) on the same file in the same run: wall time, requests, CPU time of `scribe run`
//!   and the tools it ran per audio minute, and its peak RSS.
//!
//! `SCRIBE_BIN` names another `scribe` binary to measure (an older build, for a before/after);
//! the default is the one this benchmark was built with. Prints Markdown tables; BENCHMARKS.md
//! holds the figures of a run.

use std::collections::BTreeMap;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use scribe_core::config::settings;
use scribe_fakes::dashscope::Reply;
use scribe_fakes::telegram::{FileKind, FileRef, update};
use scribe_testkit::audio::{self, Format};
use scribe_testkit::bot::{Fakes, Scribe, user};
use scribe_testkit::process;

const LONG_WAIT: Duration = Duration::from_secs(900);
/// Every transcript the fake recogniser returns starts with this, so the delivered text is
/// recognisable in the fake Telegram.
const MARKER: &str = "bench";
/// What a ~10 s note says: long enough for the formatter to be asked.
const NOTE_TEXT: &str = "bench the quarterly numbers look better than we expected so please send \
                         the draft to the whole team before Friday and we will meet next week";

/// Settings on top of the defaults: a trial that covers every job of the run, files up to what
/// a local Bot API server serves, and production logging.
const SETTINGS: &[(&str, &str)] = &[
    (settings::TRIAL_MINUTES, "600"),
    (settings::TELEGRAM_MAX_FILE_MB, "2000"),
    (settings::LOG_LEVEL, "info"),
    // The test kit's fast timings, back to their defaults.
    (settings::TELEGRAM_POLL_TIMEOUT_SECONDS, "25"),
    (settings::PROVIDER_RETRY_BASE_MS, "1000"),
    (settings::PROGRESS_INTERVAL_SECONDS, "3"),
    (settings::JOB_HEARTBEAT_SECONDS, "10"),
    (settings::JOB_STALE_SECONDS, "60"),
];

fn binary() -> String {
    std::env::var("SCRIBE_BIN").unwrap_or_else(|_| env!("CARGO_BIN_EXE_scribe").to_owned())
}

/// Sentences and pauses repeated up to `seconds`.
fn speech(seconds: f64) -> Vec<i16> {
    let sentences: Vec<Vec<i16>> = [
        "The quarterly numbers look better than we expected.",
        "Please send the draft to the whole team before Friday.",
        "We will meet again next week to decide on the budget.",
        "Remember to call the supplier about the late delivery.",
    ]
    .iter()
    .map(|s| audio::say(s, "en"))
    .collect();
    let mut parts = Vec::new();
    let mut total = 0.0;
    let mut i = 0;
    while total < seconds {
        let s = sentences[i % sentences.len()].clone();
        let pause = 0.6 + (i % 4) as f64 * 0.3;
        total += audio::seconds(&s) + pause;
        parts.push((s, pause));
        i += 1;
    }
    let mut pcm = audio::recording(&parts).0;
    pcm.truncate((seconds * audio::RATE as f64) as usize);
    pcm
}

fn unix_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
}

/// A file as the user sends it.
struct Media {
    file: FileRef,
    kind: FileKind,
    seconds: f64,
    mime: &'static str,
    name: &'static str,
}

/// When an update was offered, on both clocks.
#[derive(Clone, Copy)]
struct Offered {
    at: Instant,
    unix_ms: i64,
}

fn offer(fakes: &Fakes, chat: i64, media: &Media) -> Offered {
    let who = user(chat);
    let seconds = media.seconds.round() as u32;
    let u = match media.kind {
        FileKind::Voice => update::voice(chat, &who, &media.file, seconds),
        _ => update::audio(chat, &who, &media.file, seconds, media.mime, media.name),
    };
    let offered = Offered {
        at: Instant::now(),
        unix_ms: unix_ms(),
    };
    fakes.telegram.push_update(u);
    offered
}

/// When the request carrying the transcript reached the fake Telegram.
async fn delivered(fakes: &Fakes, chat: i64) -> Instant {
    scribe_fakes::wait_until("the transcript", LONG_WAIT, || {
        fakes
            .telegram
            .calls()
            .into_iter()
            .find(|c| {
                c.params.get("chat_id").and_then(serde_json::Value::as_i64) == Some(chat)
                    && ["text", "caption"].iter().any(|f| {
                        c.params
                            .get(f)
                            .and_then(serde_json::Value::as_str)
                            .is_some_and(|t| t.contains(MARKER))
                    })
            })
            .map(|c| c.at)
    })
    .await
}

/// Time the fake providers spent answering requests that arrived since `since`.
fn provider_time(fakes: &Fakes, since: Instant) -> Duration {
    let asr = fakes.dashscope.asr().calls();
    let llm = fakes.dashscope.llm().calls();
    let gemini = fakes.gemini.generate_content().calls();
    asr.iter()
        .map(|c| (c.started, c.finished))
        .chain(llm.iter().map(|c| (c.started, c.finished)))
        .chain(gemini.iter().map(|c| (c.started, c.finished)))
        .filter(|(started, _)| *started >= since)
        .map(|(started, finished)| finished - started)
        .sum()
}

/// Sends `media` and waits for its transcript; returns the wall time from update to text.
async fn job(fakes: &Fakes, chat: i64, media: &Media) -> Duration {
    let offered = offer(fakes, chat, media);
    delivered(fakes, chat).await - offered.at
}

fn ffmpeg_transcode(bytes: &[u8]) -> Duration {
    let dir = tempfile::tempdir().expect("temp dir");
    let input = dir.path().join("in");
    std::fs::write(&input, bytes).expect("write");
    let started = Instant::now();
    let status = std::process::Command::new("ffmpeg")
        .args(["-hide_banner", "-v", "error", "-y", "-i"])
        .arg(&input)
        .args([
            "-vn", "-ac", "1", "-ar", "16000", "-c:a", "libopus", "-b:a", "24k", "-f", "ogg",
        ])
        .arg(dir.path().join("out.ogg"))
        .status()
        .expect("ffmpeg");
    assert!(status.success());
    started.elapsed()
}

fn median<T: Copy + Ord>(v: &[T]) -> T {
    let mut v = v.to_vec();
    v.sort_unstable();
    v[v.len() / 2]
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1e3
}

/// The fakes, with the recogniser answering `text`.
async fn fakes_answering(text: &'static str) -> Fakes {
    let fakes = Fakes::start().await;
    fakes
        .dashscope
        .asr()
        .set_reply(move |_| Reply::Text(text.into()));
    fakes
}

// ---------------------------------------------------------------------------------------------
// voice: our own time per short voice note, and where it goes.

/// One voice note's timeline, in milliseconds from the update being offered.
#[derive(Debug, Default, Clone)]
struct Timeline {
    /// Update offered → transcript at Telegram, providers' time subtracted.
    own: i64,
    provider: i64,
    created: i64,
    status_sent: i64,
    started: i64,
    delivered: i64,
    finished: i64,
    download: i64,
    prepare: i64,
    asr: i64,
    llm: i64,
    deliver: i64,
    total: i64,
    /// Telegram requests for this chat, by method.
    calls: BTreeMap<String, usize>,
}

/// A line of the breakdown: its name and how to read it off a timeline.
type Row = (&'static str, fn(&Timeline) -> i64);

#[derive(sqlx::FromRow)]
struct JobRow {
    chat_id: i64,
    created_at: i64,
    started_at: Option<i64>,
    finished_at: Option<i64>,
    download_ms: Option<i64>,
    prepare_ms: Option<i64>,
    asr_ms: Option<i64>,
    llm_ms: Option<i64>,
    deliver_ms: Option<i64>,
    total_ms: Option<i64>,
}

/// The jobs' rows, read with plain SQL so that older binaries' stores read the same.
async fn job_rows(database_url: &str) -> Vec<JobRow> {
    let pool = sqlx::sqlite::SqlitePool::connect(database_url)
        .await
        .expect("open the store");
    let rows = sqlx::query_as::<_, JobRow>(
        "SELECT chat_id, created_at, started_at, finished_at, download_ms, prepare_ms, asr_ms, \
         llm_ms, deliver_ms, total_ms FROM jobs WHERE finished_at IS NOT NULL",
    )
    .fetch_all(&pool)
    .await
    .expect("read the jobs");
    pool.close().await;
    rows
}

async fn voice() {
    const NOTES: i64 = 15;
    let fakes = fakes_answering(NOTE_TEXT).await;
    let mut scribe = Scribe::start(&binary(), &fakes, SETTINGS).await;
    scribe.http_addr().await;
    let note = audio::encode(&speech(10.0), Format::VoiceNote);
    let media = Media {
        file: fakes.telegram.add_file(FileKind::Voice, note),
        kind: FileKind::Voice,
        seconds: 10.0,
        mime: "audio/ogg",
        name: "voice.ogg",
    };
    // One warm-up note (first connections, first statements prepared), not counted.
    job(&fakes, 1000, &media).await;
    let mut offered = BTreeMap::new();
    let mut timelines = BTreeMap::new();
    for chat in 1001..=1000 + NOTES {
        let o = offer(&fakes, chat, &media);
        let at = delivered(&fakes, chat).await;
        let provider = provider_time(&fakes, o.at);
        let mut t = Timeline {
            own: i64::try_from((at - o.at).saturating_sub(provider).as_millis()).unwrap_or(0),
            provider: i64::try_from(provider.as_millis()).unwrap_or(0),
            delivered: i64::try_from((at - o.at).as_millis()).unwrap_or(0),
            ..Timeline::default()
        };
        for call in fakes.telegram.calls() {
            if call
                .params
                .get("chat_id")
                .and_then(serde_json::Value::as_i64)
                == Some(chat)
            {
                *t.calls.entry(call.method.clone()).or_default() += 1;
                if call.method == "sendMessage" && t.status_sent == 0 {
                    t.status_sent = i64::try_from((call.at - o.at).as_millis()).unwrap_or(0);
                }
            }
        }
        offered.insert(chat, o);
        timelines.insert(chat, t);
    }
    // The last job is recorded done just after its text went out.
    scribe_fakes::wait_until_async("every job recorded", LONG_WAIT, || async {
        (job_rows(&scribe.database_url).await.len() > usize::try_from(NOTES).unwrap_or(0))
            .then_some(())
    })
    .await;
    for row in job_rows(&scribe.database_url).await {
        let (Some(o), Some(t)) = (offered.get(&row.chat_id), timelines.get_mut(&row.chat_id))
        else {
            continue;
        };
        t.created = row.created_at - o.unix_ms;
        t.started = row.started_at.map_or(0, |s| s - o.unix_ms);
        t.finished = row.finished_at.map_or(0, |s| s - o.unix_ms);
        t.download = row.download_ms.unwrap_or(0);
        t.prepare = row.prepare_ms.unwrap_or(0);
        t.asr = row.asr_ms.unwrap_or(0);
        t.llm = row.llm_ms.unwrap_or(0);
        t.deliver = row.deliver_ms.unwrap_or(0);
        t.total = row.total_ms.unwrap_or(0);
    }
    let timelines: Vec<Timeline> = timelines.into_values().collect();
    let col = |f: fn(&Timeline) -> i64| -> (i64, i64, i64) {
        let v: Vec<i64> = timelines.iter().map(f).collect();
        (
            median(&v),
            *v.iter().min().unwrap_or(&0),
            *v.iter().max().unwrap_or(&0),
        )
    };
    println!(
        "\n{NOTES} voice notes of 10 s, one after another, providers answering at once \
         (`{}`)\n",
        binary()
    );
    println!("| stage (ms) | median | min | max |\n|---|---|---|---|");
    let rows: &[Row] = &[
        ("update offered → job row created", |t| t.created),
        ("job row created → status message sent", |t| {
            t.status_sent - t.created
        }),
        ("status message sent → job claimed", |t| {
            t.started - t.status_sent
        }),
        ("download (getFile + file)", |t| t.download),
        ("prepare (length, hold)", |t| t.prepare),
        ("recognition (chunks + ASR request)", |t| t.asr),
        ("formatting (LLM request)", |t| t.llm),
        ("in the job between the stages", |t| {
            t.total - t.download - t.prepare - t.asr - t.llm - t.deliver
        }),
        ("delivery (final edit, recorded)", |t| t.deliver),
        ("job claimed → transcript at Telegram", |t| {
            t.delivered - t.started
        }),
        ("transcript at Telegram → job recorded done", |t| {
            t.finished - t.delivered
        }),
        ("job row created → transcript at Telegram", |t| {
            t.delivered - t.created
        }),
        ("providers' time (fakes)", |t| t.provider),
        ("**update offered → transcript at Telegram**", |t| {
            t.delivered
        }),
        ("**our own time (providers subtracted)**", |t| t.own),
    ];
    for &(name, f) in rows {
        let (med, min, max) = col(f);
        println!("| {name} | {med} | {min} | {max} |");
    }
    let first = timelines
        .first()
        .map(|t| t.calls.clone())
        .unwrap_or_default();
    let calls: Vec<String> = first.iter().map(|(m, n)| format!("{m} ×{n}")).collect();
    println!(
        "\nTelegram requests of one note in its chat: {}",
        calls.join(", ")
    );
    scribe.terminate().await;
}

// ---------------------------------------------------------------------------------------------
// overhead: whole jobs against a bare transcode.

async fn overhead() {
    let fakes = fakes_answering("bench text").await;
    let mut scribe = Scribe::start(&binary(), &fakes, SETTINGS).await;
    let note = audio::encode(&speech(30.0), Format::VoiceNote);
    let ten = audio::encode(&speech(600.0), Format::Mp3);
    let note_media = Media {
        file: fakes.telegram.add_file(FileKind::Voice, note.clone()),
        kind: FileKind::Voice,
        seconds: 30.0,
        mime: "audio/ogg",
        name: "voice.ogg",
    };
    let ten_media = Media {
        file: fakes
            .telegram
            .add_named_file(FileKind::Audio, "talk.mp3", ten.clone()),
        kind: FileKind::Audio,
        seconds: 600.0,
        mime: "audio/mpeg",
        name: "talk.mp3",
    };
    let mut chat = 100;
    let mut note_runs = Vec::new();
    for _ in 0..7 {
        chat += 1;
        note_runs.push(job(&fakes, chat, &note_media).await);
    }
    let mut ten_runs = Vec::new();
    for _ in 0..3 {
        chat += 1;
        ten_runs.push(job(&fakes, chat, &ten_media).await);
    }
    let note_ffmpeg = median(&(0..5).map(|_| ffmpeg_transcode(&note)).collect::<Vec<_>>());
    let ten_ffmpeg = median(&(0..3).map(|_| ffmpeg_transcode(&ten)).collect::<Vec<_>>());
    let (note_job, ten_job) = (median(&note_runs), median(&ten_runs));
    println!("\n| measurement | value |\n|---|---|");
    println!(
        "| 30 s voice note, job wall time (providers at once, median of 7) | {:.0} ms |",
        ms(note_job)
    );
    println!(
        "| 30 s voice note, bare ffmpeg transcode (baseline) | {:.0} ms |",
        ms(note_ffmpeg)
    );
    println!(
        "| 10 min MP3, job wall time (providers at once, median of 3) | {:.0} ms |",
        ms(ten_job)
    );
    println!(
        "| 10 min MP3, bare ffmpeg transcode (baseline) | {:.0} ms |",
        ms(ten_ffmpeg)
    );
    println!(
        "| 10 min MP3, job ÷ bare transcode | {:.2}× |",
        ten_job.as_secs_f64() / ten_ffmpeg.as_secs_f64()
    );
    scribe.terminate().await;
}

// ---------------------------------------------------------------------------------------------
// hour: every chunk in flight against one after another.

/// One hour-long job in a fresh process.
struct HourRun {
    wall: Duration,
    requests: usize,
    max_in_flight: usize,
    cpu: Duration,
    peak_rss_kib: u64,
}

async fn hour_run(bytes: &[u8], format: Format, extra: &[(&str, &str)]) -> HourRun {
    let fakes = fakes_answering(MARKER).await;
    fakes.dashscope.asr().set_latency(Duration::from_secs(2));
    let mut env = SETTINGS.to_vec();
    env.extend_from_slice(extra);
    let mut scribe = Scribe::start(&binary(), &fakes, &env).await;
    scribe.http_addr().await;
    let pid = scribe.pid().expect("scribe is running");
    let (mime, name) = match format {
        Format::M4a => ("audio/mp4", "talk.m4a"),
        _ => ("audio/mpeg", "talk.mp3"),
    };
    let media = Media {
        file: fakes
            .telegram
            .add_named_file(FileKind::Audio, name, bytes.to_vec()),
        kind: FileKind::Audio,
        seconds: 3600.0,
        mime,
        name,
    };
    let cpu_before = process::cpu_time(pid).expect("scribe is running");
    let wall = job(&fakes, 900, &media).await;
    let cpu = process::cpu_time(pid).expect("scribe is running") - cpu_before;
    let run = HourRun {
        wall,
        requests: fakes.dashscope.asr().calls().len(),
        max_in_flight: fakes.dashscope.asr().traffic().max_in_flight,
        cpu,
        peak_rss_kib: process::peak_rss_kib(pid).unwrap_or(0),
    };
    scribe.terminate().await;
    run
}

async fn hour() {
    let pcm = speech(3600.0);
    println!("\n| 60 minutes of speech, ASR 2 s a request | value |\n|---|---|");
    for (format, label) in [(Format::M4a, "M4A (AAC)"), (Format::Mp3, "MP3")] {
        let bytes = audio::encode(&pcm, format);
        let all = hour_run(&bytes, format, &[]).await;
        let one = hour_run(&bytes, format, &[(settings::ASR_MAX_INFLIGHT, "1")]).await;
        println!(
            "| {label} {:.1} MB, default budget: wall time ({} requests, {} in flight at most) | {:.1} s |",
            bytes.len() as f64 / 1e6,
            all.requests,
            all.max_in_flight,
            all.wall.as_secs_f64()
        );
        println!(
            "| {label}, ASR_MAX_INFLIGHT=1 (sequential baseline): wall time ({} requests) | {:.1} s |",
            one.requests,
            one.wall.as_secs_f64()
        );
        println!(
            "| {label}: sequential ÷ default wall time | {:.1}× |",
            one.wall.as_secs_f64() / all.wall.as_secs_f64()
        );
        println!(
            "| {label}, default budget: CPU time of `scribe run` and its tools per audio minute | {:.3} s |",
            all.cpu.as_secs_f64() / 60.0
        );
        println!(
            "| {label}, default budget: peak RSS of `scribe run` (every chunk in flight) | {:.1} MiB |",
            all.peak_rss_kib as f64 / 1024.0
        );
        println!(
            "| {label}, ASR_MAX_INFLIGHT=1: peak RSS of `scribe run` | {:.1} MiB |",
            one.peak_rss_kib as f64 / 1024.0
        );
    }
}

#[tokio::main(flavor = "multi_thread", worker_threads = 4)]
async fn main() {
    // `cargo bench` passes `--bench`; names without a dash choose sections.
    let chosen: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| !a.starts_with('-'))
        .collect();
    let runs = |name: &str| chosen.is_empty() || chosen.iter().any(|c| c == name);
    if runs("voice") {
        voice().await;
    }
    if runs("overhead") {
        overhead().await;
    }
    if runs("hour") {
        hour().await;
    }
}
