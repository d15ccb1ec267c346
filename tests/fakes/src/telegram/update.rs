//! Builders of incoming `Update`s, shaped like the Bot API's.
//!
//! `message_id` is left out of built messages: [`FakeTelegram::push_update`] (or
//! [`FakeTelegram::register_update`]) assigns it from the chat's sequence, which the bot's own
//! messages share, as in a real private chat. `update_id` is assigned the same way.
//!
//! [`FakeTelegram::push_update`]: super::FakeTelegram::push_update
//! [`FakeTelegram::register_update`]: super::FakeTelegram::register_update

use std::time::{SystemTime, UNIX_EPOCH};

use serde_json::{Value, json};

use super::FileRef;
use crate::id;

/// A Telegram user (the sender of updates).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TgUser {
    pub id: i64,
    pub first_name: String,
    pub username: Option<String>,
    pub language_code: Option<String>,
}

impl TgUser {
    pub fn new(id: i64, first_name: &str) -> Self {
        Self {
            id,
            first_name: first_name.to_owned(),
            username: None,
            language_code: None,
        }
    }

    /// Sets `language_code` (e.g. `"ru"`).
    #[must_use]
    pub fn lang(mut self, language_code: &str) -> Self {
        self.language_code = Some(language_code.to_owned());
        self
    }

    /// Sets `username` (without `@`).
    #[must_use]
    pub fn username(mut self, username: &str) -> Self {
        self.username = Some(username.to_owned());
        self
    }

    /// The `User` object.
    pub fn to_json(&self) -> Value {
        let mut user = json!({"id": self.id, "is_bot": false, "first_name": self.first_name});
        if let Some(username) = &self.username {
            user["username"] = json!(username);
        }
        if let Some(language_code) = &self.language_code {
            user["language_code"] = json!(language_code);
        }
        user
    }
}

/// Seconds since the Unix epoch, as Telegram's `date` fields.
pub(crate) fn now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |elapsed| {
            i64::try_from(elapsed.as_secs()).unwrap_or(i64::MAX)
        })
}

/// The `Chat` object of a private chat with `user`.
pub fn private_chat(chat_id: i64, user: &TgUser) -> Value {
    let mut chat = json!({"id": chat_id, "type": "private", "first_name": user.first_name});
    if let Some(username) = &user.username {
        chat["username"] = json!(username);
    }
    chat
}

fn message(chat_id: i64, user: &TgUser, fields: Value) -> Value {
    let mut message = json!({
        "from": user.to_json(),
        "chat": private_chat(chat_id, user),
        "date": now(),
    });
    if let (Some(target), Value::Object(extra)) = (message.as_object_mut(), fields) {
        target.extend(extra);
    }
    json!({ "message": message })
}

/// A text message (commands included: `"/start"` gets a `bot_command` entity).
pub fn text(chat_id: i64, user: &TgUser, text: &str) -> Value {
    let mut fields = json!({ "text": text });
    if text.starts_with('/') {
        let command = text.split_whitespace().next().unwrap_or(text);
        let length: usize = command.chars().map(char::len_utf16).sum();
        fields["entities"] = json!([{"type": "bot_command", "offset": 0, "length": length}]);
    }
    message(chat_id, user, fields)
}

/// A voice note (`voice/file_N.oga` on `getFile`).
pub fn voice(chat_id: i64, user: &TgUser, file: &FileRef, duration: u32) -> Value {
    message(
        chat_id,
        user,
        json!({"voice": {
            "file_id": file.file_id,
            "file_unique_id": file.file_unique_id,
            "duration": duration,
            "mime_type": "audio/ogg",
            "file_size": file.file_size,
        }}),
    )
}

/// An audio file.
pub fn audio(
    chat_id: i64,
    user: &TgUser,
    file: &FileRef,
    duration: u32,
    mime: &str,
    file_name: &str,
) -> Value {
    message(
        chat_id,
        user,
        json!({"audio": {
            "file_id": file.file_id,
            "file_unique_id": file.file_unique_id,
            "duration": duration,
            "file_name": file_name,
            "mime_type": mime,
            "file_size": file.file_size,
        }}),
    )
}

