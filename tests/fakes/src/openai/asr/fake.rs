//! `FakeOpenAiAsr`: the handle tests hold, and the public types it speaks in.

use std::fmt;
use std::sync::Arc;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::routing::post;

use super::route;
use crate::openai::OpenAiError;
use crate::scripted::Scripted;
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
    /// The vocabulary or style hint (scribe's glossary).
    pub prompt: Option<String>,
    /// `json` unless the request said otherwise.
    pub response_format: String,
    pub temperature: Option<f64>,
}

/// One timed piece of a `verbose_json` transcript, in seconds.
#[derive(Debug, Clone, PartialEq)]
pub struct Segment {
    pub start: f64,
    pub end: f64,
    pub text: String,
}

/// How the fake answers a valid call.
#[derive(Debug, Clone, PartialEq)]
pub enum TranscriptionReply {
    /// This text; `verbose_json` carries it as one segment over the whole upload.
    Text(String),
    /// These segments; the text is theirs joined by spaces, `duration` is the last end.
    Segments(Vec<Segment>),
    Error(OpenAiError),
}

pub(crate) struct Shared {
    pub(crate) api_key: String,
    pub(crate) transcriptions: Scripted<OpenAiAsrCall, TranscriptionReply>,
}

/// The default transcript.
const DEFAULT_TRANSCRIPT: &str = "Привет, это тест.";

/// A fake OpenAI-compatible transcription server. Cheap to clone; stops when the last clone
/// drops.
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
        let shared = Arc::new(Shared {
            api_key: api_key.to_owned(),
            transcriptions: Scripted::new(
                &[
                    "whisper-1",
                    "gpt-4o-transcribe",
                    "gpt-4o-mini-transcribe",
                    "whisper-large-v3",
                    "whisper-large-v3-turbo",
                ],
                |_: &OpenAiAsrCall| TranscriptionReply::Text(DEFAULT_TRANSCRIPT.to_owned()),
                TranscriptionReply::Error(OpenAiError::Internal),
                TranscriptionReply::Error(OpenAiError::RateLimit),
            ),
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

    /// `/v1/audio/transcriptions`; replies default to "Привет, это тест.", unknown models get
    /// 404 `model_not_found`.
    pub fn transcriptions(&self) -> &Scripted<OpenAiAsrCall, TranscriptionReply> {
        &self.shared.transcriptions
    }
}
