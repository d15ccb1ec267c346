//! Ordinary media through analyse → plan → cut: voice notes measured in process agree with the
//! decoder, silence is silent, long M4A and MP3 are stream-copied in chunks cut in pauses,
//! other codecs are re-encoded, and no chunk breaks the request's seconds or bytes.

use std::path::{Path, PathBuf};
use std::time::Duration;

use scribe_audio::{self as audio, ChunkFile, Error, Limits, Method};
use scribe_testkit::audio::{self as media, Format};
use tokio_util::sync::CancellationToken;

fn limits() -> Limits {
    Limits {
        base_timeout: Duration::from_secs(60),
        ..Limits::default()
    }
}

fn write(dir: &Path, name: &str, bytes: &[u8]) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, bytes).expect("write test file");
    path
}

/// Sentences with a 0.8 s pause after each, about `seconds` long; the PCM and its pauses.
fn speech(seconds: f64) -> (Vec<i16>, Vec<(f64, f64)>) {
    let sentences = [
        "One morning the train left the station slowly under a grey sky.",
        "She counted the windows of the old house and found eleven.",
        "Numbers and names were written on every page of the notebook.",
    ]
    .map(|s| media::say(s, "en"));
    let mut parts = Vec::new();
    let mut total = 0.0;
    let mut i = 0;
    while total < seconds {
        let s = sentences[i % sentences.len()].clone();
        total += media::seconds(&s) + 0.8;
        parts.push((s, 0.8));
        i += 1;
    }
    media::recording(&parts)
}

fn decoded_seconds(path: &Path) -> f64 {
    media::seconds(&media::decode_pcm(&std::fs::read(path).expect("chunk")))
}

#[tokio::test]
async fn a_voice_note_is_measured_in_process_as_the_decoder_would() {
    let (pcm, _) = speech(10.0);
    let dir = tempfile::tempdir().expect("dir");
    let note = write(
        dir.path(),
        "voice.ogg",
        &media::encode(&pcm, Format::VoiceNote),
    );
    let cancel = CancellationToken::new();
    let quick = audio::analyse(&note, &limits(), &cancel)
        .await
        .expect("analyse");
    let full = audio::analyse_fully(&note, &limits(), &cancel)
        .await
        .expect("decode");
    assert!(
        quick.silences.is_empty(),
        "no pause search for a short note"
    );
    assert!(
        (quick.seconds - full.seconds).abs() < 0.01,
        "{} vs {}",
        quick.seconds,
        full.seconds
    );
    assert!((quick.seconds - media::seconds(&pcm)).abs() < 0.03);
    assert!(quick.claims_agree());
    assert!(!quick.is_silent() && !full.is_silent());
    assert!(full.silences.len() >= 2, "{:?}", full.silences);

    let plan = audio::plan(&quick, &limits(), true);
    assert_eq!(plan.method, Method::Passthrough);
    let chunks = audio::cut(&note, &plan, dir.path(), &limits(), &cancel)
        .await
        .expect("cut");
    assert_eq!(chunks.len(), 1);
    assert_eq!(chunks[0].path, note);
    assert_eq!(chunks[0].output.mime, "audio/ogg");
    // Removing a passthrough chunk leaves the input alone.
    chunks[0].clone().remove().await.expect("remove");
    assert!(note.exists());
}

#[tokio::test]
async fn silent_notes_and_files_are_silent() {
    let dir = tempfile::tempdir().expect("dir");
    let cancel = CancellationToken::new();
    let quiet = media::silence(8.0);
    let note = write(
        dir.path(),
        "voice.ogg",
        &media::encode(&quiet, Format::VoiceNote),
    );
    let quick = audio::analyse(&note, &limits(), &cancel)
        .await
        .expect("analyse");
    assert!(quick.is_silent(), "in process");
    assert!(
        audio::analyse_fully(&note, &limits(), &cancel)
            .await
            .expect("decode")
            .is_silent()
    );
    let mp3 = write(dir.path(), "audio.mp3", &media::encode(&quiet, Format::Mp3));
    assert!(
        audio::analyse(&mp3, &limits(), &cancel)
            .await
            .expect("analyse")
            .is_silent()
    );
}

