//! Validation of chat-completion bodies, with OpenAI's 400 answers.

use serde_json::{Map, Value};

use super::ChatCall;
use crate::openai::error::invalid_request;

const ROLES: &[&str] = &[
    "system",
    "developer",
    "user",
    "assistant",
    "tool",
    "function",
];

/// Why a body is invalid: status 400 and OpenAI's error body.
pub(crate) type Invalid = (u16, Value);

fn invalid(message: &str, param: Option<&str>, code: Option<&str>) -> Invalid {
    (400, invalid_request(message, param, code))
}

/// A message's text: a string, or an array of `{"type":"text","text":…}` parts.
fn text(content: Option<&Value>) -> Option<String> {
    match content? {
        Value::String(text) => Some(text.clone()),
        Value::Array(parts) => parts
            .iter()
            .map(|part| part.get("text").and_then(Value::as_str))
            .collect::<Option<Vec<_>>>()
            .map(|texts| texts.concat()),
        _ => None,
    }
}

/// Validates `body`; the model is checked against the served one by the caller.
pub(crate) fn parse(body: &Map<String, Value>) -> Result<ChatCall, Invalid> {
    let Some(model) = body
        .get("model")
        .and_then(Value::as_str)
        .filter(|model| !model.is_empty())
    else {
        return Err(invalid("you must provide a model parameter", None, None));
    };
    let messages = match body.get("messages").and_then(Value::as_array) {
        Some(messages) if !messages.is_empty() => messages,
        _ => {
            return Err(invalid(
                "[] is too short - 'messages'",
                Some("messages"),
                Some("empty_array"),
            ));
        }
    };
    if body.get("stream") == Some(&Value::Bool(true)) {
        return Err(invalid(
            "This fake serves non-streaming calls only (\"stream\": false).",
            Some("stream"),
            None,
        ));
    }
    let mut system = None;
    let mut user = None;
    for (index, message) in messages.iter().enumerate() {
        let role = message
            .get("role")
            .and_then(Value::as_str)
            .unwrap_or_default();
        if !ROLES.contains(&role) {
            let message = format!(
                "Invalid value: '{role}'. Supported values are: 'system', 'assistant', 'user', 'function', 'tool', and 'developer'."
            );
            let param = format!("messages[{index}].role");
            return Err(invalid(&message, Some(&param), Some("invalid_value")));
        }
        let Some(text) = text(message.get("content")) else {
            let param = format!("messages[{index}].content");
            return Err(invalid(
                &format!(
                    "Invalid type for '{param}': expected one of a string or array of objects."
                ),
                Some(&param),
                Some("invalid_type"),
            ));
        };
        match role {
            "system" | "developer" if system.is_none() => system = Some(text),
            "user" => user = Some(text),
            _ => {}
        }
    }
    let Some(user) = user else {
        return Err(invalid(
            "The conversation must contain a user message.",
            Some("messages"),
            None,
        ));
    };
    let temperature = body.get("temperature").and_then(Value::as_f64);
    if let Some(t) = temperature.filter(|t| !(0.0..=2.0).contains(t)) {
        let (message, code) = if t < 0.0 {
            (
                format!(
                    "Invalid 'temperature': decimal below minimum value. Expected a value >= 0, but got {t} instead."
                ),
                "decimal_below_min_value",
            )
        } else {
            (
                format!(
                    "Invalid 'temperature': decimal above maximum value. Expected a value <= 2, but got {t} instead."
                ),
                "decimal_above_max_value",
            )
        };
        return Err(invalid(&message, Some("temperature"), Some(code)));
    }
    let max_tokens = body
        .get("max_tokens")
        .or_else(|| body.get("max_completion_tokens"))
        .and_then(Value::as_u64);
    Ok(ChatCall {
        model: model.to_owned(),
        system,
        user,
        max_tokens,
        temperature,
    })
}
