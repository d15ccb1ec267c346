//! Validation of native DashScope request bodies (`reference/apis.md` §1.2, §2.1).

use base64::Engine;
use base64::engine::{DecodePaddingMode, GeneralPurpose, GeneralPurposeConfig};
use serde_json::{Map, Value};

use super::fault::Fault;
use super::{AsrCall, LlmCall};

/// `asr_options.language` codes of the current reference.
const LANGUAGES: &[&str] = &[
    "zh", "yue", "en", "ja", "de", "ko", "ru", "fr", "pt", "ar", "it", "es", "hi", "id", "th",
    "tr", "uk", "vi", "cs", "da", "fil", "fi", "is", "ms", "no", "pl", "sv",
];

const THINKING_NEEDS_STREAM: &str =
    "parameter.enable_thinking must be set to false for non-streaming calls";

/// Standard base64, padding optional.
const BASE64: GeneralPurpose = GeneralPurpose::new(
    &base64::alphabet::STANDARD,
    GeneralPurposeConfig::new().with_decode_padding_mode(DecodePaddingMode::Indifferent),
);

/// The shape a text-generation answer must take.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ResultFormat {
    /// `output.choices[0].message.content`.
    Message,
    /// `output.text` + `output.finish_reason` (the fake's default when none is given).
    Text,
}

fn model(body: &Map<String, Value>) -> Result<String, Fault> {
    match body.get("model").and_then(Value::as_str) {
        Some(model) if !model.is_empty() => Ok(model.to_owned()),
        _ => Err(Fault::bad_request(
            "BadRequest.EmptyModel",
            "Required parameter \"model\" missing from request.",
        )),
    }
}

fn messages<'a>(value: Option<&'a Value>, path: &str) -> Result<&'a [Value], Fault> {
    match value.and_then(Value::as_array) {
        Some(messages) if !messages.is_empty() => Ok(messages),
        _ => Err(Fault::invalid_parameter(format!(
            "Required parameter \"{path}\" missing or invalid, please check the request parameters."
        ))),
    }
}

fn role(message: &Value) -> &str {
    message
        .get("role")
        .and_then(Value::as_str)
        .unwrap_or_default()
}

/// ASR options: `(language, enable_itn)`.
fn asr_options(options: Option<&Value>) -> Result<(Option<String>, Option<bool>), Fault> {
    let Some(options) = options else {
        return Ok((None, None));
    };
    let Some(options) = options.as_object() else {
        return Err(Fault::invalid_parameter("asr_options must be an object."));
    };
    let language = match options.get("language") {
        None | Some(Value::Null) => None,
        Some(Value::String(code)) if LANGUAGES.contains(&code.as_str()) => Some(code.clone()),
        Some(other) => {
            return Err(Fault::invalid_parameter(format!(
                "The language {other} is not supported. Supported languages: {}.",
                LANGUAGES.join(", ")
            )));
        }
    };
    let enable_itn = match options.get("enable_itn") {
        None | Some(Value::Null) => None,
        Some(Value::Bool(flag)) => Some(*flag),
        Some(_) => {
            return Err(Fault::invalid_parameter(
                "asr_options.enable_itn must be a boolean.",
            ));
        }
    };
    Ok((language, enable_itn))
}

/// Audio given as a Data URL or an http(s) URL: `(bytes, mime, url)`.
fn audio(value: &str, max_bytes: usize) -> Result<(Vec<u8>, String, Option<String>), Fault> {
    if value.starts_with("http://") || value.starts_with("https://") {
        return Ok((Vec::new(), String::new(), Some(value.to_owned())));
    }
    let Some(rest) = value.strip_prefix("data:") else {
        return Err(Fault::bad_request(
            "InvalidURL",
            "The provided URL does not appear to be valid. Ensure it is correctly formatted.",
        ));
    };
    if value.len() > max_bytes {
        return Err(Fault::invalid_parameter(format!(
            "The audio file is too large: the request audio must not exceed {max_bytes} bytes."
        )));
    }
    let Some((header, data)) = rest.split_once(',') else {
        return Err(Fault::invalid_parameter("The audio Data URL is malformed."));
    };
    let Some(media) = header.strip_suffix(";base64") else {
        return Err(Fault::invalid_parameter(
            "The audio Data URL must be base64-encoded.",
        ));
    };
    let mime = media.split(';').next().unwrap_or_default();
    if mime.is_empty() {
        return Err(Fault::invalid_parameter(
            "The audio Data URL has no media type.",
        ));
    }
    let bytes = BASE64
        .decode(data)
        .map_err(|_| Fault::invalid_parameter("The audio data is not valid base64."))?;
    if bytes.is_empty() {
        return Err(Fault::invalid_parameter("The audio data is empty."));
    }
    Ok((bytes, mime.to_owned(), None))
}

/// The text of a content part list of exactly one `{"text": …}` (or `{"type":"text","text":…}`).
fn single_text(content: Option<&Value>) -> Option<String> {
    match content? {
        Value::String(text) => Some(text.clone()),
        Value::Array(parts) => match parts.as_slice() {
            [part] => part.get("text")?.as_str().map(str::to_owned),
            _ => None,
        },
        _ => None,
    }
}

