//! OpenAI transcription bodies in each `response_format` (`reference/apis.md` §4.2).

use serde_json::{Value, json};

use super::{OpenAiAsrCall, Segment};

/// Whole seconds the fake bills for an upload: `max(1, bytes / 4000)`.
fn seconds(audio: &[u8]) -> u64 {
    (audio.len() as u64 / 4000).max(1)
}

fn tokens(text: &str) -> u64 {
    (text.chars().count() as u64).div_ceil(3).max(1)
}

/// True for the `gpt-4o-*` family: token usage, `json`/`text` only.
pub(crate) fn is_gpt4o(model: &str) -> bool {
    model.starts_with("gpt-4o")
}

fn usage(call: &OpenAiAsrCall, text: &str) -> Value {
    let seconds = seconds(&call.audio);
    if is_gpt4o(&call.model) {
        let audio_tokens = seconds * 10;
        let output = tokens(text);
        json!({
            "type": "tokens",
            "input_tokens": audio_tokens,
            "output_tokens": output,
            "total_tokens": audio_tokens + output,
            "input_token_details": {"audio_tokens": audio_tokens, "text_tokens": 0},
        })
    } else {
        json!({"type": "duration", "seconds": seconds})
    }
}

fn language_name(code: Option<&str>) -> &'static str {
    match code.unwrap_or("ru") {
        "en" => "english",
        "uk" => "ukrainian",
        "de" => "german",
        "fr" => "french",
        "es" => "spanish",
        "it" => "italian",
        "pt" => "portuguese",
        "zh" => "chinese",
        "ja" => "japanese",
        _ => "russian",
    }
}

/// The text of `segments`: theirs, trimmed, joined by spaces.
pub(crate) fn joined(segments: &[Segment]) -> String {
    segments
        .iter()
        .map(|segment| segment.text.trim())
        .collect::<Vec<_>>()
        .join(" ")
}

/// `verbose_json` segments: the given ones, or one over the whole upload.
fn verbose_segments(call: &OpenAiAsrCall, text: &str, segments: Option<&[Segment]>) -> Vec<Value> {
    let whole = [Segment {
        start: 0.0,
        end: seconds(&call.audio) as f64,
        text: text.to_owned(),
    }];
    let segments = segments.unwrap_or(&whole);
    segments
        .iter()
        .enumerate()
        .map(|(id, segment)| {
            json!({
                "id": id,
                "seek": 0,
                "start": segment.start,
                "end": segment.end,
                "text": segment.text,
                "tokens": [],
                "temperature": call.temperature.unwrap_or(0.0),
                "avg_logprob": -0.2,
                "compression_ratio": 1.0,
                "no_speech_prob": 0.01,
            })
        })
        .collect()
}

/// What a transcript looks like in each `response_format`: (content type, body).
pub(crate) fn transcript(
    call: &OpenAiAsrCall,
    text: &str,
    segments: Option<&[Segment]>,
) -> (&'static str, String) {
    let seconds = seconds(&call.audio);
    match call.response_format.as_str() {
        "text" => ("text/plain; charset=utf-8", text.to_owned()),
        "srt" => (
            "text/plain; charset=utf-8",
            format!(
                "1\n00:00:00,000 --> {}\n{text}\n\n",
                timestamp(seconds, ',')
            ),
        ),
        "vtt" => (
            "text/plain; charset=utf-8",
            format!(
                "WEBVTT\n\n00:00:00.000 --> {}\n{text}\n\n",
                timestamp(seconds, '.')
            ),
        ),
        "verbose_json" => {
            let duration = match segments.and_then(<[Segment]>::last) {
                Some(last) => last.end,
                None => seconds as f64,
            };
            (
                "application/json",
                json!({
                    "task": "transcribe",
                    "language": language_name(call.language.as_deref()),
                    "duration": duration,
                    "text": text,
                    "segments": verbose_segments(call, text, segments),
                    "usage": usage(call, text),
                })
                .to_string(),
            )
        }
        _ => (
            "application/json",
            json!({"text": text, "usage": usage(call, text)}).to_string(),
        ),
    }
}

fn timestamp(seconds: u64, separator: char) -> String {
    format!(
        "{:02}:{:02}:{:02}{separator}000",
        seconds / 3600,
        seconds / 60 % 60,
        seconds % 60
    )
}
