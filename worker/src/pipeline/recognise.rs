//! Analyse → plan chunks at pauses (as they are, stream copy, or re-encode) → cut → recognise
//! every chunk at once under the process's provider budget, each with the provider retry
//! policy, reassembled in order. A chunk that still fails fails the whole recognition, so the
//! text never has silent holes.

use std::path::Path;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use scribe_audio::{self as audio, Analysis, ChunkFile, Method};
use scribe_core::i18n::Stage;
use scribe_core::telemetry::chain;
use scribe_providers::{Audio, JobBudget, Options, Transcript};
use tokio::sync::watch;
use tokio_util::sync::CancellationToken;

use super::{Error, Pipeline};

/// The recognised text of one file.
#[derive(Debug, Clone)]
pub struct Recognised {
    pub text: String,
    pub chunks: usize,
    /// How the audio reached the recogniser.
    pub method: Method,
    /// Cutting and recognition, chunks overlapping.
    pub asr_ms: i64,
}

/// What the recogniser is told besides the audio.
#[derive(Debug, Clone, Copy, Default)]
pub struct Hints<'a> {
    /// The language the user pinned.
    pub language: Option<&'a str>,
    /// Words and names to spell exactly (the user's glossary).
    pub context: Option<&'a str>,
}

/// Phrases recognisers produce on silence or noise. Compared after lowercasing and dropping
/// punctuation.
const HALLUCINATIONS: &[&str] = &[
    "продолжение следует",
    "субтитры сделал dimatorzok",
    "субтитры создавал dimatorzok",
    "редактор субтитров асемкин корректор аегорова",
    "спасибо за просмотр",
    "thank you for watching",
    "thanks for watching",
    "subtitles by the amaraorg community",
    "you",
];

/// True when `text` holds no speech: empty, or only a known hallucination.
pub fn is_no_speech(text: &str) -> bool {
    let normal: String = text
        .chars()
        .filter(|c| c.is_alphanumeric() || c.is_whitespace())
        .collect::<String>()
        .to_lowercase();
    let normal = normal.split_whitespace().collect::<Vec<_>>().join(" ");
    normal.is_empty() || HALLUCINATIONS.contains(&normal.as_str())
}

fn millis(since: Instant) -> i64 {
    i64::try_from(since.elapsed().as_millis()).unwrap_or(i64::MAX)
}

/// Whole seconds of the estimate of what is left, once enough parts are done to tell: the rate
/// at which parts have finished since the first one did, applied to the rest. (Time per part
/// would be wrong here: the parts are in flight together, so the first one's wait is everyone's.)
fn eta(first_done: Instant, done: usize, parts: usize) -> Option<u64> {
    let since = first_done.elapsed().as_secs_f64();
    (parts >= 4 && done >= 2 && done < parts && since > 0.0).then(|| {
        let per_second = (done - 1) as f64 / since;
        ((parts - done) as f64 / per_second).round().max(1.0) as u64
    })
}

impl Pipeline {
    /// Measures the input: its exact length (what is billed) and pauses — with `full`, from a
    /// decode of all of it (what subtitles need) even where a voice note could be measured in
    /// process. Silence is "no speech" already here, before any provider is paid.
    pub async fn analyse(
        &self,
        input: &Path,
        full: bool,
        cancel: &CancellationToken,
    ) -> Result<Analysis, Error> {
        let started = Instant::now();
        let analysis = if full {
            audio::analyse_fully(input, &self.limits, cancel).await?
        } else {
            audio::analyse(input, &self.limits, cancel).await?
        };
        self.metrics
            .stage("prepare", started.elapsed().as_secs_f64());
        if analysis.is_silent() {
            return Err(Error::NoSpeech);
        }
        Ok(analysis)
    }

    /// Recognises the speech of `input` (measured as `analysis`). `progress` hears about
    /// parts as they finish (the caller decides how often to show them).
    pub async fn recognise(
        &self,
        input: &Path,
        analysis: &Analysis,
        hints: Hints<'_>,
        progress: &watch::Sender<Stage>,
        cancel: &CancellationToken,
    ) -> Result<Recognised, Error> {
        let work = tempfile::Builder::new()
            .prefix("scribe-job-")
            .tempdir_in(&self.config.temp_dir)
            .map_err(Error::Io)?;
        let started = Instant::now();
        let budget = self.budget.job();
        let plan = audio::plan(analysis, &self.limits, self.config.passthrough);
        let chunks = audio::cut(input, &plan, work.path(), &self.limits, cancel).await?;
        let mut method = plan.method;
        let texts = match self
            .recognise_chunks(chunks, &budget, hints, false, progress)
            .await
        {
            // A provider that refuses the untouched voice note gets it re-encoded, once.
            Err(Error::Asr(e)) if method == Method::Passthrough && e.is_invalid_input() => {
                tracing::warn!(error = %chain(&e), "recogniser refused the voice note as sent; re-encoding");
                let plan = audio::plan(analysis, &self.limits, false);
                method = plan.method;
                let chunks = audio::cut(input, &plan, work.path(), &self.limits, cancel).await?;
                self.recognise_chunks(chunks, &budget, hints, false, progress)
                    .await?
            }
            other => other?,
        };
        self.metrics.stage("asr", started.elapsed().as_secs_f64());
        let parts = texts.len();
        let text = texts
            .iter()
            .map(|t| t.text.trim())
            .filter(|t| !t.is_empty())
            .collect::<Vec<_>>()
            .join(" ");
        if is_no_speech(&text) {
            return Err(Error::NoSpeech);
        }
        Ok(Recognised {
            text,
            chunks: parts,
            method,
            asr_ms: millis(started),
        })
    }

