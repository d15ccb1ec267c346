//! Prepare → split → recognise. Chunks are recognised concurrently (bounded), each with the
//! provider retry policy, and reassembled in order; a chunk that still fails fails the whole
//! recognition, so the text never has silent holes.

use std::path::Path;
use std::time::{Duration, Instant};

use futures::StreamExt;
use scribe_core::audio::{self, Chunk, Prepared, Probe};
use scribe_core::i18n::Stage;
use scribe_core::providers::{Audio, Transcript};
use tokio::sync::watch;

use super::{Error, Pipeline};

/// The recognised text of one file.
#[derive(Debug, Clone)]
pub struct Recognised {
    pub text: String,
    /// Seconds of audio.
    pub duration: f64,
    pub chunks: usize,
    pub passthrough: bool,
    pub prepare_ms: i64,
    pub asr_ms: i64,
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

impl Pipeline {
    /// Recognises the speech in `input`. `progress` hears about stages (the caller decides how
    /// often to show them).
    pub async fn recognise(
        &self,
        input: &Path,
        probe: &Probe,
        language: Option<&str>,
        progress: &watch::Sender<Stage>,
    ) -> Result<Recognised, Error> {
        let work = tempfile::Builder::new()
            .prefix("scribe-job-")
            .tempdir_in(&self.config.temp_dir)
            .map_err(Error::Io)?;
        progress.send_replace(Stage::Preparing);
        let started = Instant::now();
        let chunk_limit = f64::from(self.config.chunk_seconds);
        let prepared = audio::prepare(
            input,
            probe,
            work.path(),
            self.config.passthrough,
            chunk_limit,
        )
        .await?;
        if prepared.is_silent() {
            return Err(Error::NoSpeech);
        }
        let chunks = self.chunks(&prepared, work.path()).await?;
        let prepare_ms = millis(started);
        self.metrics
            .stage("prepare", started.elapsed().as_secs_f64());

        let started = Instant::now();
        let texts = match self
            .recognise_chunks(&chunks, prepared.mime, language, progress)
            .await
        {
            // A provider that refuses the untouched voice note gets one transcoded retry.
            Err(Error::Asr(e)) if prepared.passthrough && e.is_invalid_input() => {
                tracing::warn!(error = %e, "recogniser refused the voice note as sent; transcoding");
                let transcoded =
                    audio::transcode(input, work.path(), Some(prepared.duration)).await?;
                let chunks = self.chunks(&transcoded, work.path()).await?;
                self.recognise_chunks(&chunks, transcoded.mime, language, progress)
                    .await?
            }
            other => other?,
        };
        let asr_ms = millis(started);
        self.metrics.stage("asr", started.elapsed().as_secs_f64());
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
            duration: prepared.duration,
            chunks: chunks.len(),
            passthrough: prepared.passthrough,
            prepare_ms,
            asr_ms,
        })
    }

    async fn chunks(&self, prepared: &Prepared, work: &Path) -> Result<Vec<Chunk>, Error> {
        // Keep a second of margin: stream-copy cuts land on the next packet boundary.
        let limit = f64::from(self.config.chunk_seconds) - 1.0;
        let cuts = audio::plan_cuts(prepared.duration, &prepared.silences, limit);
        Ok(audio::split(prepared, &cuts, work).await?)
    }

    async fn recognise_chunks(
        &self,
        chunks: &[Chunk],
        mime: &'static str,
        language: Option<&str>,
        progress: &watch::Sender<Stage>,
    ) -> Result<Vec<Transcript>, Error> {
        let parts = chunks.len();
        progress.send_replace(Stage::Recognising { part: 1, parts });
        let done = std::sync::atomic::AtomicUsize::new(0);
        // The stream walks indices, not `&Chunk`s: a closure over a borrowed argument is
        // higher-ranked, and rustc then cannot prove the job's future `Send`.
        let results: Vec<Result<Transcript, Error>> = futures::stream::iter(0..chunks.len())
            .map(|i| {
                let (done, chunk) = (&done, &chunks[i]);
                async move {
                    let bytes = tokio::fs::read(&chunk.path).await.map_err(Error::Io)?;
                    let transcript = self.recognise_one(&bytes, mime, language, progress).await?;
                    let finished = done.fetch_add(1, std::sync::atomic::Ordering::Relaxed) + 1;
                    progress.send_replace(Stage::Recognising {
                        part: (finished + 1).min(parts),
                        parts,
                    });
                    Ok(transcript)
                }
            })
            .buffered(self.config.asr_concurrency)
            .collect()
            .await;
        results.into_iter().collect()
    }

    async fn recognise_one(
        &self,
        bytes: &[u8],
        mime: &'static str,
        language: Option<&str>,
        progress: &watch::Sender<Stage>,
    ) -> Result<Transcript, Error> {
        let provider = self.transcriber.provider();
        let audio = Audio {
            bytes,
            mime,
            file_name: "audio.ogg",
        };
        self.backoff
            .run(
                |_| async move {
                    let result = self.transcriber.transcribe(audio, language).await;
                    let outcome = match &result {
                        Ok(_) => "ok",
                        Err(e) => e.outcome(),
                    };
                    self.metrics.provider_call(provider, outcome);
                    result
                },
                |retry| {
                    self.metrics.provider_retries.get_or_create(&[("provider", provider)]).inc();
                    tracing::warn!(error = %retry.error, attempt = retry.attempt, wait_ms = retry.wait.as_millis() as u64, "recognition failed, retrying");
                    if retry.wait >= Duration::from_secs(2) {
                        progress.send_replace(Stage::Retrying { in_seconds: retry.wait.as_secs() });
                    }
                },
            )
            .await
            .map_err(Error::Asr)
    }
}

#[cfg(test)]
mod tests {
    use super::is_no_speech;

    #[test]
    fn silence_phrases_count_as_no_speech() {
        assert!(is_no_speech(""));
        assert!(is_no_speech("  "));
        assert!(is_no_speech("Продолжение следует..."));
        assert!(is_no_speech("Thanks for watching!"));
        assert!(!is_no_speech("Продолжение следует завтра в десять"));
        assert!(!is_no_speech("Привет"));
    }
}