/// Every chunk within the limits, decoding back to its span, cut inside a pause, in order.
fn check_chunks(chunks: &[ChunkFile], pauses: &[(f64, f64)], total: f64, limits: &Limits) {
    let (mut at, mut sent) = (0.0, 0.0);
    for chunk in chunks {
        assert!(
            (chunk.span.start - at).abs() < 1e-9,
            "chunks in order and contiguous"
        );
        at = chunk.span.end;
        assert!(chunk.span.seconds() <= limits.chunk_seconds + 1e-9);
        assert!(chunk.bytes <= limits.max_chunk_bytes());
        // A copy is cut at packet boundaries (AAC at 16 kHz: 64 ms) and may lose a few frames at
        // its start (MP3's bit reservoir, encoder delay), which lies in a pause.
        let got = decoded_seconds(&chunk.path);
        sent += got;
        assert!(
            got <= chunk.span.seconds() + 0.15 && got >= chunk.span.seconds() - 0.3,
            "chunk {} decodes to {got} s, planned {:?}",
            chunk.index,
            chunk.span
        );
    }
    assert!(
        (at - total).abs() < 1e-9,
        "the chunks end at the decoded length"
    );
    // Nothing past the billed length; a copy's last packet may add its codec padding.
    assert!(sent <= total + 0.1, "sent {sent} s of {total} s billed");
    for cut in chunks.iter().skip(1).map(|c| c.span.start) {
        assert!(
            pauses.iter().any(|&(a, b)| cut > a && cut < b),
            "cut at {cut} is not in a pause"
        );
    }
}

async fn stream_copied(format: Format, name: &str, mime: &str) {
    let (pcm, pauses) = speech(250.0);
    let dir = tempfile::tempdir().expect("dir");
    let input = write(dir.path(), name, &media::encode(&pcm, format));
    let limits = Limits {
        chunk_seconds: 60.0,
        ..limits()
    };
    let cancel = CancellationToken::new();
    let analysis = audio::analyse(&input, &limits, &cancel)
        .await
        .expect("analyse");
    assert!((analysis.seconds - media::seconds(&pcm)).abs() < 0.1);
    assert!(
        analysis.claims_agree(),
        "{:?} vs {}",
        analysis.probe,
        analysis.seconds
    );
    let plan = audio::plan(&analysis, &limits, true);
    assert_eq!(plan.method, Method::Copy);
    assert_eq!(plan.output.mime, mime);
    let out = dir.path().join("chunks");
    std::fs::create_dir(&out).expect("chunk dir");
    let chunks = audio::cut(&input, &plan, &out, &limits, &cancel)
        .await
        .expect("cut");
    assert!(chunks.len() >= 5, "{} chunks", chunks.len());
    assert!(chunks.iter().all(|c| c.method == Method::Copy));
    check_chunks(&chunks, &pauses, analysis.seconds, &limits);
    // Each chunk holds the audio of its span: found where it was planned.
    for chunk in &chunks {
        let audio = media::decode_pcm(&std::fs::read(&chunk.path).expect("chunk"));
        let lo = ((chunk.span.start - 5.0).max(0.0) * 16_000.0) as usize;
        let hi = (((chunk.span.end + 5.0) * 16_000.0) as usize).min(pcm.len());
        let found = media::locate(&audio, &pcm[lo..hi]) + lo as f64 / 16_000.0;
        // Within the pause the cut lies in (0.4 s either side of it).
        assert!(
            (found - chunk.span.start).abs() < 0.3,
            "chunk {} found at {found}",
            chunk.index
        );
    }
    for chunk in chunks {
        let path = chunk.path.clone();
        chunk.remove().await.expect("remove");
        assert!(!path.exists());
    }
}

