//! Test audio, generated: speech from espeak-ng, silence as zeros, containers and codecs from
//! ffmpeg. Everything is mono 16 kHz signed 16-bit PCM until encoded, so tests know exactly where
//! the pauses are. These functions block; call them while setting a test up.

use std::io::Write;
use std::process::{Command, Stdio};

pub const RATE: usize = 16_000;

/// Speech for `text` in espeak-ng's `voice` (`en`, `ru`), as PCM.
pub fn say(text: &str, voice: &str) -> Vec<i16> {
    let wav = Command::new("espeak-ng")
        .args(["-v", voice, "-s", "165", "--stdout", text])
        .stderr(Stdio::null())
        .output()
        .expect("espeak-ng is needed to generate test speech (apt install espeak-ng)");
    assert!(wav.status.success(), "espeak-ng failed");
    decode_pcm(&wav.stdout)
}

/// `seconds` of digital silence.
pub fn silence(seconds: f64) -> Vec<i16> {
    vec![0; (seconds * RATE as f64) as usize]
}

/// Speech segments separated by pauses. Returns the PCM and each inserted pause
/// `(start, end)` in seconds.
pub fn recording(parts: &[(Vec<i16>, f64)]) -> (Vec<i16>, Vec<(f64, f64)>) {
    let mut pcm = Vec::new();
    let mut pauses = Vec::new();
    for (speech, pause) in parts {
        pcm.extend_from_slice(speech);
        let start = seconds(&pcm);
        pcm.extend(silence(*pause));
        pauses.push((start, seconds(&pcm)));
    }
    (pcm, pauses)
}

/// `sentences` spoken in turn with pauses between them (`shortest_pause`, then 0.3 s longer each
/// time, over a cycle of four), repeated and cut to exactly `seconds`: a recording with speech
/// and pauses of varied lengths, as a meeting has.
pub fn speech(sentences: &[&str], shortest_pause: f64, seconds: f64) -> Vec<i16> {
    let spoken: Vec<Vec<i16>> = sentences.iter().map(|s| say(s, "en")).collect();
    let mut parts = Vec::new();
    let mut total = 0.0;
    let mut i = 0;
    while total < seconds {
        let sentence = spoken[i % spoken.len()].clone();
        let pause = shortest_pause + (i % 4) as f64 * 0.3;
        total += self::seconds(&sentence) + pause;
        parts.push((sentence, pause));
        i += 1;
    }
    let mut pcm = recording(&parts).0;
    pcm.truncate((seconds * RATE as f64) as usize);
    pcm
}

pub fn seconds(pcm: &[i16]) -> f64 {
    pcm.len() as f64 / RATE as f64
}

/// Containers the bot receives.
#[derive(Debug, Clone, Copy)]
pub enum Format {
    /// What Telegram voice notes are: Ogg/Opus, 48 kHz mono.
    VoiceNote,
    Mp3,
    /// AAC in MP4 (an `.m4a` document).
    M4a,
    /// An MP4 video with an AAC track.
    Mp4Video,
    /// A round video note: square MP4.
    VideoNote,
    /// Windows Media Audio (ASF): a codec the recogniser does not take as is.
    Wma,
}

/// Encodes PCM into `format` with ffmpeg.
pub fn encode(pcm: &[i16], format: Format) -> Vec<u8> {
    encode_at(pcm, format, None)
}

