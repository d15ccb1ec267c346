//! `FakeGemini` over real HTTP.

use std::time::Duration;

use scribe_fakes::gemini::{FakeGemini, GeminiReply};
use scribe_fakes::{RateLimit, wait_until};
use serde_json::{Value, json};

const KEY: &str = "AIza-test";
const PATH: &str = "/v1beta/models/gemini-2.5-flash:generateContent";

/// A plain-HTTP client; reqwest's `rustls-no-provider` needs a provider even for HTTP.
fn client() -> reqwest::Client {
    // Err only means another test installed it first.
    let _ = rustls::crypto::ring::default_provider().install_default();
    reqwest::Client::builder()
        .no_proxy()
        .build()
        .expect("reqwest client")
}

async fn post(fake: &FakeGemini, path: &str, key: Option<&str>, body: &Value) -> (u16, Value) {
    let mut request = client()
        .post(format!("{}{path}", fake.base_url()))
        .json(body);
    if let Some(key) = key {
        request = request.header("x-goog-api-key", key);
    }
    let response = request.send().await.expect("request");
    let status = response.status().as_u16();
    (status, response.json().await.expect("json body"))
}

fn body(text: &str) -> Value {
    json!({
        "systemInstruction": {"parts": [{"text": "You format transcripts."}]},
        "contents": [{"role": "user", "parts": [{"text": text}]}],
        "generationConfig": {"temperature": 0.3, "maxOutputTokens": 8192, "thinkingConfig": {"thinkingBudget": 0}},
    })
}

#[tokio::test]
async fn success_shape_and_recording() {
    let fake = FakeGemini::start(KEY).await;
    let (status, response) = post(&fake, PATH, Some(KEY), &body("сырой текст")).await;
    assert_eq!(status, 200, "{response}");
    assert_eq!(
        response["candidates"],
        json!([{"content": {"role": "model", "parts": [{"text": "сырой текст"}]}, "finishReason": "STOP", "index": 0}])
    );
    let usage = &response["usageMetadata"];
    assert!(usage["promptTokenCount"].as_u64() > Some(0));
    assert!(usage["candidatesTokenCount"].as_u64() > Some(0));
    assert!(usage.get("thoughtsTokenCount").is_none());
    assert_eq!(response["modelVersion"], "gemini-2.5-flash");
    assert!(response["responseId"].is_string());

    let call = &fake.generate_content().calls()[0].call;
    assert_eq!(call.model, "gemini-2.5-flash");
    assert_eq!(call.system.as_deref(), Some("You format transcripts."));
    assert_eq!(call.user, "сырой текст");
    assert_eq!(call.max_output_tokens, Some(8192));
    assert_eq!(call.thinking_budget, Some(0));

    // snake_case and ?key= work too.
    let snake = json!({
        "system_instruction": {"parts": [{"text": "S"}]},
        "contents": [{"parts": [{"text": "u"}]}],
        "generation_config": {"max_output_tokens": 10, "thinking_config": {"thinking_budget": 512}},
    });
    let (status, _) = post(&fake, &format!("{PATH}?key={KEY}"), None, &snake).await;
    assert_eq!(status, 200);
    let call = &fake.generate_content().calls()[1].call;
    assert_eq!(call.system.as_deref(), Some("S"));
    assert_eq!(call.max_output_tokens, Some(10));
    assert_eq!(call.thinking_budget, Some(512));
}

#[tokio::test]
async fn key_model_and_body_errors() {
    let fake = FakeGemini::start(KEY).await;
    let (status, response) = post(&fake, PATH, Some("wrong"), &body("x")).await;
    assert_eq!(status, 400);
    assert_eq!(
        response,
        json!({"error": {
            "code": 400,
            "message": "API key not valid. Please pass a valid API key.",
            "status": "INVALID_ARGUMENT",
            "details": [
                {"@type": "type.googleapis.com/google.rpc.ErrorInfo", "reason": "API_KEY_INVALID", "domain": "googleapis.com", "metadata": {"service": "generativelanguage.googleapis.com"}},
                {"@type": "type.googleapis.com/google.rpc.LocalizedMessage", "locale": "en-US", "message": "API key not valid. Please pass a valid API key."},
            ],
        }})
    );
    let (status, response) = post(&fake, PATH, None, &body("x")).await;
    assert_eq!(
        (status, response["error"]["status"].clone()),
        (403, json!("PERMISSION_DENIED"))
    );

    let (status, response) = post(
        &fake,
        "/v1beta/models/gemini-1.0-pro:generateContent",
        Some(KEY),
        &body("x"),
    )
    .await;
    assert_eq!(status, 404);
    assert_eq!(response["error"]["status"], "NOT_FOUND");
    assert_eq!(
        response["error"]["message"],
        "models/gemini-1.0-pro is not found for API version v1beta, or is not supported for generateContent. Call ListModels to see the list of available models and their supported methods."
    );

    for bad in [
        json!({"contents": []}),
        json!({"contents": [{"role": "assistant", "parts": [{"text": "x"}]}]}),
        json!({"contents": [{"role": "user", "parts": []}]}),
        json!({"contents": [{"role": "user", "parts": [{"text": "x"}]}], "generationConfig": {"thinkingConfig": {"thinkingBudget": 30000}}}),
    ] {
        let (status, response) = post(&fake, PATH, Some(KEY), &bad).await;
        assert_eq!(status, 400, "{bad}");
        assert_eq!(response["error"]["status"], "INVALID_ARGUMENT");
    }
    assert!(fake.generate_content().calls().is_empty());
}

