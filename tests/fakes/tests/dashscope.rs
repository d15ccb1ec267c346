//! `FakeDashScope` over real HTTP.

use std::time::Duration;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use scribe_fakes::dashscope::{ApiError, FakeDashScope, Reply};
use scribe_fakes::{RateLimit, wait_until};
use serde_json::{Value, json};

const KEY: &str = "sk-dashscope-test";
const WAIT: Duration = Duration::from_secs(10);
const ASR: &str = "/api/v1/services/aigc/multimodal-generation/generation";
const LLM: &str = "/api/v1/services/aigc/text-generation/generation";

/// A plain-HTTP client; reqwest's `rustls-no-provider` needs a provider even for HTTP.
fn client() -> reqwest::Client {
    // Err only means another test installed it first.
    let _ = rustls::crypto::ring::default_provider().install_default();
    reqwest::Client::builder()
        .no_proxy()
        .build()
        .expect("reqwest client")
}

async fn post(fake: &FakeDashScope, path: &str, key: Option<&str>, body: &Value) -> (u16, Value) {
    let mut request = client()
        .post(format!("{}{path}", fake.base_url()))
        .json(body);
    if let Some(key) = key {
        request = request.bearer_auth(key);
    }
    let response = request.send().await.expect("request");
    let status = response.status().as_u16();
    (status, response.json().await.expect("json body"))
}

fn asr_body(audio: &[u8], language: Option<&str>) -> Value {
    let mut body = json!({
        "model": "qwen3-asr-flash",
        "input": {"messages": [
            {"role": "system", "content": [{"text": "Scribe, DashScope"}]},
            {"role": "user", "content": [{"audio": format!("data:audio/ogg;base64,{}", STANDARD.encode(audio))}]},
        ]},
        "parameters": {"asr_options": {"enable_itn": false, "enable_lid": true}},
    });
    if let Some(language) = language {
        body["parameters"]["asr_options"]["language"] = json!(language);
    }
    body
}

fn llm_body(user: &str) -> Value {
    json!({
        "model": "qwen-plus",
        "input": {"messages": [
            {"role": "system", "content": "You format transcripts."},
            {"role": "user", "content": user},
        ]},
        "parameters": {"result_format": "message", "max_tokens": 4096, "enable_thinking": false},
    })
}

fn is_uuid(value: &Value) -> bool {
    value.as_str().is_some_and(|id| {
        let groups: Vec<_> = id.split('-').map(str::len).collect();
        groups == [8, 4, 4, 4, 12]
    })
}

#[tokio::test]
async fn auth_errors_are_flat() {
    let fake = FakeDashScope::start(KEY).await;
    let (status, body) = post(&fake, ASR, None, &asr_body(b"x", None)).await;
    assert_eq!(status, 401);
    assert_eq!(body["code"], "InvalidApiKey");
    assert_eq!(body["message"], "No API-key provided.");
    assert!(is_uuid(&body["request_id"]), "{body}");
    assert_eq!(body.as_object().map(|o| o.len()), Some(3));

    let (status, body) = post(&fake, LLM, Some("wrong"), &llm_body("hi")).await;
    assert_eq!(status, 401);
    assert_eq!(body["message"], "Invalid API-key provided.");

    assert!(is_uuid(&body["request_id"]), "{body}");
    assert!(fake.asr().calls().is_empty());
    assert!(fake.llm().calls().is_empty());
}

#[tokio::test]
async fn asr_success_shape_and_recording() {
    let fake = FakeDashScope::start(KEY).await;
    let audio = vec![7u8; 12_345];
    let (status, body) = post(&fake, ASR, Some(KEY), &asr_body(&audio, Some("ru"))).await;
    assert_eq!(status, 200, "{body}");
    let choice = &body["output"]["choices"][0];
    assert_eq!(choice["finish_reason"], "stop");
    assert_eq!(choice["message"]["role"], "assistant");
    assert_eq!(choice["message"]["content"][0]["text"], "Привет, это тест.");
    assert_eq!(
        choice["message"]["annotations"],
        json!([{"type": "audio_info", "language": "ru", "emotion": "neutral"}])
    );
    assert_eq!(body["usage"]["seconds"], 3);
    assert_eq!(body["usage"]["input_tokens_details"]["text_tokens"], 0);
    assert!(body["usage"]["output_tokens_details"]["text_tokens"].as_u64() > Some(0));
    assert!(is_uuid(&body["request_id"]));

    let calls = fake.asr().calls();
    assert_eq!(calls.len(), 1);
    let call = &calls[0].call;
    assert_eq!(call.audio, audio);
    assert_eq!(call.mime, "audio/ogg");
    assert_eq!(call.language.as_deref(), Some("ru"));
    assert_eq!(call.enable_itn, Some(false));
    assert_eq!(call.context.as_deref(), Some("Scribe, DashScope"));
    assert_eq!(calls[0].status, 200);
    assert!(calls[0].finished >= calls[0].started);
}

