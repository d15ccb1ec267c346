//! Subtitles: the speech cut at every pause into segments of at most 15 s, each recognised on
//! its own (all at once, under the provider budget) so that its cue starts and ends where the
//! speech does; or, with a recogniser that times its own segments (OpenAI-compatible
//! `verbose_json`), the usual chunks with its timings. Cues hold at most two lines of at most
//! 42 characters: a longer text is spread over consecutive cues in proportion to its length.
//! [`srt`] and [`vtt`] write the documents.

use std::fmt::Write as _;
use std::path::Path;
use std::time::Instant;

use scribe_audio::{self as audio, Analysis, Method, Output, Plan, Span};
use scribe_core::i18n::Stage;
use serde::{Deserialize, Serialize};
use tokio::sync::watch;
use tokio_util::sync::CancellationToken;

use super::recognise::is_no_speech;
use super::{Error, Hints, Pipeline};

/// Longest cue, seconds (and longest segment recognised on its own).
pub const MAX_CUE_SECONDS: f64 = 15.0;
/// Longest line of a cue, characters.
pub const LINE_CHARS: usize = 42;
/// Most lines in a cue.
pub const CUE_LINES: usize = 2;
/// Silence taken into a segment's recording on each side (never more than half the pause):
/// recognisers miss a word cut at its first sound.
const PAD_SECONDS: f64 = 0.25;
/// Stretches between segments shorter than this are not cut out on their own.
const MIN_GAP_SECONDS: f64 = 0.05;

/// One subtitle: its lines, shown from `start_ms` to `end_ms`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Cue {
    pub start_ms: u64,
    pub end_ms: u64,
    pub lines: Vec<String>,
}

/// A recording's subtitles and text.
#[derive(Debug, Clone)]
pub struct Subtitled {
    /// The recognised text, segments joined.
    pub text: String,
    pub cues: Vec<Cue>,
    /// Recognition requests made (without retries).
    pub requests: usize,
    pub method: Method,
    pub asr_ms: i64,
}

impl Pipeline {
    /// Recognises `input` (analysed with levels: [`Pipeline::analyse`] with `full`) into
    /// subtitles.
    pub async fn subtitles(
        &self,
        input: &Path,
        analysis: &Analysis,
        hints: Hints<'_>,
        progress: &watch::Sender<Stage>,
        cancel: &CancellationToken,
    ) -> Result<Subtitled, Error> {
        let work = tempfile::Builder::new()
            .prefix("scribe-job-")
            .tempdir_in(&self.config.temp_dir)
            .map_err(Error::Io)?;
        let started = Instant::now();
        let budget = self.budget.job();
        if self.transcriber.times_segments() {
            let plan = audio::plan(analysis, &self.limits, false);
            let chunks = audio::cut(input, &plan, work.path(), &self.limits, cancel).await?;
            let spans: Vec<Span> = chunks.iter().map(|c| c.span).collect();
            let transcripts = self
                .recognise_chunks(chunks, &budget, hints, true, progress)
                .await?;
            let mut timed = Vec::new();
            let mut texts = Vec::new();
            for (span, transcript) in spans.iter().zip(&transcripts) {
                texts.push(transcript.text.trim().to_owned());
                match &transcript.segments {
                    Some(segments) => timed.extend(segments.iter().map(|s| {
                        (
                            span.start + s.start.as_secs_f64(),
                            (span.start + s.end.as_secs_f64()).min(span.end),
                            s.text.clone(),
                        )
                    })),
                    None => {
                        tracing::warn!("recogniser gave no segments for a chunk; one cue");
                        timed.push((span.start, span.end, transcript.text.clone()));
                    }
                }
            }
            return finish(texts, &timed, transcripts.len(), plan.method, started);
        }
        let segments = audio::speech_segments(analysis, MAX_CUE_SECONDS);
        let spans = recording_spans(&segments, analysis.seconds);
        let plan = Plan {
            method: Method::Encode,
            output: Output::OGG,
            spans: spans.iter().map(|(span, _)| *span).collect(),
        };
        let chunks = audio::cut(input, &plan, work.path(), &self.limits, cancel).await?;
        let mut speech = Vec::new();
        for (chunk, (_, segment)) in chunks.into_iter().zip(&spans) {
            match segment {
                Some(i) => speech.push((*i, chunk)),
                None => {
                    if let Err(error) = chunk.remove().await {
                        tracing::debug!(%error, "could not remove a pause");
                    }
                }
            }
        }
        let (which, chunks): (Vec<usize>, Vec<_>) = speech.into_iter().unzip();
        let transcripts = self
            .recognise_chunks(chunks, &budget, hints, false, progress)
            .await?;
        let texts: Vec<String> = transcripts
            .iter()
            .map(|t| t.text.trim().to_owned())
            .collect();
        let timed: Vec<(f64, f64, String)> = which
            .iter()
            .zip(&texts)
            .map(|(&i, text)| (segments[i].start, segments[i].end, text.clone()))
            .collect();
        finish(texts, &timed, which.len(), Method::Encode, started)
    }
}

