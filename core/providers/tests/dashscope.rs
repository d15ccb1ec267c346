//! DashScope recognition and formatting against the fake, over real HTTP.

use std::path::Path;
use std::time::Duration;

use scribe_core::retry::{Backoff, Classify, Retry};
use scribe_core::secret::Secret;
use scribe_fakes::FakeDashScope;
use scribe_fakes::dashscope::{ApiError, Reply};
use scribe_providers::dashscope::DashScope;
use scribe_providers::{Audio, Error, Formatter, Options, Refusal, Transcriber};

const KEY: &str = "sk-dashscope-test";

fn account(fake: &FakeDashScope, key: &str) -> DashScope {
    let http = scribe_core::http::client(Duration::from_secs(30)).expect("client");
    let base = fake.base_url().parse().expect("url");
    DashScope::new(http, base, Secret::new(key))
}

/// A file of `len` random bytes (the fake does not decode audio).
fn noise(dir: &Path, len: usize) -> (std::path::PathBuf, Vec<u8>) {
    let bytes: Vec<u8> = (0..len).map(|_| fastrand::u8(..)).collect();
    let path = dir.join("chunk.ogg");
    std::fs::write(&path, &bytes).expect("write");
    (path, bytes)
}

fn audio(path: &Path, len: usize) -> Audio<'_> {
    Audio {
        path,
        mime: "audio/ogg",
        file_name: "chunk.ogg",
        len: len as u64,
    }
}

#[tokio::test]
async fn the_file_is_streamed_as_a_data_uri_with_language_and_context() {
    let fake = FakeDashScope::start(KEY).await;
    let dir = tempfile::tempdir().expect("dir");
    let (path, bytes) = noise(dir.path(), 300_001);
    let asr = account(&fake, KEY).recogniser("qwen3-asr-flash".into());
    let options = Options {
        language: Some("ru"),
        context: Some("Scribe, DashScope, «Кенобі»"),
        segments: true,
    };
    let transcript = asr
        .transcribe(audio(&path, bytes.len()), options)
        .await
        .expect("transcript");
    assert_eq!(transcript.text, "Привет, это тест.");
    assert_eq!(transcript.segments, None, "DashScope gives no segments");

    let calls = fake.asr().calls();
    let call = &calls[0].call;
    assert_eq!(call.audio, bytes);
    assert_eq!(call.mime, "audio/ogg");
    assert_eq!(call.model, "qwen3-asr-flash");
    assert_eq!(call.language.as_deref(), Some("ru"));
    assert_eq!(call.enable_itn, Some(true));
    assert_eq!(call.context.as_deref(), Some("Scribe, DashScope, «Кенобі»"));

    asr.transcribe(audio(&path, bytes.len()), Options::default())
        .await
        .expect("transcript");
    let call = &fake.asr().calls()[1].call;
    assert_eq!(call.context.as_deref(), Some(""), "an empty system message");
    assert_eq!(call.language, None);
}

#[tokio::test]
async fn every_retry_sends_the_whole_file_again() {
    let fake = FakeDashScope::start(KEY).await;
    fake.asr().fail_next(2, Reply::Error(ApiError::Throttling));
    let dir = tempfile::tempdir().expect("dir");
    let (path, bytes) = noise(dir.path(), 70_000);
    let asr = account(&fake, KEY).recogniser("qwen3-asr-flash".into());
    let backoff = Backoff::new(3, Duration::from_millis(1));
    let transcript = backoff
        .run(
            |_| asr.transcribe(audio(&path, bytes.len()), Options::default()),
            |_| {},
        )
        .await
        .expect("the third attempt");
    assert_eq!(transcript.text, "Привет, это тест.");
    let calls = fake.asr().calls();
    assert_eq!(
        calls.iter().map(|c| c.status).collect::<Vec<_>>(),
        [429, 429, 200]
    );
    assert!(calls.iter().all(|c| c.call.audio == bytes));
}

