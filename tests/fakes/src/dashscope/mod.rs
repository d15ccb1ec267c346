//! Fake DashScope / Model Studio, native protocol: `qwen3-asr-flash` speech recognition and
//! `qwen-plus` text generation (see `reference/apis.md` §1 and §2).

mod body;
mod fake;
mod fault;
mod request;
mod route;

pub use fake::{ApiError, AsrCall, FakeDashScope, LlmCall, Reply};
