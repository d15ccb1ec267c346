//! `FakeGemini`: the handle tests hold, and the public types it speaks in.

use std::collections::VecDeque;
use std::fmt;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::routing::post;

use super::route;
use crate::recording::{Concurrency, Recorded};
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
    /// 429 RESOURCE_EXHAUSTED with `QuotaFailure` and `RetryInfo` details.
    Exhausted { retry_delay_secs: u32 },
    /// 503 UNAVAILABLE "The model is overloaded. Please try again later."
    Overloaded,
    /// 500 INTERNAL.
    Internal,
}

pub(crate) type Script = Arc<dyn Fn(&GeminiCall) -> GeminiReply + Send + Sync>;

pub(crate) struct Book {
    pub(crate) script: Script,
    pub(crate) models: Vec<String>,
    pub(crate) latency: Duration,
    pub(crate) failures: VecDeque<GeminiReply>,
    pub(crate) calls: Vec<Recorded<GeminiCall>>,
}

pub(crate) struct Shared {
    pub(crate) api_key: String,
    pub(crate) flight: Concurrency,
    book: Mutex<Book>,
}

impl Shared {
    /// The mutable state. A poisoned lock means a scripted reply panicked (the test is already
    /// failing); the data stays usable, so the poison is ignored.
    pub(crate) fn book(&self) -> MutexGuard<'_, Book> {
        self.book.lock().unwrap_or_else(PoisonError::into_inner)
    }
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
            flight: Concurrency::default(),
            book: Mutex::new(Book {
                script: Arc::new(|call: &GeminiCall| GeminiReply::Text(call.user.clone())),
                models: vec!["gemini-2.5-flash".to_owned()],
                latency: Duration::ZERO,
                failures: VecDeque::new(),
                calls: Vec::new(),
            }),
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

    /// Scripts replies (default: the user text unchanged).
    pub fn set_reply(&self, script: impl Fn(&GeminiCall) -> GeminiReply + Send + Sync + 'static) {
        self.shared.book().script = Arc::new(script);
    }

    /// The next `n` valid calls get `reply`, whatever the script says.
    pub fn fail_next(&self, n: usize, reply: GeminiReply) {
        self.shared
            .book()
            .failures
            .extend(std::iter::repeat_n(reply, n));
    }

    /// Delays every response by `latency`.
    pub fn set_latency(&self, latency: Duration) {
        self.shared.book().latency = latency;
    }

    /// Replaces the known models (others get 404 NOT_FOUND).
    pub fn set_models(&self, models: &[&str]) {
        self.shared.book().models = models.iter().map(|&model| model.to_owned()).collect();
    }

    /// Valid calls, in completion order.
    pub fn calls(&self) -> Vec<Recorded<GeminiCall>> {
        self.shared.book().calls.clone()
    }

    /// The highest number of valid calls in flight at once.
    pub fn max_concurrent(&self) -> usize {
        self.shared.flight.max()
    }
}
