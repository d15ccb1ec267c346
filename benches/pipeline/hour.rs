//! `hour`: 60 minutes of speech as M4A and as MP3, the fake recogniser taking 2 s a request;
//! the default budget (every chunk in flight) against `ASR_MAX_INFLIGHT=1` (one chunk after
//! another) on the same file in the same run, each in a fresh `scribe run`: wall time,
//! requests, CPU time of the process and the tools it ran, peak RSS.

use std::time::Duration;

use scribe_core::config::settings;
use scribe_fakes::telegram::FileKind;
use scribe_testkit::audio::{self, Format};
use scribe_testkit::bot::Scribe;
use scribe_testkit::process;

use super::{MARKER, Media, SETTINGS, binary, delivered, fakes_answering, offer, speech};

/// One hour-long job in a fresh process.
struct HourRun {
    wall: Duration,
    requests: usize,
    max_in_flight: usize,
    /// Update offered → first recognition request: download, analysis, plan and cuts.
    first_request: Duration,
    cpu: Duration,
    peak_rss_kib: u64,
}

/// Speech at 40 kbit/s: an hour is 18 MB, inside the cloud Bot API's download limit.
const BIT_RATE: &str = "40k";
const CLOUD_LIMIT: usize = 20 * 1024 * 1024;

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
        bytes: bytes.to_vec(),
        kind: FileKind::Audio,
        seconds: 3600.0,
        mime,
        name,
    };
    let cpu_before = process::cpu_time(pid).expect("scribe is running");
    let offered = offer(&fakes, 900, &media);
    let wall = delivered(&fakes, 900).await - offered.at;
    let cpu = process::cpu_time(pid).expect("scribe is running") - cpu_before;
    let calls = fakes.dashscope.asr().calls();
    let run = HourRun {
        wall,
        first_request: calls
            .iter()
            .map(|c| c.started)
            .min()
            .map_or(Duration::ZERO, |first| first - offered.at),
        requests: fakes.dashscope.asr().calls().len(),
        max_in_flight: fakes.dashscope.asr().traffic().max_in_flight,
        cpu,
        peak_rss_kib: process::peak_rss_kib(pid).unwrap_or(0),
    };
    scribe.terminate().await;
    run
}

pub(super) async fn run() {
    let pcm = speech(3600.0);
    println!("\n| 60 minutes of speech, ASR 2 s a request | value |\n|---|---|");
    for (format, label) in [(Format::M4a, "M4A (AAC)"), (Format::Mp3, "MP3")] {
        let bytes = audio::encode_at(&pcm, format, Some(BIT_RATE));
        assert!(
            bytes.len() < CLOUD_LIMIT,
            "{label} is {} bytes: more than the cloud Bot API serves",
            bytes.len()
        );
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
            "| {label}, default budget: update → first ASR request (download, analysis, cuts) | {:.1} s |",
            all.first_request.as_secs_f64()
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
