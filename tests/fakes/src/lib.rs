//! Faithful local fakes of the external APIs scribe talks to: the Telegram Bot API, DashScope
//! (Alibaba Model Studio) ASR and text generation, Google Gemini `generateContent`, and an
//! OpenAI-compatible `/v1/audio/transcriptions`.
//!
//! Every fake is an axum server on `127.0.0.1` with a random port, shaped after
//! `reference/apis.md`. Each is a cheap `Clone`; the server stops when the last clone drops.
#![forbid(unsafe_code)]

pub mod dashscope;
pub mod gemini;
mod id;
pub mod openai;
pub mod recording;
mod server;
pub mod telegram;
pub mod wait;

pub use dashscope::FakeDashScope;
pub use gemini::FakeGemini;
pub use openai::FakeOpenAiAsr;
pub use telegram::FakeTelegram;
pub use wait::{wait_until, wait_until_async};
