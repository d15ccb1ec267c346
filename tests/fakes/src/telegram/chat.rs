//! Where a message is posted: a private chat with its sender, or a group. Builders in
//! [`update`](super::update) take either (`42` or `&group`); the fake renders the `Chat` object.

use serde_json::{Value, json};

use super::update::TgUser;

/// A basic group or a supergroup, as tests set it up.
///
/// Ids follow Telegram's shapes: basic groups are negative (`-4518810793`), supergroups are
/// `-100…` (`-1002471352452`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TgGroup {
    pub id: i64,
    pub title: String,
    /// `true` for a supergroup, `false` for a basic group.
    pub supergroup: bool,
}

impl TgGroup {
    /// A basic group (`"type": "group"`).
    pub fn group(id: i64, title: &str) -> Self {
        Self {
            id,
            title: title.to_owned(),
            supergroup: false,
        }
    }

    /// A supergroup (`"type": "supergroup"`).
    pub fn supergroup(id: i64, title: &str) -> Self {
        Self {
            id,
            title: title.to_owned(),
            supergroup: true,
        }
    }

    /// The `Chat` object as the Bot API sends it in messages: basic groups carry
    /// `all_members_are_administrators` (false: members have ordinary rights).
    pub(crate) fn to_json(&self) -> Value {
        if self.supergroup {
            json!({"id": self.id, "title": self.title, "type": "supergroup"})
        } else {
            json!({
                "id": self.id,
                "title": self.title,
                "type": "group",
                "all_members_are_administrators": false,
            })
        }
    }
}

/// The chat a built message belongs to: `42` (the private chat with the sender) or `&group`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TgChat {
    /// The private chat with the message's sender, by id (Telegram makes it the user's id).
    Private(i64),
    Group(TgGroup),
}

impl TgChat {
    /// The `Chat` object as seen in a message from `sender`.
    pub(crate) fn to_json(&self, sender: &TgUser) -> Value {
        match self {
            Self::Private(chat_id) => private_chat(*chat_id, sender),
            Self::Group(group) => group.to_json(),
        }
    }
}

impl From<i64> for TgChat {
    fn from(chat_id: i64) -> Self {
        Self::Private(chat_id)
    }
}

/// The user's private chat with the bot.
impl From<&TgUser> for TgChat {
    fn from(user: &TgUser) -> Self {
        Self::Private(user.id)
    }
}

impl From<&TgGroup> for TgChat {
    fn from(group: &TgGroup) -> Self {
        Self::Group(group.clone())
    }
}

/// The `Chat` object of a private chat with `user`.
pub(crate) fn private_chat(chat_id: i64, user: &TgUser) -> Value {
    let mut chat = json!({"id": chat_id, "type": "private", "first_name": user.first_name});
    if let Some(username) = &user.username {
        chat["username"] = json!(username);
    }
    chat
}

/// The chat kind a bare id suggests, for chats the fake only knows by id.
pub(crate) fn kind_of(chat_id: i64) -> &'static str {
    if chat_id > 0 {
        "private"
    } else if chat_id.to_string().starts_with("-100") {
        "supergroup"
    } else {
        "group"
    }
}
