//! Pipeline benchmark (`cargo bench --bench pipeline [-- SECTION…]`): the real `scribe run` on
//! SQLite against the fakes, with default settings except a trial that covers the work.
//! Sections (all when none is named):
//!
//! - `voice`: 15 voice notes of ~10 s, providers answering at once, one after another. Our own
//!   time per note, from the update being offered to the text reaching the fake Telegram (the
//!   providers' time subtracted), and where it goes: the fakes' request times, the process's
//!   log, the job row's stage times, and the Telegram calls each note made.
//! - `overhead`: a 30 s voice note and a 10-minute MP3, providers at once, next to the bare
//!   ffmpeg transcode of the same file measured in the same run.
//! - `hour`: a 60-minute M4A and a 60-minute MP3 (40 kbit/s: under the cloud Bot API's 20 MB)
//!   with the fake recogniser at 2 s a request,
//!   default budget (every chunk in flight) against `ASR_MAX_INFLIGHT=1` (one chunk after
//!   another) on the same file in the same run: wall time, requests, CPU time of `scribe run`
//!   and the tools it ran per audio minute, and its peak RSS.
//!
//! `SCRIBE_BIN` names another `scribe` binary to measure (an older build, for a before/after);
//! the default is the one this benchmark was built with. Prints Markdown tables; BENCHMARKS.md
//! holds the figures of a run.

mod hour;
mod overhead;
mod voice;

use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use scribe_core::config::settings;
use scribe_fakes::dashscope::Reply;
use scribe_fakes::telegram::{FileKind, update};
use scribe_testkit::audio;
use scribe_testkit::bot::{Fakes, user};

const LONG_WAIT: Duration = Duration::from_secs(900);
/// Every transcript the fake recogniser returns starts with this, so the delivered text is
/// recognisable in the fake Telegram.
const MARKER: &str = "bench";

/// Settings on top of the defaults: a trial that covers every job of the run, and production
/// logging.
const SETTINGS: &[(&str, &str)] = &[
    (settings::TRIAL_MINUTES, "600"),
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
    audio::speech(
        &[
            "The quarterly numbers look better than we expected.",
            "Please send the draft to the whole team before Friday.",
            "We will meet again next week to decide on the budget.",
            "Remember to call the supplier about the late delivery.",
        ],
        0.6,
        seconds,
    )
}

fn unix_ms() -> f64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0.0, |d| d.as_secs_f64() * 1e3)
}

/// A file as the user sends it. Each offer registers it anew (a new `file_unique_id`), so no
/// job is answered from the transcript cache.
struct Media {
    bytes: Vec<u8>,
    kind: FileKind,
    seconds: f64,
    mime: &'static str,
    name: &'static str,
}

/// When an update was offered, on both clocks.
#[derive(Clone, Copy)]
struct Offered {
    at: Instant,
    unix_ms: f64,
}

fn offer(fakes: &Fakes, chat: i64, media: &Media) -> Offered {
    let who = user(chat);
    let seconds = media.seconds.round() as u32;
    let u = match media.kind {
        FileKind::Voice => {
            let file = fakes.telegram.add_file(media.kind, media.bytes.clone());
            update::voice(chat, &who, &file, seconds)
        }
        _ => {
            let file = fakes
                .telegram
                .add_named_file(media.kind, media.name, media.bytes.clone());
            update::audio(chat, &who, &file, seconds, media.mime, media.name)
        }
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

/// Sends `media` and waits for its transcript; returns the wall time from update to text.
async fn job(fakes: &Fakes, chat: i64, media: &Media) -> Duration {
    let offered = offer(fakes, chat, media);
    delivered(fakes, chat).await - offered.at
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

#[tokio::main(flavor = "multi_thread", worker_threads = 4)]
async fn main() {
    // `cargo bench` passes `--bench`; names without a dash choose sections.
    let chosen: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| !a.starts_with('-'))
        .collect();
    let runs = |name: &str| chosen.is_empty() || chosen.iter().any(|c| c == name);
    if runs("voice") {
        voice::run().await;
    }
    if runs("overhead") {
        overhead::run().await;
    }
    if runs("hour") {
        hour::run().await;
    }
}
