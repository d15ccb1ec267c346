//! Pipeline benchmark (`cargo bench --bench pipeline`): the real `scribe run` against the fakes.
//!
//! 1. Overhead per job, providers answering at once: a 30 s voice note and a 10-minute MP3, next
//!    to the bare ffmpeg transcode of the same file measured in the same run.
//! 2. A 60-minute recording with the fake recogniser taking 2 s per request: parallel chunks
//!    (ASR_CONCURRENCY=4) against sequential chunking (ASR_CONCURRENCY=1, what the old bot did).
//! 3. Peak RSS of `scribe run` during the 60-minute job.
//!
//! Prints a Markdown table; BENCHMARKS.md holds the figures of a run.

use std::time::{Duration, Instant};

use scribe_fakes::dashscope::Reply;
use scribe_fakes::telegram::{FileKind, FileRef, update};
use scribe_testkit::audio::{self, Format};
use scribe_testkit::bot::{Fakes, Scribe, user};

const BINARY: &str = env!("CARGO_BIN_EXE_scribe");
const LONG_WAIT: Duration = Duration::from_secs(900);

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

/// Sends `file` and waits for its result; returns the wall time from update to delivered text.
async fn job(fakes: &Fakes, chat: i64, file: &FileRef, kind: FileKind, seconds: f64) -> Duration {
    let who = user(chat);
    let started = Instant::now();
    let u = match kind {
        FileKind::Voice => update::voice(chat, &who, file, seconds.round() as u32),
        _ => update::audio(
            chat,
            &who,
            file,
            seconds.round() as u32,
            "audio/mpeg",
            "talk.mp3",
        ),
    };
    fakes.telegram.push_update(u);
    scribe_fakes::wait_until("the result", LONG_WAIT, || {
        fakes
            .telegram
            .messages(chat)
            .iter()
            .any(|m| {
                m.rendered_text
                    .as_deref()
                    .is_some_and(|t| t.starts_with("bench"))
            })
            .then_some(())
    })
    .await;
    started.elapsed()
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

fn peak_rss_kib(pid: u32) -> u64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmHWM:"))
                .map(str::to_owned)
        })
        .and_then(|l| l.split_whitespace().nth(1).and_then(|v| v.parse().ok()))
        .unwrap_or(0)
}

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

#[tokio::main(flavor = "multi_thread", worker_threads = 4)]
async fn main() {
    let trial = [("TRIAL_MINUTES", "600"), ("LOG_LEVEL", "warn")];
    println!("| measurement | value |\n|---|---|");

    // 1. Overhead with providers answering at once.
    let fakes = Fakes::start().await;
    fakes
        .dashscope
        .asr()
        .set_reply(|_| Reply::Text("bench text".into()));
    let mut scribe = Scribe::start(BINARY, &fakes, &trial).await;
    let note = audio::encode(&speech(30.0), Format::VoiceNote);
    let ten = audio::encode(&speech(600.0), Format::Mp3);
    let note_file = fakes.telegram.add_file(FileKind::Voice, note.clone());
    let ten_file = fakes
        .telegram
        .add_named_file(FileKind::Audio, "talk.mp3", ten.clone());
    let mut chat = 100;
    let mut note_runs = Vec::new();
    for _ in 0..7 {
        chat += 1;
        note_runs.push(job(&fakes, chat, &note_file, FileKind::Voice, 30.0).await);
    }
    let mut ten_runs = Vec::new();
    for _ in 0..3 {
        chat += 1;
        ten_runs.push(job(&fakes, chat, &ten_file, FileKind::Audio, 600.0).await);
    }
    let note_ffmpeg = median((0..5).map(|_| ffmpeg_transcode(&note)).collect());
    let ten_ffmpeg = median((0..3).map(|_| ffmpeg_transcode(&ten)).collect());
    let (note_job, ten_job) = (median(note_runs), median(ten_runs));
    println!(
        "| 30 s voice note, job wall time (providers instant, median of 7) | {:.0} ms |",
        note_job.as_secs_f64() * 1e3
    );
    println!(
        "| 30 s voice note, bare ffmpeg transcode (baseline) | {:.0} ms |",
        note_ffmpeg.as_secs_f64() * 1e3
    );
    println!(
        "| 10 min MP3, job wall time (providers instant, median of 3) | {:.0} ms |",
        ten_job.as_secs_f64() * 1e3
    );
    println!(
        "| 10 min MP3, bare ffmpeg transcode (baseline) | {:.0} ms |",
        ten_ffmpeg.as_secs_f64() * 1e3
    );
    println!(
        "| 10 min MP3, job ÷ bare transcode | {:.2}× |",
        ten_job.as_secs_f64() / ten_ffmpeg.as_secs_f64()
    );
    scribe.terminate().await;

    // 2 and 3. Sixty minutes, 2 s per recognition request, parallel against sequential.
    let hour = audio::encode(&speech(3600.0), Format::VoiceNote);
    let mut results = Vec::new();
    for concurrency in ["4", "1"] {
        let fakes = Fakes::start().await;
        fakes
            .dashscope
            .asr()
            .set_reply(|_| Reply::Text("bench".into()));
        fakes.dashscope.asr().set_latency(Duration::from_secs(2));
        let mut env = trial.to_vec();
        env.push(("ASR_CONCURRENCY", concurrency));
        let mut scribe = Scribe::start(BINARY, &fakes, &env).await;
        let file = fakes.telegram.add_file(FileKind::Voice, hour.clone());
        let wall = job(&fakes, 900, &file, FileKind::Voice, 3600.0).await;
        let rss = scribe.pid().map_or(0, peak_rss_kib);
        let requests = fakes.dashscope.asr().calls().len();
        println!(
            "| 60 min, ASR 2 s/request, ASR_CONCURRENCY={concurrency}: wall time ({requests} requests) | {:.1} s |",
            wall.as_secs_f64()
        );
        println!(
            "| 60 min, ASR_CONCURRENCY={concurrency}: peak RSS of `scribe run` | {:.1} MiB |",
            rss as f64 / 1024.0
        );
        results.push(wall);
        scribe.terminate().await;
    }
    println!(
        "| 60 min: sequential ÷ parallel wall time | {:.2}× |",
        results[1].as_secs_f64() / results[0].as_secs_f64()
    );
}