/// Splits `messages` into an optional leading system text and the single user message.
fn system_and_user(messages: &[Value]) -> Result<(Option<String>, &Value), Fault> {
    let (system, rest) = match messages.split_first() {
        Some((first, rest)) if role(first) == "system" => {
            let text = single_text(first.get("content")).ok_or_else(|| {
                Fault::invalid_parameter(
                    "The system message must have exactly one content element {\"text\": ...}.",
                )
            })?;
            (Some(text), rest)
        }
        _ => (None, messages),
    };
    match rest {
        [user] if role(user) == "user" => Ok((system, user)),
        _ => Err(Fault::invalid_parameter(
            "Exactly one user message carrying the audio is required after the optional system message.",
        )),
    }
}

/// Native ASR: `{"model", "input": {"messages"}, "parameters": {"asr_options"}}`.
pub(crate) fn asr(body: &Map<String, Value>, max_bytes: usize) -> Result<AsrCall, Fault> {
    let model = model(body)?;
    let Some(input) = body.get("input").and_then(Value::as_object) else {
        return Err(Fault::bad_request(
            "BadRequest.EmptyInput",
            "Required parameter \"input\" missing from request.",
        ));
    };
    let messages = messages(input.get("messages"), "input.messages")?;
    let (context, user) = system_and_user(messages)?;
    let value = match user
        .get("content")
        .and_then(Value::as_array)
        .map(Vec::as_slice)
    {
        Some([part]) => part.get("audio").and_then(Value::as_str),
        _ => None,
    };
    let Some(value) = value else {
        return Err(Fault::invalid_parameter(
            "The user message must have exactly one content element {\"audio\": ...}.",
        ));
    };
    let (audio, mime, url) = audio(value, max_bytes)?;
    let options = body
        .get("parameters")
        .and_then(|parameters| parameters.get("asr_options"));
    let (language, enable_itn) = asr_options(options)?;
    Ok(AsrCall {
        audio,
        mime,
        url,
        language,
        enable_itn,
        model,
        context,
    })
}

/// Native text generation: string contents, roles system/user/assistant.
pub(crate) fn llm(body: &Map<String, Value>) -> Result<(LlmCall, ResultFormat), Fault> {
    let model = model(body)?;
    let Some(input) = body.get("input").and_then(Value::as_object) else {
        return Err(Fault::bad_request(
            "BadRequest.EmptyInput",
            "Required parameter \"input\" missing from request.",
        ));
    };
    let messages = messages(input.get("messages"), "input.messages")?;
    let empty = Map::new();
    let parameters = body
        .get("parameters")
        .and_then(Value::as_object)
        .unwrap_or(&empty);
    if parameters.get("enable_thinking") == Some(&Value::Bool(true)) {
        return Err(Fault::invalid_parameter(THINKING_NEEDS_STREAM));
    }
    let format = match parameters.get("result_format").and_then(Value::as_str) {
        None | Some("text") => ResultFormat::Text,
        Some("message") => ResultFormat::Message,
        Some(other) => {
            return Err(Fault::invalid_parameter(format!(
                "result_format must be \"text\" or \"message\", got \"{other}\"."
            )));
        }
    };
    let (system, user) = conversation(messages)?;
    Ok((
        LlmCall {
            model,
            system,
            user,
            max_tokens: parameters.get("max_tokens").and_then(Value::as_u64),
            temperature: temperature(parameters.get("temperature"))?,
        },
        format,
    ))
}

fn temperature(value: Option<&Value>) -> Result<Option<f64>, Fault> {
    match value.and_then(Value::as_f64) {
        Some(t) if !(0.0..2.0).contains(&t) => Err(Fault::invalid_parameter(
            "Range of temperature should be [0.0, 2.0)",
        )),
        other => Ok(other),
    }
}

/// Validates a chat (string contents) and returns `(first system text, last user text)`.
fn conversation(messages: &[Value]) -> Result<(Option<String>, String), Fault> {
    let mut system = None;
    let mut user = None;
    for message in messages {
        let role = role(message);
        if !matches!(role, "system" | "user" | "assistant" | "tool") {
            return Err(Fault::invalid_parameter(
                "Role must be in [system, user, assistant, tool]",
            ));
        }
        let Some(text) = message
            .get("content")
            .and_then(Value::as_str)
            .map(str::to_owned)
        else {
            return Err(Fault::invalid_parameter(
                "Input should be a valid string: the content of a text-generation message.",
            ));
        };
        if matches!(role, "user" | "assistant") && text.is_empty() {
            return Err(Fault::invalid_parameter(
                "Role must be user or assistant and Content length must be greater than 0",
            ));
        }
        match role {
            "system" if system.is_none() => system = Some(text),
            "user" => user = Some(text),
            _ => {}
        }
    }
    let Some(user) = user else {
        return Err(Fault::invalid_parameter(
            "Role must be user or assistant and Content length must be greater than 0",
        ));
    };
    Ok((system, user))
}
