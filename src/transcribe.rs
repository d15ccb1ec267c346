//! `scribe transcribe FILE`: one local file through the same prepare → split → recognise →
//! format code as the bot. The text (or subtitles) goes to stdout, a one-line summary to
//! stderr.

use std::path::Path;
use std::time::Instant;

use anyhow::Context as _;
use scribe_audio::Method;
use scribe_core::billing::billable_seconds;
use scribe_core::config::{Env, PipelineConfig, ProcessConfig, ProviderConfig};
use scribe_core::i18n::Stage;
use scribe_core::metrics::Metrics;
use scribe_worker::pipeline::{self, Hints, Pipeline};

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

pub async fn run(file: &Path, language: Option<String>, output: Output) -> Result<()> {
    let mut env = Env::from_process();
    let process = ProcessConfig::from_env(&mut env);
    let providers = ProviderConfig::from_env(&mut env);
    let config = PipelineConfig::from_env(&mut env);
    env.finish()?;
    crate::startup::check_tools()?;
    scribe_core::telemetry::init(
        process.log_json,
        &std::env::var("LOG_LEVEL").unwrap_or_else(|_| "warn".into()),
    );

    let started = Instant::now();
    let http =
        scribe_core::http::client(providers.timeout).context("cannot build the HTTP client")?;
    let (metrics, _registry) = Metrics::new("transcribe");
    let pipeline = Pipeline::from_config(providers, config, http, metrics);
    let cancel = tokio_util::sync::CancellationToken::new();
    let (progress, _) = tokio::sync::watch::channel(Stage::Queued);
    let no_speech = || anyhow::anyhow!("no speech recognised in {}", file.display());
    let analysed = Instant::now();
    let subtitles = matches!(output, Output::Srt | Output::Vtt);
    let analysis = match pipeline.analyse(file, subtitles, &cancel).await {
        Ok(a) if a.is_silent() => return Err(no_speech().into()),
        Ok(a) => a,
        Err(pipeline::Error::NoSpeech) => return Err(no_speech().into()),
        Err(e) => {
            return Err(anyhow::Error::new(e)
                .context(format!("cannot read {}", file.display()))
                .into());
        }
    };
    let prepare_ms = analysed.elapsed().as_millis();
    let hints = Hints {
        language: language.as_deref(),
        context: None,
    };
    if subtitles {
        let subtitled = pipeline
            .subtitles(file, &analysis, hints, &progress, &cancel)
            .await
            .map_err(|e| match e {
                pipeline::Error::NoSpeech => no_speech(),
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
            started.elapsed().as_secs_f64(),
            billable_seconds(analysis.seconds),
        );
        return Ok(());
    }
    let recognised = match pipeline
        .recognise(file, &analysis, hints, &progress, &cancel)
        .await
    {
        Ok(r) => r,
        Err(pipeline::Error::NoSpeech) => return Err(no_speech().into()),
        Err(e) => return Err(anyhow::Error::new(e).into()),
    };
    let (text, formatter, llm_ms) = if output == Output::Raw {
        (recognised.text.clone(), "off".to_owned(), 0)
    } else {
        let f = pipeline.format(&recognised.text, &[]).await;
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
        started.elapsed().as_secs_f64(),
        analysis.seconds * ASR_USD_PER_SECOND,
    );
    Ok(())
}
