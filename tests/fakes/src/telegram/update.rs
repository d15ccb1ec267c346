//! Builders of incoming `Update`s, shaped like the Bot API's.
//!
//! Messages go to a private chat (`42`) or a group (`&group`), see [`TgChat`]. `message_id` is
//! left out of built messages: [`FakeTelegram::push_update`] (or
//! [`FakeTelegram::register_update`]) assigns it from the chat's sequence, which the bot's own
//! messages share, as in a real chat. `update_id` is assigned the same way. A reply
//! ([`replying_to`]) names only the replied message's id; the fake fills in that message as
//! Telegram would.
//!
//! [`FakeTelegram::push_update`]: super::FakeTelegram::push_update
//! [`FakeTelegram::register_update`]: super::FakeTelegram::register_update

use std::time::{SystemTime, UNIX_EPOCH};

use serde_json::{Value, json};

use super::FileRef;
use super::chat::{TgChat, TgGroup};
use super::origin::Origin;
use crate::id;

/// The user Telegram puts in `from` of messages sent on behalf of a group (`sender_chat`).
pub(crate) fn group_anonymous_bot() -> Value {
    json!({"id": 1_087_968_824, "is_bot": true, "first_name": "Group", "username": "GroupAnonymousBot"})
}

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

    /// The `User` object.
    pub(crate) fn to_json(&self) -> Value {
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

fn message(chat: impl Into<TgChat>, user: &TgUser, fields: Value) -> Value {
    let mut message = json!({
        "from": user.to_json(),
        "chat": chat.into().to_json(user),
        "date": now(),
    });
    if let (Some(target), Value::Object(extra)) = (message.as_object_mut(), fields) {
        target.extend(extra);
    }
    json!({ "message": message })
}

/// A text message (commands included: `"/start"` gets a `bot_command` entity).
pub fn text(chat: impl Into<TgChat>, user: &TgUser, text: &str) -> Value {
    let mut fields = json!({ "text": text });
    if text.starts_with('/') {
        let command = text.split_whitespace().next().unwrap_or(text);
        let length: usize = command.chars().map(char::len_utf16).sum();
        fields["entities"] = json!([{"type": "bot_command", "offset": 0, "length": length}]);
    }
    message(chat, user, fields)
}

/// A voice note (`voice/file_N.oga` on `getFile`).
pub fn voice(chat: impl Into<TgChat>, user: &TgUser, file: &FileRef, duration: u32) -> Value {
    message(
        chat,
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
    chat: impl Into<TgChat>,
    user: &TgUser,
    file: &FileRef,
    duration: u32,
    mime: &str,
    file_name: &str,
) -> Value {
    message(
        chat,
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
pub fn video(
    chat: impl Into<TgChat>,
    user: &TgUser,
    file: &FileRef,
    duration: u32,
    mime: &str,
) -> Value {
    message(
        chat,
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
pub fn video_note(chat: impl Into<TgChat>, user: &TgUser, file: &FileRef, duration: u32) -> Value {
    message(
        chat,
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
pub fn document(
    chat: impl Into<TgChat>,
    user: &TgUser,
    file: &FileRef,
    mime: &str,
    file_name: &str,
) -> Value {
    message(
        chat,
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
pub fn photo(chat: impl Into<TgChat>, user: &TgUser) -> Value {
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
        chat,
        user,
        json!({"photo": [size(90, 67, 1_200), size(320, 240, 16_000), size(1280, 960, 120_000)]}),
    )
}

/// A press of an inline button under the bot's message `message_id`. Returns the update and the
/// callback query id. When the fake knows that message, `push_update` replaces the stub
/// `message` with the message's current state.
pub fn callback(
    chat: impl Into<TgChat>,
    user: &TgUser,
    message_id: i64,
    data: &str,
) -> (Value, String) {
    let query_id = id::digits(19);
    let update = json!({"callback_query": {
        "id": query_id,
        "from": user.to_json(),
        "message": {
            "message_id": message_id,
            "date": now(),
            "chat": chat.into().to_json(user),
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

/// The service message announcing a successful payment (in the buyer's private chat, or in a
/// group where the invoice was paid).
pub fn successful_payment(
    chat: impl Into<TgChat>,
    user: &TgUser,
    currency: &str,
    total_amount: i64,
    payload: &str,
    charge_id: &str,
) -> Value {
    message(
        chat,
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

/// Makes the message of `update` a reply to message `message_id` of the same chat. When the
/// update is pushed, the fake puts that message (as it stands, media included) into
/// `reply_to_message`, as Telegram does; a reply to a message the bot deleted arrives without it.
///
/// # Panics
/// If `update` carries no `message`: only messages can be replies.
pub fn replying_to(mut update: Value, message_id: i64) -> Value {
    let Some(message) = update.get_mut("message").and_then(Value::as_object_mut) else {
        panic!("only a message can be a reply, got {update}");
    };
    message.insert(
        "reply_to_message".to_owned(),
        json!({"message_id": message_id}),
    );
    update
}

/// Makes the message of `update` a forward of a message from `origin` (`forward_origin`).
///
/// # Panics
/// If `update` carries no `message`.
pub fn forwarded(mut update: Value, origin: &Origin) -> Value {
    let Some(message) = update.get_mut("message").and_then(Value::as_object_mut) else {
        panic!("only a message can be forwarded, got {update}");
    };
    message.insert("forward_origin".to_owned(), origin.to_json());
    update
}

/// One forwarded voice message of a [`forward_burst`]: who said it, and what.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ForwardedVoice {
    pub origin: Origin,
    pub file: FileRef,
    /// Seconds.
    pub duration: u32,
}

/// Voice messages that `forwarder` forwards to the bot in one go, in `parts` order: one
/// message each, the same `date` (the moment of forwarding), each with its own `forward_origin`.
/// Push them one after another to see them arrive together.
pub fn forward_burst(chat_id: i64, forwarder: &TgUser, parts: &[ForwardedVoice]) -> Vec<Value> {
    let date = now();
    parts
        .iter()
        .map(|part| {
            let mut update = forwarded(
                voice(chat_id, forwarder, &part.file, part.duration),
                &part.origin,
            );
            update["message"]["date"] = json!(date);
            update
        })
        .collect()
}

/// The service messages of a group's upgrade, in Telegram's order: `migrate_to_chat_id` in the
/// old group (from the member who upgraded it), then `migrate_from_chat_id` as message 1 of the
/// supergroup, sent on behalf of the supergroup.
pub(crate) fn migration(group: &TgGroup, supergroup: &TgGroup, by: &TgUser) -> [Value; 2] {
    let date = now();
    [
        json!({"message": {
            "from": by.to_json(),
            "chat": group.to_json(),
            "date": date,
            "migrate_to_chat_id": supergroup.id,
        }}),
        json!({"message": {
            "message_id": 1,
            "from": group_anonymous_bot(),
            "sender_chat": supergroup.to_json(),
            "chat": supergroup.to_json(),
            "date": date,
            "migrate_from_chat_id": group.id,
        }}),
    ]
}
