//! Faithful local fakes of the external APIs scribe talks to: the Telegram Bot API, DashScope
//! (Alibaba Model Studio) ASR and text generation, Google Gemini `generateContent`, and
//! OpenAI-compatible `/v1/audio/transcriptions` and `/v1/chat/completions`.
//!
//! Every fake is an axum server on `127.0.0.1` with a random port, shaped after
//! `reference/apis.md`. Each is a cheap `Clone`; the server stops when the last clone drops.
//! The provider fakes expose each endpoint as a [`Scripted`]: its script, queued failures,
//! outage, rate limit, [`Gate`], recorded calls and [`Traffic`].
#![forbid(unsafe_code)]

pub mod dashscope;
mod gate;
pub mod gemini;
mod id;
pub mod openai;
pub mod recording;
mod scripted;
mod server;
pub mod telegram;
pub mod wait;

pub use dashscope::FakeDashScope;
pub use gate::Gate;
pub use gemini::FakeGemini;
pub use openai::{FakeOpenAiAsr, FakeOpenAiChat};
pub use recording::{Recorded, Traffic};
pub use scripted::{RateLimit, Scripted};
pub use telegram::FakeTelegram;
pub use wait::{wait_until, wait_until_async};
