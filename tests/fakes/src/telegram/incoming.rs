//! Updates tests hand to the fake: completing them as Telegram would (ids, the replied message,
//! the latest state of a pressed message), registering what they carry (chats, members, users,
//! queries, charges), deciding whether Telegram would deliver them to the bot at all, and the
//! queue `getUpdates` reads.

use std::time::Instant;

use serde_json::{Map, Value, json};

use super::fake::BOT_USERNAME;
use super::members::MemberStatus;
use super::privacy::{self, Recipient};
use super::state::{Book, Charge, Chat, Incoming, PreCheckout};
use super::update;

/// Offsets this far beyond the next update id are "in the future": the Bot API server then
/// reads from the head of the queue instead of confirming anything (tdlib `TQueue::get`).
const FUTURE_OFFSET_SLACK: i64 = 10;

/// The fake never sends these to pollers unless asked for explicitly.
const OPT_IN_UPDATES: &[&str] = &["chat_member", "message_reaction", "message_reaction_count"];

/// An update the fake completed.
#[derive(Debug, Clone)]
pub(crate) struct Accepted {
    /// The update; without `update_id` when not delivered.
    pub(crate) update: Value,
    /// Whether Telegram would deliver it to the bot.
    pub(crate) delivered: bool,
    /// The id of the message it carries, if any.
    pub(crate) message_id: Option<i64>,
}

impl Book {
    /// Completes an incoming update and registers what it carries; does not queue it. An update
    /// the bot would not receive (a group message hidden by privacy mode) gets no `update_id`,
    /// but its message still exists in the chat (it can be replied to).
    ///
    /// # Panics
    /// If `update` is not a JSON object, replies to a message the chat never had, or posts in a
    /// group that became a supergroup: bugs in the test, documented on `push_update` and
    /// `register_update`.
    pub(crate) fn accept_update(&mut self, mut update: Value) -> Accepted {
        let Some(object) = update.as_object_mut() else {
            panic!("an Update must be a JSON object, got {update}");
        };
        let mut delivered = true;
        let mut message_id = None;
        for key in ["message", "edited_message"] {
            if let Some(message) = object.get_mut(key).and_then(Value::as_object_mut) {
                let (id, seen) = self.accept_message(message, key == "edited_message");
                message_id = id;
                delivered = seen;
            }
        }
        if let Some(query) = object
            .get_mut("callback_query")
            .and_then(Value::as_object_mut)
        {
            self.accept_callback_query(query);
        }
        if let Some(query) = object.get("pre_checkout_query") {
            self.remember_user(query.get("from"));
            if let Some(id) = query.get("id").and_then(Value::as_str) {
                self.pre_checkouts
                    .entry(id.to_owned())
                    .or_insert(PreCheckout {
                        pushed: Instant::now(),
                        answered: false,
                    });
            }
        }
        if delivered {
            match object.get("update_id").and_then(Value::as_i64) {
                Some(id) => self.next_update_id = self.next_update_id.max(id + 1),
                None => {
                    object.insert("update_id".to_owned(), json!(self.next_update_id));
                    self.next_update_id += 1;
                }
            }
        } else {
            object.remove("update_id");
        }
        Accepted {
            update,
            delivered,
            message_id,
        }
    }

    /// Completes a (possibly edited) message and keeps it; returns its id (when it has a chat)
    /// and whether the bot receives it.
    fn accept_message(
        &mut self,
        message: &mut Map<String, Value>,
        edit: bool,
    ) -> (Option<i64>, bool) {
        self.remember_user(message.get("from"));
        let Some(chat_id) = message
            .get("chat")
            .and_then(|chat| chat.get("id"))
            .and_then(Value::as_i64)
        else {
            return (None, true);
        };
        let bot = self.bot.clone();
        let recipient = Recipient {
            id: bot.get("id").and_then(Value::as_i64).unwrap_or_default(),
            username: BOT_USERNAME,
            reads_all: !self.privacy_mode,
        };
        let chat = self
            .chats
            .entry(chat_id)
            .or_insert_with(|| Chat::new(chat_id));
        if let Some(supergroup) = chat.migrated_to {
            panic!("group {chat_id} became supergroup {supergroup}: post there instead");
        }
        if let Some(info) = message.get("chat") {
            chat.info = info.clone();
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
        let replied_id = message
            .get("reply_to_message")
            .and_then(|replied| replied.get("message_id"))
            .and_then(Value::as_i64);
        if let Some(replied_id) = replied_id {
            let known = chat.incoming.contains_key(&replied_id)
                || chat.messages.iter().any(|m| m.message_id == replied_id);
            assert!(
                known,
                "message {message_id} replies to message {replied_id}, which chat {chat_id} never had"
            );
            match chat.replied(replied_id, &bot) {
                Some(replied) => message.insert("reply_to_message".to_owned(), replied),
                None => message.remove("reply_to_message"),
            };
        }
        let sender = message
            .get("from")
            .filter(|from| from.get("is_bot").and_then(Value::as_bool) != Some(true))
            .and_then(|from| from.get("id"))
            .and_then(Value::as_i64);
        if let Some(user_id) = sender
            && chat.kind() != "private"
        {
            chat.members.entry(user_id).or_insert(MemberStatus::Member);
        }
        let message_json = Value::Object(message.clone());
        let delivered = privacy::delivered(&message_json, chat, recipient);
        let deleted = edit
            && chat
                .incoming
                .get(&message_id)
                .is_some_and(|incoming| incoming.deleted);
        chat.incoming.insert(
            message_id,
            Incoming {
                message: message_json,
                deleted,
            },
        );

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
        (Some(message_id), delivered)
    }

    /// Registers the query and shows the pressed message as it stands now.
    fn accept_callback_query(&mut self, query: &mut Map<String, Value>) {
        self.remember_user(query.get("from"));
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

    /// Keeps the `User` object of a human sender, for `getChatMember`.
    fn remember_user(&mut self, user: Option<&Value>) {
        let Some(user) = user else {
            return;
        };
        if user.get("is_bot").and_then(Value::as_bool) == Some(true) {
            return;
        }
        if let Some(id) = user.get("id").and_then(Value::as_i64) {
            self.users.insert(id, user.clone());
        }
    }

    /// Completes `update` and, when the bot would receive it, queues it for `getUpdates`.
    pub(crate) fn queue_update(&mut self, update: Value) -> Accepted {
        let accepted = self.accept_update(update);
        if !accepted.delivered {
            return accepted;
        }
        let id = update_id(&accepted.update);
        let at = self
            .queue
            .iter()
            .position(|queued| update_id(queued) > id)
            .unwrap_or(self.queue.len());
        self.queue.insert(at, accepted.update.clone());
        accepted
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

    /// Applies `getUpdates`' `offset`: everything below a positive offset is confirmed (unless
    /// the offset is in the future, see [`FUTURE_OFFSET_SLACK`]); a negative one keeps only the
    /// last `-offset` updates.
    pub(crate) fn confirm(&mut self, offset: i64) {
        if offset > self.next_update_id + FUTURE_OFFSET_SLACK {
            return;
        }
        if offset > 0 {
            self.queue.retain(|update| update_id(update) >= offset);
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

fn update_id(update: &Value) -> i64 {
    update
        .get("update_id")
        .and_then(Value::as_i64)
        .unwrap_or_default()
}