/// A video.
pub fn video(chat_id: i64, user: &TgUser, file: &FileRef, duration: u32, mime: &str) -> Value {
    message(
        chat_id,
        user,
        json!({"video": {
            "file_id": file.file_id,
            "file_unique_id": file.file_unique_id,
            "width": 1280,
            "height": 720,
            "duration": duration,
            "mime_type": mime,
            "file_size": file.file_size,
        }}),
    )
}

/// A round video note (no `mime_type`, as in the Bot API).
pub fn video_note(chat_id: i64, user: &TgUser, file: &FileRef, duration: u32) -> Value {
    message(
        chat_id,
        user,
        json!({"video_note": {
            "file_id": file.file_id,
            "file_unique_id": file.file_unique_id,
            "length": 384,
            "duration": duration,
            "file_size": file.file_size,
        }}),
    )
}

/// A document (no `duration`, as in the Bot API).
pub fn document(chat_id: i64, user: &TgUser, file: &FileRef, mime: &str, file_name: &str) -> Value {
    message(
        chat_id,
        user,
        json!({"document": {
            "file_id": file.file_id,
            "file_unique_id": file.file_unique_id,
            "file_name": file_name,
            "mime_type": mime,
            "file_size": file.file_size,
        }}),
    )
}

/// A photo (something the bot cannot transcribe). Its file ids are not registered.
pub fn photo(chat_id: i64, user: &TgUser) -> Value {
    let size = |width: u32, height: u32, file_size: u32| {
        json!({
            "file_id": format!("AgACAgIAAxkBAA{}", id::url_safe(52)),
            "file_unique_id": format!("AQAD{}", id::url_safe(12)),
            "width": width,
            "height": height,
            "file_size": file_size,
        })
    };
    message(
        chat_id,
        user,
        json!({"photo": [size(90, 67, 1_200), size(320, 240, 16_000), size(1280, 960, 120_000)]}),
    )
}

/// A press of an inline button under the bot's message `message_id`. Returns the update and the
/// callback query id. When the fake knows that message, `push_update` replaces the stub
/// `message` with the message's current state.
pub fn callback(chat_id: i64, user: &TgUser, message_id: i64, data: &str) -> (Value, String) {
    let query_id = id::digits(19);
    let update = json!({"callback_query": {
        "id": query_id,
        "from": user.to_json(),
        "message": {
            "message_id": message_id,
            "date": now(),
            "chat": private_chat(chat_id, user),
        },
        "chat_instance": format!("-{}", id::digits(18)),
        "data": data,
    }});
    (update, query_id)
}

/// A pre-checkout query for an invoice. Returns the update and the query id.
pub fn pre_checkout(
    user: &TgUser,
    currency: &str,
    total_amount: i64,
    payload: &str,
) -> (Value, String) {
    let query_id = id::digits(19);
    let update = json!({"pre_checkout_query": {
        "id": query_id,
        "from": user.to_json(),
        "currency": currency,
        "total_amount": total_amount,
        "invoice_payload": payload,
    }});
    (update, query_id)
}

/// The service message announcing a successful payment.
pub fn successful_payment(
    chat_id: i64,
    user: &TgUser,
    currency: &str,
    total_amount: i64,
    payload: &str,
    charge_id: &str,
) -> Value {
    message(
        chat_id,
        user,
        json!({"successful_payment": {
            "currency": currency,
            "total_amount": total_amount,
            "invoice_payload": payload,
            "telegram_payment_charge_id": charge_id,
            "provider_payment_charge_id": "",
        }}),
    )
}

/// The service message announcing a refund (the fake queues one after `refundStarPayment`).
pub(crate) fn refunded_payment(
    chat: Value,
    user: Value,
    total_amount: i64,
    payload: &str,
    charge_id: &str,
) -> Value {
    json!({"message": {
        "from": user,
        "chat": chat,
        "date": now(),
        "refunded_payment": {
            "currency": "XTR",
            "total_amount": total_amount,
            "invoice_payload": payload,
            "telegram_payment_charge_id": charge_id,
        },
    }})
}
