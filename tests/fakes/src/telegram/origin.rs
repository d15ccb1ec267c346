//! Where a forwarded message came from: the `MessageOrigin` of Bot API 7+ (`forward_origin`),
//! which replaced `forward_from`, `forward_sender_name`, `forward_from_chat` and `forward_date`.
//! [`update::forwarded`](super::update::forwarded) attaches one to a message.

use serde_json::{Value, json};

use super::chat::TgGroup;
use super::update::TgUser;

/// The original sender of a forwarded message; `date` is when the original was sent (Unix
/// seconds), not when it was forwarded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Origin {
    /// `MessageOriginUser`: a user who allows linking forwards to their account.
    User { user: TgUser, date: i64 },
    /// `MessageOriginHiddenUser`: a user who hides their account; only a name is known.
    HiddenUser { name: String, date: i64 },
    /// `MessageOriginChat`: sent on behalf of a group (an anonymous group administrator).
    Chat {
        chat: TgGroup,
        date: i64,
        author_signature: Option<String>,
    },
    /// `MessageOriginChannel`: a channel post.
    Channel {
        chat_id: i64,
        title: String,
        message_id: i64,
        date: i64,
        author_signature: Option<String>,
    },
}

impl Origin {
    /// The `MessageOrigin` object.
    pub(crate) fn to_json(&self) -> Value {
        match self {
            Self::User { user, date } => {
                json!({"type": "user", "date": date, "sender_user": user.to_json()})
            }
            Self::HiddenUser { name, date } => {
                json!({"type": "hidden_user", "date": date, "sender_user_name": name})
            }
            Self::Chat {
                chat,
                date,
                author_signature,
            } => {
                let mut origin =
                    json!({"type": "chat", "date": date, "sender_chat": chat.to_json()});
                if let Some(signature) = author_signature {
                    origin["author_signature"] = json!(signature);
                }
                origin
            }
            Self::Channel {
                chat_id,
                title,
                message_id,
                date,
                author_signature,
            } => {
                let mut origin = json!({
                    "type": "channel",
                    "date": date,
                    "chat": {"id": chat_id, "title": title, "type": "channel"},
                    "message_id": message_id,
                });
                if let Some(signature) = author_signature {
                    origin["author_signature"] = json!(signature);
                }
                origin
            }
        }
    }
}
