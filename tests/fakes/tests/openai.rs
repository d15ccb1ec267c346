//! `FakeOpenAiAsr` and `FakeOpenAiChat` over real HTTP.

use std::time::Duration;

use reqwest::multipart::{Form, Part};
use scribe_fakes::openai::{
    ChatReply, FakeOpenAiAsr, FakeOpenAiChat, OpenAiError, Segment, TranscriptionReply,
};
use scribe_fakes::{RateLimit, wait_until};
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
    let call = &fake.transcriptions().calls()[0].call;
    assert_eq!(call.file_name, "voice.ogg");
    assert_eq!(call.audio.len(), 8000);
    assert_eq!(call.language.as_deref(), Some("ru"));
    assert_eq!(call.prompt.as_deref(), Some("Scribe"));
    assert_eq!(call.response_format, "json");
    assert_eq!(call.temperature, Some(0.0));

    fake.transcriptions()
        .set_reply(|call| TranscriptionReply::Text(format!("{} bytes", call.audio.len())));
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

    fake.transcriptions()
        .fail_next(1, TranscriptionReply::Error(OpenAiError::RateLimit));
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
    let statuses: Vec<_> = fake
        .transcriptions()
        .calls()
        .iter()
        .map(|c| c.status)
        .collect();
    assert_eq!(statuses, [429, 200]);
}

#[tokio::test]
async fn verbose_json_serves_scripted_segments() {
    let fake = FakeOpenAiAsr::start(KEY).await;
    fake.transcriptions().set_reply(|_| {
        TranscriptionReply::Segments(vec![
            Segment {
                start: 0.0,
                end: 2.5,
                text: " Hello there.".to_owned(),
            },
            Segment {
                start: 2.5,
                end: 4.0,
                text: " General Kenobi.".to_owned(),
            },
        ])
    });
    let upload = form("a.ogg", vec![1; 100], "whisper-large-v3")
        .text("response_format", "verbose_json")
        .text("language", "en")
        .text("prompt", "Kenobi");
    let (status, body) = post(&fake, Some(KEY), upload).await;
    assert_eq!(status, 200, "{body}");
    let body = json(&body);
    assert_eq!(body["task"], "transcribe");
    assert_eq!(body["language"], "english");
    assert_eq!(body["duration"], 4.0);
    assert_eq!(body["text"], "Hello there. General Kenobi.");
    let segments = body["segments"].as_array().expect("segments");
    assert_eq!(segments.len(), 2);
    assert_eq!(
        (
            segments[1]["id"].clone(),
            segments[1]["start"].clone(),
            segments[1]["end"].clone()
        ),
        (json!(1), json!(2.5), json!(4.0))
    );
    assert_eq!(segments[0]["text"], " Hello there.");
    let call = &fake.transcriptions().calls()[0].call;
    assert_eq!(call.response_format, "verbose_json");
    assert_eq!(call.prompt.as_deref(), Some("Kenobi"));
    assert_eq!(call.language.as_deref(), Some("en"));

    let (status, body) = post(&fake, Some(KEY), form("a.ogg", vec![1], "whisper-1")).await;
    assert_eq!(status, 200);
    assert_eq!(json(&body)["text"], "Hello there. General Kenobi.");
}

#[tokio::test]
async fn unknown_models_outage_and_rate_limit() {
    let fake = FakeOpenAiAsr::start(KEY).await;
    let (status, body) = post(&fake, Some(KEY), form("a.ogg", vec![1], "whisper-2")).await;
    assert_eq!(status, 404);
    assert_eq!(json(&body)["error"]["code"], "model_not_found");

    fake.transcriptions().set_down(true);
    let (status, body) = post(&fake, Some(KEY), form("a.ogg", vec![1], "whisper-1")).await;
    assert_eq!(
        (status, json(&body)["error"]["type"].clone()),
        (500, json!("server_error"))
    );
    fake.transcriptions().set_down(false);

    fake.transcriptions()
        .set_rate_limit(Some(RateLimit::in_flight(1)));
    let gate = fake.transcriptions().gate();
    let held = {
        let fake = fake.clone();
        tokio::spawn(async move {
            post(&fake, Some(KEY), form("a.ogg", vec![1], "whisper-1"))
                .await
                .0
        })
    };
    wait_until("one upload at the gate", Duration::from_secs(10), || {
        (gate.waiting() == 1).then_some(())
    })
    .await;
    let (status, body) = post(&fake, Some(KEY), form("a.ogg", vec![1], "whisper-1")).await;
    assert_eq!(
        (status, json(&body)["error"]["code"].clone()),
        (429, json!("rate_limit_exceeded"))
    );
    gate.release_all();
    assert_eq!(held.await.expect("task"), 200);
    assert_eq!(fake.transcriptions().traffic().max_in_flight, 2);
}

async fn chat(fake: &FakeOpenAiChat, key: Option<&str>, body: &Value) -> (u16, Value) {
    let mut request = client()
        .post(format!("{}/v1/chat/completions", fake.base_url()))
        .json(body);
    if let Some(key) = key {
        request = request.bearer_auth(key);
    }
    let response = request.send().await.expect("request");
    let status = response.status().as_u16();
    (status, response.json().await.expect("json body"))
}

