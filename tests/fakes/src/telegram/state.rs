//! Everything the fake Bot API server remembers.

use std::collections::{BTreeMap, HashMap, VecDeque};
use std::path::PathBuf;
use std::sync::atomic::AtomicBool;
use std::sync::{Mutex, MutexGuard, PoisonError};
use std::time::Instant;

use bytes::Bytes;
use serde_json::{Value, json};
use tokio::sync::Notify;

use super::fake::{BOT_USERNAME, BotDocument};
use super::html::Rendered;
use super::keyboard;
use super::members::{MemberStatus, chat_kind};
use super::method::Method;
use super::{BotMessage, Call, Failure, FileKind, FileRef, WebhookState};
use crate::id;

/// State shared by the server task and every `FakeTelegram` clone.
#[derive(Debug)]
pub(crate) struct Shared {
    pub(crate) token: String,
    /// `Some` when the fake behaves like a local Bot API server run with `--local`.
    pub(crate) local_dir: Option<PathBuf>,
    /// The bot's `User` object (the `from` of its messages).
    pub(crate) bot: Value,
    /// `Some` for a third-party emulator: the only methods it implements.
    pub(crate) supported: Option<Vec<Method>>,
    /// When set, every request is answered 502 by the "proxy".
    pub(crate) down: AtomicBool,
    /// Woken whenever updates are queued or a poller/webhook change must be noticed.
    pub(crate) changed: Notify,
    book: Mutex<Book>,
}

impl Shared {
    pub(crate) fn new(
        token: &str,
        local_dir: Option<PathBuf>,
        supported: Option<Vec<Method>>,
    ) -> Self {
        let bot_id = token
            .split_once(':')
            .and_then(|(id, _)| id.parse::<i64>().ok())
            .unwrap_or(7_000_000_001);
        let bot = json!({
            "id": bot_id,
            "is_bot": true,
            "first_name": "Scribe",
            "username": BOT_USERNAME,
        });
        Self {
            token: token.to_owned(),
            local_dir,
            supported,
            down: AtomicBool::new(false),
            changed: Notify::new(),
            book: Mutex::new(Book::new(bot.clone())),
            bot,
        }
    }

    /// The mutable state. A poisoned lock only means another thread panicked mid-update (a test
    /// is already failing); the data is still usable for reporting, so the poison is ignored.
    pub(crate) fn book(&self) -> MutexGuard<'_, Book> {
        self.book.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// The bot's user id (the number before `:` in its token).
    pub(crate) fn bot_id(&self) -> i64 {
        self.bot
            .get("id")
            .and_then(Value::as_i64)
            .unwrap_or_default()
    }
}

/// The mutable part of the fake.
#[derive(Debug)]
pub(crate) struct Book {
    /// The bot's `User` object, for messages the fake renders.
    pub(crate) bot: Value,
    /// Privacy mode (`getMe.can_read_all_group_messages` is its negation).
    pub(crate) privacy_mode: bool,
    /// `getMe.can_join_groups`.
    pub(crate) can_join_groups: bool,
    pub(crate) next_update_id: i64,
    /// Unconfirmed updates, in `update_id` order.
    pub(crate) queue: VecDeque<Value>,
    /// The last `allowed_updates` given to `getUpdates`/`setWebhook`.
    pub(crate) allowed_updates: Option<Vec<String>>,
    /// Bumped by every `getUpdates`; an older long poll that sees a newer one ends with 409.
    pub(crate) poll_generation: u64,
    pub(crate) webhook: Option<WebhookState>,
    /// The last failed webhook delivery `(unix time, message)`, as `getWebhookInfo` reports it.
    pub(crate) delivery_error: Option<(i64, String)>,
    pub(crate) chats: HashMap<i64, Chat>,
    /// `User` objects of everyone the bot has seen (in updates or set up by tests), by id.
    pub(crate) users: HashMap<i64, Value>,
    pub(crate) files: HashMap<String, StoredFile>,
    /// Cloud `file_path` → `file_id`.
    pub(crate) paths: HashMap<String, String>,
    pub(crate) next_file_number: u64,
    pub(crate) downloads: Vec<String>,
    /// Callback query id → answered.
    pub(crate) callback_queries: HashMap<String, bool>,
    pub(crate) pre_checkouts: HashMap<String, PreCheckout>,
    pub(crate) pre_checkout_answers: Vec<(String, bool, Option<String>)>,
    pub(crate) charges: HashMap<String, Charge>,
    pub(crate) refunds: Vec<(i64, String)>,
    /// `(scope as canonical JSON, language_code)` → commands.
    pub(crate) commands: BTreeMap<(String, String), Vec<Value>>,
    pub(crate) calls: Vec<Call>,
    /// Lower-cased method name → queued failures.
    pub(crate) failures: HashMap<String, VecDeque<Failure>>,
}

