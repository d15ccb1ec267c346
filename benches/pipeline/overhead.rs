//! `overhead`: whole jobs with the providers answering at once — a 30 s voice note and a
//! 10-minute MP3 — next to the bare ffmpeg transcode of the same file in the same run.

use std::time::{Duration, Instant};

use scribe_fakes::telegram::FileKind;
use scribe_testkit::audio::{self, Format};
use scribe_testkit::bot::Scribe;

use super::{Media, SETTINGS, binary, fakes_answering, job, median, ms, speech};

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

pub(super) async fn run() {
    let fakes = fakes_answering("bench text").await;
    let mut scribe = Scribe::start(&binary(), &fakes, SETTINGS).await;
    let note = audio::encode(&speech(30.0), Format::VoiceNote);
    let ten = audio::encode(&speech(600.0), Format::Mp3);
    let note_media = Media {
        bytes: note.clone(),
        kind: FileKind::Voice,
        seconds: 30.0,
        mime: "audio/ogg",
        name: "voice.ogg",
    };
    let ten_media = Media {
        bytes: ten.clone(),
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
