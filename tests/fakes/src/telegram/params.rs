//! Method parameters, however they arrived: JSON body, urlencoded form, multipart or query
//! string. Values from forms are strings; known integer/boolean fields are typed and known
//! JSON-valued fields (`reply_markup`, `commands`, …) are decoded, so a recorded call looks the
//! same whatever encoding the client chose.

use serde_json::{Map, Value};

use super::error::TgError;

/// Fields whose value is itself JSON (sent as a JSON string in forms).
const JSON_FIELDS: &[&str] = &[
    "reply_markup",
    "allowed_updates",
    "commands",
    "prices",
    "scope",
    "entities",
    "caption_entities",
    "link_preview_options",
    "reply_parameters",
    "suggested_tip_amounts",
    "media",
];

/// Integer fields, typed when a form sends them as text.
const INTEGER_FIELDS: &[&str] = &[
    "chat_id",
    "message_id",
    "offset",
    "limit",
    "timeout",
    "user_id",
    "max_connections",
    "cache_time",
    "message_thread_id",
    "reply_to_message_id",
    "from_chat_id",
    "max_tip_amount",
    "subscription_period",
];

/// Boolean fields, typed when a form sends them as text.
const BOOLEAN_FIELDS: &[&str] = &[
    "ok",
    "show_alert",
    "drop_pending_updates",
    "disable_notification",
    "protect_content",
    "disable_content_type_detection",
    "allow_sending_without_reply",
    "is_flexible",
];

/// All parameters of one call, as one JSON object.
#[derive(Debug, Clone, Default)]
pub(crate) struct Params(Map<String, Value>);

impl Params {
    /// Merges a JSON object body.
    pub(crate) fn merge(&mut self, object: Map<String, Value>) {
        self.0.extend(object);
    }

    /// Adds a textual value (query, form or multipart field), typing it when the field is known.
    pub(crate) fn insert_text(&mut self, key: String, value: String) {
        let typed = if INTEGER_FIELDS.contains(&key.as_str()) {
            value
                .trim()
                .parse::<i64>()
                .map_or(Value::String(value), Value::from)
        } else if BOOLEAN_FIELDS.contains(&key.as_str()) {
            match value.trim() {
                "true" | "True" | "1" => Value::Bool(true),
                "false" | "False" | "0" => Value::Bool(false),
                _ => Value::String(value),
            }
        } else {
            Value::String(value)
        };
        self.0.insert(key, typed);
    }

    /// Decodes JSON-valued fields that arrived as JSON strings.
    pub(crate) fn decode_json_fields(&mut self) -> Result<(), TgError> {
        for field in JSON_FIELDS {
            let Some(Value::String(raw)) = self.0.get(*field) else {
                continue;
            };
            let decoded: Value = serde_json::from_str(raw).map_err(|_| {
                if *field == "reply_markup" {
                    TgError::bad_request("can't parse reply keyboard markup JSON object")
                } else {
                    TgError::bad_request(format!("can't parse {field} JSON object"))
                }
            })?;
            self.0.insert((*field).to_owned(), decoded);
        }
        Ok(())
    }

    pub(crate) fn get(&self, key: &str) -> Option<&Value> {
        self.0.get(key).filter(|value| !value.is_null())
    }

    /// A string parameter; numbers and booleans are accepted and rendered as text.
    pub(crate) fn text(&self, key: &str) -> Option<String> {
        match self.get(key)? {
            Value::String(text) => Some(text.clone()),
            Value::Number(number) => Some(number.to_string()),
            Value::Bool(flag) => Some(flag.to_string()),
            _ => None,
        }
    }

    /// An integer parameter, as a JSON number or numeric text.
    pub(crate) fn integer(&self, key: &str) -> Option<i64> {
        match self.get(key)? {
            Value::Number(number) => number.as_i64(),
            Value::String(text) => text.trim().parse().ok(),
            _ => None,
        }
    }

    /// A boolean parameter, as a JSON bool or `true`/`false`/`1`/`0` text.
    pub(crate) fn boolean(&self, key: &str) -> Option<bool> {
        match self.get(key)? {
            Value::Bool(flag) => Some(*flag),
            Value::Number(number) => number.as_i64().map(|n| n != 0),
            Value::String(text) => match text.trim() {
                "true" | "True" | "1" => Some(true),
                "false" | "False" | "0" => Some(false),
                _ => None,
            },
            _ => None,
        }
    }

    pub(crate) fn to_value(&self) -> Value {
        Value::Object(self.0.clone())
    }
}

/// Decodes `application/x-www-form-urlencoded` text (also query strings) into pairs.
pub(crate) fn decode_form(input: &str) -> Vec<(String, String)> {
    input
        .split('&')
        .filter(|pair| !pair.is_empty())
        .map(|pair| {
            let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
            (percent_decode(key), percent_decode(value))
        })
        .collect()
}

fn percent_decode(input: &str) -> String {
    let bytes = input.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => out.push(b' '),
            b'%' if i + 2 < bytes.len() => match (hex(bytes[i + 1]), hex(bytes[i + 2])) {
                (Some(high), Some(low)) => {
                    out.push(high << 4 | low);
                    i += 2;
                }
                _ => out.push(b'%'),
            },
            byte => out.push(byte),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn hex(byte: u8) -> Option<u8> {
    char::from(byte)
        .to_digit(16)
        .and_then(|d| u8::try_from(d).ok())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn forms_are_decoded_and_typed() {
        let mut params = Params::default();
        for (key, value) in decode_form(
            "chat_id=42&text=a+b%26c%20%D1%8F&reply_markup=%7B%22inline_keyboard%22%3A%5B%5D%7D&ok=true&bad=%zz%",
        ) {
            params.insert_text(key, value);
        }
        assert!(params.decode_json_fields().is_ok());
        assert_eq!(
            params.to_value(),
            serde_json::json!({
                "chat_id": 42,
                "text": "a b&c я",
                "reply_markup": {"inline_keyboard": []},
                "ok": true,
                "bad": "%zz%",
            })
        );
    }
}
