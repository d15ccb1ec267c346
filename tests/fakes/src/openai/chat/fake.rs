//! `FakeOpenAiChat`: the handle tests hold, and the public types it speaks in.

use std::fmt;
use std::sync::Arc;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::routing::post;

use super::route;
use crate::openai::OpenAiError;
use crate::scripted::Scripted;
use crate::server::Server;

/// One chat-completion request.
#[derive(Debug, Clone, PartialEq)]
pub struct ChatCall {
    pub model: String,
    /// The first system (or developer) message.
    pub system: Option<String>,
    /// The last user message.
    pub user: String,
    /// `max_tokens`, or `max_completion_tokens`.
    pub max_tokens: Option<u64>,
    pub temperature: Option<f64>,
}

/// How the fake answers a valid call.
#[derive(Debug, Clone, PartialEq)]
pub enum ChatReply {
    /// `finish_reason: "stop"`.
    Text(String),
    /// `finish_reason: "length"`: the output hit the token limit.
    Truncated(String),
    Error(OpenAiError),
}

pub(crate) struct Shared {
    /// `None`: any request is accepted, as by vLLM or Ollama without `--api-key`.
    pub(crate) api_key: Option<String>,
    pub(crate) completions: Scripted<ChatCall, ChatReply>,
}

/// A fake OpenAI-compatible chat server. Cheap to clone; stops when the last clone drops.
#[derive(Clone)]
pub struct FakeOpenAiChat {
    shared: Arc<Shared>,
    server: Arc<Server>,
}

impl fmt::Debug for FakeOpenAiChat {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("FakeOpenAiChat")
            .field("base_url", &self.server.url())
            .finish_non_exhaustive()
    }
}

impl FakeOpenAiChat {
    /// Starts the fake, serving the model `model`. With `api_key`, requests need
    /// `Authorization: Bearer <api_key>`; without, any request is accepted.
    pub async fn start(model: &str, api_key: Option<&str>) -> Self {
        let shared = Arc::new(Shared {
            api_key: api_key.map(str::to_owned),
            completions: Scripted::new(
                &[model],
                |call: &ChatCall| ChatReply::Text(call.user.clone()),
                ChatReply::Error(OpenAiError::Internal),
                ChatReply::Error(OpenAiError::RateLimit),
            ),
        });
        let app = Router::new()
            .route("/v1/chat/completions", post(route::complete))
            .layer(DefaultBodyLimit::disable())
            .with_state(Arc::clone(&shared));
        let server = Arc::new(Server::start("fake openai chat", app).await);
        Self { shared, server }
    }

    /// `http://127.0.0.1:PORT` (append `/v1/chat/completions`).
    pub fn base_url(&self) -> String {
        self.server.url()
    }

    /// `/v1/chat/completions`; replies default to the user text unchanged, unknown models get
    /// 404 `model_not_found`.
    pub fn completions(&self) -> &Scripted<ChatCall, ChatReply> {
        &self.shared.completions
    }
}
