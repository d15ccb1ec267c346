//! The decode pass: ffmpeg decodes the first audio stream once to mono 16 kHz PCM on its stdout,
//! and [`Levels`] counts the samples and measures them as they stream by. Nothing is written to
//! disk or kept but the levels. Decoding stops at [`Limits::max_seconds`].

use std::path::Path;

use tokio_util::sync::CancellationToken;

use crate::error::{Error, Result};
use crate::levels::Levels;
use crate::limits::Limits;
use crate::subprocess::Subprocess;
use crate::tool::{self, Tool};

/// Decodes `input` and measures it. The run's deadline grows with the audio decoded so far
/// (a decode that makes progress is not killed; one that stalls is).
pub(crate) async fn decode(
    input: &Path,
    limits: &Limits,
    cancel: &CancellationToken,
) -> Result<Levels> {
    let mut args = ["-hide_banner", "-nostdin", "-v", "error"]
        .map(Into::into)
        .to_vec();
    args.extend(tool::input_args(input));
    args.extend(
        [
            "-map", "0:a:0", "-vn", "-sn", "-dn", "-ac", "1", "-ar", "16000", "-f", "s16le",
        ]
        .map(Into::into),
    );
    // ffmpeg stops by itself just past the limit, so reading to the end is bounded too.
    args.extend([
        "-t".into(),
        format!("{:.3}", limits.max_seconds + 1.0).into(),
    ]);
    args.push("pipe:1".into());
    let mut run = Subprocess::spawn(Tool::Ffmpeg, &args, limits.timeout(0.0), cancel, true)?;
    let mut levels = Levels::default();
    let mut buf = vec![0u8; 64 * 1024];
    loop {
        let n = run.read(&mut buf).await?;
        if n == 0 {
            break;
        }
        levels.push(&buf[..n]);
        if levels.seconds() > limits.max_seconds {
            run.abandon().await;
            return Err(Error::TooLong {
                limit_seconds: limits.max_whole_seconds(),
            });
        }
        run.extend(limits.timeout(levels.seconds()));
    }
    run.finish().await?;
    let levels = levels.finish();
    if levels.seconds() <= 0.0 {
        return Err(Error::Undecodable {
            tool: Tool::Ffmpeg,
            detail: "no audio decoded".to_owned(),
        });
    }
    Ok(levels)
}
