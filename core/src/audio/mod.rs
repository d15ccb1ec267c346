//! Audio tools: probe a file (ffprobe), prepare it for recognition (pass an Ogg/Opus voice note
//! through, or extract mono 16 kHz Opus with ffmpeg while detecting pauses), and split long audio
//! at those pauses. ffmpeg and ffprobe run as child processes on the async runtime and are killed
//! if the job is dropped.

mod split;

use std::path::{Path, PathBuf};
use std::process::Stdio;

use serde::Deserialize;
use tokio::process::Command;

pub use split::{Chunk, Silence, plan_cuts, split};

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("could not start {tool}; is ffmpeg installed?")]
    Spawn {
        tool: &'static str,
        #[source]
        source: std::io::Error,
    },
    /// The input is not media ffmpeg can decode.
    #[error("{tool} could not decode the input")]
    Undecodable { tool: &'static str },
    /// Decodable, but without an audio stream.
    #[error("the file has no audio track")]
    NoAudio,
    #[error("audio work file error")]
    Io(#[source] std::io::Error),
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

/// What ffprobe says about a file.
#[derive(Debug, Clone, PartialEq)]
pub struct Probe {
    /// Seconds; `None` when the container does not say (some streamed WebM).
    pub duration: Option<f64>,
    /// Container names, e.g. `ogg` or `mov,mp4,m4a,3gp,3g2,mj2`.
    pub format: String,
    /// Codec of the first audio stream.
    pub audio_codec: String,
}

impl Probe {
    /// An Ogg/Opus file: what Telegram voice notes are and what DashScope accepts as is.
    pub fn is_ogg_opus(&self) -> bool {
        self.format.split(',').any(|f| f == "ogg") && self.audio_codec == "opus"
    }
}

#[derive(Deserialize)]
struct ProbeJson {
    #[serde(default)]
    streams: Vec<ProbeStream>,
    format: Option<ProbeFormat>,
}

#[derive(Deserialize)]
struct ProbeStream {
    #[serde(default)]
    codec_type: String,
    #[serde(default)]
    codec_name: String,
    #[serde(default)]
    duration: Option<String>,
}

#[derive(Deserialize)]
struct ProbeFormat {
    #[serde(default)]
    format_name: String,
    #[serde(default)]
    duration: Option<String>,
}

/// Runs ffprobe on `path`.
pub async fn probe(path: &Path) -> Result<Probe> {
    let output = Command::new("ffprobe")
        .args([
            "-v",
            "error",
            "-print_format",
            "json",
            "-show_format",
            "-show_streams",
        ])
        .arg(path)
        .stdin(Stdio::null())
        .kill_on_drop(true)
        .output()
        .await
        .map_err(|source| Error::Spawn {
            tool: "ffprobe",
            source,
        })?;
    if !output.status.success() {
        return Err(Error::Undecodable { tool: "ffprobe" });
    }
    let parsed: ProbeJson = serde_json::from_slice(&output.stdout)
        .map_err(|_| Error::Undecodable { tool: "ffprobe" })?;
    let Some(format) = parsed.format else {
        return Err(Error::Undecodable { tool: "ffprobe" });
    };
    let Some(audio) = parsed.streams.iter().find(|s| s.codec_type == "audio") else {
        return Err(Error::NoAudio);
    };
    let seconds = |s: &Option<String>| {
        s.as_deref()
            .and_then(|d| d.parse::<f64>().ok())
            .filter(|d| d.is_finite() && *d > 0.0)
    };
    Ok(Probe {
        duration: seconds(&format.duration).or_else(|| seconds(&audio.duration)),
        format: format.format_name,
        audio_codec: audio.codec_name.clone(),
    })
}

/// Pauses in `input` (a decode-only ffmpeg pass), for audio used as is.
pub async fn detect_silences(input: &Path, duration: f64) -> Result<Vec<Silence>> {
    let output = Command::new("ffmpeg")
        .args(["-hide_banner", "-nostdin", "-v", "info", "-i"])
        .arg(input)
        .args(["-vn", "-map", "0:a:0", "-af"])
        .arg(format!(
            "silencedetect=noise={SILENCE_NOISE_DB}dB:d={SILENCE_MIN_SECONDS}"
        ))
        .args(["-f", "null", "-"])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .kill_on_drop(true)
        .output()
        .await
        .map_err(|source| Error::Spawn {
            tool: "ffmpeg",
            source,
        })?;
    if !output.status.success() {
        return Err(Error::Undecodable { tool: "ffmpeg" });
    }
    Ok(split::parse_silences(
        &String::from_utf8_lossy(&output.stderr),
        duration,
    ))
}

/// Audio ready for recognition.
#[derive(Debug, Clone)]
pub struct Prepared {
    pub path: PathBuf,
    /// MIME type for the recogniser (`audio/ogg`).
    pub mime: &'static str,
    /// Sent as received, without transcoding.
    pub passthrough: bool,
    /// Seconds.
    pub duration: f64,
    /// Pauses, in seconds from the start.
    pub silences: Vec<Silence>,
}

impl Prepared {
    /// True when pauses cover (nearly) all of the audio: nothing to recognise.
    pub fn is_silent(&self) -> bool {
        let quiet: f64 = self
            .silences
            .iter()
            .map(|s| (s.end - s.start).max(0.0))
            .sum();
        self.duration <= 0.0 || quiet >= self.duration * 0.97
    }
}

/// Pause detection: quieter than this for at least this long.
const SILENCE_NOISE_DB: i32 = -35;
const SILENCE_MIN_SECONDS: f64 = 0.3;

/// Prepares `input` for recognition. An Ogg/Opus file no longer than `chunk_seconds` is used as
/// is when `passthrough` allows (its pauses found by a decode-only pass); everything else is
/// transcoded to mono 16 kHz Opus, with pause detection in the same ffmpeg pass.
pub async fn prepare(
    input: &Path,
    probe: &Probe,
    work_dir: &Path,
    passthrough: bool,
    chunk_seconds: f64,
) -> Result<Prepared> {
    if let Some(duration) = probe.duration
        && passthrough
        && probe.is_ogg_opus()
        && duration <= chunk_seconds
    {
        return Ok(Prepared {
            path: input.to_path_buf(),
            mime: "audio/ogg",
            passthrough: true,
            duration,
            silences: detect_silences(input, duration).await?,
        });
    }
    transcode(input, work_dir, probe.duration).await
}

/// Extracts the audio of `input` as mono 16 kHz Opus and detects pauses.
pub async fn transcode(
    input: &Path,
    work_dir: &Path,
    known_duration: Option<f64>,
) -> Result<Prepared> {
    let out = work_dir.join("prepared.ogg");
    let output = Command::new("ffmpeg")
        .args(["-hide_banner", "-nostdin", "-y", "-v", "info", "-i"])
        .arg(input)
        .args([
            "-vn", "-sn", "-dn", "-map", "0:a:0", "-ac", "1", "-ar", "16000",
        ])
        .arg("-af")
        .arg(format!(
            "silencedetect=noise={SILENCE_NOISE_DB}dB:d={SILENCE_MIN_SECONDS}"
        ))
        .args([
            "-c:a",
            "libopus",
            "-b:a",
            "24k",
            "-application",
            "voip",
            "-f",
            "ogg",
        ])
        .arg(&out)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .kill_on_drop(true)
        .output()
        .await
        .map_err(|source| Error::Spawn {
            tool: "ffmpeg",
            source,
        })?;
    if !output.status.success() {
        return Err(Error::Undecodable { tool: "ffmpeg" });
    }
    let log = String::from_utf8_lossy(&output.stderr);
    let duration = match known_duration {
        Some(d) => d,
        None => probe(&out)
            .await?
            .duration
            .ok_or(Error::Undecodable { tool: "ffprobe" })?,
    };
    Ok(Prepared {
        path: out,
        mime: "audio/ogg",
        passthrough: false,
        duration,
        silences: split::parse_silences(&log, duration),
    })
}
