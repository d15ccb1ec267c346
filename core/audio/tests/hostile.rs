//! Hostile media against the crate's public API: playlists and concat scripts that name other
//! files, containers that lie about their length, hours of silence compressed into a few hundred
//! KB. Everything is generated.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;

use scribe_audio::{self as audio, Error, Limits, Method};
use scribe_testkit::audio::{self as media, Format};
use tokio_util::sync::CancellationToken;

/// Generous limits: a tool that blocks fails the test by timing out, not by hanging it.
fn limits() -> Limits {
    Limits {
        base_timeout: Duration::from_secs(20),
        ..Limits::default()
    }
}

fn write(dir: &Path, name: &str, bytes: &[u8]) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, bytes).expect("write test file");
    path
}

/// A named pipe: opening it for reading blocks until someone writes, so a tool that tries to
/// read it hangs (and times out) instead of failing fast.
fn fifo(dir: &Path, name: &str) -> PathBuf {
    let path = dir.join(name);
    let status = std::process::Command::new("mkfifo")
        .arg(&path)
        .status()
        .expect("mkfifo");
    assert!(status.success());
    path
}

/// Control: plain ffmpeg, without the crate's whitelists, follows the attack's entry and reads
/// the other file. The FIFO's writer is released only when a reader opens it; the audio written
/// into it comes back decoded.
async fn plain_ffmpeg_reads_the_entry(attack: &Path, entry: &Path, secret: Vec<u8>) {
    let entry = entry.to_owned();
    let writer = std::thread::spawn(move || {
        let mut pipe = std::fs::OpenOptions::new()
            .write(true)
            .open(&entry)
            .expect("a reader opened the entry");
        // A reader that stops early closes the pipe; what was written is enough.
        let _ = pipe.write_all(&secret);
    });
    let out = tokio::time::timeout(
        Duration::from_secs(60),
        tokio::process::Command::new("ffmpeg")
            .args(["-nostdin", "-v", "error", "-i"])
            .arg(attack)
            .args(["-f", "s16le", "-"])
            .stdin(Stdio::null())
            .kill_on_drop(true)
            .output(),
    )
    .await
    .expect("plain ffmpeg finishes once fed")
    .expect("run ffmpeg");
    writer.join().expect("writer thread");
    assert!(
        out.stdout.len() > 16_000,
        "the control must decode the other file (got {} bytes)",
        out.stdout.len()
    );
}

/// The attack: `script` (named `.mp3`) names a FIFO beside it. Probing and analysing it must
/// fail as undecodable without ever opening the FIFO — had a tool opened it, it would block
/// there and time out instead. The same script is first shown to work on plain ffmpeg.
async fn attack_is_refused(script: &str) {
    let dir = tempfile::tempdir().expect("dir");
    let secret = media::encode(&media::say("the secret", "en"), Format::Mp3);
    let entry = fifo(dir.path(), "secret.mp3");
    let attack = write(dir.path(), "voice.mp3", script.as_bytes());
    plain_ffmpeg_reads_the_entry(&attack, &entry, secret).await;

    let cancel = CancellationToken::new();
    let probed = audio::probe(&attack, &limits(), &cancel).await;
    assert!(
        matches!(probed, Err(Error::Undecodable { .. })),
        "{probed:?}"
    );
    let analysed = audio::analyse(&attack, &limits(), &cancel).await;
    assert!(
        matches!(analysed, Err(Error::Undecodable { .. })),
        "{analysed:?}"
    );
    let analysed = audio::analyse_fully(&attack, &limits(), &cancel).await;
    assert!(
        matches!(analysed, Err(Error::Undecodable { .. })),
        "{analysed:?}"
    );
}

// Entries are named relative to the script: plain ffmpeg refuses absolute paths in concat
// scripts ("unsafe"), and the control must show the attack working.

#[tokio::test]
async fn an_hls_playlist_named_mp3_is_undecodable_and_its_segment_never_opened() {
    attack_is_refused(&media::hls_playlist(Path::new("secret.mp3"))).await;
}

#[tokio::test]
async fn an_ffconcat_script_named_mp3_is_undecodable_and_its_entry_never_opened() {
    attack_is_refused(&media::ffconcat_script(Path::new("secret.mp3"))).await;
}

/// About `seconds` of speech with a pause after each sentence.
fn speech(seconds: f64) -> Vec<i16> {
    let sentence = media::say(
        "The quick brown fox jumps over the lazy dog near the river bank.",
        "en",
    );
    let mut parts = Vec::new();
    let mut total = 0.0;
    while total < seconds {
        total += media::seconds(&sentence) + 0.7;
        parts.push((sentence.clone(), 0.7));
    }
    media::recording(&parts).0
}

