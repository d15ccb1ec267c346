//! Fake Google Gemini API: `POST /v1beta/models/{model}:generateContent` (see
//! `reference/apis.md` §3).

mod body;
mod fake;
mod request;
mod route;

pub use fake::{FakeGemini, GeminiCall, GeminiReply};
