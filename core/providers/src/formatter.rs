//! The formatting seam: a [`Formatter`] asks an LLM to format a text under instructions.

use async_trait::async_trait;

use crate::Result;

/// An LLM's answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Formatted {
    pub text: String,
    /// The model stopped at its output limit (`length`, `MAX_TOKENS`).
    pub truncated: bool,
}

#[async_trait]
pub trait Formatter: Send + Sync {
    /// Short name for metrics and logs (`dashscope`, `gemini`, `openai`).
    fn provider(&self) -> &'static str;
    /// The model name, recorded with each job.
    fn model(&self) -> &str;
    async fn format(&self, instructions: &str, text: &str) -> Result<Formatted>;
}
