//! `FakeDashScope`: the handle tests hold, and the public types it speaks in.

use std::fmt;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::routing::post;

use super::route;
use crate::scripted::Scripted;
use crate::server::Server;

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
    /// The system message's text (the biasing context, a glossary).
    pub context: Option<String>,
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

/// Provider errors, rendered as in `reference/apis.md` §1.8.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ApiError {
    /// 429 `Throttling` "Requests throttling triggered."
    Throttling,
    /// 429 `Throttling.RateQuota` (requests per minute); also the rate-limit mode's answer.
    RateQuota,
    /// 429 `Throttling.BurstRate` "Request rate increased too quickly."
    BurstRate,
    /// 429 `Throttling.AllocationQuota` (tokens per minute).
    AllocationQuota,
    /// 500 `InternalError`; also the answer while the endpoint is down.
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

/// State shared by the server task and every handle.
pub(crate) struct Shared {
    pub(crate) api_key: String,
    pub(crate) asr: Scripted<AsrCall, Reply>,
    pub(crate) llm: Scripted<LlmCall, Reply>,
    /// Ceiling on the audio Data URL.
    pub(crate) max_audio_bytes: AtomicUsize,
}

/// The default ASR reply.
const DEFAULT_TRANSCRIPT: &str = "Привет, это тест.";

/// A fake DashScope (Model Studio) server: native ASR and text generation. Cheap to clone;
/// stops when the last clone drops.
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
        let outage = || Reply::Error(ApiError::Internal);
        let throttled = || Reply::Error(ApiError::RateQuota);
        let shared = Arc::new(Shared {
            api_key: api_key.to_owned(),
            asr: Scripted::new(
                &["qwen3-asr-flash"],
                |_: &AsrCall| Reply::Text(DEFAULT_TRANSCRIPT.to_owned()),
                outage(),
                throttled(),
            ),
            llm: Scripted::new(
                &["qwen-plus"],
                |call: &LlmCall| Reply::Text(call.user.clone()),
                outage(),
                throttled(),
            ),
            max_audio_bytes: AtomicUsize::new(10 * 1024 * 1024),
        });
        let app = Router::new()
            .route(
                "/api/v1/services/aigc/multimodal-generation/generation",
                post(route::asr),
            )
            .route(
                "/api/v1/services/aigc/text-generation/generation",
                post(route::llm),
            )
            .layer(DefaultBodyLimit::disable())
            .with_state(Arc::clone(&shared));
        let server = Arc::new(Server::start("fake dashscope", app).await);
        Self { shared, server }
    }

    /// `http://127.0.0.1:PORT` (append `/api/v1/...`).
    pub fn base_url(&self) -> String {
        self.server.url()
    }

    /// Speech recognition (`qwen3-asr-flash`); replies default to "Привет, это тест.".
    pub fn asr(&self) -> &Scripted<AsrCall, Reply> {
        &self.shared.asr
    }

    /// Text generation (`qwen-plus`); replies default to the user text unchanged.
    pub fn llm(&self) -> &Scripted<LlmCall, Reply> {
        &self.shared.llm
    }

    /// Changes the 10 MB ceiling on the inline audio Data URL.
    pub fn set_max_audio_bytes(&self, bytes: usize) {
        self.shared.max_audio_bytes.store(bytes, Ordering::SeqCst);
    }
}