#[tokio::test]
async fn an_ogg_note_claiming_2s_with_90s_inside_is_billed_and_sent_for_what_decodes() {
    let pcm = speech(90.0);
    let real = media::seconds(&pcm);
    let note = media::encode(&pcm, Format::VoiceNote);
    let dir = tempfile::tempdir().expect("dir");
    let liar = write(dir.path(), "voice.ogg", &media::with_ogg_claim(&note, 2.0));
    let cancel = CancellationToken::new();

    let analysis = audio::analyse(&liar, &limits(), &cancel)
        .await
        .expect("analyse");
    // The decoder drops the lying last page (under a second of audio); the rest is measured.
    assert!(
        analysis.seconds <= real && analysis.seconds > real - 1.0,
        "{} vs {real}",
        analysis.seconds
    );
    assert!(
        analysis.probe.claimed_seconds.is_some_and(|c| c < 3.0),
        "{:?}",
        analysis.probe
    );
    assert!(!analysis.claims_agree());
    assert!(!analysis.is_silent());

    // Not passed through: re-encoded, exactly the billed length and no more.
    let plan = audio::plan(&analysis, &limits(), true);
    assert_eq!(plan.method, Method::Encode);
    let chunks = audio::cut(&liar, &plan, dir.path(), &limits(), &cancel)
        .await
        .expect("cut");
    assert_eq!(chunks.len(), 1);
    let sent = media::seconds(&media::decode_pcm(
        &std::fs::read(&chunks[0].path).expect("chunk"),
    ));
    assert!(
        (sent - analysis.seconds).abs() < 0.05,
        "sent {sent} s of {} s",
        analysis.seconds
    );
}

#[tokio::test]
async fn an_mp3_whose_xing_header_claims_1s_is_measured_for_minutes() {
    let pcm = speech(200.0);
    let real = media::seconds(&pcm);
    let mp3 = media::encode(&pcm, Format::Mp3);
    let dir = tempfile::tempdir().expect("dir");
    let liar = write(dir.path(), "audio.mp3", &media::with_xing_claim(&mp3, 1.0));
    let cancel = CancellationToken::new();

    let analysis = audio::analyse(&liar, &limits(), &cancel)
        .await
        .expect("analyse");
    assert!(
        analysis.probe.claimed_seconds.is_some_and(|c| c < 2.0),
        "{:?}",
        analysis.probe
    );
    assert!(
        (analysis.seconds - real).abs() < 0.2,
        "{} vs {real}",
        analysis.seconds
    );
    assert!(!analysis.claims_agree());
    let plan = audio::plan(&analysis, &limits(), true);
    assert_eq!(plan.method, Method::Encode);
    let end = plan.spans.last().map(|s| s.end);
    assert_eq!(end, Some(analysis.seconds));
}

#[tokio::test]
async fn hours_of_silent_flac_stop_at_the_limit_without_decoding_everything() {
    let flac = media::silent_flac(5.0 * 3600.0);
    assert!(flac.len() < 1_000_000, "{} bytes", flac.len());
    let dir = tempfile::tempdir().expect("dir");
    let input = write(dir.path(), "audio.flac", &flac);
    let limits = Limits {
        max_seconds: 3600.0,
        ..limits()
    };
    let analysed = audio::analyse(&input, &limits, &CancellationToken::new()).await;
    assert!(
        matches!(
            analysed,
            Err(Error::TooLong {
                limit_seconds: 3600
            })
        ),
        "{analysed:?}"
    );
}

#[tokio::test]
async fn a_long_voice_note_past_the_limit_is_too_long_from_its_packets() {
    let note = media::encode(&speech(30.0), Format::VoiceNote);
    let dir = tempfile::tempdir().expect("dir");
    let input = write(dir.path(), "voice.ogg", &note);
    let limits = Limits {
        max_seconds: 20.0,
        ..limits()
    };
    let analysed = audio::analyse(&input, &limits, &CancellationToken::new()).await;
    assert!(
        matches!(analysed, Err(Error::TooLong { limit_seconds: 20 })),
        "{analysed:?}"
    );
}

#[tokio::test]
async fn a_cancelled_job_stops_its_decode() {
    let dir = tempfile::tempdir().expect("dir");
    let input = write(dir.path(), "audio.flac", &media::silent_flac(600.0));
    let cancel = CancellationToken::new();
    cancel.cancel();
    let analysed = audio::analyse_fully(&input, &limits(), &cancel).await;
    assert!(
        matches!(analysed, Err(Error::Cancelled { .. })),
        "{analysed:?}"
    );
}
