//! OpenAI transcription bodies (§4.2) and errors.

use serde_json::{Value, json};

use super::{OpenAiAsrCall, OpenAiError};

/// `{"error":{"message","type","param","code"}}`.
pub(crate) fn error(message: &str, kind: &str, param: Option<&str>, code: Option<&str>) -> Value {
    json!({"error": {"message": message, "type": kind, "param": param, "code": code}})
}

pub(crate) fn invalid_request(message: &str, param: Option<&str>, code: Option<&str>) -> Value {
    error(message, "invalid_request_error", param, code)
}

impl OpenAiError {
    pub(crate) fn render(&self, model: &str) -> (u16, Value) {
        match self {
            Self::RateLimit => (
                429,
                error(
                    &format!(
                        "Rate limit reached for {model} in organization org-fake on requests per min (RPM): Limit 50, Used 50, Requested 1. Please try again in 1.2s. Visit https://platform.openai.com/account/rate-limits to learn more."
                    ),
                    "requests",
                    None,
                    Some("rate_limit_exceeded"),
                ),
            ),
            Self::InsufficientQuota => (
                429,
                error(
                    "You exceeded your current quota, please check your plan and billing details. For more information on this error, read the docs: https://platform.openai.com/docs/guides/error-codes/api-errors.",
                    "insufficient_quota",
                    None,
                    Some("insufficient_quota"),
                ),
            ),
            Self::Internal => (
                500,
                error(
                    "The server had an error while processing your request. Sorry about that!",
                    "server_error",
                    None,
                    None,
                ),
            ),
            Self::Unavailable => (
                503,
                error(
                    "The engine is currently overloaded, please try again later",
                    "server_error",
                    None,
                    None,
                ),
            ),
            Self::BadRequest(message) => (400, invalid_request(message, None, None)),
        }
    }
}

/// Whole seconds the fake bills for an upload: `max(1, bytes / 4000)`.
pub(crate) fn seconds(audio: &[u8]) -> u64 {
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

/// What a transcript looks like in each `response_format`: (content type, body).
pub(crate) fn transcript(call: &OpenAiAsrCall, text: &str) -> (&'static str, String) {
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
        "verbose_json" => (
            "application/json",
            json!({
                "task": "transcribe",
                "language": language_name(call.language.as_deref()),
                "duration": seconds as f64,
                "text": text,
                "segments": [{
                    "id": 0,
                    "seek": 0,
                    "start": 0.0,
                    "end": seconds as f64,
                    "text": text,
                    "tokens": [],
                    "temperature": call.temperature.unwrap_or(0.0),
                    "avg_logprob": -0.2,
                    "compression_ratio": 1.0,
                    "no_speech_prob": 0.01,
                }],
                "usage": usage(call, text),
            })
            .to_string(),
        ),
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
