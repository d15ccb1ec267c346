//! Fake OpenAI-compatible chat completions: `POST /v1/chat/completions`, non-streaming.

mod body;
mod fake;
mod request;
mod route;

pub use fake::{ChatCall, ChatReply, FakeOpenAiChat};
