//! Analyse → plan chunks at pauses → encode and recognise each chunk. Chunks run concurrently
//! (bounded), each with the provider retry policy, and are reassembled in order; a chunk that
//! still fails fails the whole recognition, so the text never has silent holes.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use futures::StreamExt;
use scribe_audio::{self as audio, Analysis, Probe, Span};
use scribe_core::i18n::Stage;
use scribe_providers::{Audio, Options, Transcript};
use tokio::sync::watch;

use super::{Error, Pipeline};

/// The recognised text of one file.
#[derive(Debug, Clone)]
pub struct Recognised {
    pub text: String,
    pub chunks: usize,
    /// Sent to the recogniser as received (an Ogg/Opus voice note within the limit).
    pub passthrough: bool,
    /// Encoding and recognition, chunks overlapping.
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
    /// One decode of the input: its duration and pauses. Silence is "no speech" already here,
    /// before any provider is paid.
    pub async fn analyse(&self, input: &Path, probe: &Probe) -> Result<Analysis, Error> {
        let started = Instant::now();
        let analysis = audio::analyse(input, probe.duration).await?;
        self.metrics
            .stage("prepare", started.elapsed().as_secs_f64());
        if analysis.is_silent() {
            return Err(Error::NoSpeech);
        }
        Ok(analysis)
    }

    /// Recognises the speech in `input`. Chunks are encoded straight from the input and each
    /// goes to the recogniser as soon as it is ready, `ASR_CONCURRENCY` at a time, in order.
    /// `progress` hears about stages (the caller decides how often to show them).
    pub async fn recognise(
        &self,
        input: &Path,
        probe: &Probe,
        analysis: &Analysis,
        language: Option<&str>,
        progress: &watch::Sender<Stage>,
    ) -> Result<Recognised, Error> {
        let work = tempfile::Builder::new()
            .prefix("scribe-job-")
            .tempdir_in(&self.config.temp_dir)
            .map_err(Error::Io)?;
        let started = Instant::now();
        let limit = f64::from(self.config.chunk_seconds);
        let passthrough =
            self.config.passthrough && probe.is_ogg_opus() && analysis.duration <= limit;
        let spans = if passthrough {
            vec![Span {
                start: 0.0,
                end: analysis.duration,
            }]
        } else {
            audio::plan_spans(analysis.duration, &analysis.silences, limit)
        };
        let chunks = Chunks {
            input,
            dir: work.path(),
            passthrough,
        };
        let texts = match self
            .recognise_spans(&chunks, &spans, language, progress)
            .await
        {
            // A provider that refuses the untouched voice note gets it transcoded, once.
            Err(Error::Asr(e)) if passthrough && e.is_invalid_input() => {
                tracing::warn!(error = %e, "recogniser refused the voice note as sent; transcoding");
                let transcoded = Chunks {
                    passthrough: false,
                    ..chunks
                };
                self.recognise_spans(&transcoded, &spans, language, progress)
                    .await?
            }
            other => other?,
        };
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
            chunks: spans.len(),
            passthrough,
            asr_ms: millis(started),
        })
    }

    async fn recognise_spans(
        &self,
        chunks: &Chunks<'_>,
        spans: &[Span],
        language: Option<&str>,
        progress: &watch::Sender<Stage>,
    ) -> Result<Vec<Transcript>, Error> {
        let parts = spans.len();
        progress.send_replace(Stage::Recognising { part: 1, parts });
        let done = AtomicUsize::new(0);
        // Two stages: chunks are encoded (as many at once as there are cores, ahead of the
        // recogniser) and recognised (ASR_CONCURRENCY at once); order is kept by both. The
        // streams walk indices and owned values, not borrowed items: a closure over a borrowed
        // argument is higher-ranked, and rustc then cannot prove the job's future `Send`.
        let encoders = std::thread::available_parallelism().map_or(2, std::num::NonZero::get);
        let results: Vec<Result<Transcript, Error>> = futures::stream::iter(0..parts)
            .map(|i| chunks.file(i, spans[i], parts))
            .buffered(encoders)
            .map(|file: Result<ChunkFile, Error>| {
                let done = &done;
                async move {
                    let file = file?;
                    let transcript = self.recognise_one(&file, language, progress).await;
                    file.remove().await;
                    let transcript = transcript?;
                    let finished = done.fetch_add(1, Ordering::Relaxed) + 1;
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
        file: &ChunkFile,
        language: Option<&str>,
        progress: &watch::Sender<Stage>,
    ) -> Result<Transcript, Error> {
        let provider = self.transcriber.provider();
        let audio = Audio {
            path: &file.path,
            mime: "audio/ogg",
            file_name: "audio.ogg",
            len: file.len,
        };
        let options = Options {
            language,
            ..Options::default()
        };
        self.backoff
            .run(
                |_| async move {
                    let result = self.transcriber.transcribe(audio, options).await;
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

/// Where chunk audio comes from.
#[derive(Clone, Copy)]
struct Chunks<'a> {
    input: &'a Path,
    dir: &'a Path,
    passthrough: bool,
}

impl Chunks<'_> {
    /// The audio of chunk `i` on disk: the input itself, or the span encoded as Opus.
    async fn file(&self, i: usize, span: Span, parts: usize) -> Result<ChunkFile, Error> {
        if self.passthrough {
            let len = tokio::fs::metadata(self.input)
                .await
                .map_err(Error::Io)?
                .len();
            return Ok(ChunkFile {
                path: self.input.to_owned(),
                len,
                encoded: false,
            });
        }
        let out = self.dir.join(format!("chunk{i:04}.ogg"));
        let whole = parts == 1 && span.start == 0.0;
        audio::encode(self.input, (!whole).then_some(span), &out).await?;
        let len = tokio::fs::metadata(&out).await.map_err(Error::Io)?.len();
        Ok(ChunkFile {
            path: out,
            len,
            encoded: true,
        })
    }
}

/// One chunk's audio file, handed to the recogniser by path.
struct ChunkFile {
    path: PathBuf,
    len: u64,
    /// An encoded span in the work directory (not the input), removed once recognised.
    encoded: bool,
}

impl ChunkFile {
    async fn remove(self) {
        if self.encoded
            && let Err(error) = tokio::fs::remove_file(&self.path).await
        {
            // The work directory goes with the job anyway.
            tracing::debug!(%error, "cannot remove a recognised chunk");
        }
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