#[tokio::test]
async fn scripted_edge_cases() {
    let fake = FakeGemini::start(KEY).await;
    let mut thinking = body("x");
    thinking["generationConfig"] = json!({"maxOutputTokens": 64});
    fake.generate_content()
        .set_reply(|_| GeminiReply::MaxTokensNoParts);
    let (status, response) = post(&fake, PATH, Some(KEY), &thinking).await;
    assert_eq!(status, 200);
    let candidate = &response["candidates"][0];
    assert_eq!(candidate["finishReason"], "MAX_TOKENS");
    assert_eq!(candidate["content"], json!({"role": "model"}));
    let usage = &response["usageMetadata"];
    assert!(usage["thoughtsTokenCount"].as_u64() > Some(0));
    assert!(usage.get("candidatesTokenCount").is_none());

    fake.generate_content()
        .set_reply(|_| GeminiReply::MaxTokens("partial".to_owned()));
    let (_, response) = post(&fake, PATH, Some(KEY), &body("x")).await;
    assert_eq!(response["candidates"][0]["finishReason"], "MAX_TOKENS");
    assert_eq!(
        response["candidates"][0]["content"]["parts"][0]["text"],
        "partial"
    );

    fake.generate_content().set_reply(|_| GeminiReply::Blocked);
    let (status, response) = post(&fake, PATH, Some(KEY), &body("x")).await;
    assert_eq!(status, 200);
    assert!(response.get("candidates").is_none());
    assert_eq!(response["promptFeedback"]["blockReason"], "SAFETY");

    fake.generate_content()
        .set_reply(|_| GeminiReply::ModelGone);
    let (status, response) = post(&fake, PATH, Some(KEY), &body("x")).await;
    assert_eq!(status, 404);
    assert_eq!(
        response["error"]["message"],
        "This model models/gemini-2.5-flash is no longer available to new users. Please update your code to use a newer model for the latest features and improvements."
    );

    fake.generate_content()
        .set_reply(|_| GeminiReply::Exhausted {
            retry_delay_secs: 26,
        });
    let (status, response) = post(&fake, PATH, Some(KEY), &body("x")).await;
    assert_eq!(status, 429);
    assert_eq!(response["error"]["status"], "RESOURCE_EXHAUSTED");
    let details = response["error"]["details"].as_array().expect("details");
    assert!(
        details
            .iter()
            .any(|d| d["@type"] == "type.googleapis.com/google.rpc.QuotaFailure")
    );
    assert!(
        details
            .iter()
            .any(|d| d["@type"] == "type.googleapis.com/google.rpc.RetryInfo"
                && d["retryDelay"] == "26s")
    );

    fake.generate_content()
        .set_reply(|_| GeminiReply::Overloaded);
    let (status, response) = post(&fake, PATH, Some(KEY), &body("x")).await;
    assert_eq!(
        (status, response["error"]["status"].clone()),
        (503, json!("UNAVAILABLE"))
    );
    fake.generate_content().set_reply(|_| GeminiReply::Internal);
    let (status, response) = post(&fake, PATH, Some(KEY), &body("x")).await;
    assert_eq!(
        (status, response["error"]["status"].clone()),
        (500, json!("INTERNAL"))
    );

    let statuses: Vec<_> = fake
        .generate_content()
        .calls()
        .iter()
        .map(|c| c.status)
        .collect();
    assert_eq!(statuses, [200, 200, 200, 404, 429, 503, 500]);
}

#[tokio::test]
async fn gate_failures_outage_and_rate_limit() {
    let fake = FakeGemini::start(KEY).await;
    let endpoint = fake.generate_content();
    let gate = endpoint.gate();
    endpoint.fail_next(1, GeminiReply::Overloaded);
    let requests: Vec<_> = (0..2)
        .map(|_| {
            let fake = fake.clone();
            tokio::spawn(async move { post(&fake, PATH, Some(KEY), &body("x")).await.0 })
        })
        .collect();
    wait_until("two calls at the gate", Duration::from_secs(10), || {
        (gate.waiting() == 2).then_some(())
    })
    .await;
    gate.release_all();
    let mut statuses = Vec::new();
    for request in requests {
        statuses.push(request.await.expect("task"));
    }
    statuses.sort_unstable();
    assert_eq!(statuses, [200, 503]);
    assert_eq!(endpoint.traffic().max_in_flight, 2);

    endpoint.set_down(true);
    let (status, response) = post(&fake, PATH, Some(KEY), &body("x")).await;
    assert_eq!(
        (status, response["error"]["status"].clone()),
        (500, json!("INTERNAL"))
    );
    endpoint.set_down(false);

    endpoint.set_rate_limit(Some(RateLimit::in_flight(1)));
    let gate = endpoint.gate();
    let held = {
        let fake = fake.clone();
        tokio::spawn(async move { post(&fake, PATH, Some(KEY), &body("x")).await.0 })
    };
    wait_until("one call at the gate", Duration::from_secs(10), || {
        (gate.waiting() == 1).then_some(())
    })
    .await;
    let (status, response) = post(&fake, PATH, Some(KEY), &body("x")).await;
    assert_eq!(status, 429);
    assert_eq!(response["error"]["status"], "RESOURCE_EXHAUSTED");
    assert!(
        response["error"]["details"]
            .as_array()
            .is_some_and(|details| details.iter().any(|d| d["retryDelay"] == "1s"))
    );
    drop(gate);
    assert_eq!(held.await.expect("task"), 200);
    assert_eq!(endpoint.calls().len(), 5);
}
