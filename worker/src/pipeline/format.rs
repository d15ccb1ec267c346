//! Formatting a transcript with an LLM: short texts are left alone; long ones are formatted in
//! parallel chunks at paragraph boundaries with a little context from the previous chunk. Each
//! chunk goes through the chain primary → fallback → raw; an answer that was truncated, shrank
//! below 40 % of its input or leaked `<think>` is not used.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Instant;

use futures::StreamExt;
use scribe_core::text;
use scribe_providers::Formatter;

use super::Pipeline;

/// Recorded as the formatter when the LLM was not asked (short text).
pub const SKIPPED: &str = "skipped";
/// Recorded when no formatter produced a usable answer.
pub const RAW: &str = "raw";

pub const INSTRUCTIONS: &str = "You format speech-recognition transcripts. Add punctuation and capital letters, \
split the text into paragraphs, and fix only obvious recognition errors. Keep the speaker's words, names, \
word order and language exactly; never translate, summarise, shorten, explain or comment. \
Output only the formatted text, without any preface.";

const CONTEXT_CHARS: usize = 300;
const SHORT_CHARS: usize = 100;
const SHORT_WORDS: usize = 10;
const MIN_KEPT_RATIO: f64 = 0.4;
const FORMAT_CONCURRENCY: usize = 4;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Formatted {
    pub text: String,
    /// Model that formatted it (the lowest link of the chain any chunk needed), [`RAW`] or
    /// [`SKIPPED`].
    pub formatter: String,
    pub llm_ms: i64,
}

/// Why a formatter's answer is not used.
fn rejected(input: &str, output: &str, truncated: bool) -> Option<&'static str> {
    if truncated {
        return Some("truncated");
    }
    if output.contains("<think>") || output.contains("</think>") {
        return Some("think_leak");
    }
    let (a, b) = (text::chars(input) as f64, text::chars(output.trim()) as f64);
    if b < a * MIN_KEPT_RATIO {
        return Some("shrank");
    }
    None
}

impl Pipeline {
    /// Formats `raw`; never fails (the raw text is the last resort).
    pub async fn format(&self, raw: &str) -> Formatted {
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
        let pieces = text::split(raw, self.config.format_chunk_chars, &text::chars);
        // The lowest chain link used by any chunk: 0 = primary, len = raw.
        let worst = AtomicUsize::new(0);
        // Once a link failed for this text, later chunks start below it.
        let start_at = AtomicUsize::new(0);
        // Indices, not borrowed items, for the same reason as in `recognise_chunks`.
        let formatted: Vec<String> = futures::stream::iter(0..pieces.len())
            .map(|i| {
                let piece = &pieces[i];
                let context = i.checked_sub(1).map(|p| tail(&pieces[p], CONTEXT_CHARS));
                let (worst, start_at) = (&worst, &start_at);
                async move {
                    let (text, link) = self.format_piece(piece, context, start_at).await;
                    worst.fetch_max(link, Ordering::Relaxed);
                    text
                }
            })
            .buffered(FORMAT_CONCURRENCY)
            .collect()
            .await;
        let link = worst.load(Ordering::Relaxed);
        let formatter = match self.formatters.get(link) {
            Some(f) => f.model().to_owned(),
            None => RAW.to_owned(),
        };
        if link > 0 {
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
        self.metrics.stage("llm", started.elapsed().as_secs_f64());
        Formatted {
            text: formatted.join("\n\n"),
            formatter,
            llm_ms: i64::try_from(started.elapsed().as_millis()).unwrap_or(i64::MAX),
        }
    }

    /// Runs one piece down the chain; returns the text and the index of the link that made it.
    async fn format_piece(
        &self,
        piece: &str,
        context: Option<&str>,
        start_at: &AtomicUsize,
    ) -> (String, usize) {
        let instructions = match context {
            Some(c) => format!(
                "{INSTRUCTIONS}\n\nThe text continues an earlier passage that ended with: «{c}». \
                 Use it only as context; do not repeat it."
            ),
            None => INSTRUCTIONS.to_owned(),
        };
        let first = start_at.load(Ordering::Relaxed);
        for (link, formatter) in self.formatters.iter().enumerate().skip(first) {
            match self.ask(formatter.as_ref(), &instructions, piece).await {
                Some(text) => return (text, link),
                None => {
                    start_at.fetch_max(link + 1, Ordering::Relaxed);
                }
            }
        }
        (piece.to_owned(), self.formatters.len())
    }

    /// One formatter with retries; `None` when it failed or its answer was rejected.
    async fn ask(
        &self,
        formatter: &dyn Formatter,
        instructions: &str,
        piece: &str,
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
            Ok(answer) => match rejected(piece, &answer.text, answer.truncated) {
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
                tracing::warn!(%error, model = formatter.model(), "formatter failed");
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
        assert_eq!(rejected(&input, &"b".repeat(100), true), Some("truncated"));
        assert_eq!(rejected(&input, &"b".repeat(39), false), Some("shrank"));
        assert_eq!(
            rejected(
                &input,
                &format!("<think>hm</think>{}", "b".repeat(100)),
                false
            ),
            Some("think_leak")
        );
        assert_eq!(rejected(&input, &"b".repeat(40), false), None);
    }

    #[test]
    fn context_tail_starts_at_a_word() {
        assert_eq!(tail("one two three four", 9), "four");
        assert_eq!(tail("short", 10), "short");
    }
}
