//! Audio tools: probe a file (ffprobe), analyse it (one fast decode-only ffmpeg pass for the
//! duration and the pauses), plan where long audio is cut (in the middle of pauses), and encode
//! each chunk as mono 16 kHz Opus straight from the source — chunks are independent, so they
//! are encoded in parallel and each goes to the recogniser as soon as it is ready. ffmpeg and
//! ffprobe run as child processes on the async runtime and are killed if the job is dropped.
#![forbid(unsafe_code)]

mod split;

use std::path::Path;
use std::process::Stdio;

use serde::Deserialize;
use tokio::process::Command;

pub use split::{Silence, Span, plan_spans};

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

/// Pause detection: quieter than this for at least this long.
const SILENCE_NOISE_DB: i32 = -35;
const SILENCE_MIN_SECONDS: f64 = 0.3;
/// libopus effort: 5 of 10 encodes speech at 24 kb/s about twice as fast as 10, with no
/// difference a recogniser notices.
const OPUS_EFFORT: &str = "5";

/// What one decode of the whole input tells.
#[derive(Debug, Clone, PartialEq)]
pub struct Analysis {
    /// Seconds: the container's duration, or the decoded length when it has none.
    pub duration: f64,
    /// Pauses, in seconds from the start.
    pub silences: Vec<Silence>,
}

impl Analysis {
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

/// Decodes the first audio stream once (no encoding) to find its pauses, and its length when
/// the container does not say.
pub async fn analyse(input: &Path, known_duration: Option<f64>) -> Result<Analysis> {
    let output = Command::new("ffmpeg")
        .args(["-hide_banner", "-nostdin", "-v", "info", "-i"])
        .arg(input)
        .args([
            "-vn", "-sn", "-dn", "-map", "0:a:0", "-ac", "1", "-ar", "16000", "-af",
        ])
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
    let log = String::from_utf8_lossy(&output.stderr);
    let duration = match known_duration {
        Some(d) => d,
        None => split::decoded_seconds(&log).ok_or(Error::Undecodable { tool: "ffmpeg" })?,
    };
    Ok(Analysis {
        duration,
        silences: split::parse_silences(&log, duration),
    })
}

/// Encodes `span` of `input` (all of it when `None`) as mono 16 kHz Opus into `out`.
pub async fn encode(input: &Path, span: Option<Span>, out: &Path) -> Result<()> {
    let mut command = Command::new("ffmpeg");
    command.args(["-hide_banner", "-nostdin", "-y", "-v", "error"]);
    if let Some(span) = span {
        // Input seeking decodes from the previous seek point and drops samples up to `start`,
        // so the cut is exact.
        command.arg("-ss").arg(format!("{:.3}", span.start));
        command.arg("-to").arg(format!("{:.3}", span.end));
    }
    let status = command
        .arg("-i")
        .arg(input)
        .args([
            "-vn", "-sn", "-dn", "-map", "0:a:0", "-ac", "1", "-ar", "16000",
        ])
        .args([
            "-c:a",
            "libopus",
            "-b:a",
            "24k",
            "-application",
            "voip",
            "-compression_level",
            OPUS_EFFORT,
        ])
        .args(["-f", "ogg"])
        .arg(out)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .kill_on_drop(true)
        .status()
        .await
        .map_err(|source| Error::Spawn {
            tool: "ffmpeg",
            source,
        })?;
    if status.success() {
        Ok(())
    } else {
        Err(Error::Undecodable { tool: "ffmpeg" })
    }
}
