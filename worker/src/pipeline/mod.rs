//! The transcription pipeline, independent of Telegram: analyse → plan and cut chunks at pauses
//! → recognise (every chunk at once under the provider budget, order kept) → format (primary →
//! fallback → raw). Jobs and `scribe transcribe` run the same code.

mod format;
pub mod prompts;
mod recognise;
pub mod subtitles;

use std::num::{NonZeroU32, NonZeroUsize};
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use scribe_core::config::{AsrBackend, LlmBackend, PipelineConfig, ProviderConfig};
use scribe_core::metrics::Metrics;
use scribe_core::retry::Backoff;
use scribe_providers::dashscope::DashScope;
use scribe_providers::gemini::Gemini;
use scribe_providers::openai::{OpenAiAsr, OpenAiChat};
use scribe_providers::{Budget, BudgetConfig, Formatter, Transcriber};

pub use format::{Answer, Formatted, RAW, SKIPPED};
pub use recognise::{Hints, Recognised};

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("audio error")]
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
    limits: scribe_audio::Limits,
    budget: Budget,
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
        let limits = scribe_audio::Limits {
            max_seconds: f64::from(config.max_audio_seconds),
            chunk_seconds: f64::from(config.chunk_seconds),
            max_request_bytes: config.max_request_bytes,
            ..scribe_audio::Limits::default()
        };
        let budget = Budget::new(BudgetConfig {
            max_inflight: NonZeroUsize::new(config.max_inflight).unwrap_or(NonZeroUsize::MIN),
            requests_per_minute: NonZeroU32::new(config.requests_per_minute)
                .unwrap_or(NonZeroU32::MIN),
        });
        Self {
            transcriber,
            formatters,
            config,
            limits,
            budget,
            backoff,
            metrics,
        }
    }

    /// The providers the configuration names: the recogniser, then the formatter chain.
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
            formatters,
            gemini_key,
            gemini_url,
            openai_llm_url,
            openai_llm_key,
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
        let chain = formatters
            .into_iter()
            .filter_map(|slot| -> Option<Arc<dyn Formatter>> {
                Some(match slot.backend {
                    LlmBackend::DashScope => Arc::new(dashscope.formatter(slot.model)),
                    LlmBackend::Gemini => Arc::new(Gemini::new(
                        http.clone(),
                        gemini_url.clone(),
                        gemini_key.clone()?,
                        slot.model,
                    )),
                    LlmBackend::OpenAi => Arc::new(OpenAiChat::new(
                        http.clone(),
                        openai_llm_url.clone(),
                        openai_llm_key.clone(),
                        slot.model,
                    )),
                })
            })
            .collect();
        Self::new(
            transcriber,
            chain,
            config,
            Backoff::new(attempts, retry_base),
            metrics,
        )
    }

    pub fn config(&self) -> &PipelineConfig {
        &self.config
    }

    /// The process's recognition budget (its rate and load, for metrics).
    pub fn budget(&self) -> &Budget {
        &self.budget
    }

    /// Removes job directories a killed process left in the temporary directory (older than
    /// `age`: a live job's directory is younger than its deadline). Returns how many.
    pub async fn remove_stale_work(&self, age: Duration) -> usize {
        remove_stale_work(&self.config.temp_dir, age).await
    }
}

async fn remove_stale_work(dir: &Path, age: Duration) -> usize {
    let Ok(mut entries) = tokio::fs::read_dir(dir).await else {
        return 0;
    };
    let mut removed = 0;
    while let Ok(Some(entry)) = entries.next_entry().await {
        let name = entry.file_name();
        let ours = name.to_string_lossy().starts_with("scribe-job-");
        let old = entry
            .metadata()
            .await
            .ok()
            .and_then(|m| m.modified().ok())
            .and_then(|t| t.elapsed().ok())
            .is_some_and(|elapsed| elapsed > age);
        if ours && old {
            match tokio::fs::remove_dir_all(entry.path()).await {
                Ok(()) => removed += 1,
                Err(error) => tracing::warn!(%error, "could not remove a stale job directory"),
            }
        }
    }
    removed
}
