//! Asking the language models: formatting a transcript, and the transcript actions (summary,
//! action items, translation). A long text goes in pieces at paragraph boundaries, in
//! parallel, each with a little context from the previous piece; a summary's or a list's
//! pieces are then combined into one answer. Each piece goes down the chain primary →
//! fallback; an answer that was truncated, leaked `<think>`, came back empty or — where the
//! answer keeps the input's length — shrank below 40 % of its input is not used. Formatting
//! falls back to the raw text; an action without an answer is "not available now".

use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Instant;

use futures::StreamExt;
use scribe_core::telemetry::chain;
use scribe_core::text;
use scribe_providers::Formatter;

use super::Pipeline;
use super::prompts::{self, Task};

/// Recorded as the formatter when the LLM was not asked (short text).
pub const SKIPPED: &str = "skipped";
/// Recorded when no formatter produced a usable answer.
pub const RAW: &str = "raw";

const CONTEXT_CHARS: usize = 300;
const SHORT_CHARS: usize = 100;
const SHORT_WORDS: usize = 10;
const MIN_KEPT_RATIO: f64 = 0.4;
const CONCURRENCY: usize = 4;
/// A summary's or a list's pieces are this many times a formatting piece: their answers are
/// short, and fewer pieces summarise better.
const DIGEST_PIECE_FACTOR: usize = 4;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Formatted {
    pub text: String,
    /// Model that formatted it (the lowest link of the chain any chunk needed), [`RAW`] or
    /// [`SKIPPED`].
    pub formatter: String,
    pub llm_ms: i64,
}

/// A model's answer to a transcript action.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Answer {
    pub text: String,
    /// The lowest link of the chain any piece needed.
    pub model: String,
}

/// Why a formatter's answer is not used.
fn rejected(
    input: &str,
    output: &str,
    truncated: bool,
    keeps_length: bool,
) -> Option<&'static str> {
    if truncated {
        return Some("truncated");
    }
    if output.contains("<think>") || output.contains("</think>") {
        return Some("think_leak");
    }
    let (a, b) = (text::chars(input) as f64, text::chars(output.trim()) as f64);
    if b == 0.0 {
        return Some("empty");
    }
    if keeps_length && b < a * MIN_KEPT_RATIO {
        return Some("shrank");
    }
    None
}

/// The pieces' answers, and the lowest chain link any of them needed (`None` for a piece no
/// link answered).
struct Pieces {
    answers: Vec<Option<String>>,
    link: usize,
}

impl Pipeline {
    /// Formats `raw`, spelling the `glossary`'s words as given; never fails (the raw text is
    /// the last resort).
    pub async fn format(&self, raw: &str, glossary: &[String]) -> Formatted {
        if text::chars(raw) <= SHORT_CHARS
            || text::word_count(raw) < SHORT_WORDS
            || self.formatters.is_empty()
        {
            return Formatted {
                text: raw.to_owned(),
                formatter: SKIPPED.into(),
                llm_ms: 0,
            };
        }
        let started = Instant::now();
        let instructions = prompts::with_spellings(&Task::Format.instructions(), glossary);
        let pieces = text::split(raw, self.config.format_chunk_chars, &text::chars);
        let Pieces { answers, link } = self.ask_pieces(&instructions, &pieces, true).await;
        let link = if answers.iter().any(Option::is_none) {
            self.formatters.len()
        } else {
            link
        };
        let text = pieces
            .iter()
            .zip(answers)
            .map(|(piece, answer)| answer.unwrap_or_else(|| piece.clone()))
            .collect::<Vec<_>>()
            .join("\n\n");
        let formatter = match self.formatters.get(link) {
            Some(f) => f.model().to_owned(),
            None => RAW.to_owned(),
        };
        self.count_fallback(link);
        self.metrics.stage("llm", started.elapsed().as_secs_f64());
        Formatted {
            text,
            formatter,
            llm_ms: i64::try_from(started.elapsed().as_millis()).unwrap_or(i64::MAX),
        }
    }

    /// Runs a transcript action on `transcript`. `None` when no model gave a usable answer
    /// for every piece (then there is nothing to show or charge).
    pub async fn act(&self, task: Task<'_>, transcript: &str) -> Option<Answer> {
        if self.formatters.is_empty() || transcript.trim().is_empty() {
            return None;
        }
        let started = Instant::now();
        let size = match task.combine() {
            Some(_) => self.config.format_chunk_chars * DIGEST_PIECE_FACTOR,
            None => self.config.format_chunk_chars,
        };
        let mut pieces = text::split(transcript, size, &text::chars);
        let mut worst = 0;
        let mut instructions = task.instructions();
        let answer = loop {
            let Pieces { answers, link } = self
                .ask_pieces(&instructions, &pieces, task.keeps_length())
                .await;
            worst = worst.max(link);
            let answers: Vec<String> = answers.into_iter().collect::<Option<_>>()?;
            let Some(combine) = task.combine().filter(|_| answers.len() > 1) else {
                break answers.join("\n\n");
            };
            // The pieces' answers become the pieces of a combining round, as few as fit.
            let joined = answers.join("\n\n");
            let next = text::split(&joined, size, &text::chars);
            pieces = if next.len() < answers.len() {
                next
            } else {
                vec![joined]
            };
            instructions = combine.to_owned();
        };
        self.count_fallback(worst);
        self.metrics
            .stage("action", started.elapsed().as_secs_f64());
        Some(Answer {
            text: answer,
            model: self.formatters.get(worst)?.model().to_owned(),
        })
    }

