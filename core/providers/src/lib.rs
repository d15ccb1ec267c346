//! Speech recognition and text formatting providers, behind two seams: [`Transcriber`]
//! (DashScope native, OpenAI-compatible) and [`Formatter`] (DashScope text generation, Gemini,
//! OpenAI-compatible chat). Each provider file has the same shape: request types, response
//! types, one client struct, its error mapping. The [`Budget`] bounds how many recognition
//! requests a process has in flight and starts per minute, fairly between jobs.
#![forbid(unsafe_code)]

mod audio;
mod budget;
pub mod dashscope;
mod error;
mod formatter;
pub mod gemini;
mod http;
pub mod openai;
mod transcriber;

pub use audio::Audio;
pub use budget::{Budget, BudgetConfig, JobBudget, Permit};
pub use error::{Error, Refusal, Result};
pub use formatter::{Formatted, Formatter};
pub use transcriber::{Options, Segment, Transcriber, Transcript};
