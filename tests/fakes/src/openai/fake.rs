//! `FakeOpenAiAsr`: the handle tests hold, and the public types it speaks in.

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

/// One transcription request.
#[derive(Debug, Clone, PartialEq)]
pub struct OpenAiAsrCall {
    pub model: String,
    /// The multipart filename of `file` (its extension decides the format).
    pub file_name: String,
    pub audio: Vec<u8>,
    pub content_type: Option<String>,
    pub language: Option<String>,
    pub prompt: Option<String>,
    /// `json` unless the request said otherwise.
    pub response_format: String,
    pub temperature: Option<f64>,
}

/// How the fake answers a valid call.
#[derive(Debug, Clone, PartialEq)]
pub enum TranscriptionReply {
    Text(String),
    Error(OpenAiError),
}

/// OpenAI-style errors (`{"error":{"message","type","param","code"}}`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OpenAiError {
    /// 429 `rate_limit_exceeded`.
    RateLimit,
    /// 429 `insufficient_quota`.
    InsufficientQuota,
    /// 500 `server_error`.
    Internal,
    /// 503 `server_error` (overloaded).
    Unavailable,
    /// 400 `invalid_request_error` with this message.
    BadRequest(String),
}

pub(crate) type Script = Arc<dyn Fn(&OpenAiAsrCall) -> TranscriptionReply + Send + Sync>;

pub(crate) struct Book {
    pub(crate) script: Script,
    pub(crate) models: Vec<String>,
    pub(crate) latency: Duration,
    pub(crate) failures: VecDeque<OpenAiError>,
    pub(crate) calls: Vec<Recorded<OpenAiAsrCall>>,
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

/// The default transcript.
const DEFAULT_TRANSCRIPT: &str = "Привет, это тест.";

/// A fake OpenAI-compatible transcription server (`/v1/audio/transcriptions`, also under
/// `/openai/v1/…` as Groq spells it). Cheap to clone; stops when the last clone drops.
#[derive(Clone)]
pub struct FakeOpenAiAsr {
    shared: Arc<Shared>,
    server: Arc<Server>,
}

impl fmt::Debug for FakeOpenAiAsr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("FakeOpenAiAsr")
            .field("base_url", &self.server.url())
            .finish_non_exhaustive()
    }
}

impl FakeOpenAiAsr {
    /// Starts the fake, accepting `Authorization: Bearer <api_key>`.
    pub async fn start(api_key: &str) -> Self {
        let models = [
            "whisper-1",
            "gpt-4o-transcribe",
            "gpt-4o-mini-transcribe",
            "whisper-large-v3",
            "whisper-large-v3-turbo",
        ];
        let shared = Arc::new(Shared {
            api_key: api_key.to_owned(),
            flight: Concurrency::default(),
            book: Mutex::new(Book {
                script: Arc::new(|_: &OpenAiAsrCall| {
                    TranscriptionReply::Text(DEFAULT_TRANSCRIPT.to_owned())
                }),
                models: models.iter().map(|&model| model.to_owned()).collect(),
                latency: Duration::ZERO,
                failures: VecDeque::new(),
                calls: Vec::new(),
            }),
        });
        let app = Router::new()
            .route("/v1/audio/transcriptions", post(route::transcribe))
            .route("/openai/v1/audio/transcriptions", post(route::transcribe))
            .layer(DefaultBodyLimit::disable())
            .with_state(Arc::clone(&shared));
        let server = Arc::new(Server::start("fake openai asr", app).await);
        Self { shared, server }
    }

    /// `http://127.0.0.1:PORT` (append `/v1/audio/transcriptions`).
    pub fn base_url(&self) -> String {
        self.server.url()
    }

    /// Scripts replies (default: "Привет, это тест.").
    pub fn set_reply(
        &self,
        script: impl Fn(&OpenAiAsrCall) -> TranscriptionReply + Send + Sync + 'static,
    ) {
        self.shared.book().script = Arc::new(script);
    }

    /// The next `n` valid calls fail with `error`, whatever the script says.
    pub fn fail_next(&self, n: usize, error: OpenAiError) {
        self.shared
            .book()
            .failures
            .extend(std::iter::repeat_n(error, n));
    }

    /// Delays every response by `latency`.
    pub fn set_latency(&self, latency: Duration) {
        self.shared.book().latency = latency;
    }

    /// Replaces the known models (others get 404 `model_not_found`).
    pub fn set_models(&self, models: &[&str]) {
        self.shared.book().models = models.iter().map(|&model| model.to_owned()).collect();
    }

    /// Valid calls, in completion order.
    pub fn calls(&self) -> Vec<Recorded<OpenAiAsrCall>> {
        self.shared.book().calls.clone()
    }

    /// The highest number of valid calls in flight at once.
    pub fn max_concurrent(&self) -> usize {
        self.shared.flight.max()
    }
}
