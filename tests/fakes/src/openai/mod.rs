//! Fake OpenAI-compatible speech-to-text: `POST /v1/audio/transcriptions` (see
//! `reference/apis.md` §4).

mod body;
mod fake;
mod route;

pub use fake::{FakeOpenAiAsr, OpenAiAsrCall, OpenAiError, TranscriptionReply};
