//! Validation of `generateContent` bodies (§3.1). Both the camelCase JSON names and the
//! snake_case proto names are accepted.

use serde_json::{Map, Value};

use super::GeminiCall;

/// Highest `thinkingBudget` of Gemini 2.5 Flash.
const MAX_THINKING_BUDGET: i64 = 24_576;

/// Part fields that carry data.
const PART_DATA: &[&str] = &[
    "text",
    "inlineData",
    "inline_data",
    "fileData",
    "file_data",
    "functionCall",
    "function_call",
    "functionResponse",
    "function_response",
];

/// Why a body is invalid: the message of the `INVALID_ARGUMENT` error.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct InvalidArgument(pub(crate) String);

/// `object[camel]`, or `object[snake]` when absent.
fn field<'a>(object: &'a Map<String, Value>, camel: &str, snake: &str) -> Option<&'a Value> {
    object
        .get(camel)
        .or_else(|| object.get(snake))
        .filter(|value| !value.is_null())
}

/// The concatenated `text` parts of a content.
fn text_of(content: &Value) -> String {
    content
        .get("parts")
        .and_then(Value::as_array)
        .map(|parts| {
            parts
                .iter()
                .filter_map(|part| part.get("text").and_then(Value::as_str))
                .collect::<String>()
        })
        .unwrap_or_default()
}

/// Validates `body` for `model`.
pub(crate) fn parse(model: &str, body: &Map<String, Value>) -> Result<GeminiCall, InvalidArgument> {
    let contents = match body.get("contents").and_then(Value::as_array) {
        Some(contents) if !contents.is_empty() => contents,
        _ => {
            return Err(InvalidArgument(
                "* GenerateContentRequest.contents: contents is not specified\n".to_owned(),
            ));
        }
    };
    let mut user = None;
    for (index, content) in contents.iter().enumerate() {
        let role = content
            .get("role")
            .and_then(Value::as_str)
            .unwrap_or("user");
        if !matches!(role, "user" | "model") {
            return Err(InvalidArgument(
                "Please use a valid role: user, model.".to_owned(),
            ));
        }
        let parts = match content.get("parts").and_then(Value::as_array) {
            Some(parts) if !parts.is_empty() => parts,
            _ => {
                return Err(InvalidArgument(format!(
                    "* GenerateContentRequest.contents[{index}].parts: contents.parts must not be empty.\n"
                )));
            }
        };
        for (part_index, part) in parts.iter().enumerate() {
            if !PART_DATA.iter().any(|key| part.get(*key).is_some()) {
                return Err(InvalidArgument(format!(
                    "* GenerateContentRequest.contents[{index}].parts[{part_index}].data: required oneof field 'data' must have one initialized field\n"
                )));
            }
        }
        if role == "user" {
            user = Some(text_of(content));
        }
    }
    let Some(user) = user else {
        return Err(InvalidArgument("* GenerateContentRequest.contents: at least one content with role \"user\" is required\n".to_owned()));
    };
    let system = field(body, "systemInstruction", "system_instruction")
        .map(text_of)
        .filter(|text| !text.is_empty());

    let empty = Map::new();
    let config = field(body, "generationConfig", "generation_config")
        .and_then(Value::as_object)
        .unwrap_or(&empty);
    let max_output_tokens = field(config, "maxOutputTokens", "max_output_tokens");
    let max_output_tokens = match max_output_tokens {
        None => None,
        Some(value) => match value.as_u64() {
            Some(tokens) if tokens > 0 => Some(tokens),
            _ => {
                return Err(InvalidArgument(format!(
                    "* GenerateContentRequest.generation_config.max_output_tokens: max_output_tokens must be positive, got {value}\n"
                )));
            }
        },
    };
    let temperature = field(config, "temperature", "temperature").and_then(Value::as_f64);
    if temperature.is_some_and(|t| !(0.0..=2.0).contains(&t)) {
        return Err(InvalidArgument("* GenerateContentRequest.generation_config.temperature: temperature must be in [0.0, 2.0]\n".to_owned()));
    }
    let thinking = field(config, "thinkingConfig", "thinking_config").and_then(Value::as_object);
    let thinking_budget = match thinking.and_then(|t| field(t, "thinkingBudget", "thinking_budget"))
    {
        None => None,
        Some(value) => match value.as_i64() {
            Some(budget) if budget == -1 || (0..=MAX_THINKING_BUDGET).contains(&budget) => {
                Some(budget)
            }
            _ => {
                return Err(InvalidArgument(format!(
                    "The thinking budget {value} is invalid. Please choose a value between 0 and {MAX_THINKING_BUDGET}."
                )));
            }
        },
    };
    Ok(GeminiCall {
        model: model.to_owned(),
        system,
        user,
        max_output_tokens,
        thinking_budget,
        temperature,
    })
}
