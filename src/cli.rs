//! Command-line interface.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

use crate::startup::Failure;
use crate::transcribe::Output;

/// Telegram transcription bot: voice, audio and video in, formatted text out.
///
/// Every setting comes from the environment (see docs/configuration.md).
#[derive(Debug, Parser)]
#[command(name = "scribe", version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

/// Subtitle formats `scribe transcribe --subtitles` prints.
#[derive(Debug, Clone, Copy, clap::ValueEnum)]
enum SubtitlesArg {
    Srt,
    Vtt,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Everything in one process: long polling, the workers, SQLite (./scribe.db).
    Run {
        /// Remove the bot's webhook first (a bot cannot poll while a webhook is set).
        #[arg(long)]
        delete_webhook: bool,
    },
    /// Transcribe one local file with the real pipeline and print the text.
    Transcribe {
        file: PathBuf,
        /// Pin the recognition language (e.g. ru, en); detected automatically otherwise.
        #[arg(long)]
        language: Option<String>,
        /// Print the recogniser's text without LLM formatting.
        #[arg(long)]
        no_format: bool,
        /// Print subtitles in this format instead of the text (cut at every pause).
        #[arg(long, value_enum)]
        subtitles: Option<SubtitlesArg>,
    },
    /// HTTP ingress for Telegram's webhook: checks, then publishes each update to RabbitMQ.
    Webhook,
    /// Consume updates and/or transcription jobs from RabbitMQ.
    Worker {
        /// Which queues this worker consumes (separate pools for SREs).
        #[arg(long, value_enum, default_value_t = QueuesArg::All)]
        queues: QueuesArg,
    },
    /// Send the daily or weekly report to every admin (run on a schedule).
    Report {
        #[arg(value_enum)]
        period: PeriodArg,
    },
    /// Apply database migrations and exit.
    Migrate,
    /// Run the Kubernetes operator: reconcile TranscriptionBot resources into running bots.
    Operator,
    /// Print the TranscriptionBot CustomResourceDefinition as YAML.
    Crd,
}

#[derive(Debug, Clone, Copy, clap::ValueEnum)]
enum PeriodArg {
    Daily,
    Weekly,
}

#[derive(Debug, Clone, Copy, clap::ValueEnum)]
enum QueuesArg {
    Updates,
    Jobs,
    All,
}

impl From<QueuesArg> for scribe_worker::Queues {
    fn from(q: QueuesArg) -> Self {
        match q {
            QueuesArg::Updates => scribe_worker::Queues::Updates,
            QueuesArg::Jobs => scribe_worker::Queues::Jobs,
            QueuesArg::All => scribe_worker::Queues::All,
        }
    }
}

pub fn main() -> ExitCode {
    let cli = Cli::parse();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(r) => r,
        Err(e) => {
            eprintln!("error: cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    let result = runtime.block_on(async move {
        match cli.command {
            Command::Run { delete_webhook } => crate::standalone::run(delete_webhook).await,
            Command::Transcribe {
                file,
                language,
                no_format,
                subtitles,
            } => {
                let output = match subtitles {
                    None if no_format => Output::Raw,
                    None => Output::Formatted,
                    Some(SubtitlesArg::Srt) => Output::Srt,
                    Some(SubtitlesArg::Vtt) => Output::Vtt,
                };
                crate::transcribe::run(&file, language, output).await
            }
            Command::Webhook => crate::cluster::webhook().await,
            Command::Worker { queues } => crate::cluster::worker(queues.into()).await,
            Command::Report { period } => {
                crate::startup::report(match period {
                    PeriodArg::Daily => scribe_worker::reports::Period::Daily,
                    PeriodArg::Weekly => scribe_worker::reports::Period::Weekly,
                })
                .await
            }
            Command::Migrate => crate::startup::migrate().await,
            Command::Operator => crate::startup::operator().await,
            Command::Crd => {
                // A closed pipe (`scribe crd | head`) is not an error worth a panic.
                let _ = std::io::Write::write_all(
                    &mut std::io::stdout(),
                    scribe_operator::crd_yaml().as_bytes(),
                );
                Ok(())
            }
        }
    });
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(Failure::Config(errors)) => {
            eprintln!("{errors}");
            ExitCode::from(2)
        }
        Err(Failure::Other(error)) => {
            eprintln!("error: {error:#}");
            ExitCode::FAILURE
        }
    }
}
