//! The `chat.completion` success body.

use std::time::{SystemTime, UNIX_EPOCH};

use serde_json::{Value, json};

use super::ChatCall;
use crate::id;

/// Rough token count of a text (the fake has no tokenizer).
fn tokens(text: &str) -> u64 {
    (text.chars().count() as u64).div_ceil(4).max(1)
}

pub(crate) fn completion(call: &ChatCall, text: &str, finish_reason: &str) -> Value {
    let prompt = tokens(&call.user) + call.system.as_deref().map_or(0, tokens);
    let completion = tokens(text);
    let created = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |elapsed| elapsed.as_secs());
    json!({
        "id": format!("chatcmpl-{}", id::url_safe(29)),
        "object": "chat.completion",
        "created": created,
        "model": call.model,
        "system_fingerprint": null,
        "choices": [{
            "index": 0,
            "message": {"role": "assistant", "content": text, "refusal": null},
            "logprobs": null,
            "finish_reason": finish_reason,
        }],
        "usage": {
            "prompt_tokens": prompt,
            "completion_tokens": completion,
            "total_tokens": prompt + completion,
        },
    })
}
