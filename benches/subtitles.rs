//! Subtitles benchmark (`cargo bench --bench subtitles`): `scribe transcribe` on a generated
//! 10-minute recording against the fake DashScope answering each request after 2 s. The same
//! file, the same run: plain transcription (one request per 3-minute chunk, the baseline) against
//! subtitles (one request per speech segment cut at every pause, at most 15 s, all at once under
//! the provider budget). Prints wall time, requests made and the ratio as a Markdown table;
//! BENCHMARKS.md holds the figures of a run.

use std::process::Command;
use std::time::{Duration, Instant};

use scribe_fakes::dashscope::{FakeDashScope, Reply};
use scribe_testkit::audio::{self, Format};

const BINARY: &str = env!("CARGO_BIN_EXE_scribe");
const KEY: &str = "sk-bench";
const RECORDING_SECONDS: f64 = 600.0;
const LATENCY: Duration = Duration::from_secs(2);

/// Sentences of 2–6 s with pauses of 0.5–1.4 s, repeated up to `seconds`.
fn recording(seconds: f64) -> Vec<i16> {
    audio::speech(
        &[
            "The quarterly numbers look better than we expected.",
            "Please send the draft to the whole team before Friday.",
            "We will meet again next week to decide on the budget and the hiring plan.",
            "Remember to call the supplier.",
            "Anna presents the new billing page, and Bob explains why the release moved by a week.",
        ],
        0.5,
        seconds,
    )
}

/// Runs `scribe transcribe <file> <args>`; returns the wall time and stdout.
fn transcribe(fake: &FakeDashScope, file: &std::path::Path, args: &[&str]) -> (Duration, String) {
    let started = Instant::now();
    let output = Command::new(BINARY)
        .arg("transcribe")
        .arg(file)
        .args(args)
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("TELEGRAM_BOT_TOKEN", "1:bench")
        .env("DASHSCOPE_API_KEY", KEY)
        .env("DASHSCOPE_BASE_URL", fake.base_url())
        .env("LLM_PROVIDER", "none")
        .env("LLM_FALLBACK_PROVIDER", "none")
        .output()
        .expect("run scribe transcribe");
    let took = started.elapsed();
    assert!(
        output.status.success(),
        "scribe transcribe failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    eprintln!("{}", String::from_utf8_lossy(&output.stderr).trim());
    (took, String::from_utf8_lossy(&output.stdout).into_owned())
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let fake = FakeDashScope::start(KEY).await;
    fake.asr()
        .set_reply(|_| Reply::Text("Words were said here.".into()));
    fake.asr().set_latency(LATENCY);
    let dir = tempfile::tempdir().expect("temp dir");
    let file = dir.path().join("talk.mp3");
    std::fs::write(
        &file,
        audio::encode(&recording(RECORDING_SECONDS), Format::Mp3),
    )
    .expect("write the recording");

    let fake_for_plain = fake.clone();
    let plain_file = file.clone();
    let (plain, _) = tokio::task::spawn_blocking(move || {
        transcribe(&fake_for_plain, &plain_file, &["--no-format"])
    })
    .await
    .expect("plain run");
    let plain_requests = fake.asr().calls().len();

    let fake_for_subs = fake.clone();
    let (subtitled, srt) = tokio::task::spawn_blocking(move || {
        transcribe(&fake_for_subs, &file, &["--subtitles", "srt"])
    })
    .await
    .expect("subtitles run");
    let subtitle_requests = fake.asr().calls().len() - plain_requests;
    let cues = srt.split("\n\n").filter(|b| !b.trim().is_empty()).count();

    println!("| 10-minute MP3, recogniser at 2 s per request | wall time | requests |");
    println!("|---|---|---|");
    println!(
        "| plain: one request per 3-minute chunk (baseline) | {:.1} s | {plain_requests} |",
        plain.as_secs_f64()
    );
    println!(
        "| subtitles: one request per segment ≤ 15 s, cut at pauses ({cues} cues) | {:.1} s | {subtitle_requests} |",
        subtitled.as_secs_f64()
    );
    println!(
        "| subtitles ÷ plain | {:.2}× | {:.1}× |",
        subtitled.as_secs_f64() / plain.as_secs_f64(),
        subtitle_requests as f64 / plain_requests.max(1) as f64
    );
}