#[tokio::test]
async fn an_m4a_is_stream_copied_in_chunks_cut_in_pauses() {
    stream_copied(Format::M4a, "audio.m4a", "audio/mp4").await;
}

#[tokio::test]
async fn an_mp3_is_stream_copied_in_chunks_cut_in_pauses() {
    stream_copied(Format::Mp3, "audio.mp3", "audio/mpeg").await;
}

#[tokio::test]
async fn a_codec_the_recogniser_does_not_take_is_reencoded() {
    let (pcm, pauses) = speech(100.0);
    let dir = tempfile::tempdir().expect("dir");
    let input = write(dir.path(), "audio.wma", &media::encode(&pcm, Format::Wma));
    let limits = Limits {
        chunk_seconds: 40.0,
        ..limits()
    };
    let cancel = CancellationToken::new();
    let analysis = audio::analyse(&input, &limits, &cancel)
        .await
        .expect("analyse");
    let plan = audio::plan(&analysis, &limits, true);
    assert_eq!(
        (plan.method, plan.output.mime),
        (Method::Encode, "audio/ogg")
    );
    let chunks = audio::cut(&input, &plan, dir.path(), &limits, &cancel)
        .await
        .expect("cut");
    assert!(chunks.len() >= 3);
    check_chunks(&chunks, &pauses, analysis.seconds, &limits);
}

#[tokio::test]
async fn a_copied_chunk_over_the_byte_limit_is_reencoded() {
    let (pcm, pauses) = speech(130.0);
    let dir = tempfile::tempdir().expect("dir");
    let input = write(dir.path(), "audio.m4a", &media::encode(&pcm, Format::M4a));
    let limits = Limits {
        chunk_seconds: 60.0,
        ..limits()
    };
    let cancel = CancellationToken::new();
    let analysis = audio::analyse(&input, &limits, &cancel)
        .await
        .expect("analyse");
    let plan = audio::plan(&analysis, &limits, true);
    assert_eq!(plan.method, Method::Copy);
    // The request limit shrinks after planning: 64 kb/s copies of ~60 s (~480 KB) no longer fit,
    // 24 kb/s Opus does.
    let tight = Limits {
        max_request_bytes: 64 * 1024 + 400_000,
        ..limits
    };
    let chunks = audio::cut(&input, &plan, dir.path(), &tight, &cancel)
        .await
        .expect("cut");
    assert!(
        chunks.iter().any(|c| c.method == Method::Encode),
        "{chunks:?}"
    );
    assert!(
        chunks
            .iter()
            .filter(|c| c.method == Method::Encode)
            .all(|c| c.output.mime == "audio/ogg")
    );
    check_chunks(&chunks, &pauses, analysis.seconds, &tight);
}

#[tokio::test]
async fn video_without_sound_has_no_audio_and_garbage_is_undecodable() {
    let dir = tempfile::tempdir().expect("dir");
    let video = dir.path().join("video.mp4");
    let status = std::process::Command::new("ffmpeg")
        .args([
            "-v",
            "error",
            "-f",
            "lavfi",
            "-i",
            "color=c=red:s=64x64:r=5:d=2",
            "-c:v",
            "mpeg4",
        ])
        .arg(&video)
        .status()
        .expect("ffmpeg");
    assert!(status.success());
    let cancel = CancellationToken::new();
    let analysed = audio::analyse(&video, &limits(), &cancel).await;
    assert!(matches!(analysed, Err(Error::NoAudio)), "{analysed:?}");
    let garbage = write(dir.path(), "voice.mp3", &[0x5a; 50_000]);
    let analysed = audio::analyse(&garbage, &limits(), &cancel).await;
    assert!(
        matches!(analysed, Err(Error::Undecodable { .. })),
        "{analysed:?}"
    );
}
