//! Group membership: who is what in which group (set by tests, or learnt from the messages
//! members post), `getChatMember`, and what the bot may do in a group it was removed from or
//! that became a supergroup.
//!
//! Shapes and wording follow the Bot API server (tdlib/telegram-bot-api `Client.cpp`:
//! `JsonChatMember`, `json_store_administrator_rights`, `check_chat_access`).

use serde_json::{Map, Value, json};

use super::chat::kind_of;
use super::error::TgError;
use super::messages::chat_id;
use super::method::Answer;
use super::params::Params;
use super::state::{Book, Shared};

/// A member's status in a group, as `ChatMember.status` names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum MemberStatus {
    /// `creator`: the owner.
    Creator,
    /// `administrator`, with the usual moderator rights.
    Administrator,
    /// `member`.
    Member,
    /// `restricted`: muted (may send nothing) but still in the group.
    Restricted,
    /// `left`: not (or no longer) in the group.
    Left,
    /// `kicked`: banned from the group.
    Kicked,
}

impl MemberStatus {
    fn name(self) -> &'static str {
        match self {
            Self::Creator => "creator",
            Self::Administrator => "administrator",
            Self::Member => "member",
            Self::Restricted => "restricted",
            Self::Left => "left",
            Self::Kicked => "kicked",
        }
    }

    /// Whether the holder is in the group (restricted members are).
    pub(crate) fn present(self) -> bool {
        match self {
            Self::Creator | Self::Administrator | Self::Member | Self::Restricted => true,
            Self::Left | Self::Kicked => false,
        }
    }

    /// Whether the holder administers the group.
    pub(crate) fn admin(self) -> bool {
        match self {
            Self::Creator | Self::Administrator => true,
            Self::Member | Self::Restricted | Self::Left | Self::Kicked => false,
        }
    }

    /// The `ChatMember` object for `user` in a chat of `kind` (`group` or `supergroup`).
    pub(crate) fn to_json(self, user: &Value, kind: &str) -> Value {
        let supergroup = kind == "supergroup";
        let mut member = Map::new();
        member.insert("user".to_owned(), user.clone());
        member.insert("status".to_owned(), json!(self.name()));
        let mut put = |key: &str, value: Value| {
            member.insert(key.to_owned(), value);
        };
        match self {
            Self::Creator => put("is_anonymous", json!(false)),
            Self::Administrator => {
                put("can_be_edited", json!(false));
                put("can_manage_chat", json!(true));
                put("can_change_info", json!(true));
                put("can_delete_messages", json!(true));
                put("can_invite_users", json!(true));
                put("can_restrict_members", json!(true));
                put("can_pin_messages", json!(true));
                if supergroup {
                    put("can_manage_topics", json!(false));
                }
                put("can_promote_members", json!(false));
                put("can_manage_video_chats", json!(true));
                put("can_post_stories", json!(false));
                put("can_edit_stories", json!(false));
                put("can_delete_stories", json!(false));
                put("can_manage_tags", json!(false));
                put("is_anonymous", json!(false));
                put("can_manage_voice_chats", json!(true));
            }
            Self::Member | Self::Left => {}
            // Basic groups report a restricted member without the details.
            Self::Restricted if !supergroup => {}
            Self::Restricted => {
                put("until_date", json!(0));
                for permission in [
                    "can_send_messages",
                    "can_send_media_messages",
                    "can_send_audios",
                    "can_send_documents",
                    "can_send_photos",
                    "can_send_videos",
                    "can_send_video_notes",
                    "can_send_voice_notes",
                    "can_send_polls",
                    "can_send_other_messages",
                    "can_add_web_page_previews",
                    "can_react_to_messages",
                    "can_edit_tag",
                    "can_change_info",
                    "can_invite_users",
                    "can_pin_messages",
                    "can_manage_topics",
                ] {
                    put(permission, json!(false));
                }
                put("is_member", json!(true));
            }
            Self::Kicked => put("until_date", json!(0)),
        }
        Value::Object(member)
    }
}

/// Whether the bot may act in `chat_id`: a basic group that became a supergroup answers 400 with
/// `parameters.migrate_to_chat_id`; a group that removed or banned the bot answers 403.
pub(crate) fn check_access(book: &Book, chat_id: i64) -> Result<(), TgError> {
    let Some(chat) = book.chats.get(&chat_id) else {
        return Ok(());
    };
    if let Some(supergroup_id) = chat.migrated_to {
        return Err(TgError::migrated(supergroup_id));
    }
    let kind = chat.kind();
    if kind == "private" {
        return Ok(());
    }
    match chat.bot_status {
        MemberStatus::Kicked => Err(TgError::forbidden(&format!(
            "bot was kicked from the {kind} chat"
        ))),
        MemberStatus::Left => Err(TgError::forbidden(&format!(
            "bot is not a member of the {kind} chat"
        ))),
        MemberStatus::Creator
        | MemberStatus::Administrator
        | MemberStatus::Member
        | MemberStatus::Restricted => Ok(()),
    }
}

/// `getChatMember`: the bot's own status, a member's status, `left` for a user the bot knows who
/// is not in the group, `user not found` for a user the bot has never seen.
pub(crate) fn get_chat_member(shared: &Shared, params: &Params) -> Result<Answer, TgError> {
    let chat_id = chat_id(params)?;
    let user_id = params
        .integer("user_id")
        .filter(|id| *id > 0)
        .ok_or_else(|| TgError::bad_request("Invalid user_id specified"))?;
    let book = shared.book();
    let Some(chat) = book.chats.get(&chat_id) else {
        return Err(TgError::bad_request("chat not found"));
    };
    check_access(&book, chat_id)?;
    let kind = chat.kind();
    if user_id == shared.bot_id() {
        return Ok(chat.bot_status.to_json(&shared.bot, kind).into());
    }
    let Some(user) = book.users.get(&user_id) else {
        return Err(TgError::bad_request("user not found"));
    };
    let status = if kind == "private" {
        if user_id == chat_id {
            MemberStatus::Member
        } else {
            MemberStatus::Left
        }
    } else {
        chat.members
            .get(&user_id)
            .copied()
            .unwrap_or(MemberStatus::Left)
    };
    Ok(status.to_json(user, kind).into())
}

/// The kind of a chat the fake knows: from its `Chat` object, else from the shape of its id.
pub(crate) fn chat_kind(info: &Value, chat_id: i64) -> &'static str {
    match info.get("type").and_then(Value::as_str) {
        Some("private") => "private",
        Some("group") => "group",
        Some("supergroup") => "supergroup",
        Some("channel") => "channel",
        _ => kind_of(chat_id),
    }
}
