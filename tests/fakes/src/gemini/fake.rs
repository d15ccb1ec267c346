//! `FakeGemini`: the handle tests hold, and the public types it speaks in.

use std::fmt;
use std::sync::Arc;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::routing::post;

use super::route;
use crate::scripted::Scripted;
use crate::server::Server;

/// One `generateContent` request.
#[derive(Debug, Clone, PartialEq)]
pub struct GeminiCall {
    pub model: String,
    /// Text of `systemInstruction`.
    pub system: Option<String>,
    /// Text of the last `user` content.
    pub user: String,
    pub max_output_tokens: Option<u64>,
    /// `generationConfig.thinkingConfig.thinkingBudget`.
    pub thinking_budget: Option<i64>,
    pub temperature: Option<f64>,
}

/// How the fake answers a valid call.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum GeminiReply {
    /// 200, `finishReason: "STOP"`.
    Text(String),
    /// 200, `finishReason: "MAX_TOKENS"`, `content: {"role":"model"}` without `parts`; usage
    /// has `thoughtsTokenCount` > 0 and no `candidatesTokenCount` (thinking ate the budget).
    MaxTokensNoParts,
    /// 200, partial text with `finishReason: "MAX_TOKENS"`.
    MaxTokens(String),
    /// 200 without `candidates`; `promptFeedback.blockReason: "SAFETY"`.
    Blocked,
    /// 404 NOT_FOUND "This model models/… is no longer available to new users…".
    ModelGone,
    /// 429 RESOURCE_EXHAUSTED with `QuotaFailure` and `RetryInfo` details; also the rate-limit
    /// mode's answer (one second).
    Exhausted { retry_delay_secs: u32 },
    /// 503 UNAVAILABLE "The model is overloaded. Please try again later."
    Overloaded,
    /// 500 INTERNAL; also the answer while the endpoint is down.
    Internal,
}

pub(crate) struct Shared {
    pub(crate) api_key: String,
    pub(crate) generate: Scripted<GeminiCall, GeminiReply>,
}

/// A fake Gemini API server. Cheap to clone; stops when the last clone drops.
#[derive(Clone)]
pub struct FakeGemini {
    shared: Arc<Shared>,
    server: Arc<Server>,
}

impl fmt::Debug for FakeGemini {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("FakeGemini")
            .field("base_url", &self.server.url())
            .finish_non_exhaustive()
    }
}

impl FakeGemini {
    /// Starts the fake, accepting `x-goog-api-key: <api_key>` or `?key=<api_key>`.
    pub async fn start(api_key: &str) -> Self {
        let shared = Arc::new(Shared {
            api_key: api_key.to_owned(),
            generate: Scripted::new(
                &["gemini-2.5-flash"],
                |call: &GeminiCall| GeminiReply::Text(call.user.clone()),
                GeminiReply::Internal,
                GeminiReply::Exhausted {
                    retry_delay_secs: 1,
                },
            ),
        });
        let app = Router::new()
            .route("/v1beta/models/{model_action}", post(route::generate))
            .layer(DefaultBodyLimit::disable())
            .with_state(Arc::clone(&shared));
        let server = Arc::new(Server::start("fake gemini", app).await);
        Self { shared, server }
    }

    /// `http://127.0.0.1:PORT` (append `/v1beta/models/{model}:generateContent`).
    pub fn base_url(&self) -> String {
        self.server.url()
    }

    /// `generateContent`; replies default to the user text unchanged, the rate-limit answer is
    /// 429 `RESOURCE_EXHAUSTED` with a one-second `RetryInfo`.
    pub fn generate_content(&self) -> &Scripted<GeminiCall, GeminiReply> {
        &self.shared.generate
    }
}