fn finish(
    texts: Vec<String>,
    timed: &[(f64, f64, String)],
    requests: usize,
    method: Method,
    started: Instant,
) -> Result<Subtitled, Error> {
    let text = texts
        .into_iter()
        .filter(|t| !t.is_empty() && !is_no_speech(t))
        .collect::<Vec<_>>()
        .join(" ");
    if is_no_speech(&text) {
        return Err(Error::NoSpeech);
    }
    Ok(Subtitled {
        text,
        cues: cues(timed),
        requests,
        method,
        asr_ms: i64::try_from(started.elapsed().as_millis()).unwrap_or(i64::MAX),
    })
}

/// The recording's stretches for a cut: each segment with a little of the pauses around it
/// (`Some(index)`), and the pauses between them (`None`: not recognised). Together they cover
/// the recording from 0, as the cut needs.
fn recording_spans(segments: &[audio::Segment], total: f64) -> Vec<(Span, Option<usize>)> {
    let mut out = Vec::new();
    let mut at = 0.0;
    for (i, s) in segments.iter().enumerate() {
        let previous_end = i.checked_sub(1).map_or(0.0, |p| segments[p].end);
        let next_start = segments.get(i + 1).map_or(total, |n| n.start);
        let mut start = (s.start - PAD_SECONDS)
            .max((previous_end + s.start) / 2.0)
            .max(at);
        let end = (s.end + PAD_SECONDS)
            .min((s.end + next_start) / 2.0)
            .min(total);
        if start - at >= MIN_GAP_SECONDS {
            out.push((
                Span {
                    start: at,
                    end: start,
                },
                None,
            ));
        } else {
            start = at;
        }
        if end > start {
            out.push((Span { start, end }, Some(i)));
            at = end;
        }
    }
    if total - at >= MIN_GAP_SECONDS || out.is_empty() {
        out.push((
            Span {
                start: at,
                end: total,
            },
            None,
        ));
    } else if let Some((last, _)) = out.last_mut() {
        last.end = total;
    }
    out
}

/// Cues for timed texts: each text in lines of at most [`LINE_CHARS`], at most [`CUE_LINES`]
/// to a cue, none longer than [`MAX_CUE_SECONDS`]; a text needing more is spread over
/// consecutive cues by its characters.
pub fn cues(timed: &[(f64, f64, String)]) -> Vec<Cue> {
    let mut out = Vec::new();
    for (start, end, text) in timed {
        let text = text.trim();
        if text.is_empty() || is_no_speech(text) {
            continue;
        }
        let lines = wrap(text, LINE_CHARS);
        let groups: Vec<&[String]> = lines.chunks(CUE_LINES).collect();
        let total: usize = lines.iter().map(|l| l.chars().count()).sum();
        let (start_ms, end_ms) = (millis(*start), millis(*end).max(millis(*start) + 1));
        let span = end_ms - start_ms;
        let mut done = 0;
        let mut at = start_ms;
        for (n, group) in groups.iter().enumerate() {
            done += group.iter().map(|l| l.chars().count()).sum::<usize>();
            let until = if n + 1 == groups.len() {
                end_ms
            } else {
                start_ms + span * done as u64 / total.max(1) as u64
            };
            push_capped(&mut out, at, until.max(at + 1), group);
            at = until.max(at + 1);
        }
    }
    out
}

