//! Audio-crate benchmark (`cargo bench -p scribe-audio`): the crate's own work, next to today's
//! way (ffprobe + a silencedetect decode; every chunk re-encoded as Opus) measured in the same
//! run on the same files.
//!
//! 1. A ~10 s voice note, median of 15: ffprobe + silencedetect vs `analyse` (in process) and
//!    `analyse_fully` (one decode).
//! 2. A 60-minute M4A and MP3 of speech with pauses, default limits: analyse + plan + cut
//!    (stream copy) vs ffprobe + silencedetect + per-chunk Opus encodes (as many at once as
//!    there are cores). Wall time and CPU time (this process and its children).
//!
//! Prints a Markdown table.

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::{Duration, Instant};

use scribe_audio::{self as audio, Limits, Span};
use scribe_testkit::audio::{self as media, Format};
use scribe_testkit::process;
use tokio_util::sync::CancellationToken;

/// Sentences and varied pauses up to `seconds`.
fn speech(seconds: f64) -> Vec<i16> {
    media::speech(
        &[
            "The quarterly numbers look better than we expected.",
            "Please send the draft to the whole team before Friday.",
            "We will meet again next week to decide on the budget.",
        ],
        0.6,
        seconds,
    )
}

/// CPU seconds used so far by this process and its reaped children.
fn cpu_seconds() -> f64 {
    process::cpu_time(std::process::id()).map_or(0.0, |t| t.as_secs_f64())
}

fn peak_rss_mb() -> f64 {
    process::peak_rss_kib(std::process::id()).map_or(0.0, |kib| kib as f64 / 1024.0)
}

async fn run(program: &str, args: &[&str], input: &Path) -> std::process::Output {
    let mut cmd = tokio::process::Command::new(program);
    for a in args {
        if *a == "INPUT" {
            cmd.arg(input);
        } else {
            cmd.arg(a);
        }
    }
    let out = cmd
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .output()
        .await
        .expect("run tool");
    assert!(out.status.success(), "{program} failed");
    out
}

/// Today's analysis: ffprobe, then a decode with silencedetect.
async fn todays_analysis(input: &Path) {
    run(
        "ffprobe",
        &[
            "-v",
            "error",
            "-print_format",
            "json",
            "-show_format",
            "-show_streams",
            "INPUT",
        ],
        input,
    )
    .await;
    run(
        "ffmpeg",
        &[
            "-hide_banner",
            "-nostdin",
            "-v",
            "info",
            "-i",
            "INPUT",
            "-vn",
            "-sn",
            "-dn",
            "-map",
            "0:a:0",
            "-ac",
            "1",
            "-ar",
            "16000",
            "-af",
            "silencedetect=noise=-35dB:d=0.3",
            "-f",
            "null",
            "-",
        ],
        input,
    )
    .await;
}

/// Today's chunks: each span encoded as mono 16 kHz Opus from the source, as many at once as
/// there are cores.
async fn todays_chunks(input: &Path, spans: &[Span], dir: &Path) {
    let encoders = std::thread::available_parallelism().map_or(2, std::num::NonZero::get);
    let permits = std::sync::Arc::new(tokio::sync::Semaphore::new(encoders));
    let mut set = tokio::task::JoinSet::new();
    for (i, s) in spans.iter().enumerate() {
        let out = dir.join(format!("today{i:04}.ogg")).display().to_string();
        let (start, end) = (format!("{:.3}", s.start), format!("{:.3}", s.end));
        let input = input.to_owned();
        let permits = permits.clone();
        set.spawn(async move {
            let _permit = permits.acquire().await.expect("semaphore");
            run(
                "ffmpeg",
                &[
                    "-hide_banner",
                    "-nostdin",
                    "-y",
                    "-v",
                    "error",
                    "-ss",
                    &start,
                    "-to",
                    &end,
                    "-i",
                    "INPUT",
                    "-vn",
                    "-sn",
                    "-dn",
                    "-map",
                    "0:a:0",
                    "-ac",
                    "1",
                    "-ar",
                    "16000",
                    "-c:a",
                    "libopus",
                    "-b:a",
                    "24k",
                    "-application",
                    "voip",
                    "-compression_level",
                    "5",
                    "-f",
                    "ogg",
                    &out,
                ],
                &input,
            )
            .await;
        });
    }
    while let Some(done) = set.join_next().await {
        done.expect("encode task");
    }
}

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