impl Book {
    fn new(bot: Value) -> Self {
        Self {
            bot,
            privacy_mode: true,
            can_join_groups: true,
            next_update_id: 1,
            queue: VecDeque::new(),
            allowed_updates: None,
            poll_generation: 0,
            webhook: None,
            delivery_error: None,
            chats: HashMap::new(),
            users: HashMap::new(),
            files: HashMap::new(),
            paths: HashMap::new(),
            next_file_number: 1,
            downloads: Vec::new(),
            callback_queries: HashMap::new(),
            pre_checkouts: HashMap::new(),
            pre_checkout_answers: Vec::new(),
            charges: HashMap::new(),
            refunds: Vec::new(),
            commands: BTreeMap::new(),
            calls: Vec::new(),
            failures: HashMap::new(),
        }
    }
}

/// One chat as the fake knows it.
#[derive(Debug)]
pub(crate) struct Chat {
    pub(crate) id: i64,
    /// The `Chat` object (from the latest update seen in it, or a minimal one).
    pub(crate) info: Value,
    pub(crate) next_message_id: i64,
    /// Messages the bot sent, in order.
    pub(crate) messages: Vec<StoredMessage>,
    /// Messages users posted (delivered to the bot or not), by id.
    pub(crate) incoming: HashMap<i64, Incoming>,
    /// Group members' statuses by user id (groups only).
    pub(crate) members: HashMap<i64, MemberStatus>,
    /// The bot's own status (groups only).
    pub(crate) bot_status: MemberStatus,
    /// The supergroup a basic group became.
    pub(crate) migrated_to: Option<i64>,
}

/// A message a user posted, as the fake completed it.
#[derive(Debug, Clone)]
pub(crate) struct Incoming {
    pub(crate) message: Value,
    pub(crate) deleted: bool,
}

impl Chat {
    pub(crate) fn new(chat_id: i64) -> Self {
        Self {
            id: chat_id,
            info: json!({"id": chat_id, "type": super::chat::kind_of(chat_id)}),
            next_message_id: 1,
            messages: Vec::new(),
            incoming: HashMap::new(),
            members: HashMap::new(),
            bot_status: MemberStatus::Member,
            migrated_to: None,
        }
    }

    /// `private`, `group`, `supergroup` or `channel`.
    pub(crate) fn kind(&self) -> &'static str {
        chat_kind(&self.info, self.id)
    }

    /// The `Message` object of live message `message_id` (the bot's or a user's), without its
    /// own `reply_to_message`, as Telegram nests it in a reply.
    pub(crate) fn replied(&self, message_id: i64, bot: &Value) -> Option<Value> {
        let mut message = match self.incoming.get(&message_id) {
            Some(incoming) if !incoming.deleted => incoming.message.clone(),
            Some(_) => return None,
            None => self
                .messages
                .iter()
                .find(|m| m.message_id == message_id && !m.deleted)
                .map(|m| m.to_json(bot, &self.info))?,
        };
        if let Some(object) = message.as_object_mut() {
            object.remove("reply_to_message");
        }
        Some(message)
    }

    pub(crate) fn allocate_message_id(&mut self) -> i64 {
        let id = self.next_message_id;
        self.next_message_id += 1;
        id
    }

    pub(crate) fn live_message_mut(&mut self, message_id: i64) -> Option<&mut StoredMessage> {
        self.messages
            .iter_mut()
            .find(|message| message.message_id == message_id && !message.deleted)
    }
}

/// A message the bot sent, in its current state.
#[derive(Debug, Clone, Default)]
pub(crate) struct StoredMessage {
    pub(crate) message_id: i64,
    pub(crate) date: i64,
    pub(crate) text: Option<String>,
    pub(crate) parse_mode: Option<String>,
    pub(crate) rendered: Option<Rendered>,
    pub(crate) caption: Option<String>,
    pub(crate) caption_rendered: Option<Rendered>,
    pub(crate) document: Option<BotDocument>,
    pub(crate) document_json: Option<Value>,
    /// The message it replies to, as the Bot API nests it.
    pub(crate) reply_to: Option<Value>,
    pub(crate) reply_markup: Option<Value>,
    pub(crate) invoice: Option<Value>,
    pub(crate) deleted: bool,
    pub(crate) edits: usize,
    pub(crate) edit_date: Option<i64>,
}

