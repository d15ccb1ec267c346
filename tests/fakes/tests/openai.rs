//! `FakeOpenAiAsr` over real HTTP.

use reqwest::multipart::{Form, Part};
use scribe_fakes::openai::{FakeOpenAiAsr, OpenAiError, TranscriptionReply};
use serde_json::{Value, json};

const KEY: &str = "sk-openai-test-1234";

/// A plain-HTTP client; reqwest's `rustls-no-provider` needs a provider even for HTTP.
fn client() -> reqwest::Client {
    // Err only means another test installed it first.
    let _ = rustls::crypto::ring::default_provider().install_default();
    reqwest::Client::builder()
        .no_proxy()
        .build()
        .expect("reqwest client")
}

fn form(file_name: &str, bytes: Vec<u8>, model: &str) -> Form {
    Form::new()
        .part("file", Part::bytes(bytes).file_name(file_name.to_owned()))
        .text("model", model.to_owned())
}

async fn post(fake: &FakeOpenAiAsr, key: Option<&str>, form: Form) -> (u16, String) {
    let mut request = client()
        .post(format!("{}/v1/audio/transcriptions", fake.base_url()))
        .multipart(form);
    if let Some(key) = key {
        request = request.bearer_auth(key);
    }
    let response = request.send().await.expect("request");
    let status = response.status().as_u16();
    (status, response.text().await.expect("body"))
}

fn json(text: &str) -> Value {
    serde_json::from_str(text).expect("json body")
}

#[tokio::test]
async fn transcribes_and_records() {
    let fake = FakeOpenAiAsr::start(KEY).await;
    let upload = form("voice.ogg", vec![1; 8000], "whisper-1")
        .text("language", "ru")
        .text("prompt", "Scribe")
        .text("temperature", "0");
    let (status, body) = post(&fake, Some(KEY), upload).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        json(&body),
        json!({"text": "Привет, это тест.", "usage": {"type": "duration", "seconds": 2}})
    );
    let call = &fake.calls()[0].call;
    assert_eq!(call.file_name, "voice.ogg");
    assert_eq!(call.audio.len(), 8000);
    assert_eq!(call.language.as_deref(), Some("ru"));
    assert_eq!(call.prompt.as_deref(), Some("Scribe"));
    assert_eq!(call.response_format, "json");
    assert_eq!(call.temperature, Some(0.0));

    fake.set_reply(|call| TranscriptionReply::Text(format!("{} bytes", call.audio.len())));
    let (status, body) = post(
        &fake,
        Some(KEY),
        form("a.mp3", vec![0; 3], "whisper-1").text("response_format", "text"),
    )
    .await;
    assert_eq!((status, body.as_str()), (200, "3 bytes"));
}

#[tokio::test]
async fn errors() {
    let fake = FakeOpenAiAsr::start(KEY).await;
    let (status, body) = post(
        &fake,
        Some("sk-wrong-key-0000"),
        form("a.ogg", vec![1], "whisper-1"),
    )
    .await;
    assert_eq!(status, 401);
    let body = json(&body);
    assert_eq!(body["error"]["code"], "invalid_api_key");
    assert_eq!(body["error"]["type"], "invalid_request_error");
    assert!(body["error"]["param"].is_null());
    assert!(
        body["error"]["message"]
            .as_str()
            .is_some_and(|m| m.starts_with("Incorrect API key provided: "))
    );

    let (status, body) = post(
        &fake,
        Some(KEY),
        form("voice.oga", vec![1], "gpt-4o-transcribe"),
    )
    .await;
    assert_eq!(status, 400);
    assert_eq!(
        json(&body),
        json!({"error": {"message": "Unsupported file format oga", "type": "invalid_request_error", "param": "file", "code": "unsupported_value"}})
    );

    let (status, body) = post(
        &fake,
        Some(KEY),
        form("big.mp3", vec![0; 25 * 1024 * 1024 + 1], "whisper-1"),
    )
    .await;
    assert_eq!(status, 413);
    assert!(json(&body)["error"]["message"].is_string());

    let (status, _) = post(
        &fake,
        Some(KEY),
        form("a.ogg", vec![1], "gpt-4o-transcribe").text("response_format", "verbose_json"),
    )
    .await;
    assert_eq!(status, 400);

    fake.fail_next(1, OpenAiError::RateLimit);
    let (status, body) = post(&fake, Some(KEY), form("a.ogg", vec![1], "whisper-1")).await;
    assert_eq!(status, 429);
    assert_eq!(json(&body)["error"]["code"], "rate_limit_exceeded");

    let (status, body) = post(
        &fake,
        Some(KEY),
        form("a.ogg", vec![1], "gpt-4o-mini-transcribe"),
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(json(&body)["usage"]["type"], "tokens");
    let statuses: Vec<_> = fake.calls().iter().map(|c| c.status).collect();
    assert_eq!(statuses, [429, 200]);
}
