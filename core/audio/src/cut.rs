//! Carrying out a [`Plan`]: one ffmpeg run reads the input once and writes every chunk into the
//! caller's directory (the segment muxer cuts at the planned times, which lie in pauses), by
//! stream copy or as mono 16 kHz Opus, stopping at the decoded length. A copied chunk that
//! comes out over the request's byte limit is re-encoded on its own. Each [`ChunkFile`] can be
//! removed as soon as it is recognised.

use std::ffi::OsString;
use std::path::{Path, PathBuf};

use tokio_util::sync::CancellationToken;

use crate::error::{Error, Result};
use crate::limits::Limits;
use crate::plan::{Method, Output, Plan, Span};
use crate::subprocess::Subprocess;
use crate::tool::{self, Tool};

/// libopus effort: 5 of 10 encodes speech at 24 kb/s about twice as fast as 10, with no
/// difference a recogniser notices.
const OPUS_EFFORT: &str = "5";

/// One chunk, ready for the recogniser.
#[derive(Debug, Clone, PartialEq)]
pub struct ChunkFile {
    /// Position in the plan, from 0.
    pub index: usize,
    /// The stretch of the input it holds.
    pub span: Span,
    pub path: PathBuf,
    /// Container, MIME type and file name for the request.
    pub output: Output,
    /// How it was produced (a copy over the byte limit is re-encoded: [`Method::Encode`]).
    pub method: Method,
    /// Its size, bytes.
    pub bytes: u64,
}

impl ChunkFile {
    /// Deletes the chunk's file once it is no longer needed. The input itself (a passthrough
    /// chunk) is left to whoever owns it.
    pub async fn remove(self) -> Result<()> {
        if self.method == Method::Passthrough {
            return Ok(());
        }
        tokio::fs::remove_file(&self.path).await.map_err(Error::Io)
    }
}

/// Writes the chunks of `plan` for `input` into `dir` (which the caller owns and removes),
/// in order. Fails like [`crate::analyse`] does; the run is bounded by [`Limits::timeout`] of
/// the planned length and killed when `cancel` fires.
pub async fn cut(
    input: &Path,
    plan: &Plan,
    dir: &Path,
    limits: &Limits,
    cancel: &CancellationToken,
) -> Result<Vec<ChunkFile>> {
    let Some(total) = plan.spans.last().map(|s| s.end) else {
        return Ok(Vec::new());
    };
    if plan.method == Method::Passthrough {
        return passthrough(input, plan).await;
    }
    let args = segment_args(input, plan, dir, total);
    let run = Subprocess::spawn(Tool::Ffmpeg, &args, limits.timeout(total), cancel, false)?;
    run.finish().await?;
    let mut chunks = written(plan, dir).await?;
    for chunk in &mut chunks {
        if chunk.bytes > limits.max_chunk_bytes() {
            reencode(chunk, limits, cancel).await?;
        }
    }
    Ok(chunks)
}

/// The chunks of a passthrough plan: every span reads the input itself.
async fn passthrough(input: &Path, plan: &Plan) -> Result<Vec<ChunkFile>> {
    let bytes = tokio::fs::metadata(input).await.map_err(Error::Io)?.len();
    Ok(plan
        .spans
        .iter()
        .enumerate()
        .map(|(index, &span)| ChunkFile {
            index,
            span,
            path: input.to_owned(),
            output: plan.output,
            method: Method::Passthrough,
            bytes,
        })
        .collect())
}

/// The ffmpeg arguments that cut the first `total` seconds of `input` into one file per span
/// of `plan`, named `chunk%04d` in `dir`.
fn segment_args(input: &Path, plan: &Plan, dir: &Path, total: f64) -> Vec<OsString> {
    let mut args = ["-hide_banner", "-nostdin", "-y", "-v", "error"]
        .map(Into::into)
        .to_vec();
    args.extend(tool::input_args(input));
    args.extend(stream_args(plan.method == Method::Copy));
    args.extend(["-t".into(), seconds(total)]);
    args.extend(
        [
            "-f",
            "segment",
            "-segment_format",
            plan.output.muxer,
            "-reset_timestamps",
            "1",
        ]
        .map(Into::into),
    );
    if let Some(options) = plan.output.muxer_options() {
        args.extend(["-segment_format_options".into(), options.into()]);
    }
    if plan.spans.len() == 1 {
        // One segment: longer than the whole.
        args.extend(["-segment_time".into(), seconds(total + 1.0)]);
    } else {
        let times = plan.spans[1..]
            .iter()
            .map(|s| format!("{:.3}", s.start))
            .collect::<Vec<_>>()
            .join(",");
        args.extend(["-segment_times".into(), times.into()]);
    }
    let mut pattern = dir.as_os_str().to_owned();
    pattern.push(format!("/chunk%04d.{}", plan.output.extension));
    args.push(pattern);
    args
}

/// The chunk files the cut wrote into `dir`, one per span; a missing one means ffmpeg could not
/// read that far.
async fn written(plan: &Plan, dir: &Path) -> Result<Vec<ChunkFile>> {
    let mut chunks = Vec::with_capacity(plan.spans.len());
    for (index, &span) in plan.spans.iter().enumerate() {
        let path = dir.join(format!("chunk{index:04}.{}", plan.output.extension));
        let bytes = match tokio::fs::metadata(&path).await {
            Ok(m) => m.len(),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                return Err(Error::Undecodable {
                    tool: Tool::Ffmpeg,
                    detail: format!("the cut produced no chunk {index} of {}", plan.spans.len()),
                });
            }
            Err(e) => return Err(Error::Io(e)),
        };
        chunks.push(ChunkFile {
            index,
            span,
            path,
            output: plan.output,
            method: plan.method,
            bytes,
        });
    }
    Ok(chunks)
}

/// The output stream: the first audio track, copied or encoded; nothing else.
fn stream_args(copy: bool) -> Vec<OsString> {
    let mut args: Vec<OsString> = [
        "-map",
        "0:a:0",
        "-vn",
        "-sn",
        "-dn",
        "-map_metadata",
        "-1",
        "-map_chapters",
        "-1",
    ]
    .map(Into::into)
    .to_vec();
    let codec: &[&str] = if copy {
        &["-c:a", "copy"]
    } else {
        &[
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
            OPUS_EFFORT,
        ]
    };
    args.extend(codec.iter().map(Into::into));
    args
}

fn seconds(s: f64) -> OsString {
    format!("{s:.3}").into()
}

/// Replaces a copied chunk that came out too big with its audio encoded as Opus.
async fn reencode(
    chunk: &mut ChunkFile,
    limits: &Limits,
    cancel: &CancellationToken,
) -> Result<()> {
    let out = chunk.path.with_extension("opus.ogg");
    let mut args = ["-hide_banner", "-nostdin", "-y", "-v", "error"]
        .map(Into::into)
        .to_vec();
    args.extend(tool::input_args(&chunk.path));
    args.extend(stream_args(false));
    args.extend(["-t".into(), seconds(chunk.span.seconds())]);
    args.extend(["-f".into(), Output::OGG.muxer.into(), out.clone().into()]);
    let run = Subprocess::spawn(
        Tool::Ffmpeg,
        &args,
        limits.timeout(chunk.span.seconds()),
        cancel,
        false,
    )?;
    run.finish().await?;
    tokio::fs::remove_file(&chunk.path)
        .await
        .map_err(Error::Io)?;
    chunk.bytes = tokio::fs::metadata(&out).await.map_err(Error::Io)?.len();
    chunk.path = out;
    chunk.output = Output::OGG;
    chunk.method = Method::Encode;
    Ok(())
}
