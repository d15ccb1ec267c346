//! Inline keyboards: validating `reply_markup` as the Bot API does, and reading the buttons of a
//! bot message back ([`Button`]), deep links to the bot included.

use serde_json::Value;

use super::error::TgError;
use super::fake::BOT_USERNAME;
use super::params::Params;

/// Button fields that make an inline button do something.
const BUTTON_ACTIONS: &[&str] = &[
    "callback_data",
    "url",
    "web_app",
    "login_url",
    "switch_inline_query",
    "switch_inline_query_current_chat",
    "switch_inline_query_chosen_chat",
    "copy_text",
    "callback_game",
    "pay",
];

/// Longest `callback_data`, in bytes (not characters).
const CALLBACK_DATA_LIMIT: usize = 64;

/// Longest deep-link `start` parameter, in characters.
const START_PAYLOAD_LIMIT: usize = 64;

const NOT_ARRAYS: &str =
    "field \"inline_keyboard\" of the InlineKeyboardMarkup should be an Array of Arrays";

/// The validated `reply_markup`, if any.
pub(crate) fn reply_markup(params: &Params) -> Result<Option<Value>, TgError> {
    let Some(markup) = params.get("reply_markup") else {
        return Ok(None);
    };
    let Some(object) = markup.as_object() else {
        return Err(TgError::bad_request(
            "can't parse reply keyboard markup JSON object",
        ));
    };
    if let Some(keyboard) = object.get("inline_keyboard") {
        let rows = keyboard
            .as_array()
            .ok_or_else(|| TgError::bad_request(NOT_ARRAYS))?;
        for row in rows {
            let buttons = row
                .as_array()
                .ok_or_else(|| TgError::bad_request(NOT_ARRAYS))?;
            for button in buttons {
                check_button(button)?;
            }
        }
    }
    Ok(Some(markup.clone()))
}

fn check_button(button: &Value) -> Result<(), TgError> {
    let Some(text) = button.get("text").and_then(Value::as_str) else {
        return Err(TgError::bad_request(
            "can't parse inline keyboard button: Field \"text\" must be of type String",
        ));
    };
    if text.is_empty() {
        return Err(TgError::bad_request("BUTTON_TEXT_INVALID"));
    }
    let actions = BUTTON_ACTIONS
        .iter()
        .filter(|action| button.get(**action).is_some())
        .count();
    if actions == 0 {
        return Err(TgError::bad_request(
            "can't parse inline keyboard button: Text buttons are unallowed in the inline keyboard",
        ));
    }
    if let Some(data) = button.get("callback_data") {
        let Some(data) = data.as_str() else {
            return Err(TgError::bad_request(
                "can't parse inline keyboard button: Field \"callback_data\" must be of type String",
            ));
        };
        if data.is_empty() || data.len() > CALLBACK_DATA_LIMIT {
            return Err(TgError::bad_request("BUTTON_DATA_INVALID"));
        }
    }
    if let Some(url) = button.get("url") {
        let url = url.as_str().unwrap_or_default();
        let scheme_ok = ["http://", "https://", "tg://"]
            .iter()
            .any(|scheme| url.starts_with(scheme));
        if !scheme_ok {
            return Err(TgError::bad_request("BUTTON_URL_INVALID"));
        }
    }
    Ok(())
}

/// One inline button of a message the bot sent, row by row, left to right.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Button {
    pub text: String,
    pub callback_data: Option<String>,
    pub url: Option<String>,
}

impl Button {
    /// The payload of a deep link that opens the bot in private with `/start <payload>`
    /// (`https://t.me/<bot>?start=<payload>`), when the button is one and the payload is valid:
    /// 1–64 characters of `A–Z a–z 0–9 _ -`, as Telegram clients require.
    pub fn start_payload(&self) -> Option<&str> {
        let url = self.url.as_deref()?;
        let rest = ["https://t.me/", "http://t.me/", "https://telegram.me/"]
            .iter()
            .find_map(|prefix| url.strip_prefix(prefix))?;
        let (username, query) = rest.split_once('?')?;
        if !username.eq_ignore_ascii_case(BOT_USERNAME) {
            return None;
        }
        let payload = query
            .split('&')
            .find_map(|pair| pair.strip_prefix("start="))?;
        let valid = (1..=START_PAYLOAD_LIMIT).contains(&payload.len())
            && payload
                .bytes()
                .all(|byte| byte.is_ascii_alphanumeric() || byte == b'_' || byte == b'-');
        valid.then_some(payload)
    }
}

/// The buttons of an inline keyboard, row by row.
pub(crate) fn buttons(markup: &Value) -> Vec<Button> {
    let text =
        |button: &Value, key: &str| button.get(key).and_then(Value::as_str).map(str::to_owned);
    markup
        .get("inline_keyboard")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(Value::as_array)
        .flatten()
        .map(|button| Button {
            text: text(button, "text").unwrap_or_default(),
            callback_data: text(button, "callback_data"),
            url: text(button, "url"),
        })
        .collect()
}
