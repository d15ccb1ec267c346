//! `FakeDashScope`: the handle tests hold, and the public types it speaks in.

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

/// Which DashScope capability a call used.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Endpoint {
    /// `qwen3-asr-flash` on `/api/v1/services/aigc/multimodal-generation/generation`.
    Asr,
    /// `qwen-plus` on `/api/v1/services/aigc/text-generation/generation`.
    Llm,
}

/// Which wire protocol a call used.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Protocol {
    /// `/api/v1/...`: content-part arrays, flat `{"code","message","request_id"}` errors.
    Native,
    /// `/compatible-mode/v1/chat/completions`: OpenAI shapes and OpenAI-style errors.
    Compatible,
}

/// One speech-recognition request.
#[derive(Debug, Clone, PartialEq)]
pub struct AsrCall {
    /// Decoded audio of a Data URL (empty when the audio was given as an http(s) URL).
    pub audio: Vec<u8>,
    /// MIME type of the Data URL (empty for URLs).
    pub mime: String,
    /// The audio URL, when not sent inline.
    pub url: Option<String>,
    pub language: Option<String>,
    pub enable_itn: Option<bool>,
    pub model: String,
    /// The system message's text (biasing context).
    pub context: Option<String>,
    pub protocol: Protocol,
}

/// One text-generation request.
#[derive(Debug, Clone, PartialEq)]
pub struct LlmCall {
    pub model: String,
    /// The first system message.
    pub system: Option<String>,
    /// The last user message.
    pub user: String,
    pub max_tokens: Option<u64>,
    pub temperature: Option<f64>,
    pub protocol: Protocol,
}

/// How the fake answers a valid call.
#[derive(Debug, Clone, PartialEq)]
pub enum Reply {
    /// `finish_reason: "stop"`.
    Text(String),
    /// `finish_reason: "length"`: the output hit `max_tokens`.
    Truncated(String),
    Error(ApiError),
}

/// Provider errors, rendered per protocol as in `reference/apis.md` §1.8/§1.9.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ApiError {
    /// 429 `Throttling` "Requests throttling triggered."
    Throttling,
    /// 429 `Throttling.RateQuota` (requests per minute).
    RateQuota,
    /// 429 `Throttling.AllocationQuota` (tokens per minute).
    AllocationQuota,
    /// 500 `InternalError`.
    Internal,
    /// 400 `InvalidParameter` with this message.
    InvalidParameter(String),
    /// 400 `Arrearage`: the account is overdue.
    Arrearage,
    /// 400 `DataInspectionFailed`: content moderation hit.
    DataInspectionFailed,
    /// 503 `ModelUnavailable` (code and text unconfirmed).
    Unavailable,
}

pub(crate) type AsrScript = Arc<dyn Fn(&AsrCall) -> Reply + Send + Sync>;
pub(crate) type LlmScript = Arc<dyn Fn(&LlmCall) -> Reply + Send + Sync>;

/// Per-endpoint behaviour.
#[derive(Debug, Clone)]
pub(crate) struct Behaviour {
    pub(crate) models: Vec<String>,
    pub(crate) latency: Duration,
    pub(crate) down: bool,
    pub(crate) failures: VecDeque<ApiError>,
}

impl Behaviour {
    fn new(model: &str) -> Self {
        Self {
            models: vec![model.to_owned()],
            latency: Duration::ZERO,
            down: false,
            failures: VecDeque::new(),
        }
    }
}

/// Everything the server remembers.
pub(crate) struct Book {
    pub(crate) asr_script: AsrScript,
    pub(crate) llm_script: LlmScript,
    pub(crate) asr: Behaviour,
    pub(crate) llm: Behaviour,
    pub(crate) asr_calls: Vec<Recorded<AsrCall>>,
    pub(crate) llm_calls: Vec<Recorded<LlmCall>>,
    /// Ceiling on the audio Data URL (or decoded audio) size.
    pub(crate) max_audio_bytes: usize,
}

impl Book {
    pub(crate) fn behaviour(&mut self, endpoint: Endpoint) -> &mut Behaviour {
        match endpoint {
            Endpoint::Asr => &mut self.asr,
            Endpoint::Llm => &mut self.llm,
        }
    }
}

/// State shared by the server task and every handle.
pub(crate) struct Shared {
    pub(crate) api_key: String,
    pub(crate) asr_flight: Concurrency,
    pub(crate) llm_flight: Concurrency,
    book: Mutex<Book>,
}

impl Shared {
    /// The mutable state. A poisoned lock means a scripted reply panicked (the test is already
    /// failing); the data stays usable, so the poison is ignored.
    pub(crate) fn book(&self) -> MutexGuard<'_, Book> {
        self.book.lock().unwrap_or_else(PoisonError::into_inner)
    }

    pub(crate) fn flight(&self, endpoint: Endpoint) -> &Concurrency {
        match endpoint {
            Endpoint::Asr => &self.asr_flight,
            Endpoint::Llm => &self.llm_flight,
        }
    }
}