/// Pushes `lines` shown from `start_ms` to `end_ms` as cues of at most [`MAX_CUE_SECONDS`]: a
/// longer span is shared between its lines by their characters, and a single line over it is
/// shown for the longest a cue may last (a recogniser's own segment can be long and sparse).
fn push_capped(out: &mut Vec<Cue>, start_ms: u64, end_ms: u64, lines: &[String]) {
    let max_ms = millis(MAX_CUE_SECONDS);
    if end_ms - start_ms <= max_ms || lines.len() < 2 {
        out.push(Cue {
            start_ms,
            end_ms: end_ms.min(start_ms + max_ms),
            lines: lines.to_vec(),
        });
        return;
    }
    let total: u64 = lines.iter().map(|l| l.chars().count() as u64).sum();
    let first = lines[0].chars().count() as u64;
    let middle =
        (start_ms + (end_ms - start_ms) * first / total.max(1)).clamp(start_ms + 1, end_ms - 1);
    push_capped(out, start_ms, middle, &lines[..1]);
    push_capped(out, middle, end_ms, &lines[1..]);
}

fn millis(seconds: f64) -> u64 {
    (seconds.max(0.0) * 1000.0).round() as u64
}

/// Words into lines of at most `width` characters (a longer word is broken).
fn wrap(text: &str, width: usize) -> Vec<String> {
    let mut lines = Vec::new();
    let mut line = String::new();
    for word in text.split_whitespace() {
        let mut word: Vec<char> = word.chars().collect();
        while word.len() > width {
            if !line.is_empty() {
                lines.push(std::mem::take(&mut line));
            }
            lines.push(word.drain(..width).collect());
        }
        let word: String = word.into_iter().collect();
        if word.is_empty() {
            continue;
        }
        let needed = line.chars().count() + usize::from(!line.is_empty()) + word.chars().count();
        if needed > width && !line.is_empty() {
            lines.push(std::mem::take(&mut line));
        }
        if !line.is_empty() {
            line.push(' ');
        }
        line.push_str(&word);
    }
    if !line.is_empty() {
        lines.push(line);
    }
    lines
}

fn timestamp(ms: u64, separator: char) -> String {
    format!(
        "{:02}:{:02}:{:02}{separator}{:03}",
        ms / 3_600_000,
        ms / 60_000 % 60,
        ms / 1000 % 60,
        ms % 1000
    )
}

/// SubRip: numbered from 1, `HH:MM:SS,mmm --> HH:MM:SS,mmm`, a blank line after each cue.
pub fn srt(cues: &[Cue]) -> String {
    let mut out = String::new();
    for (i, cue) in cues.iter().enumerate() {
        let _ = write!(
            out,
            "{}\n{} --> {}\n{}\n\n",
            i + 1,
            timestamp(cue.start_ms, ','),
            timestamp(cue.end_ms, ','),
            cue.lines.join("\n")
        );
    }
    out
}

