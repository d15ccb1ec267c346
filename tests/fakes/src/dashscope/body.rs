//! Native success bodies (`reference/apis.md` §1.3, §2.1).

use serde_json::{Value, json};

use super::request::ResultFormat;

/// Rough token count of a text (the fake has no tokenizer).
pub(crate) fn tokens(text: &str) -> u64 {
    (text.chars().count() as u64).div_ceil(3).max(1)
}

/// Billed whole seconds of an audio payload, `max(1, bytes / 4000)`: the fake cannot decode
/// audio, so it assumes ~32 kbit/s.
pub(crate) fn seconds(audio: &[u8]) -> u64 {
    (audio.len() as u64 / 4000).max(1)
}

fn annotations(language: &str) -> Value {
    json!([{"type": "audio_info", "language": language, "emotion": "neutral"}])
}

pub(crate) fn asr(
    text: &str,
    finish_reason: &str,
    language: &str,
    seconds: u64,
    request_id: &str,
) -> Value {
    json!({
        "output": {
            "choices": [{
                "finish_reason": finish_reason,
                "message": {
                    "role": "assistant",
                    "content": [{"text": text}],
                    "annotations": annotations(language),
                },
            }],
        },
        "usage": {
            "input_tokens_details": {"text_tokens": 0},
            "output_tokens_details": {"text_tokens": tokens(text)},
            "seconds": seconds,
        },
        "request_id": request_id,
    })
}

pub(crate) fn llm(
    text: &str,
    finish_reason: &str,
    format: ResultFormat,
    input_tokens: u64,
    request_id: &str,
) -> Value {
    let output_tokens = tokens(text);
    match format {
        ResultFormat::Message => json!({
            "output": {
                "choices": [{
                    "finish_reason": finish_reason,
                    "message": {"role": "assistant", "content": text},
                }],
            },
            "usage": {
                "input_tokens": input_tokens,
                "output_tokens": output_tokens,
                "total_tokens": input_tokens + output_tokens,
            },
            "request_id": request_id,
        }),
        ResultFormat::Text => json!({
            "output": {"text": text, "finish_reason": finish_reason},
            "usage": {
                "input_tokens": input_tokens,
                "output_tokens": output_tokens,
                "total_tokens": input_tokens + output_tokens,
                "prompt_tokens_details": {"cached_tokens": 0},
            },
            "request_id": request_id,
        }),
    }
}