/// Encodes PCM into `format` at `bit_rate` (ffmpeg's `-b:a`, e.g. `"32k"`) instead of the
/// format's usual one: an hour that fits the cloud Bot API's 20 MB download limit.
pub fn encode_at(pcm: &[i16], format: Format, bit_rate: Option<&str>) -> Vec<u8> {
    let dir = tempfile::tempdir().expect("temp dir");
    let raw = dir.path().join("in.raw");
    std::fs::write(
        &raw,
        pcm.iter()
            .flat_map(|s| s.to_le_bytes())
            .collect::<Vec<u8>>(),
    )
    .expect("write pcm");
    let (name, args): (&str, Vec<&str>) = match format {
        Format::VoiceNote => (
            "out.ogg",
            vec![
                "-ar",
                "48000",
                "-c:a",
                "libopus",
                "-b:a",
                "32k",
                "-application",
                "voip",
            ],
        ),
        Format::Mp3 => ("out.mp3", vec!["-c:a", "libmp3lame", "-b:a", "64k"]),
        Format::M4a => ("out.m4a", vec!["-c:a", "aac", "-b:a", "64k"]),
        Format::Wma => ("out.wma", vec!["-c:a", "wmav2", "-b:a", "64k"]),
        Format::Mp4Video | Format::VideoNote => ("out.mp4", vec![]),
    };
    let out = dir.path().join(name);
    let mut cmd = Command::new("ffmpeg");
    cmd.args([
        "-hide_banner",
        "-v",
        "error",
        "-y",
        "-f",
        "s16le",
        "-ar",
        "16000",
        "-ac",
        "1",
        "-i",
    ])
    .arg(&raw);
    if matches!(format, Format::Mp4Video | Format::VideoNote) {
        let size = if matches!(format, Format::VideoNote) {
            "240x240"
        } else {
            "320x180"
        };
        let secs = format!("{:.3}", seconds(pcm));
        cmd.args([
            "-f",
            "lavfi",
            "-i",
            &format!("color=c=blue:s={size}:r=10:d={secs}"),
        ]);
        cmd.args([
            "-map",
            "1:v",
            "-map",
            "0:a",
            "-c:v",
            "mpeg4",
            "-q:v",
            "10",
            "-c:a",
            "aac",
            "-b:a",
            "64k",
            "-shortest",
        ]);
    } else {
        let mut args = args;
        if let (Some(rate), Some(at)) = (bit_rate, args.iter().position(|a| *a == "-b:a")) {
            args[at + 1] = rate;
        }
        cmd.args(&args);
    }
    let status = cmd
        .arg(&out)
        .stdin(Stdio::null())
        .status()
        .expect("ffmpeg is needed (apt install ffmpeg)");
    assert!(status.success(), "ffmpeg failed to encode {format:?}");
    std::fs::read(out).expect("read encoded audio")
}

/// Decodes any audio or video bytes to mono 16 kHz PCM.
pub fn decode_pcm(bytes: &[u8]) -> Vec<i16> {
    let mut child = Command::new("ffmpeg")
        .args([
            "-hide_banner",
            "-v",
            "error",
            "-i",
            "pipe:0",
            "-vn",
            "-ac",
            "1",
            "-ar",
            "16000",
            "-f",
            "s16le",
            "pipe:1",
        ])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("ffmpeg is needed (apt install ffmpeg)");
    let mut stdin = child.stdin.take().expect("stdin");
    let input = bytes.to_vec();
    let writer = std::thread::spawn(move || {
        let _ = stdin.write_all(&input);
    });
    let output = child.wait_with_output().expect("ffmpeg output");
    let _ = writer.join();
    assert!(output.status.success(), "ffmpeg could not decode the audio");
    output
        .stdout
        .chunks_exact(2)
        .map(|b| i16::from_le_bytes([b[0], b[1]]))
        .collect()
}

/// Regions at least `min_seconds` long where the signal stays below `threshold` (absolute
/// sample value): the pauses a listener would hear.
pub fn quiet_regions(pcm: &[i16], threshold: i16, min_seconds: f64) -> Vec<(f64, f64)> {
    let mut out = Vec::new();
    let mut start: Option<usize> = None;
    for (i, s) in pcm.iter().enumerate() {
        let quiet = s.unsigned_abs() < threshold.unsigned_abs();
        match (quiet, start) {
            (true, None) => start = Some(i),
            (false, Some(b)) => {
                if (i - b) as f64 / RATE as f64 >= min_seconds {
                    out.push((b as f64 / RATE as f64, i as f64 / RATE as f64));
                }
                start = None;
            }
            _ => {}
        }
    }
    if let Some(b) = start
        && (pcm.len() - b) as f64 / RATE as f64 >= min_seconds
    {
        out.push((b as f64 / RATE as f64, seconds(pcm)));
    }
    out
}

/// Where `needle` best matches inside `haystack`, in seconds, by comparing loudness envelopes
/// (20 ms frames). Survives lossy re-encoding, which an exact sample match would not.
pub fn locate(needle: &[i16], haystack: &[i16]) -> f64 {
    let frame = RATE / 50;
    let env = |pcm: &[i16]| -> Vec<f64> {
        pcm.chunks(frame)
            .map(|c| {
                (c.iter().map(|&s| f64::from(s) * f64::from(s)).sum::<f64>() / c.len() as f64)
                    .sqrt()
            })
            .collect()
    };
    let (n, h) = (env(needle), env(haystack));
    if n.len() > h.len() {
        return 0.0;
    }
    let mut best = (f64::MAX, 0);
    for offset in 0..=(h.len() - n.len()) {
        let mut diff = 0.0;
        for (a, b) in n.iter().zip(&h[offset..]) {
            diff += (a - b).abs();
            if diff >= best.0 {
                break;
            }
        }
        if diff < best.0 {
            best = (diff, offset);
        }
    }
    best.1 as f64 * frame as f64 / RATE as f64
}

