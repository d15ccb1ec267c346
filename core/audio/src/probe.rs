//! What a file's container says about itself (ffprobe, reading headers only): format, the first
//! audio stream's codec and bit rate, and the length it claims. Claims are not trusted for
//! billing — [`crate::analyse`] measures the length — but they choose how chunks are cut.

use std::path::Path;

use serde::Deserialize;
use tokio_util::sync::CancellationToken;

use crate::error::{Error, Result};
use crate::limits::Limits;
use crate::subprocess::Subprocess;
use crate::tool::{self, Tool};

/// ffprobe's JSON for a file is a few KB; more is not a file we want.
const MAX_PROBE_OUTPUT: usize = 256 * 1024;

/// What the container says.
#[derive(Debug, Clone, PartialEq)]
pub struct Probe {
    /// Demuxer name, e.g. `ogg` or `mov,mp4,m4a,3gp,3g2,mj2`.
    pub format: String,
    /// Codec of the first audio stream, e.g. `opus`, `aac`, `mp3`.
    pub audio_codec: String,
    /// The length the container claims, seconds; `None` when it does not say.
    pub claimed_seconds: Option<f64>,
    /// The first audio stream's bit rate, bits per second, when the container says.
    pub audio_bit_rate: Option<u64>,
    /// The file also holds video.
    pub has_video: bool,
    /// The file's size, bytes.
    pub file_bytes: u64,
}

impl Probe {
    /// An Ogg/Opus file: what Telegram voice notes are and what the recogniser takes as is.
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
    #[serde(default)]
    bit_rate: Option<String>,
    #[serde(default)]
    disposition: Option<Disposition>,
}

#[derive(Deserialize)]
struct Disposition {
    #[serde(default)]
    attached_pic: u8,
}

#[derive(Deserialize)]
struct ProbeFormat {
    #[serde(default)]
    format_name: String,
    #[serde(default)]
    duration: Option<String>,
}

/// Runs ffprobe on `input`: only [`tool::ACCEPTED_DEMUXERS`], only the one local file, within
/// [`Limits::base_timeout`].
pub async fn probe(input: &Path, limits: &Limits, cancel: &CancellationToken) -> Result<Probe> {
    let file_bytes = tokio::fs::metadata(input).await.map_err(Error::Io)?.len();
    let mut args = tool::input_args(input);
    args.splice(
        0..0,
        [
            "-v",
            "error",
            "-print_format",
            "json",
            "-show_format",
            "-show_streams",
        ]
        .map(Into::into),
    );
    let mut run = Subprocess::spawn(Tool::Ffprobe, &args, limits.timeout(0.0), cancel, true)?;
    let mut out = Vec::new();
    let mut buf = [0u8; 8192];
    loop {
        let n = run.read(&mut buf).await?;
        if n == 0 {
            break;
        }
        if out.len() + n > MAX_PROBE_OUTPUT {
            let error = run.undecodable("ffprobe output over its limit");
            run.abandon().await;
            return Err(error);
        }
        out.extend_from_slice(&buf[..n]);
    }
    run.finish().await?;
    parse(&out, file_bytes)
}

fn parse(json: &[u8], file_bytes: u64) -> Result<Probe> {
    let undecodable = |detail: &str| Error::Undecodable {
        tool: Tool::Ffprobe,
        detail: detail.to_owned(),
    };
    let parsed: ProbeJson =
        serde_json::from_slice(json).map_err(|_| undecodable("unreadable ffprobe output"))?;
    let format = parsed.format.ok_or_else(|| undecodable("no container"))?;
    let audio = parsed
        .streams
        .iter()
        .find(|s| s.codec_type == "audio")
        .ok_or(Error::NoAudio)?;
    let has_video = parsed.streams.iter().any(|s| {
        s.codec_type == "video" && s.disposition.as_ref().is_none_or(|d| d.attached_pic == 0)
    });
    let seconds = |s: &Option<String>| {
        s.as_deref()
            .and_then(|d| d.parse::<f64>().ok())
            .filter(|d| d.is_finite() && *d > 0.0)
    };
    Ok(Probe {
        claimed_seconds: seconds(&format.duration).or_else(|| seconds(&audio.duration)),
        audio_bit_rate: audio
            .bit_rate
            .as_deref()
            .and_then(|b| b.parse().ok())
            .filter(|b| *b > 0),
        format: format.format_name,
        audio_codec: audio.codec_name.clone(),
        has_video,
        file_bytes,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ffprobe_json_is_read() {
        let json = br#"{"streams":[
            {"codec_type":"video","codec_name":"mjpeg","disposition":{"attached_pic":1}},
            {"codec_type":"audio","codec_name":"mp3","bit_rate":"64000","duration":"12.5"}],
            "format":{"format_name":"mp3","duration":"12.504"}}"#;
        assert_eq!(
            parse(json, 100_000).expect("probe"),
            Probe {
                format: "mp3".into(),
                audio_codec: "mp3".into(),
                claimed_seconds: Some(12.504),
                audio_bit_rate: Some(64_000),
                has_video: false,
                file_bytes: 100_000,
            }
        );
    }

    #[test]
    fn no_audio_stream_is_no_audio() {
        let json = br#"{"streams":[{"codec_type":"video","codec_name":"h264"}],
            "format":{"format_name":"mov,mp4,m4a,3gp,3g2,mj2","duration":"3"}}"#;
        assert!(matches!(parse(json, 1), Err(Error::NoAudio)));
    }
}