/// The default ASR reply.
pub const DEFAULT_TRANSCRIPT: &str = "Привет, это тест.";

/// A fake DashScope (Model Studio) server: native ASR and text generation plus the
/// OpenAI-compatible chat endpoint. Cheap to clone; stops when the last clone drops.
#[derive(Clone)]
pub struct FakeDashScope {
    shared: Arc<Shared>,
    server: Arc<Server>,
}

impl fmt::Debug for FakeDashScope {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("FakeDashScope")
            .field("base_url", &self.server.url())
            .finish_non_exhaustive()
    }
}

impl FakeDashScope {
    /// Starts the fake, accepting `Authorization: Bearer <api_key>`.
    pub async fn start(api_key: &str) -> Self {
        let book = Book {
            asr_script: Arc::new(|_: &AsrCall| Reply::Text(DEFAULT_TRANSCRIPT.to_owned())),
            llm_script: Arc::new(|call: &LlmCall| Reply::Text(call.user.clone())),
            asr: Behaviour::new("qwen3-asr-flash"),
            llm: Behaviour::new("qwen-plus"),
            asr_calls: Vec::new(),
            llm_calls: Vec::new(),
            max_audio_bytes: 10 * 1024 * 1024,
        };
        let shared = Arc::new(Shared {
            api_key: api_key.to_owned(),
            asr_flight: Concurrency::default(),
            llm_flight: Concurrency::default(),
            book: Mutex::new(book),
        });
        let app = Router::new()
            .route(
                "/api/v1/services/aigc/multimodal-generation/generation",
                post(route::native_asr),
            )
            .route(
                "/api/v1/services/aigc/text-generation/generation",
                post(route::native_llm),
            )
            .route(
                "/compatible-mode/v1/chat/completions",
                post(route::compatible),
            )
            .layer(DefaultBodyLimit::disable())
            .with_state(Arc::clone(&shared));
        let server = Arc::new(Server::start("fake dashscope", app).await);
        Self { shared, server }
    }

    /// `http://127.0.0.1:PORT` (append `/api/v1/...` or `/compatible-mode/v1/...`).
    pub fn base_url(&self) -> String {
        self.server.url()
    }

    /// Scripts ASR replies (default: [`DEFAULT_TRANSCRIPT`]).
    pub fn set_asr(&self, script: impl Fn(&AsrCall) -> Reply + Send + Sync + 'static) {
        self.shared.book().asr_script = Arc::new(script);
    }

    /// Scripts text-generation replies (default: the user text unchanged).
    pub fn set_llm(&self, script: impl Fn(&LlmCall) -> Reply + Send + Sync + 'static) {
        self.shared.book().llm_script = Arc::new(script);
    }

    /// The next `n` valid calls of `endpoint` fail with `error`, whatever the script says.
    pub fn fail_next(&self, endpoint: Endpoint, n: usize, error: ApiError) {
        let mut book = self.shared.book();
        let failures = &mut book.behaviour(endpoint).failures;
        failures.extend(std::iter::repeat_n(error, n));
    }

    /// Delays every response of `endpoint` by `latency`.
    pub fn set_latency(&self, endpoint: Endpoint, latency: Duration) {
        self.shared.book().behaviour(endpoint).latency = latency;
    }

    /// While `down`, every valid call of `endpoint` fails with 500 `InternalError`.
    pub fn set_down(&self, endpoint: Endpoint, down: bool) {
        self.shared.book().behaviour(endpoint).down = down;
    }

    /// Replaces the models `endpoint` knows (others get "Model not exist.").
    pub fn set_models(&self, endpoint: Endpoint, models: &[&str]) {
        self.shared.book().behaviour(endpoint).models =
            models.iter().map(|&model| model.to_owned()).collect();
    }

    /// Changes the 10 MB ceiling on the inline audio Data URL.
    pub fn set_max_audio_bytes(&self, bytes: usize) {
        self.shared.book().max_audio_bytes = bytes;
    }

    /// Valid ASR calls, in completion order.
    pub fn asr_calls(&self) -> Vec<Recorded<AsrCall>> {
        self.shared.book().asr_calls.clone()
    }

    /// Valid text-generation calls, in completion order.
    pub fn llm_calls(&self) -> Vec<Recorded<LlmCall>> {
        self.shared.book().llm_calls.clone()
    }

    /// The highest number of valid calls of `endpoint` in flight at once.
    pub fn max_concurrent(&self, endpoint: Endpoint) -> usize {
        self.shared.flight(endpoint).max()
    }

    /// Valid calls of `endpoint` in flight right now.
    pub fn in_flight(&self, endpoint: Endpoint) -> usize {
        self.shared.flight(endpoint).current()
    }
}