#[tokio::test]
async fn asr_validation() {
    let fake = FakeDashScope::start(KEY).await;
    let invalid = |body: &Value| {
        assert_eq!(body["code"], "InvalidParameter", "{body}");
    };

    let (status, body) = post(&fake, ASR, Some(KEY), &asr_body(b"x", Some("xx"))).await;
    assert_eq!(status, 400);
    invalid(&body);

    let mut bad_base64 = asr_body(b"x", None);
    bad_base64["input"]["messages"][1]["content"][0]["audio"] = json!("data:audio/ogg;base64,@@@@");
    let (status, body) = post(&fake, ASR, Some(KEY), &bad_base64).await;
    assert_eq!(status, 400);
    invalid(&body);

    let mut two_parts = asr_body(b"x", None);
    two_parts["input"]["messages"][1]["content"] =
        json!([{"audio": "https://a/b.ogg"}, {"text": "x"}]);
    let (status, _) = post(&fake, ASR, Some(KEY), &two_parts).await;
    assert_eq!(status, 400);

    let mut url = asr_body(b"x", None);
    url["input"]["messages"][1]["content"][0]["audio"] = json!("https://example.com/a.mp3");
    let (status, _) = post(&fake, ASR, Some(KEY), &url).await;
    assert_eq!(status, 200);
    assert_eq!(
        fake.asr().calls()[0].call.url.as_deref(),
        Some("https://example.com/a.mp3")
    );

    let response = client()
        .post(format!("{}{ASR}", fake.base_url()))
        .bearer_auth(KEY)
        .body("{not json")
        .send()
        .await
        .expect("request");
    assert_eq!(response.status().as_u16(), 400);
    invalid(&response.json().await.expect("json"));

    let mut unknown_model = asr_body(b"x", None);
    unknown_model["model"] = json!("qwen-audio-asr");
    let (status, body) = post(&fake, ASR, Some(KEY), &unknown_model).await;
    assert_eq!(
        (status, body["message"].clone()),
        (400, json!("Model not exist."))
    );

    let mut no_model = asr_body(b"x", None);
    no_model.as_object_mut().map(|o| o.remove("model"));
    let (status, body) = post(&fake, ASR, Some(KEY), &no_model).await;
    assert_eq!(
        (status, body["code"].clone()),
        (400, json!("BadRequest.EmptyModel"))
    );

    fake.set_max_audio_bytes(1000);
    let (status, body) = post(&fake, ASR, Some(KEY), &asr_body(&[0u8; 2000], None)).await;
    assert_eq!(status, 400);
    invalid(&body);
    assert_eq!(fake.asr().calls().len(), 1);
}

