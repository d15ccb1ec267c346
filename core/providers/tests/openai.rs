//! OpenAI-compatible recognition and chat formatting against the fakes, over real HTTP.

use std::path::Path;
use std::time::Duration;

use scribe_core::retry::{Classify, Retry};
use scribe_core::secret::Secret;
use scribe_fakes::openai::{
    ChatReply, FakeOpenAiAsr, FakeOpenAiChat, OpenAiError, TranscriptionReply,
};
use scribe_providers::openai::{OpenAiAsr, OpenAiChat};
use scribe_providers::{Audio, Error, Formatter, Options, Refusal, Segment, Transcriber};

const KEY: &str = "sk-openai-test-1234";

fn http() -> reqwest::Client {
    scribe_core::http::client(Duration::from_secs(30)).expect("client")
}

fn recogniser(fake: &FakeOpenAiAsr, key: Option<&str>, model: &str) -> OpenAiAsr {
    let base = fake.base_url().parse().expect("url");
    OpenAiAsr::new(http(), base, key.map(Secret::new), model.into())
}

fn chat(fake: &FakeOpenAiChat, key: Option<&str>, model: &str) -> OpenAiChat {
    let base = fake.base_url().parse().expect("url");
    OpenAiChat::new(http(), base, key.map(Secret::new), model.into())
}

fn api_error(error: &Error) -> (u16, Refusal) {
    match error {
        Error::Api {
            status, refusal, ..
        } => (*status, *refusal),
        other => panic!("not an API error: {other:?}"),
    }
}

fn voice_note(dir: &Path, len: usize) -> (std::path::PathBuf, Vec<u8>) {
    let bytes: Vec<u8> = (0..len).map(|_| fastrand::u8(..)).collect();
    let path = dir.join("file_42.oga");
    std::fs::write(&path, &bytes).expect("write");
    (path, bytes)
}

#[tokio::test]
async fn the_upload_streams_the_file_with_prompt_and_language() {
    let fake = FakeOpenAiAsr::start(KEY).await;
    let dir = tempfile::tempdir().expect("dir");
    let (path, bytes) = voice_note(dir.path(), 200_003);
    let asr = recogniser(&fake, Some(KEY), "whisper-1");
    let audio = Audio {
        path: &path,
        mime: "audio/ogg",
        file_name: "voice.oga",
        len: bytes.len() as u64,
    };
    let options = Options {
        language: Some("uk"),
        context: Some("Кенобі, Scribe"),
        segments: false,
    };
    let transcript = asr.transcribe(audio, options).await.expect("transcript");
    assert_eq!(transcript.text, "Привет, это тест.");
    assert_eq!(transcript.segments, None);
    let call = &fake.transcriptions().calls()[0].call;
    assert_eq!(call.audio, bytes);
    assert_eq!(call.file_name, "voice.ogg", ".oga is renamed");
    assert_eq!(call.content_type.as_deref(), Some("audio/ogg"));
    assert_eq!(call.prompt.as_deref(), Some("Кенобі, Scribe"));
    assert_eq!(call.language.as_deref(), Some("uk"));
    assert_eq!(call.response_format, "json");
}

#[tokio::test]
async fn segments_come_from_verbose_json() {
    let fake = FakeOpenAiAsr::start(KEY).await;
    fake.transcriptions().set_reply(|_| {
        TranscriptionReply::Segments(vec![
            scribe_fakes::openai::Segment {
                start: 0.0,
                end: 2.5,
                text: " Hello there.".into(),
            },
            scribe_fakes::openai::Segment {
                start: 2.5,
                end: 4.25,
                text: " General Kenobi.".into(),
            },
        ])
    });
    let dir = tempfile::tempdir().expect("dir");
    let (path, bytes) = voice_note(dir.path(), 1000);
    let asr = recogniser(&fake, Some(KEY), "whisper-large-v3");
    let audio = Audio {
        path: &path,
        mime: "audio/ogg",
        file_name: "chunk.ogg",
        len: bytes.len() as u64,
    };
    let options = Options {
        segments: true,
        ..Options::default()
    };
    let transcript = asr.transcribe(audio, options).await.expect("transcript");
    assert_eq!(transcript.text, "Hello there. General Kenobi.");
    assert_eq!(
        transcript.segments,
        Some(vec![
            Segment {
                start: Duration::ZERO,
                end: Duration::from_millis(2500),
                text: "Hello there.".into(),
            },
            Segment {
                start: Duration::from_millis(2500),
                end: Duration::from_millis(4250),
                text: "General Kenobi.".into(),
            },
        ])
    );
    assert_eq!(
        fake.transcriptions().calls()[0].call.response_format,
        "verbose_json"
    );
}