#[tokio::test]
async fn error_answers_become_refusals_with_their_retry_rule() {
    let fake = FakeDashScope::start(KEY).await;
    let dir = tempfile::tempdir().expect("dir");
    let (path, bytes) = noise(dir.path(), 10);
    let asr = account(&fake, KEY).recogniser("qwen3-asr-flash".into());
    let transient = Retry::Transient { after: None };
    let cases = [
        (ApiError::Throttling, 429, Refusal::Throttled, transient),
        (ApiError::RateQuota, 429, Refusal::Throttled, transient),
        (ApiError::BurstRate, 429, Refusal::Throttled, transient),
        (
            ApiError::AllocationQuota,
            429,
            Refusal::Throttled,
            transient,
        ),
        (ApiError::Internal, 500, Refusal::Unavailable, transient),
        (ApiError::Unavailable, 503, Refusal::Unavailable, transient),
        (
            ApiError::InvalidParameter("The audio is invalid.".into()),
            400,
            Refusal::InvalidInput,
            Retry::Permanent,
        ),
        (
            ApiError::Arrearage,
            400,
            Refusal::QuotaExhausted,
            Retry::Permanent,
        ),
        (
            ApiError::DataInspectionFailed,
            400,
            Refusal::Rejected,
            Retry::Permanent,
        ),
    ];
    for (error, status, refusal, retry) in cases {
        fake.asr().fail_next(1, Reply::Error(error.clone()));
        let failure = asr
            .transcribe(audio(&path, bytes.len()), Options::default())
            .await
            .expect_err("scripted failure");
        match &failure {
            Error::Api {
                status: got_status,
                refusal: got_refusal,
                ..
            } => assert_eq!((*got_status, *got_refusal), (status, refusal), "{error:?}"),
            other => panic!("{error:?}: {other:?}"),
        }
        assert_eq!(failure.retry(), retry, "{error:?}");
        assert_eq!(failure.is_throttled(), refusal == Refusal::Throttled);
        assert_eq!(failure.is_invalid_input(), refusal == Refusal::InvalidInput);
    }

    let wrong_key = account(&fake, "sk-wrong").recogniser("qwen3-asr-flash".into());
    let failure = wrong_key
        .transcribe(audio(&path, bytes.len()), Options::default())
        .await
        .expect_err("401");
    assert!(matches!(
        failure,
        Error::Api {
            status: 401,
            refusal: Refusal::Unauthorized,
            ..
        }
    ));
    assert_eq!(
        (failure.retry(), failure.outcome()),
        (Retry::Permanent, "unauthorized")
    );
}

#[tokio::test]
async fn a_missing_file_fails_before_any_request() {
    let fake = FakeDashScope::start(KEY).await;
    let dir = tempfile::tempdir().expect("dir");
    let asr = account(&fake, KEY).recogniser("qwen3-asr-flash".into());
    let missing = dir.path().join("gone.ogg");
    let failure = asr
        .transcribe(audio(&missing, 10), Options::default())
        .await
        .expect_err("no file");
    assert!(matches!(failure, Error::Audio { .. }), "{failure:?}");
    assert_eq!(failure.retry(), Retry::Permanent);
    assert_eq!(fake.asr().traffic().requests, 0);
}

#[tokio::test]
async fn text_generation_formats_and_reports_truncation() {
    let fake = FakeDashScope::start(KEY).await;
    let llm = account(&fake, KEY).formatter("qwen-plus".into());
    let formatted = llm.format("Format it.", "raw text").await.expect("answer");
    assert_eq!(
        (formatted.text.as_str(), formatted.truncated),
        ("raw text", false)
    );
    let call = &fake.llm().calls()[0].call;
    assert_eq!(call.system.as_deref(), Some("Format it."));
    assert_eq!(call.user, "raw text");

    fake.llm()
        .set_reply(|call| Reply::Truncated(call.user[..3].to_owned()));
    let formatted = llm.format("Format it.", "raw text").await.expect("answer");
    assert_eq!(
        (formatted.text.as_str(), formatted.truncated),
        ("raw", true)
    );
}