#[tokio::test]
async fn scripted_replies_and_injected_errors() {
    let fake = FakeDashScope::start(KEY).await;
    fake.asr()
        .set_reply(|call| Reply::Truncated(format!("{} bytes", call.audio.len())));
    let (_, body) = post(&fake, ASR, Some(KEY), &asr_body(b"abc", None)).await;
    assert_eq!(body["output"]["choices"][0]["finish_reason"], "length");
    assert_eq!(
        body["output"]["choices"][0]["message"]["content"][0]["text"],
        "3 bytes"
    );
    assert_eq!(
        body["output"]["choices"][0]["message"]["annotations"][0]["language"],
        "ru"
    );

    fake.asr().fail_next(2, Reply::Error(ApiError::Throttling));
    for _ in 0..2 {
        let (status, body) = post(&fake, ASR, Some(KEY), &asr_body(b"abc", None)).await;
        assert_eq!(status, 429);
        assert_eq!(body["code"], "Throttling");
        assert_eq!(body["message"], "Requests throttling triggered.");
    }
    let (status, _) = post(&fake, ASR, Some(KEY), &asr_body(b"abc", None)).await;
    assert_eq!(status, 200);

    fake.asr().set_reply(|_| Reply::Error(ApiError::RateQuota));
    let (status, body) = post(&fake, ASR, Some(KEY), &asr_body(b"abc", None)).await;
    assert_eq!(
        (status, body["code"].clone()),
        (429, json!("Throttling.RateQuota"))
    );

    fake.asr().set_down(true);
    let (status, body) = post(&fake, ASR, Some(KEY), &asr_body(b"abc", None)).await;
    assert_eq!(
        (status, body["code"].clone()),
        (500, json!("InternalError"))
    );
    fake.asr().set_down(false);

    let statuses: Vec<_> = fake.asr().calls().iter().map(|c| c.status).collect();
    assert_eq!(statuses, [200, 429, 429, 200, 429, 500]);
}

#[tokio::test]
async fn text_generation() {
    let fake = FakeDashScope::start(KEY).await;
    let (status, body) = post(&fake, LLM, Some(KEY), &llm_body("сырой текст")).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        body["output"]["choices"][0],
        json!({"finish_reason": "stop", "message": {"role": "assistant", "content": "сырой текст"}})
    );
    let usage = &body["usage"];
    assert_eq!(
        usage["total_tokens"].as_u64(),
        Some(
            usage["input_tokens"].as_u64().unwrap_or(0)
                + usage["output_tokens"].as_u64().unwrap_or(0)
        )
    );
    let call = &fake.llm().calls()[0].call;
    assert_eq!(call.system.as_deref(), Some("You format transcripts."));
    assert_eq!(call.user, "сырой текст");
    assert_eq!(call.max_tokens, Some(4096));

    let mut text_format = llm_body("x");
    text_format["parameters"]["result_format"] = json!("text");
    let (_, body) = post(&fake, LLM, Some(KEY), &text_format).await;
    assert_eq!(
        body["output"],
        json!({"text": "x", "finish_reason": "stop"})
    );

    let mut thinking = llm_body("x");
    thinking["parameters"]["enable_thinking"] = json!(true);
    let (status, body) = post(&fake, LLM, Some(KEY), &thinking).await;
    assert_eq!(status, 400);
    assert_eq!(body["code"], "InvalidParameter");
    assert_eq!(
        body["message"],
        "parameter.enable_thinking must be set to false for non-streaming calls"
    );

    let mut parts = llm_body("x");
    parts["input"]["messages"][1]["content"] = json!([{"text": "x"}]);
    let (status, _) = post(&fake, LLM, Some(KEY), &parts).await;
    assert_eq!(status, 400);

    let mut asr_model = llm_body("x");
    asr_model["model"] = json!("qwen3-asr-flash");
    let (status, body) = post(&fake, LLM, Some(KEY), &asr_model).await;
    assert_eq!(
        (status, body["message"].clone()),
        (400, json!("Model not exist."))
    );

    fake.llm().set_reply(|_| Reply::Error(ApiError::Arrearage));
    let (status, body) = post(&fake, LLM, Some(KEY), &llm_body("x")).await;
    assert_eq!(status, 400);
    assert_eq!(body["code"], "Arrearage");
}