    fn count_fallback(&self, link: usize) {
        if link == 0 {
            return;
        }
        let to = if link >= self.formatters.len() {
            "raw"
        } else {
            "fallback"
        };
        self.metrics
            .formatter_fallbacks
            .get_or_create(&[("to", to)])
            .inc();
    }

    /// Asks for every piece at once (a few at a time), each with the end of the previous
    /// piece as context.
    async fn ask_pieces(
        &self,
        instructions: &str,
        pieces: &[String],
        keeps_length: bool,
    ) -> Pieces {
        // The lowest chain link used by any piece: 0 = primary.
        let worst = AtomicUsize::new(0);
        // Once a link failed for this text, later pieces start below it.
        let start_at = AtomicUsize::new(0);
        let answers: Vec<Option<String>> = futures::stream::iter(0..pieces.len())
            .map(|i| {
                let piece = &pieces[i];
                let instructions = match i.checked_sub(1) {
                    Some(p) => prompts::continuation(instructions, tail(&pieces[p], CONTEXT_CHARS)),
                    None => instructions.to_owned(),
                };
                let (worst, start_at) = (&worst, &start_at);
                async move {
                    let (answer, link) = self
                        .ask_chain(&instructions, piece, start_at, keeps_length)
                        .await?;
                    worst.fetch_max(link, Ordering::Relaxed);
                    Some(answer)
                }
            })
            .buffered(CONCURRENCY)
            .collect()
            .await;
        Pieces {
            answers,
            link: worst.load(Ordering::Relaxed),
        }
    }

    /// Runs one piece down the chain; returns the answer and the index of the link that gave
    /// it, or `None` when no link did.
    async fn ask_chain(
        &self,
        instructions: &str,
        piece: &str,
        start_at: &AtomicUsize,
        keeps_length: bool,
    ) -> Option<(String, usize)> {
        let first = start_at.load(Ordering::Relaxed);
        for (link, formatter) in self.formatters.iter().enumerate().skip(first) {
            match self
                .ask(formatter.as_ref(), instructions, piece, keeps_length)
                .await
            {
                Some(text) => return Some((text, link)),
                None => {
                    start_at.fetch_max(link + 1, Ordering::Relaxed);
                }
            }
        }
        None
    }

    /// One formatter with retries; `None` when it failed or its answer was rejected.
    async fn ask(
        &self,
        formatter: &dyn Formatter,
        instructions: &str,
        piece: &str,
        keeps_length: bool,
    ) -> Option<String> {
        let provider = formatter.provider();
        let result = self
            .backoff
            .run(
                |_| async move {
                    let r = formatter.format(instructions, piece).await;
                    self.metrics.provider_call(provider, r.as_ref().map_or_else(|e| e.outcome(), |_| "ok"));
                    r
                },
                |retry| {
                    self.metrics.provider_retries.get_or_create(&[("provider", provider)]).inc();
                    tracing::warn!(error = %retry.error, attempt = retry.attempt, model = formatter.model(), "formatting failed, retrying");
                },
            )
            .await;
        match result {
            Ok(answer) => match rejected(piece, &answer.text, answer.truncated, keeps_length) {
                None => Some(answer.text.trim().to_owned()),
                Some(reason) => {
                    tracing::warn!(
                        model = formatter.model(),
                        reason,
                        "formatter answer not used"
                    );
                    self.metrics.provider_call(provider, reason);
                    None
                }
            },
            Err(error) => {
                tracing::warn!(error = %chain(&error), model = formatter.model(), "formatter failed");
                None
            }
        }
    }
}

/// The last `n` characters of `text`, starting at a word.
fn tail(text: &str, n: usize) -> &str {
    let count = text.chars().count();
    if count <= n {
        return text;
    }
    let start = text.char_indices().nth(count - n).map_or(0, |(i, _)| i);
    let rest = &text[start..];
    rest.find(' ').map_or(rest, |sp| &rest[sp + 1..])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn guards_reject_truncated_shrunk_and_thinking_answers() {
        let input = "a".repeat(100);
        assert_eq!(
            rejected(&input, &"b".repeat(100), true, true),
            Some("truncated")
        );
        assert_eq!(
            rejected(&input, &"b".repeat(39), false, true),
            Some("shrank")
        );
        assert_eq!(
            rejected(
                &input,
                &format!("<think>hm</think>{}", "b".repeat(100)),
                false,
                false
            ),
            Some("think_leak")
        );
        assert_eq!(rejected(&input, &"b".repeat(40), false, true), None);
        assert_eq!(
            rejected(&input, "a summary", false, false),
            None,
            "a summary is short"
        );
        assert_eq!(rejected(&input, "  ", false, false), Some("empty"));
    }

    #[test]
    fn context_tail_starts_at_a_word() {
        assert_eq!(tail("one two three four", 9), "four");
        assert_eq!(tail("short", 10), "short");
    }
}
