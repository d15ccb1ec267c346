//! OpenAI-compatible servers (OpenAI, Groq, vLLM, Ollama, LocalAI, speaches): speech to text
//! and chat completions, with the error shapes they share.

mod asr;
mod chat;
mod error_body;

pub use asr::OpenAiAsr;
pub use chat::OpenAiChat;