/// WebVTT: the `WEBVTT` header, then `HH:MM:SS.mmm --> HH:MM:SS.mmm` cues. Text is escaped
/// (`&`, `<`, `>`), as cue text is markup there.
pub fn vtt(cues: &[Cue]) -> String {
    let mut out = String::from("WEBVTT\n\n");
    for (i, cue) in cues.iter().enumerate() {
        let text = cue
            .lines
            .iter()
            .map(|l| {
                l.replace('&', "&amp;")
                    .replace('<', "&lt;")
                    .replace('>', "&gt;")
            })
            .collect::<Vec<_>>()
            .join("\n");
        let _ = write!(
            out,
            "{}\n{} --> {}\n{text}\n\n",
            i + 1,
            timestamp(cue.start_ms, '.'),
            timestamp(cue.end_ms, '.'),
        );
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn segment(start: f64, end: f64) -> audio::Segment {
        audio::Segment { start, end }
    }

    #[test]
    fn spans_cover_the_recording_and_pad_into_pauses_only() {
        let segments = [segment(1.0, 3.0), segment(3.2, 5.0), segment(8.0, 9.5)];
        let spans = recording_spans(&segments, 10.0);
        assert_eq!(spans[0].0.start, 0.0);
        assert_eq!(spans.last().expect("spans").0.end, 10.0);
        for pair in spans.windows(2) {
            assert!((pair[0].0.end - pair[1].0.start).abs() < 1e-9, "{spans:?}");
        }
        let speech: Vec<_> = spans
            .iter()
            .filter_map(|(s, i)| i.map(|i| (*s, i)))
            .collect();
        assert_eq!(speech.len(), 3);
        // A 0.2 s pause is split in the middle; a 3 s pause gives each side 0.25 s.
        assert!((speech[0].0.end - 3.1).abs() < 1e-9);
        assert!((speech[1].0.start - 3.1).abs() < 1e-9);
        assert!((speech[1].0.end - 5.25).abs() < 1e-9);
        assert!((speech[2].0.start - 7.75).abs() < 1e-9);
    }

    #[test]
    fn long_text_is_spread_over_cues_of_two_short_lines() {
        let text = "one two three four five six seven eight nine ten eleven twelve thirteen \
                    fourteen fifteen sixteen seventeen eighteen nineteen twenty twenty-one";
        let cues = cues(&[(10.0, 20.0, text.to_owned())]);
        assert!(cues.len() >= 2, "{cues:?}");
        assert_eq!(cues[0].start_ms, 10_000);
        assert_eq!(cues.last().expect("cue").end_ms, 20_000);
        for cue in &cues {
            assert!(cue.lines.len() <= CUE_LINES);
            assert!(cue.lines.iter().all(|l| l.chars().count() <= LINE_CHARS));
        }
        for pair in cues.windows(2) {
            assert_eq!(pair[0].end_ms, pair[1].start_ms);
        }
        let words: Vec<String> = cues.iter().flat_map(|c| c.lines.clone()).collect();
        assert_eq!(
            words.join(" "),
            text.split_whitespace().collect::<Vec<_>>().join(" ")
        );
    }

    #[test]
    fn documents_number_and_time_their_cues() {
        let cues = vec![
            Cue {
                start_ms: 1_500,
                end_ms: 3_723_004,
                lines: vec!["Hello <b> & you".into()],
            },
            Cue {
                start_ms: 3_723_004,
                end_ms: 3_724_000,
                lines: vec!["a".into(), "b".into()],
            },
        ];
        assert_eq!(
            srt(&cues),
            "1\n00:00:01,500 --> 01:02:03,004\nHello <b> & you\n\n2\n01:02:03,004 --> 01:02:04,000\na\nb\n\n"
        );
        let vtt = vtt(&cues);
        assert!(vtt.starts_with(
            "WEBVTT\n\n1\n00:00:01.500 --> 01:02:03.004\nHello &lt;b&gt; &amp; you\n"
        ));
    }

    #[test]
    fn silence_phrases_and_blank_segments_make_no_cue() {
        let cues = cues(&[
            (0.0, 1.0, "  ".into()),
            (1.0, 2.0, "Thanks for watching!".into()),
            (2.0, 3.0, "Привет".into()),
        ]);
        assert_eq!(cues.len(), 1);
        assert_eq!(cues[0].lines, vec!["Привет".to_owned()]);
    }

    #[test]
    fn no_cue_lasts_over_fifteen_seconds_even_for_a_long_sparse_segment() {
        // A recogniser's own segment: 40 s holding two short lines, and one word over 20 s.
        let cues = cues(&[
            (
                0.0,
                40.0,
                "a first line of words that fills most of it and then a second".into(),
            ),
            (40.0, 61.0, "hello".into()),
        ]);
        assert!(cues.len() >= 3, "{cues:?}");
        for cue in &cues {
            assert!(cue.end_ms > cue.start_ms, "{cue:?}");
            assert!(cue.end_ms - cue.start_ms <= 15_000, "{cue:?}");
        }
        for pair in cues.windows(2) {
            assert!(pair[0].end_ms <= pair[1].start_ms, "{cues:?}");
        }
        assert_eq!(cues[0].start_ms, 0);
        assert_eq!(cues.last().expect("cue").start_ms, 40_000);
        assert_eq!(cues.last().expect("cue").end_ms, 55_000);
    }

    #[test]
    fn a_word_longer_than_a_line_is_broken() {
        let lines = wrap(&"x".repeat(100), LINE_CHARS);
        assert_eq!(
            lines.iter().map(String::len).collect::<Vec<_>>(),
            vec![42, 42, 16]
        );
    }
}