/// An Ogg file whose last page claims `seconds` (granule position rewritten, checksum fixed):
/// a container that lies about its length. Assumes a 48 kHz Opus stream with a pre-skip of
/// 312 (what libopus writes).
pub fn with_ogg_claim(ogg: &[u8], seconds: f64) -> Vec<u8> {
    let mut out = ogg.to_vec();
    let last = (0..out.len().saturating_sub(4))
        .rev()
        .find(|&i| &out[i..i + 4] == b"OggS")
        .expect("an Ogg page");
    let granule = (seconds * 48_000.0) as i64 + 312;
    out[last + 6..last + 14].copy_from_slice(&granule.to_le_bytes());
    out[last + 22..last + 26].fill(0);
    let segments = usize::from(out[last + 26]);
    let body: usize = out[last + 27..last + 27 + segments]
        .iter()
        .map(|&l| usize::from(l))
        .sum();
    let end = last + 27 + segments + body;
    let crc = ogg_crc(&out[last..end]);
    out[last + 22..last + 26].copy_from_slice(&crc.to_le_bytes());
    out
}

fn ogg_crc(bytes: &[u8]) -> u32 {
    let mut crc = 0u32;
    for &b in bytes {
        crc ^= u32::from(b) << 24;
        for _ in 0..8 {
            crc = if crc & 0x8000_0000 != 0 {
                (crc << 1) ^ 0x04c1_1db7
            } else {
                crc << 1
            };
        }
    }
    crc
}

/// An MP3 whose Xing/Info header claims `seconds` (frame count rewritten): a container that lies
/// about its length. Assumes what [`encode`] writes for [`Format::Mp3`] (16 kHz MPEG-2 layer
/// III: 576 samples a frame).
pub fn with_xing_claim(mp3: &[u8], seconds: f64) -> Vec<u8> {
    let mut out = mp3.to_vec();
    let tag = out[..out.len().min(8192)]
        .windows(4)
        .position(|w| w == b"Xing" || w == b"Info")
        .expect("a Xing/Info header");
    let flags = u32::from_be_bytes(out[tag + 4..tag + 8].try_into().expect("4 bytes"));
    assert!(flags & 1 != 0, "the header carries a frame count");
    let frames = (seconds * RATE as f64 / 576.0).round().max(1.0) as u32;
    out[tag + 8..tag + 12].copy_from_slice(&frames.to_be_bytes());
    out
}

/// `seconds` of digital silence as 8 kHz mono FLAC: hours fit in a few hundred KB.
pub fn silent_flac(seconds: f64) -> Vec<u8> {
    let dir = tempfile::tempdir().expect("temp dir");
    let out = dir.path().join("silence.flac");
    let status = Command::new("ffmpeg")
        .args(["-hide_banner", "-v", "error", "-y", "-f", "lavfi", "-i"])
        .arg("anullsrc=r=8000:cl=mono")
        .args([
            "-t",
            &format!("{seconds:.3}"),
            "-c:a",
            "flac",
            "-frame_size",
            "16384",
        ])
        .arg(&out)
        .stdin(Stdio::null())
        .status()
        .expect("ffmpeg is needed (apt install ffmpeg)");
    assert!(status.success(), "ffmpeg failed to write FLAC");
    std::fs::read(out).expect("read FLAC")
}

/// An HLS playlist (what an attacker names `.mp3`) whose one segment is `segment`.
pub fn hls_playlist(segment: &std::path::Path) -> String {
    format!(
        "#EXTM3U\n#EXT-X-TARGETDURATION:10\n#EXTINF:10,\n{}\n#EXT-X-ENDLIST\n",
        segment.display()
    )
}

/// An ffconcat script (what an attacker names `.mp3`) whose one entry is `entry`.
pub fn ffconcat_script(entry: &std::path::Path) -> String {
    format!("ffconcat version 1.0\nfile {}\n", entry.display())
}
