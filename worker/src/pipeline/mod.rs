//! The transcription pipeline, independent of Telegram: prepare → split → recognise (chunks in
//! parallel, order kept) → format (primary → fallback → raw). Jobs and `scribe transcribe` run
//! the same code.

mod format;
mod recognise;

use std::sync::Arc;

use scribe_core::config::{AsrBackend, PipelineConfig, ProviderConfig};
use scribe_core::metrics::Metrics;
use scribe_core::retry::Backoff;
use scribe_providers::dashscope::DashScope;
use scribe_providers::gemini::Gemini;
use scribe_providers::openai::OpenAiAsr;
use scribe_providers::{Formatter, Transcriber};

pub use format::{Formatted, INSTRUCTIONS, RAW, SKIPPED};
pub use recognise::Recognised;

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error(transparent)]
    Audio(#[from] scribe_audio::Error),
    #[error("speech recognition failed")]
    Asr(#[source] scribe_providers::Error),
    #[error("no speech in the audio")]
    NoSpeech,
    #[error("audio work directory error")]
    Io(#[source] std::io::Error),
}

/// What the pipeline needs, built once per process.
#[derive(Clone)]
pub struct Pipeline {
    transcriber: Arc<dyn Transcriber>,
    formatters: Vec<Arc<dyn Formatter>>,
    config: PipelineConfig,
    backoff: Backoff,
    metrics: Metrics,
}

impl Pipeline {
    pub fn new(
        transcriber: Arc<dyn Transcriber>,
        formatters: Vec<Arc<dyn Formatter>>,
        config: PipelineConfig,
        backoff: Backoff,
        metrics: Metrics,
    ) -> Self {
        Self {
            transcriber,
            formatters,
            config,
            backoff,
            metrics,
        }
    }

    /// The providers the configuration names: the recogniser, then the formatter chain
    /// (DashScope `LLM_MODEL`, then Gemini `LLM_FALLBACK_MODEL` when a Gemini key is set).
    pub fn from_config(
        providers: ProviderConfig,
        config: PipelineConfig,
        http: scribe_core::http::Client,
        metrics: Metrics,
    ) -> Self {
        let ProviderConfig {
            dashscope_key,
            dashscope_url,
            asr,
            asr_model,
            llm_model,
            fallback_model,
            gemini_key,
            gemini_url,
            timeout: _,
            attempts,
            retry_base,
        } = providers;
        let dashscope = DashScope::new(http.clone(), dashscope_url, dashscope_key);
        let transcriber: Arc<dyn Transcriber> = match asr {
            AsrBackend::DashScope => Arc::new(dashscope.recogniser(asr_model)),
            AsrBackend::OpenAi { base_url, api_key } => {
                Arc::new(OpenAiAsr::new(http.clone(), base_url, api_key, asr_model))
            }
        };
        let mut formatters: Vec<Arc<dyn Formatter>> = Vec::new();
        if let Some(model) = llm_model {
            formatters.push(Arc::new(dashscope.formatter(model)));
        }
        if let (Some(model), Some(key)) = (fallback_model, gemini_key) {
            formatters.push(Arc::new(Gemini::new(http, gemini_url, key, model)));
        }
        Self::new(
            transcriber,
            formatters,
            config,
            Backoff::new(attempts, retry_base),
            metrics,
        )
    }

    pub fn config(&self) -> &PipelineConfig {
        &self.config
    }
}