impl StoredMessage {
    /// The `Message` object the Bot API returns for it.
    pub(crate) fn to_json(&self, bot: &Value, chat: &Value) -> Value {
        let mut message = json!({
            "message_id": self.message_id,
            "from": bot,
            "chat": chat,
            "date": self.date,
        });
        if let Some(replied) = &self.reply_to {
            message["reply_to_message"] = replied.clone();
        }
        if let Some(edit_date) = self.edit_date {
            message["edit_date"] = json!(edit_date);
        }
        if let Some(rendered) = &self.rendered {
            message["text"] = json!(rendered.text);
            if !rendered.entities.is_empty() {
                message["entities"] = rendered.entities_json();
            }
        }
        if let Some(document) = &self.document_json {
            message["document"] = document.clone();
        }
        if let Some(rendered) = &self.caption_rendered {
            message["caption"] = json!(rendered.text);
            if !rendered.entities.is_empty() {
                message["caption_entities"] = rendered.entities_json();
            }
        }
        if let Some(invoice) = &self.invoice {
            message["invoice"] = invoice.clone();
        }
        // Messages only ever carry inline keyboards back.
        if let Some(markup) = &self.reply_markup
            && markup.get("inline_keyboard").is_some()
        {
            message["reply_markup"] = markup.clone();
        }
        message
    }

    pub(crate) fn to_public(&self) -> BotMessage {
        BotMessage {
            message_id: self.message_id,
            text: self.text.clone(),
            rendered_text: self.rendered.as_ref().map(|r| r.text.clone()),
            parse_mode: self.parse_mode.clone(),
            document: self.document.clone(),
            caption: self.caption.clone(),
            reply_markup: self.reply_markup.clone(),
            buttons: self
                .reply_markup
                .as_ref()
                .map(keyboard::buttons)
                .unwrap_or_default(),
            reply_to_message_id: self
                .reply_to
                .as_ref()
                .and_then(|replied| replied.get("message_id"))
                .and_then(Value::as_i64),
            invoice: self.invoice.clone(),
            deleted: self.deleted,
            edits: self.edits,
        }
    }
}

/// A file the fake can hand out through `getFile`.
#[derive(Debug, Clone)]
pub(crate) struct StoredFile {
    pub(crate) unique_id: String,
    pub(crate) size: u64,
    /// `None` for size-only files: downloading one is a test failure waiting to be noticed.
    pub(crate) bytes: Option<Bytes>,
    /// Relative cloud path, e.g. `voice/file_3.oga`.
    pub(crate) path: String,
}

#[derive(Debug, Clone)]
pub(crate) struct PreCheckout {
    pub(crate) pushed: Instant,
    pub(crate) answered: bool,
}

#[derive(Debug, Clone)]
pub(crate) struct Charge {
    pub(crate) user: Value,
    pub(crate) user_id: i64,
    pub(crate) total_amount: i64,
    pub(crate) payload: String,
    pub(crate) refunded: bool,
}

impl Book {
    pub(crate) fn chat_mut(&mut self, chat_id: i64) -> &mut Chat {
        self.chats
            .entry(chat_id)
            .or_insert_with(|| Chat::new(chat_id))
    }

    pub(crate) fn chat_info(&self, chat_id: i64) -> Value {
        self.chats
            .get(&chat_id)
            .map_or_else(|| Chat::new(chat_id).info, |chat| chat.info.clone())
    }

    pub(crate) fn messages(&self, chat_id: i64) -> Vec<BotMessage> {
        self.chats.get(&chat_id).map_or_else(Vec::new, |chat| {
            chat.messages.iter().map(StoredMessage::to_public).collect()
        })
    }

    /// Registers a file and gives it the next `file_N` path of its kind.
    pub(crate) fn add_file(
        &mut self,
        kind: FileKind,
        bytes: Option<Bytes>,
        size: u64,
        extension: Option<&str>,
    ) -> FileRef {
        let number = self.next_file_number;
        self.next_file_number += 1;
        let extension = extension
            .filter(|ext| !ext.is_empty())
            .unwrap_or(kind.default_extension());
        let path = format!("{}/file_{number}.{extension}", kind.directory());
        let file_id = format!("{}{}", kind.file_id_prefix(), id::url_safe(58));
        let unique_id = format!("AgAD{}", id::url_safe(12));
        self.paths.insert(path.clone(), file_id.clone());
        self.files.insert(
            file_id.clone(),
            StoredFile {
                unique_id: unique_id.clone(),
                size,
                bytes,
                path,
            },
        );
        FileRef {
            file_id,
            file_unique_id: unique_id,
            file_size: size,
        }
    }
}