    /// Every chunk at once; the budget decides how many really go out together. Each chunk's
    /// file is removed as soon as it is recognised. With `segments`, the recogniser is asked
    /// for its timed segments.
    pub(super) async fn recognise_chunks(
        &self,
        chunks: Vec<ChunkFile>,
        budget: &JobBudget,
        hints: Hints<'_>,
        segments: bool,
        progress: &watch::Sender<Stage>,
    ) -> Result<Vec<Transcript>, Error> {
        let parts = chunks.len();
        let first_done = std::sync::OnceLock::new();
        let first_done = &first_done;
        progress.send_replace(Stage::Recognising {
            part: 1,
            parts,
            eta_seconds: None,
        });
        let done = AtomicUsize::new(0);
        let done = &done;
        let results = futures::future::join_all(chunks.into_iter().map(|chunk| async move {
            let transcript = self
                .recognise_one(&chunk, budget, hints, segments, progress)
                .await;
            if let Err(error) = chunk.remove().await {
                // The work directory goes with the job anyway.
                tracing::debug!(error = %chain(&error), "could not remove a recognised chunk");
            }
            let finished = done.fetch_add(1, Ordering::Relaxed) + 1;
            let first_done = *first_done.get_or_init(Instant::now);
            progress.send_replace(Stage::Recognising {
                part: (finished + 1).min(parts),
                parts,
                eta_seconds: eta(first_done, finished, parts),
            });
            transcript
        }))
        .await;
        results.into_iter().collect()
    }

    async fn recognise_one(
        &self,
        chunk: &ChunkFile,
        budget: &JobBudget,
        hints: Hints<'_>,
        segments: bool,
        progress: &watch::Sender<Stage>,
    ) -> Result<Transcript, Error> {
        let provider = self.transcriber.provider();
        let file_name = chunk.output.file_name();
        let audio = Audio {
            path: &chunk.path,
            mime: chunk.output.mime,
            file_name: &file_name,
            len: chunk.bytes,
        };
        let options = Options {
            language: hints.language,
            context: hints.context,
            segments,
        };
        self.backoff
            .run(
                |_| async move {
                    let permit = budget.acquire().await;
                    let result = self.transcriber.transcribe(audio, options).await;
                    permit.finish(&result);
                    let outcome = match &result {
                        Ok(_) => "ok",
                        Err(e) => e.outcome(),
                    };
                    self.metrics.provider_call(provider, outcome);
                    result
                },
                |retry| {
                    self.metrics
                        .provider_retries
                        .get_or_create(&[("provider", provider)])
                        .inc();
                    tracing::warn!(
                        error = %retry.error,
                        attempt = retry.attempt,
                        wait_ms = retry.wait.as_millis() as u64,
                        "recognition failed, retrying"
                    );
                    if retry.wait >= Duration::from_secs(2) {
                        progress.send_replace(Stage::Retrying {
                            in_seconds: retry.wait.as_secs(),
                        });
                    }
                },
            )
            .await
            .map_err(Error::Asr)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn silence_phrases_count_as_no_speech() {
        assert!(is_no_speech(""));
        assert!(is_no_speech("  "));
        assert!(is_no_speech("Продолжение следует..."));
        assert!(is_no_speech("Thanks for watching!"));
        assert!(!is_no_speech("Продолжение следует завтра в десять"));
        assert!(!is_no_speech("Привет"));
    }

    #[test]
    fn the_estimate_follows_the_rate_parts_finish_at() {
        let first = Instant::now() - Duration::from_secs(2);
        assert_eq!(eta(first, 1, 20), None, "one part finished tells no rate");
        assert_eq!(eta(first, 3, 3), None, "nothing left");
        assert_eq!(eta(first, 2, 3), None, "too short to estimate");
        // One after another, a part every 2 s: 16 left take 32 s.
        assert_eq!(eta(first, 2, 18), Some(32));
        // All in flight together: 10 more finished within 2 s of the first, the other 10
        // follow as fast (not 20 × the first part's wait).
        assert_eq!(eta(first, 11, 21), Some(2));
    }
}
