//! Which group messages Telegram delivers to the bot (Bots FAQ / features, "Privacy mode").
//!
//! A bot that is not in the group gets nothing from it. A bot that administers the group, or
//! whose privacy mode is off (`getMe.can_read_all_group_messages`), gets every message except
//! other bots'. Otherwise it gets only: service messages; commands meant for it (`/t@bot`, and
//! bare `/t` — the fake has a single bot, which is always "the last bot" of the group); replies
//! to its own messages; messages that mention `@bot`. Private chats are not filtered.

use serde_json::Value;

use super::state::Chat;

/// Message fields that make a message a service message, delivered whatever the privacy mode.
const SERVICE_FIELDS: &[&str] = &[
    "new_chat_members",
    "left_chat_member",
    "new_chat_title",
    "new_chat_photo",
    "delete_chat_photo",
    "group_chat_created",
    "supergroup_chat_created",
    "migrate_to_chat_id",
    "migrate_from_chat_id",
    "pinned_message",
    "message_auto_delete_timer_changed",
];

/// The bot as a recipient: its id, its username, and whether privacy mode is off.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Recipient<'a> {
    pub(crate) id: i64,
    pub(crate) username: &'a str,
    pub(crate) reads_all: bool,
}

/// Whether Telegram delivers `message`, posted in `chat`, to the bot.
pub(crate) fn delivered(message: &Value, chat: &Chat, bot: Recipient<'_>) -> bool {
    if chat.kind() == "private" {
        return true;
    }
    if !chat.bot_status.present() {
        return false;
    }
    if SERVICE_FIELDS
        .iter()
        .any(|field| message.get(*field).is_some())
    {
        return true;
    }
    let from_bot = message
        .get("from")
        .and_then(|from| from.get("is_bot"))
        .and_then(Value::as_bool)
        .unwrap_or(false);
    if from_bot {
        return false;
    }
    if bot.reads_all || chat.bot_status.admin() {
        return true;
    }
    let text = message
        .get("text")
        .or_else(|| message.get("caption"))
        .and_then(Value::as_str)
        .unwrap_or_default();
    command_for(text, bot.username) || replies_to(message, bot.id) || mentions(text, bot.username)
}

/// `/cmd` or `/cmd@username`, at the start of the text.
fn command_for(text: &str, username: &str) -> bool {
    let Some(command) = text.strip_prefix('/') else {
        return false;
    };
    let command = command
        .split(char::is_whitespace)
        .next()
        .unwrap_or_default();
    match command.split_once('@') {
        None => !command.is_empty(),
        Some((_, addressee)) => addressee.eq_ignore_ascii_case(username),
    }
}

fn replies_to(message: &Value, bot_id: i64) -> bool {
    message
        .get("reply_to_message")
        .and_then(|replied| replied.get("from"))
        .and_then(|from| from.get("id"))
        .and_then(Value::as_i64)
        == Some(bot_id)
}

fn mentions(text: &str, username: &str) -> bool {
    let mention = format!("@{}", username.to_ascii_lowercase());
    text.to_ascii_lowercase().contains(&mention)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn commands_for_this_bot_or_no_bot_only() {
        assert!(command_for("/t", "scribe_bot"));
        assert!(command_for("/t@Scribe_Bot please", "scribe_bot"));
        assert!(!command_for("/t@other_bot", "scribe_bot"));
        assert!(!command_for("t", "scribe_bot"));
        assert!(!command_for("/ hello", "scribe_bot"));
    }
}