fn chat_body(model: &str, user: &str) -> Value {
    json!({
        "model": model,
        "messages": [
            {"role": "system", "content": "You format transcripts."},
            {"role": "user", "content": user},
        ],
        "temperature": 0.2,
        "max_tokens": 512,
    })
}

#[tokio::test]
async fn chat_completes_and_records() {
    let fake = FakeOpenAiChat::start("qwen3:8b", None).await;
    let (status, body) = chat(&fake, None, &chat_body("qwen3:8b", "сырой текст")).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["object"], "chat.completion");
    assert_eq!(body["model"], "qwen3:8b");
    assert_eq!(
        body["choices"][0]["message"],
        json!({"role": "assistant", "content": "сырой текст", "refusal": null})
    );
    assert_eq!(body["choices"][0]["finish_reason"], "stop");
    let usage = &body["usage"];
    assert_eq!(
        usage["total_tokens"].as_u64(),
        Some(
            usage["prompt_tokens"].as_u64().unwrap_or(0)
                + usage["completion_tokens"].as_u64().unwrap_or(0)
        )
    );
    let call = &fake.completions().calls()[0].call;
    assert_eq!(call.system.as_deref(), Some("You format transcripts."));
    assert_eq!(call.user, "сырой текст");
    assert_eq!(call.max_tokens, Some(512));
    assert_eq!(call.temperature, Some(0.2));

    fake.completions()
        .set_reply(|call| ChatReply::Truncated(call.user[..6].to_owned()));
    let parts = json!({
        "model": "qwen3:8b",
        "messages": [{"role": "user", "content": [{"type": "text", "text": "abcdefgh"}]}],
        "max_completion_tokens": 3,
    });
    let (status, body) = chat(&fake, None, &parts).await;
    assert_eq!(status, 200);
    assert_eq!(body["choices"][0]["finish_reason"], "length");
    assert_eq!(body["choices"][0]["message"]["content"], "abcdef");
    assert_eq!(fake.completions().calls()[1].call.max_tokens, Some(3));
}

#[tokio::test]
async fn chat_errors_are_openai_shaped() {
    let fake = FakeOpenAiChat::start("gpt-4o-mini", Some("sk-chat-test-1234")).await;
    let (status, body) = chat(&fake, None, &chat_body("gpt-4o-mini", "x")).await;
    assert_eq!(status, 401);
    assert_eq!(body["error"]["type"], "invalid_request_error");
    let (status, body) = chat(
        &fake,
        Some("sk-wrong-key-0000"),
        &chat_body("gpt-4o-mini", "x"),
    )
    .await;
    assert_eq!(
        (status, body["error"]["code"].clone()),
        (401, json!("invalid_api_key"))
    );

    let key = Some("sk-chat-test-1234");
    let (status, body) = chat(&fake, key, &chat_body("gpt-5", "x")).await;
    assert_eq!(status, 404);
    assert_eq!(
        body,
        json!({"error": {"message": "The model `gpt-5` does not exist or you do not have access to it.", "type": "invalid_request_error", "param": null, "code": "model_not_found"}})
    );
    for bad in [
        json!({"messages": [{"role": "user", "content": "x"}]}),
        json!({"model": "gpt-4o-mini", "messages": []}),
        json!({"model": "gpt-4o-mini", "messages": [{"role": "robot", "content": "x"}]}),
        json!({"model": "gpt-4o-mini", "messages": [{"role": "user", "content": "x"}], "temperature": 3}),
        json!({"model": "gpt-4o-mini", "messages": [{"role": "user", "content": "x"}], "stream": true}),
    ] {
        let (status, body) = chat(&fake, key, &bad).await;
        assert_eq!(status, 400, "{bad}");
        assert_eq!(body["error"]["type"], "invalid_request_error", "{bad}");
    }
    assert!(fake.completions().calls().is_empty());

    fake.completions()
        .fail_next(1, ChatReply::Error(OpenAiError::RateLimit));
    fake.completions()
        .fail_next(1, ChatReply::Error(OpenAiError::Unavailable));
    let (status, body) = chat(&fake, key, &chat_body("gpt-4o-mini", "x")).await;
    assert_eq!(
        (status, body["error"]["code"].clone()),
        (429, json!("rate_limit_exceeded"))
    );
    let (status, body) = chat(&fake, key, &chat_body("gpt-4o-mini", "x")).await;
    assert_eq!(
        (status, body["error"]["type"].clone()),
        (503, json!("server_error"))
    );
    let (status, _) = chat(&fake, key, &chat_body("gpt-4o-mini", "x")).await;
    assert_eq!(status, 200);
    let statuses: Vec<_> = fake
        .completions()
        .calls()
        .iter()
        .map(|c| c.status)
        .collect();
    assert_eq!(statuses, [429, 503, 200]);
}

#[tokio::test]
async fn chat_gate() {
    let fake = FakeOpenAiChat::start("llama3", None).await;
    let gate = fake.completions().gate();
    let request = {
        let fake = fake.clone();
        tokio::spawn(async move { chat(&fake, None, &chat_body("llama3", "held")).await })
    };
    wait_until("the call at the gate", Duration::from_secs(10), || {
        (gate.waiting() == 1).then_some(())
    })
    .await;
    assert!(fake.completions().calls().is_empty());
    gate.release(1);
    let (status, body) = request.await.expect("task");
    assert_eq!(
        (status, body["choices"][0]["message"]["content"].clone()),
        (200, json!("held"))
    );
}
