//! Everything the fake Bot API server remembers.

use std::collections::{BTreeMap, HashMap, HashSet, VecDeque};
use std::path::PathBuf;
use std::sync::atomic::AtomicBool;
use std::sync::{Mutex, MutexGuard, PoisonError};
use std::time::Instant;

use bytes::Bytes;
use serde_json::{Value, json};
use tokio::sync::Notify;

use super::html::Rendered;
use super::update;
use super::{BotMessage, Call, Failure, FileKind, FileRef, Upload, WebhookState};
use crate::id;

/// State shared by the server task and every `FakeTelegram` clone.
#[derive(Debug)]
pub(crate) struct Shared {
    pub(crate) token: String,
    /// `Some` when the fake behaves like a local Bot API server run with `--local`.
    pub(crate) local_dir: Option<PathBuf>,
    /// The bot's `User` object (the `from` of its messages).
    pub(crate) bot: Value,
    /// When set, every request is answered 502 by the "proxy".
    pub(crate) down: AtomicBool,
    /// Woken whenever updates are queued or a poller/webhook change must be noticed.
    pub(crate) changed: Notify,
    book: Mutex<Book>,
}

impl Shared {
    pub(crate) fn new(token: &str, local_dir: Option<PathBuf>) -> Self {
        let bot_id = token
            .split_once(':')
            .and_then(|(id, _)| id.parse::<i64>().ok())
            .unwrap_or(7_000_000_001);
        let bot = json!({
            "id": bot_id,
            "is_bot": true,
            "first_name": "Scribe",
            "username": "scribe_fake_bot",
        });
        Self {
            token: token.to_owned(),
            local_dir,
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
}

/// The mutable part of the fake.
#[derive(Debug)]
pub(crate) struct Book {
    /// The bot's `User` object, for messages the fake renders.
    pub(crate) bot: Value,
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
    pub(crate) blocked: HashSet<i64>,
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
            next_update_id: 1,
            queue: VecDeque::new(),
            allowed_updates: None,
            poll_generation: 0,
            webhook: None,
            delivery_error: None,
            chats: HashMap::new(),
            blocked: HashSet::new(),
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
    /// The `Chat` object (from the latest update seen in it, or a minimal one).
    pub(crate) info: Value,
    pub(crate) next_message_id: i64,
    /// Messages the bot sent, in order.
    pub(crate) messages: Vec<StoredMessage>,
    /// Ids of incoming (user) messages → deleted by the bot.
    pub(crate) incoming: HashMap<i64, bool>,
}

impl Chat {
    fn new(chat_id: i64) -> Self {
        let kind = if chat_id > 0 {
            "private"
        } else if chat_id.to_string().starts_with("-100") {
            "supergroup"
        } else {
            "group"
        };
        Self {
            info: json!({"id": chat_id, "type": kind}),
            next_message_id: 1,
            messages: Vec::new(),
            incoming: HashMap::new(),
        }
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
    pub(crate) document: Option<Upload>,
    pub(crate) document_json: Option<Value>,
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

    /// Completes an incoming update (ids, known message state) and registers what it carries
    /// (chats, callback and pre-checkout queries, charges). Does not queue it.
    pub(crate) fn accept_update(&mut self, mut update: Value) -> Value {
        let Some(object) = update.as_object_mut() else {
            // Only tests build updates; a non-object is a bug in the test, documented on
            // `push_update`/`register_update` as their panic condition.
            panic!("an Update must be a JSON object, got {update}");
        };
        match object.get("update_id").and_then(Value::as_i64) {
            Some(id) => self.next_update_id = self.next_update_id.max(id + 1),
            None => {
                object.insert("update_id".to_owned(), json!(self.next_update_id));
                self.next_update_id += 1;
            }
        }

        for key in ["message", "edited_message"] {
            let Some(message) = object.get_mut(key).and_then(Value::as_object_mut) else {
                continue;
            };
            let Some(chat_id) = message
                .get("chat")
                .and_then(|chat| chat.get("id"))
                .and_then(Value::as_i64)
            else {
                continue;
            };
            let chat_info = message.get("chat").cloned();
            let chat = self
                .chats
                .entry(chat_id)
                .or_insert_with(|| Chat::new(chat_id));
            if let Some(info) = chat_info {
                chat.info = info;
            }
            let message_id = match message.get("message_id").and_then(Value::as_i64) {
                Some(id) => {
                    chat.next_message_id = chat.next_message_id.max(id + 1);
                    id
                }
                None => {
                    let id = chat.allocate_message_id();
                    message.insert("message_id".to_owned(), json!(id));
                    id
                }
            };
            chat.incoming.entry(message_id).or_insert(false);

            if let Some(payment) = message.get("successful_payment")
                && let Some(charge_id) = payment
                    .get("telegram_payment_charge_id")
                    .and_then(Value::as_str)
            {
                let user = message.get("from").cloned().unwrap_or(Value::Null);
                let user_id = user.get("id").and_then(Value::as_i64).unwrap_or(chat_id);
                let charge = Charge {
                    user,
                    user_id,
                    total_amount: payment
                        .get("total_amount")
                        .and_then(Value::as_i64)
                        .unwrap_or(0),
                    payload: payment
                        .get("invoice_payload")
                        .and_then(Value::as_str)
                        .unwrap_or_default()
                        .to_owned(),
                    refunded: false,
                };
                self.charges.entry(charge_id.to_owned()).or_insert(charge);
            }
        }

        if let Some(query) = object
            .get_mut("callback_query")
            .and_then(Value::as_object_mut)
        {
            if let Some(id) = query.get("id").and_then(Value::as_str) {
                self.callback_queries.entry(id.to_owned()).or_insert(false);
            }
            let target = query.get("message").and_then(|message| {
                let chat_id = message.get("chat")?.get("id")?.as_i64()?;
                let message_id = message.get("message_id")?.as_i64()?;
                Some((chat_id, message_id))
            });
            if let Some((chat_id, message_id)) = target
                && let Some(chat) = self.chats.get(&chat_id)
                && let Some(stored) = chat
                    .messages
                    .iter()
                    .find(|m| m.message_id == message_id && !m.deleted)
            {
                query.insert("message".to_owned(), stored.to_json(&self.bot, &chat.info));
            }
        }

        if let Some(id) = object
            .get("pre_checkout_query")
            .and_then(|query| query.get("id"))
            .and_then(Value::as_str)
        {
            self.pre_checkouts
                .entry(id.to_owned())
                .or_insert(PreCheckout {
                    pushed: Instant::now(),
                    answered: false,
                });
        }
        update
    }

    /// Completes `update` and queues it for `getUpdates`; returns its `update_id`.
    pub(crate) fn queue_update(&mut self, update: Value) -> i64 {
        let update = self.accept_update(update);
        let update_id = update
            .get("update_id")
            .and_then(Value::as_i64)
            .unwrap_or_default();
        let at = self
            .queue
            .iter()
            .position(|queued| {
                queued
                    .get("update_id")
                    .and_then(Value::as_i64)
                    .unwrap_or_default()
                    > update_id
            })
            .unwrap_or(self.queue.len());
        self.queue.insert(at, update);
        update_id
    }

    /// A refund's service message, queued in the payer's private chat.
    pub(crate) fn queue_refund_message(&mut self, charge_id: &str) {
        let Some(charge) = self.charges.get(charge_id).cloned() else {
            return;
        };
        let chat = self.chat_info(charge.user_id);
        let user = if charge.user.is_object() {
            charge.user.clone()
        } else {
            json!({"id": charge.user_id, "is_bot": false, "first_name": ""})
        };
        let message =
            update::refunded_payment(chat, user, charge.total_amount, &charge.payload, charge_id);
        self.queue_update(message);
    }
}

/// The fake never sends these to pollers unless asked for explicitly.
const OPT_IN_UPDATES: &[&str] = &["chat_member", "message_reaction", "message_reaction_count"];

impl Book {
    /// Applies `getUpdates`' `offset`: everything below a positive offset is confirmed; a
    /// negative one keeps only the last `-offset` updates.
    pub(crate) fn confirm(&mut self, offset: i64) {
        if offset > 0 {
            self.queue.retain(|update| {
                update
                    .get("update_id")
                    .and_then(Value::as_i64)
                    .unwrap_or_default()
                    >= offset
            });
        } else if offset < 0 {
            let keep = usize::try_from(offset.unsigned_abs()).unwrap_or(usize::MAX);
            while self.queue.len() > keep {
                self.queue.pop_front();
            }
        }
    }

    /// Drops updates of kinds the bot did not ask for and returns up to `limit` of the rest.
    pub(crate) fn batch(&mut self, limit: usize) -> Vec<Value> {
        let allowed = self.allowed_updates.clone().unwrap_or_default();
        self.queue.retain(|update| {
            let kind = update
                .as_object()
                .and_then(|object| object.keys().find(|key| *key != "update_id"))
                .map(String::as_str)
                .unwrap_or_default();
            if allowed.is_empty() {
                !OPT_IN_UPDATES.contains(&kind)
            } else {
                allowed.iter().any(|name| name == kind)
            }
        });
        self.queue.iter().take(limit).cloned().collect()
    }
}
