//! Fake OpenAI-compatible servers: speech to text (`POST /v1/audio/transcriptions`,
//! `reference/apis.md` §4) and chat completions (`POST /v1/chat/completions`: OpenAI, vLLM,
//! Ollama, LocalAI). Both speak OpenAI's `{"error":{...}}` bodies.

mod asr;
mod auth;
mod chat;
mod error;

pub use asr::{FakeOpenAiAsr, OpenAiAsrCall, Segment, TranscriptionReply};
pub use chat::{ChatCall, ChatReply, FakeOpenAiChat};
pub use error::OpenAiError;