#[tokio::test]
async fn a_gate_holds_calls_in_flight_until_released() {
    let fake = FakeDashScope::start(KEY).await;
    let gate = fake.asr().gate();
    let requests: Vec<_> = (0..3)
        .map(|_| {
            let fake = fake.clone();
            tokio::spawn(async move { post(&fake, ASR, Some(KEY), &asr_body(b"abc", None)).await })
        })
        .collect();
    wait_until("three ASR calls at the gate", WAIT, || {
        (gate.waiting() == 3).then_some(())
    })
    .await;
    assert_eq!(fake.asr().traffic().in_flight, 3);
    assert!(fake.asr().calls().is_empty(), "nothing answered yet");

    gate.release(1);
    wait_until("one call through", WAIT, || {
        (fake.asr().calls().len() == 1).then_some(())
    })
    .await;
    assert_eq!(gate.waiting(), 2);

    gate.release_all();
    for request in requests {
        assert_eq!(request.await.expect("task").0, 200);
    }
    let traffic = fake.asr().traffic();
    assert_eq!((traffic.in_flight, traffic.max_in_flight), (0, 3));
    assert_eq!(fake.llm().traffic().requests, 0);
    let (status, _) = post(&fake, ASR, Some(KEY), &asr_body(b"abc", None)).await;
    assert_eq!(status, 200, "an opened gate stays open");
}

#[tokio::test]
async fn dropping_a_gate_opens_it() {
    let fake = FakeDashScope::start(KEY).await;
    let gate = fake.llm().gate();
    let request = {
        let fake = fake.clone();
        tokio::spawn(async move { post(&fake, LLM, Some(KEY), &llm_body("x")).await })
    };
    wait_until("the call at the gate", WAIT, || {
        (gate.waiting() == 1).then_some(())
    })
    .await;
    drop(gate);
    assert_eq!(request.await.expect("task").0, 200);
}

#[tokio::test]
async fn the_in_flight_limit_answers_rate_quota_and_the_traffic_shows_the_peak() {
    let fake = FakeDashScope::start(KEY).await;
    fake.asr().set_rate_limit(Some(RateLimit::in_flight(2)));
    let gate = fake.asr().gate();
    let held: Vec<_> = (0..2)
        .map(|_| {
            let fake = fake.clone();
            tokio::spawn(async move { post(&fake, ASR, Some(KEY), &asr_body(b"abc", None)).await })
        })
        .collect();
    wait_until("two calls at the gate", WAIT, || {
        (gate.waiting() == 2).then_some(())
    })
    .await;
    let (status, body) = post(&fake, ASR, Some(KEY), &asr_body(b"abc", None)).await;
    assert_eq!(status, 429);
    assert_eq!(body["code"], "Throttling.RateQuota");
    assert_eq!(
        body["message"],
        "Requests rate limit exceeded, please try again later."
    );
    assert!(is_uuid(&body["request_id"]));
    gate.release_all();
    for request in held {
        assert_eq!(request.await.expect("task").0, 200);
    }
    let traffic = fake.asr().traffic();
    assert_eq!((traffic.requests, traffic.max_in_flight), (3, 3));
    let statuses: Vec<_> = fake.asr().calls().iter().map(|c| c.status).collect();
    assert_eq!(statuses, [429, 200, 200]);
}

#[tokio::test]
async fn the_per_second_limit_refuses_what_exceeds_it() {
    let fake = FakeDashScope::start(KEY).await;
    fake.llm().set_rate_limit(Some(RateLimit::per_second(2)));
    let mut statuses = Vec::new();
    for _ in 0..3 {
        let (status, body) = post(&fake, LLM, Some(KEY), &llm_body("x")).await;
        if status == 429 {
            assert_eq!(body["code"], "Throttling.RateQuota");
        }
        statuses.push(status);
    }
    // Three calls a few milliseconds apart; only a machine stalled for a second between them
    // would spread them over two seconds, and then the third is rightly let through.
    let busiest = fake.llm().traffic().max_per_second;
    assert_eq!(statuses[..2], [200, 200]);
    assert_eq!(
        statuses[2] == 429,
        busiest == 3,
        "{statuses:?}, busiest {busiest}"
    );

    fake.llm().set_rate_limit(None);
    let (status, _) = post(&fake, LLM, Some(KEY), &llm_body("x")).await;
    assert_eq!(status, 200);
}

#[tokio::test]
async fn latency_delays_answers() {
    let fake = FakeDashScope::start(KEY).await;
    fake.asr().set_latency(Duration::from_millis(200));
    let (status, _) = post(&fake, ASR, Some(KEY), &asr_body(b"abc", None)).await;
    assert_eq!(status, 200);
    let recorded = &fake.asr().calls()[0];
    assert!(recorded.finished.duration_since(recorded.started) >= Duration::from_millis(200));
}
