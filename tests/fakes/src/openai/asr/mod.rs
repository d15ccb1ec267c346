//! Fake OpenAI-compatible speech to text: `POST /v1/audio/transcriptions` (also under
//! `/openai/v1/…`, as Groq spells it).

mod body;
mod fake;
mod route;

pub use fake::{FakeOpenAiAsr, OpenAiAsrCall, Segment, TranscriptionReply};
