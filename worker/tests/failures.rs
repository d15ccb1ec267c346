//! What becomes of the worker's failures: a job's `Error::verdict` (retry later, fail now, hand
//! back, drop) and metric label for every variant, and whether an update handler's error is
//! retried. The boundaries' own errors (store, Telegram, providers, audio, queue) are classified
//! in their crates; here the worker must pass their verdict through unchanged.

use std::time::Duration;

use scribe_core::retry::{Classify, Retry};
use scribe_worker::error::Error as UpdateError;
use scribe_worker::jobs::{Error, Verdict};
use scribe_worker::pipeline::Error as PipelineError;
use scribe_worker::reports::ExportError;

const TRANSIENT: Retry = Retry::Transient { after: None };

fn telegram(code: u16) -> scribe_telegram::Error {
    scribe_telegram::Error::Api {
        method: "sendMessage",
        code,
        description: "scripted".into(),
        retry_after: (code == 429).then_some(3),
    }
}

fn provider(refusal: scribe_providers::Refusal, status: u16) -> scribe_providers::Error {
    scribe_providers::Error::Api {
        provider: "dashscope",
        status,
        refusal,
        code: "scripted".into(),
        message: "scripted".into(),
        retry_after: None,
    }
}

fn io() -> std::io::Error {
    std::io::Error::other("no space left on device")
}

fn store_down() -> scribe_store::Error {
    scribe_store::Error::Db(scribe_store::DbError::PoolTimedOut)
}

fn store_refused() -> scribe_store::Error {
    scribe_store::Error::NotFound("job")
}

#[test]
fn every_job_failure_has_its_verdict_and_label() {
    use scribe_audio::{Error as Audio, Tool};
    use scribe_providers::Refusal;
    let cases: Vec<(Error, Verdict, &str)> = vec![
        (Error::TooLarge, Verdict::Permanent, "too_large"),
        (Error::LocalPath, Verdict::Permanent, "local_path"),
        (
            Error::Insufficient {
                balance: 10,
                needed: 60,
            },
            Verdict::Permanent,
            "insufficient",
        ),
        (
            Error::Deadline(Duration::from_secs(600)),
            Verdict::Permanent,
            "deadline",
        ),
        (Error::Panicked("boom".into()), Verdict::Transient, "panic"),
        (Error::Io(io()), Verdict::Transient, "internal"),
        (Error::Interrupted, Verdict::HandBack, "interrupted"),
        (Error::TakenOver, Verdict::Drop, "taken_over"),
        // Pipeline: the audio's own failures are final, the deployment's pass.
        (
            Error::Pipeline(PipelineError::NoSpeech),
            Verdict::Permanent,
            "no_speech",
        ),
        (
            Error::Pipeline(PipelineError::Io(io())),
            Verdict::Transient,
            "internal",
        ),
        (
            Error::from(Audio::Undecodable {
                tool: Tool::Ffprobe,
                detail: "exit status 1".into(),
            }),
            Verdict::Permanent,
            "undecodable",
        ),
        (Error::from(Audio::NoAudio), Verdict::Permanent, "no_audio"),
        (
            Error::from(Audio::TooLong {
                limit_seconds: 14_400,
            }),
            Verdict::Permanent,
            "too_long",
        ),
        (
            Error::from(Audio::TimedOut {
                tool: Tool::Ffmpeg,
                after: Duration::from_secs(60),
            }),
            Verdict::Permanent,
            "timed_out",
        ),
        (
            Error::from(Audio::Spawn {
                tool: Tool::Ffmpeg,
                source: std::io::Error::from(std::io::ErrorKind::NotFound),
            }),
            Verdict::Transient,
            "internal",
        ),
        (Error::from(Audio::Io(io())), Verdict::Transient, "internal"),
        (
            Error::from(Audio::Cancelled { tool: Tool::Ffmpeg }),
            Verdict::Transient,
            "internal",
        ),
        // Speech recognition: throttling and outages pass, refusals do not.
        (
            Error::Pipeline(PipelineError::Asr(provider(Refusal::Throttled, 429))),
            Verdict::Transient,
            "provider",
        ),
        (
            Error::Pipeline(PipelineError::Asr(provider(Refusal::Unavailable, 503))),
            Verdict::Transient,
            "provider",
        ),
        (
            Error::Pipeline(PipelineError::Asr(provider(Refusal::QuotaExhausted, 400))),
            Verdict::Permanent,
            "provider",
        ),
        (
            Error::Pipeline(PipelineError::Asr(provider(Refusal::Unauthorized, 401))),
            Verdict::Permanent,
            "provider",
        ),
        (
            Error::Pipeline(PipelineError::Asr(provider(Refusal::InvalidInput, 400))),
            Verdict::Permanent,
            "provider",
        ),
        // Telegram and the store: as their crates classify them.
        (
            Error::Telegram(telegram(429)),
            Verdict::Transient,
            "telegram",
        ),
        (
            Error::Telegram(telegram(502)),
            Verdict::Transient,
            "telegram",
        ),
        (
            Error::Telegram(telegram(403)),
            Verdict::Permanent,
            "telegram",
        ),
        (
            // A full work directory passes: the job is tried again later.
            Error::Telegram(scribe_telegram::Error::Io(io())),
            Verdict::Transient,
            "telegram",
        ),
        (Error::Store(store_down()), Verdict::Transient, "store"),
        (Error::Store(store_refused()), Verdict::Permanent, "store"),
    ];
    for (error, verdict, kind) in cases {
        assert_eq!(
            (error.verdict(), error.kind()),
            (verdict, kind),
            "{error:?}"
        );
    }
}

#[test]
fn update_handler_failures_pass_their_boundarys_verdict_through() {
    let cases = [
        (UpdateError::Store(store_down()), TRANSIENT),
        (UpdateError::Store(store_refused()), Retry::Permanent),
        (
            UpdateError::Telegram(telegram(429)),
            Retry::Transient {
                after: Some(Duration::from_secs(3)),
            },
        ),
        (UpdateError::Telegram(telegram(400)), Retry::Permanent),
        (UpdateError::Telegram(telegram(500)), TRANSIENT),
        (
            UpdateError::Queue(scribe_queue::Error::NotConfirmed),
            TRANSIENT,
        ),
        (UpdateError::Export(ExportError::Io(io())), TRANSIENT),
        (
            UpdateError::Export(ExportError::Store(store_down())),
            TRANSIENT,
        ),
        (
            UpdateError::Export(ExportError::Store(store_refused())),
            Retry::Permanent,
        ),
        (UpdateError::Io(io()), TRANSIENT),
    ];
    for (error, retry) in cases {
        assert_eq!(error.retry(), retry, "{error:?}");
    }
}
