//! Why a job failed, what that means (try again later, or fail now), its label for metrics and
//! the job row, and what the user is told.

use scribe_audio as audio;
use scribe_core::billing::Package;
use scribe_core::i18n::{Lang, Msg};
use scribe_core::retry::{Classify, Retry};
use scribe_telegram as telegram;

use crate::context::Context;
use crate::pipeline;

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("the file is larger than the Bot API serves")]
    TooLarge,
    #[error("the local Bot API server gave a path outside its files root")]
    LocalPath,
    #[error("the audio could not be prepared")]
    Pipeline(#[from] pipeline::Error),
    #[error("balance too low: {balance} s, needs {needed} s")]
    Insufficient { balance: i64, needed: i64 },
    #[error("Telegram error")]
    Telegram(#[from] telegram::Error),
    #[error("store error")]
    Store(#[from] scribe_store::Error),
    #[error("audio work directory error")]
    Io(#[source] std::io::Error),
    #[error("the job ran past its deadline of {0:?}")]
    Deadline(std::time::Duration),
    #[error("the job panicked: {0}")]
    Panicked(String),
    #[error("shutting down")]
    Interrupted,
    #[error("another worker took the job over")]
    TakenOver,
}

impl From<audio::Error> for Error {
    fn from(e: audio::Error) -> Self {
        Error::Pipeline(pipeline::Error::Audio(e))
    }
}

/// What becomes of a failed job.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// Try again later (if attempts remain).
    Transient,
    /// Fail now and tell the user.
    Permanent,
    /// Hand the delivery back untouched (shutdown).
    HandBack,
    /// Someone else has the job; forget this delivery.
    Drop,
}

impl Error {
    /// Result label for metrics and the job row (a closed set).
    pub fn kind(&self) -> &'static str {
        match self {
            Error::TooLarge => "too_large",
            Error::LocalPath => "local_path",
            Error::Pipeline(pipeline::Error::Audio(e)) => match e {
                audio::Error::Undecodable { .. } => "undecodable",
                audio::Error::NoAudio => "no_audio",
                audio::Error::TooLong { .. } => "too_long",
                audio::Error::TimedOut { .. } => "timed_out",
                audio::Error::Spawn { .. }
                | audio::Error::Io(_)
                | audio::Error::Cancelled { .. } => "internal",
            },
            Error::Pipeline(pipeline::Error::Io(_)) | Error::Io(_) => "internal",
            Error::Pipeline(pipeline::Error::Asr(_)) => "provider",
            Error::Pipeline(pipeline::Error::NoSpeech) => "no_speech",
            Error::Insufficient { .. } => "insufficient",
            Error::Telegram(_) => "telegram",
            Error::Store(_) => "store",
            Error::Deadline(_) => "deadline",
            Error::Panicked(_) => "panic",
            Error::Interrupted => "interrupted",
            Error::TakenOver => "taken_over",
        }
    }

    pub fn verdict(&self) -> Verdict {
        let retry = match self {
            Error::Interrupted => return Verdict::HandBack,
            Error::TakenOver => return Verdict::Drop,
            Error::Pipeline(pipeline::Error::Asr(e)) => e.retry(),
            Error::Pipeline(pipeline::Error::Audio(e)) => e.retry(),
            Error::Telegram(e) => e.retry(),
            Error::Store(e) => e.retry(),
            // A full disk is the deployment's fault, not the file's; a panic is a bug that may
            // not repeat. Attempts are counted at every claim, so neither loops.
            Error::Pipeline(pipeline::Error::Io(_)) | Error::Io(_) | Error::Panicked(_) => {
                Retry::Transient { after: None }
            }
            Error::TooLarge
            | Error::LocalPath
            | Error::Pipeline(pipeline::Error::NoSpeech)
            | Error::Insufficient { .. }
            | Error::Deadline(_) => Retry::Permanent,
        };
        match retry {
            Retry::Transient { .. } => Verdict::Transient,
            Retry::Permanent => Verdict::Permanent,
        }
    }

    pub fn user_message(&self, ctx: &Context, lang: Lang) -> String {
        match self {
            Error::TooLarge => Msg::FileTooLarge {
                limit_mb: ctx.delivery.max_file_bytes / (1024 * 1024),
            }
            .render(lang),
            Error::Pipeline(pipeline::Error::Audio(
                audio::Error::Undecodable { .. } | audio::Error::TimedOut { .. },
            )) => Msg::CouldNotDecode.render(lang),
            Error::Pipeline(pipeline::Error::Audio(audio::Error::NoAudio)) => {
                Msg::NoAudioTrack.render(lang)
            }
            Error::Pipeline(pipeline::Error::Audio(audio::Error::TooLong { limit_seconds })) => {
                Msg::TooLong {
                    limit_seconds: *limit_seconds,
                }
                .render(lang)
            }
            Error::Pipeline(pipeline::Error::NoSpeech) => Msg::NoSpeech.render(lang),
            Error::Pipeline(pipeline::Error::Asr(_)) => Msg::ProviderUnavailable.render(lang),
            Error::Insufficient { balance, needed } => {
                let package = Package::cheapest_covering(&ctx.billing.packages, needed - balance)
                    .map(|p| (p.id.as_str(), p.minutes, p.stars));
                Msg::Insufficient {
                    balance: *balance,
                    needed: *needed,
                    package,
                }
                .render(lang)
            }
            Error::LocalPath
            | Error::Pipeline(_)
            | Error::Telegram(_)
            | Error::Store(_)
            | Error::Io(_)
            | Error::Deadline(_)
            | Error::Panicked(_)
            | Error::Interrupted
            | Error::TakenOver => Msg::InternalError.render(lang),
        }
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    #[test]
    fn failures_are_classified() {
        let cases = [
            (Error::TooLarge, Verdict::Permanent, "too_large"),
            (
                Error::Pipeline(pipeline::Error::NoSpeech),
                Verdict::Permanent,
                "no_speech",
            ),
            (
                Error::Insufficient {
                    balance: 1,
                    needed: 2,
                },
                Verdict::Permanent,
                "insufficient",
            ),
            (
                Error::Deadline(Duration::from_secs(1)),
                Verdict::Permanent,
                "deadline",
            ),
            (Error::Panicked("boom".into()), Verdict::Transient, "panic"),
            (
                Error::Io(std::io::Error::other("disk full")),
                Verdict::Transient,
                "internal",
            ),
            (Error::Interrupted, Verdict::HandBack, "interrupted"),
            (Error::TakenOver, Verdict::Drop, "taken_over"),
            (
                Error::Telegram(telegram::Error::Api {
                    method: "sendMessage",
                    code: 429,
                    description: "Too Many Requests".into(),
                    retry_after: Some(3),
                }),
                Verdict::Transient,
                "telegram",
            ),
            (
                Error::Telegram(telegram::Error::Api {
                    method: "sendMessage",
                    code: 403,
                    description: "Forbidden: bot was blocked by the user".into(),
                    retry_after: None,
                }),
                Verdict::Permanent,
                "telegram",
            ),
            (
                Error::Store(scribe_store::Error::Db(sqlx_pool_timeout())),
                Verdict::Transient,
                "store",
            ),
        ];
        for (error, verdict, kind) in cases {
            assert_eq!((error.verdict(), error.kind()), (verdict, kind), "{error}");
        }
    }

    fn sqlx_pool_timeout() -> scribe_store::DbError {
        scribe_store::DbError::PoolTimedOut
    }
}
