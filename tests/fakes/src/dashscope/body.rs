//! Success bodies (`reference/apis.md` §1.3, §1.4, §2.1, §2.2).

use std::time::{SystemTime, UNIX_EPOCH};

use serde_json::{Value, json};

use super::request::ResultFormat;
use crate::id;

/// Rough token count of a text (the fake has no tokenizer).
pub(crate) fn tokens(text: &str) -> u64 {
    (text.chars().count() as u64).div_ceil(3).max(1)
}

/// Billed whole seconds of an audio payload, `max(1, bytes / 4000)`: the fake cannot decode
/// audio, so it assumes ~32 kbit/s.
pub(crate) fn seconds(audio: &[u8]) -> u64 {
    (audio.len() as u64 / 4000).max(1)
}

fn created() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |elapsed| elapsed.as_secs())
}

fn annotations(language: &str) -> Value {
    json!([{"type": "audio_info", "language": language, "emotion": "neutral"}])
}

pub(crate) fn asr_native(
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

pub(crate) fn asr_compatible(
    model: &str,
    text: &str,
    finish_reason: &str,
    language: &str,
    seconds: u64,
) -> Value {
    let audio_tokens = seconds * 25;
    let completion = tokens(text);
    json!({
        "id": format!("chatcmpl-{}", id::uuid()),
        "object": "chat.completion",
        "created": created(),
        "model": model,
        "choices": [{
            "index": 0,
            "finish_reason": finish_reason,
            "message": {
                "role": "assistant",
                "content": text,
                "annotations": annotations(language),
            },
        }],
        "usage": {
            "prompt_tokens": audio_tokens,
            "prompt_tokens_details": {"audio_tokens": audio_tokens, "text_tokens": 0},
            "completion_tokens": completion,
            "completion_tokens_details": {"text_tokens": completion},
            "total_tokens": audio_tokens + completion,
            "seconds": seconds,
        },
    })
}

pub(crate) fn llm_native(
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

pub(crate) fn llm_compatible(
    model: &str,
    text: &str,
    finish_reason: &str,
    prompt_tokens: u64,
) -> Value {
    let completion = tokens(text);
    json!({
        "id": format!("chatcmpl-{}", id::uuid()),
        "object": "chat.completion",
        "created": created(),
        "model": model,
        "system_fingerprint": null,
        "choices": [{
            "index": 0,
            "finish_reason": finish_reason,
            "logprobs": null,
            "message": {"role": "assistant", "content": text},
        }],
        "usage": {
            "prompt_tokens": prompt_tokens,
            "completion_tokens": completion,
            "total_tokens": prompt_tokens + completion,
            "prompt_tokens_details": {"cached_tokens": 0},
        },
    })
}
