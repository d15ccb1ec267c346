//! `scribe transcribe FILE`: one local file through the same prepare → split → recognise →
//! format code as the bot. The text (or subtitles) goes to stdout, a one-line summary to
//! stderr.

use std::path::Path;
use std::time::Instant;

use anyhow::Context as _;
use scribe_audio::{Analysis, Method};
use scribe_core::billing::billable_seconds;
use scribe_core::config::settings::LOG_LEVEL;
use scribe_core::config::{Env, PipelineConfig, ProcessConfig, ProviderConfig};
use scribe_core::i18n::Stage;
use scribe_core::metrics::Metrics;
use scribe_worker::pipeline::{self, Hints, Pipeline};
use tokio_util::sync::CancellationToken;

use crate::startup::Result;

/// Model Studio international price of qwen3-asr-flash, USD per second of audio.
const ASR_USD_PER_SECOND: f64 = 0.000035;

/// What `scribe transcribe` prints.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Output {
    /// The recogniser's text as it came.
    Raw,
    /// The text through the formatter chain.
    Formatted,
    /// SubRip subtitles, cut at every pause.
    Srt,
    /// WebVTT subtitles, cut at every pause.
    Vtt,
}

/// Transcribes `file` and prints it as `output`; a bad setting or a missing tool stops it first.
pub async fn run(file: &Path, language: Option<String>, output: Output) -> Result<()> {
    let Settings {
        log_json,
        log_level,
        providers,
        pipeline,
    } = Settings::from_env()?;
    crate::startup::check_tools()?;
    scribe_core::telemetry::init(log_json, &log_level);

    let started = Instant::now();
    let http =
        scribe_core::http::client(providers.timeout).context("cannot build the HTTP client")?;
    let (metrics, _registry) = Metrics::new("transcribe");
    let transcription = Transcription {
        pipeline: Pipeline::from_config(providers, pipeline, http, metrics),
        file,
        cancel: CancellationToken::new(),
        progress: tokio::sync::watch::channel(Stage::Queued).0,
        started,
    };
    let hints = Hints {
        language: language.as_deref(),
        context: None,
    };
    match output {
        Output::Srt | Output::Vtt => transcription.subtitles(hints, output).await,
        Output::Raw | Output::Formatted => transcription.text(hints, output).await,
    }
}

/// What `scribe transcribe` reads from the environment, every problem reported at once.
struct Settings {
    log_json: bool,
    log_level: String,
    providers: ProviderConfig,
    pipeline: PipelineConfig,
}

impl Settings {
    fn from_env() -> Result<Settings> {
        let mut env = Env::from_process();
        let process = ProcessConfig::from_env(&mut env);
        // Quieter than the bot: the text and the summary are the output, logs only on request.
        let log_level = env.optional(LOG_LEVEL).unwrap_or_else(|| "warn".into());
        let providers = ProviderConfig::from_env(&mut env);
        let pipeline = PipelineConfig::from_env(&mut env);
        env.finish()?;
        Ok(Settings {
            log_json: process.log_json,
            log_level,
            providers,
            pipeline,
        })
    }
}

/// One file on its way through the pipeline.
struct Transcription<'a> {
    pipeline: Pipeline,
    file: &'a Path,
    cancel: CancellationToken,
    /// Nobody watches the stages here; the pipeline reports them all the same.
    progress: tokio::sync::watch::Sender<Stage>,
    started: Instant,
}

/// The file measured, and how long that took.
struct Analysed {
    analysis: Analysis,
    prepare_ms: u128,
}

impl Transcription<'_> {
    fn no_speech(&self) -> anyhow::Error {
        anyhow::anyhow!("no speech recognised in {}", self.file.display())
    }

    /// Measures the file (and finds its pauses when `subtitles`); silence is an error.
    async fn analyse(&self, subtitles: bool) -> Result<Analysed> {
        let analysed = Instant::now();
        let analysis = match self
            .pipeline
            .analyse(self.file, subtitles, &self.cancel)
            .await
        {
            Ok(a) if a.is_silent() => return Err(self.no_speech().into()),
            Ok(a) => a,
            Err(pipeline::Error::NoSpeech) => return Err(self.no_speech().into()),
            Err(e) => {
                return Err(anyhow::Error::new(e)
                    .context(format!("cannot read {}", self.file.display()))
                    .into());
            }
        };
        Ok(Analysed {
            analysis,
            prepare_ms: analysed.elapsed().as_millis(),
        })
    }

    /// Prints SubRip or WebVTT subtitles, and the summary to stderr.
    async fn subtitles(&self, hints: Hints<'_>, output: Output) -> Result<()> {
        let Analysed {
            analysis,
            prepare_ms,
        } = self.analyse(true).await?;
        let subtitled = self
            .pipeline
            .subtitles(self.file, &analysis, hints, &self.progress, &self.cancel)
            .await
            .map_err(|e| match e {
                pipeline::Error::NoSpeech => self.no_speech(),
                e => anyhow::Error::new(e),
            })?;
        let document = match output {
            Output::Vtt => pipeline::subtitles::vtt(&subtitled.cues),
            _ => pipeline::subtitles::srt(&subtitled.cues),
        };
        print!("{document}");
        eprintln!(
            "{:.1} s audio · {} cues from {} request(s) · prepare {:.2} s · asr {:.2} s · total {:.2} s · billed {} s",
            analysis.seconds,
            subtitled.cues.len(),
            subtitled.requests,
            prepare_ms as f64 / 1000.0,
            subtitled.asr_ms as f64 / 1000.0,
            self.started.elapsed().as_secs_f64(),
            billable_seconds(analysis.seconds),
        );
        Ok(())
    }

    /// Prints the text (formatted unless `output` is [`Output::Raw`]), and the summary with the
    /// cost to stderr.
    async fn text(&self, hints: Hints<'_>, output: Output) -> Result<()> {
        let Analysed {
            analysis,
            prepare_ms,
        } = self.analyse(false).await?;
        let recognised = match self
            .pipeline
            .recognise(self.file, &analysis, hints, &self.progress, &self.cancel)
            .await
        {
            Ok(r) => r,
            Err(pipeline::Error::NoSpeech) => return Err(self.no_speech().into()),
            Err(e) => return Err(anyhow::Error::new(e).into()),
        };
        let (text, formatter, llm_ms) = if output == Output::Raw {
            (recognised.text.clone(), "off".to_owned(), 0)
        } else {
            let f = self.pipeline.format(&recognised.text, &[]).await;
            (f.text, f.formatter, f.llm_ms)
        };
        println!("{text}");
        let seconds = billable_seconds(analysis.seconds);
        eprintln!(
            "{:.1} s audio · {} chunk(s){} · prepare {:.2} s · asr {:.2} s · format {:.2} s ({formatter}) · total {:.2} s · billed {seconds} s · ASR ≈ ${:.4}",
            analysis.seconds,
            recognised.chunks,
            match recognised.method {
                Method::Passthrough => ", as sent",
                Method::Copy => ", stream copy",
                Method::Encode => ", re-encoded",
            },
            prepare_ms as f64 / 1000.0,
            recognised.asr_ms as f64 / 1000.0,
            llm_ms as f64 / 1000.0,
            self.started.elapsed().as_secs_f64(),
            analysis.seconds * ASR_USD_PER_SECOND,
        );
        Ok(())
    }
}