#[tokio::test]
async fn recognition_errors_become_refusals() {
    let fake = FakeOpenAiAsr::start(KEY).await;
    let dir = tempfile::tempdir().expect("dir");
    let (path, bytes) = voice_note(dir.path(), 10);
    let audio = Audio {
        path: &path,
        mime: "audio/ogg",
        file_name: "chunk.ogg",
        len: bytes.len() as u64,
    };
    let asr = recogniser(&fake, Some(KEY), "whisper-1");
    let transient = Retry::Transient { after: None };
    for (error, expected, retry) in [
        (OpenAiError::RateLimit, (429, Refusal::Throttled), transient),
        (
            OpenAiError::InsufficientQuota,
            (429, Refusal::QuotaExhausted),
            Retry::Permanent,
        ),
        (
            OpenAiError::Internal,
            (500, Refusal::Unavailable),
            transient,
        ),
        (
            OpenAiError::BadRequest("Audio file might be corrupted or unsupported".into()),
            (400, Refusal::Rejected),
            Retry::Permanent,
        ),
    ] {
        fake.transcriptions()
            .fail_next(1, TranscriptionReply::Error(error.clone()));
        let failure = asr
            .transcribe(audio, Options::default())
            .await
            .expect_err("scripted failure");
        assert_eq!(api_error(&failure), expected, "{error:?}");
        assert_eq!(failure.retry(), retry, "{error:?}");
    }

    let unknown = recogniser(&fake, Some(KEY), "whisper-9");
    let failure = unknown
        .transcribe(audio, Options::default())
        .await
        .expect_err("404");
    assert_eq!(api_error(&failure), (404, Refusal::NotFound));
    assert_eq!(failure.retry(), Retry::Permanent);

    let keyless = recogniser(&fake, None, "whisper-1");
    let failure = keyless
        .transcribe(audio, Options::default())
        .await
        .expect_err("no key sent");
    assert_eq!(api_error(&failure), (401, Refusal::Unauthorized));
}

#[tokio::test]
async fn chat_formats_and_reports_truncation() {
    let fake = FakeOpenAiChat::start("qwen3:8b", None).await;
    let formatter = chat(&fake, None, "qwen3:8b");
    assert_eq!(
        (formatter.provider(), formatter.model()),
        ("openai", "qwen3:8b")
    );
    let formatted = formatter
        .format("Format it.", "сырой текст")
        .await
        .expect("answer");
    assert_eq!(
        (formatted.text.as_str(), formatted.truncated),
        ("сырой текст", false)
    );
    let call = &fake.completions().calls()[0].call;
    assert_eq!(call.system.as_deref(), Some("Format it."));
    assert_eq!(call.user, "сырой текст");
    assert_eq!(call.temperature, Some(0.2));

    fake.completions()
        .set_reply(|call| ChatReply::Truncated(call.user.chars().take(5).collect()));
    let formatted = formatter
        .format("Format it.", "сырой текст")
        .await
        .expect("answer");
    assert_eq!(
        (formatted.text.as_str(), formatted.truncated),
        ("сырой", true)
    );
}

#[tokio::test]
async fn chat_errors_become_refusals() {
    let fake = FakeOpenAiChat::start("gpt-4o-mini", Some(KEY)).await;
    let formatter = chat(&fake, Some(KEY), "gpt-4o-mini");
    let transient = Retry::Transient { after: None };
    for (error, expected, retry) in [
        (OpenAiError::RateLimit, (429, Refusal::Throttled), transient),
        (
            OpenAiError::Unavailable,
            (503, Refusal::Unavailable),
            transient,
        ),
        (
            OpenAiError::Internal,
            (500, Refusal::Unavailable),
            transient,
        ),
        (
            OpenAiError::InsufficientQuota,
            (429, Refusal::QuotaExhausted),
            Retry::Permanent,
        ),
    ] {
        fake.completions()
            .fail_next(1, ChatReply::Error(error.clone()));
        let failure = formatter.format("F.", "x").await.expect_err("scripted");
        assert_eq!(api_error(&failure), expected, "{error:?}");
        assert_eq!(failure.retry(), retry, "{error:?}");
    }
    fake.completions().set_down(true);
    let failure = formatter.format("F.", "x").await.expect_err("down");
    assert_eq!(
        (api_error(&failure), failure.outcome()),
        ((500, Refusal::Unavailable), "server_error")
    );
    fake.completions().set_down(false);

    let unknown = chat(&fake, Some(KEY), "gpt-5");
    let failure = unknown.format("F.", "x").await.expect_err("404");
    assert_eq!(api_error(&failure), (404, Refusal::NotFound));
    assert_eq!(failure.retry(), Retry::Permanent);

    for key in [None, Some("sk-wrong-key-0000")] {
        let failure = chat(&fake, key, "gpt-4o-mini")
            .format("F.", "x")
            .await
            .expect_err("401");
        assert_eq!(api_error(&failure), (401, Refusal::Unauthorized));
        assert_eq!(failure.retry(), Retry::Permanent);
    }
}
