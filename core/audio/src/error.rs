//! The one error of the audio boundary: every way probing, decoding or cutting a file fails, and
//! whether trying again could help ([`Classify`]).

use std::time::Duration;

use scribe_core::retry::{Classify, Retry};

use crate::tool::Tool;

#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The tool is missing or cannot be executed: the deployment's fault, not the file's.
    #[error("could not start {tool}; is it installed and on PATH?")]
    Spawn {
        tool: Tool,
        #[source]
        source: std::io::Error,
    },
    /// The tool ran past its wall-clock limit and was killed.
    #[error("{tool} did not finish within {after:?} and was killed")]
    TimedOut { tool: Tool, after: Duration },
    /// The job was cancelled while the tool ran; it was killed.
    #[error("{tool} was killed: the job was cancelled")]
    Cancelled { tool: Tool },
    /// Not media we accept, or media the decoder cannot read (playlists and scripts included).
    /// `detail` is the exit status and a bounded tail of the tool's diagnostics.
    #[error("{tool} could not decode the input: {detail}")]
    Undecodable { tool: Tool, detail: String },
    /// Decodable, but without an audio stream.
    #[error("the file has no audio track")]
    NoAudio,
    /// Decoding reached the longest audio accepted and stopped there.
    #[error("the audio is longer than {limit_seconds} s")]
    TooLong { limit_seconds: u64 },
    #[error("audio work file error")]
    Io(#[source] std::io::Error),
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

impl Error {
    /// A short, closed-set name for metrics and job rows.
    pub fn kind(&self) -> &'static str {
        match self {
            Error::Spawn { .. } => "spawn",
            Error::TimedOut { .. } => "timed_out",
            Error::Cancelled { .. } => "cancelled",
            Error::Undecodable { .. } => "undecodable",
            Error::NoAudio => "no_audio",
            Error::TooLong { .. } => "too_long",
            Error::Io(_) => "io",
        }
    }
}

impl Classify for Error {
    fn retry(&self) -> Retry {
        match self {
            // A missing tool, a full disk or a shutdown: another worker or a later attempt may
            // succeed.
            Error::Spawn { .. } | Error::Io(_) | Error::Cancelled { .. } => {
                Retry::Transient { after: None }
            }
            // The same file would hang, fail or overflow again.
            Error::TimedOut { .. }
            | Error::Undecodable { .. }
            | Error::NoAudio
            | Error::TooLong { .. } => Retry::Permanent,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn deployment_failures_pass_and_the_files_own_do_not() {
        let transient = Retry::Transient { after: None };
        let cases = [
            (
                Error::Spawn {
                    tool: Tool::Ffmpeg,
                    source: std::io::Error::from(std::io::ErrorKind::NotFound),
                },
                transient,
                "spawn",
            ),
            (
                Error::Io(std::io::Error::other("no space left on device")),
                transient,
                "io",
            ),
            (
                Error::Cancelled {
                    tool: Tool::Ffprobe,
                },
                transient,
                "cancelled",
            ),
            (
                Error::TimedOut {
                    tool: Tool::Ffmpeg,
                    after: Duration::from_secs(60),
                },
                Retry::Permanent,
                "timed_out",
            ),
            (
                Error::Undecodable {
                    tool: Tool::Ffprobe,
                    detail: "exit status 1: Invalid data found".into(),
                },
                Retry::Permanent,
                "undecodable",
            ),
            (Error::NoAudio, Retry::Permanent, "no_audio"),
            (
                Error::TooLong {
                    limit_seconds: 14_400,
                },
                Retry::Permanent,
                "too_long",
            ),
        ];
        for (error, retry, kind) in cases {
            assert_eq!((error.retry(), error.kind()), (retry, kind), "{error:?}");
        }
    }
}