fn ms(d: Duration) -> String {
    format!("{:.1} ms", d.as_secs_f64() * 1000.0)
}

async fn voice_note(dir: &Path) {
    let pcm = speech(10.0);
    let note = dir.join("note.ogg");
    std::fs::write(&note, media::encode(&pcm, Format::VoiceNote)).expect("write note");
    let limits = Limits::default();
    let cancel = CancellationToken::new();
    let (mut today, mut quick, mut full) = (Vec::new(), Vec::new(), Vec::new());
    for _ in 0..15 {
        let t = Instant::now();
        todays_analysis(&note).await;
        today.push(t.elapsed());
        let t = Instant::now();
        let a = audio::analyse(&note, &limits, &cancel)
            .await
            .expect("analyse");
        let plan = audio::plan(&a, &limits, true);
        audio::cut(&note, &plan, dir, &limits, &cancel)
            .await
            .expect("cut");
        quick.push(t.elapsed());
        let t = Instant::now();
        audio::analyse_fully(&note, &limits, &cancel)
            .await
            .expect("analyse fully");
        full.push(t.elapsed());
    }
    println!(
        "| 10 s voice note ({:.1} s), median of 15 | wall |",
        media::seconds(&pcm)
    );
    println!("|---|---|");
    println!(
        "| today: ffprobe + silencedetect decode | {} |",
        ms(median(today))
    );
    println!(
        "| analyse (in process) + plan + cut (passthrough) | {} |",
        ms(median(quick))
    );
    println!(
        "| analyse_fully (probe ∥ decode to PCM) | {} |",
        ms(median(full))
    );
    println!();
}

async fn hour(dir: &Path, pcm: &[i16], format: Format, name: &str) {
    let input: PathBuf = dir.join(name);
    std::fs::write(&input, media::encode(pcm, format)).expect("write hour");
    let limits = Limits::default();
    let cancel = CancellationToken::new();
    let chunks_dir = dir.join(format!("{name}-chunks"));
    std::fs::create_dir_all(&chunks_dir).expect("chunk dir");

    let (t, c) = (Instant::now(), cpu_seconds());
    let analysis = audio::analyse(&input, &limits, &cancel)
        .await
        .expect("analyse");
    let analysed = t.elapsed();
    let plan = audio::plan(&analysis, &limits, true);
    let chunks = audio::cut(&input, &plan, &chunks_dir, &limits, &cancel)
        .await
        .expect("cut");
    let (ours, ours_cpu) = (t.elapsed(), cpu_seconds() - c);
    let cut = ours - analysed;
    for chunk in chunks {
        chunk.remove().await.expect("remove chunk");
    }

    let (t, c) = (Instant::now(), cpu_seconds());
    todays_analysis(&input).await;
    let today_analysed = t.elapsed();
    todays_chunks(&input, &plan.spans, &chunks_dir).await;
    let (today, today_cpu) = (t.elapsed(), cpu_seconds() - c);
    let minutes = analysis.seconds / 60.0;
    println!(
        "| {name} ({minutes:.0} min, {} chunks, {:?}) | analyse | chunks | total | CPU/audio min |",
        plan.spans.len(),
        plan.method
    );
    println!("|---|---|---|---|---|");
    println!(
        "| today (silencedetect + per-chunk Opus) | {:.2} s | {:.2} s | {:.2} s | {:.3} s |",
        today_analysed.as_secs_f64(),
        (today - today_analysed).as_secs_f64(),
        today.as_secs_f64(),
        today_cpu / minutes
    );
    println!(
        "| scribe-audio (decode to PCM + one stream-copy cut) | {:.2} s | {:.2} s | {:.2} s | {:.3} s |",
        analysed.as_secs_f64(),
        cut.as_secs_f64(),
        ours.as_secs_f64(),
        ours_cpu / minutes
    );
    println!();
}

fn main() {
    let dir = tempfile::tempdir().expect("temp dir");
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("runtime");
    runtime.block_on(async {
        voice_note(dir.path()).await;
        let pcm = speech(3600.0);
        hour(dir.path(), &pcm, Format::M4a, "hour.m4a").await;
        hour(dir.path(), &pcm, Format::Mp3, "hour.mp3").await;
    });
    println!(
        "peak RSS of the benchmark process: {:.0} MB (holds the generated hour as PCM)",
        peak_rss_mb()
    );
}
