//! `FakeTelegram`: the handle tests hold, and the public types it speaks in.

use std::fmt;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Instant;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use bytes::Bytes;
use serde_json::{Value, json};

use super::chat::TgGroup;
use super::keyboard::Button;
use super::members::MemberStatus;
use super::method::Method;
use super::route;
use super::state::Shared;
use super::update::{self, TgUser};
use crate::server::Server;

/// The bot's username (`getMe.username`), as in `/t@scribe_fake_bot` and `https://t.me/…`.
pub const BOT_USERNAME: &str = "scribe_fake_bot";

/// The methods the third-party emulator `telegram-test-api` implements (`reference/apis.md`
/// §6), for [`FakeTelegram::start_emulator`].
pub const TEST_API_METHODS: &[&str] = &[
    "getMe",
    "getUpdates",
    "sendMessage",
    "editMessageText",
    "editMessageReplyMarkup",
    "deleteMessage",
    "answerCallbackQuery",
    "setWebhook",
    "deleteWebhook",
];

/// A fault to inject into the next call of one method.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Failure {
    /// 429 `Too Many Requests: retry after N` with `parameters.retry_after`.
    TooManyRequests { retry_after: u32 },
    /// Any error envelope: HTTP `code`, `error_code: code`, `description`.
    Status { code: u16, description: String },
}

/// What kind of media a registered file is; decides its `getFile` path.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum FileKind {
    Voice,
    Audio,
    Video,
    VideoNote,
    Document,
}

impl FileKind {
    pub(crate) fn directory(self) -> &'static str {
        match self {
            Self::Voice => "voice",
            Self::Audio => "music",
            Self::Video => "videos",
            Self::VideoNote => "video_notes",
            Self::Document => "documents",
        }
    }

    pub(crate) fn default_extension(self) -> &'static str {
        match self {
            Self::Voice => "oga",
            Self::Audio => "mp3",
            Self::Video | Self::VideoNote => "mp4",
            Self::Document => "m4a",
        }
    }

    pub(crate) fn file_id_prefix(self) -> &'static str {
        match self {
            Self::Voice => "AwACAgIAAxkBAA",
            Self::Audio => "CQACAgIAAxkBAA",
            Self::Video => "BAACAgIAAxkBAA",
            Self::VideoNote => "DQACAgIAAxkBAA",
            Self::Document => "BQACAgIAAxkBAA",
        }
    }
}

/// A registered file, as it appears in messages.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileRef {
    pub file_id: String,
    pub file_unique_id: String,
    pub file_size: u64,
}

/// A file sent in a multipart request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Upload {
    pub(crate) file_name: String,
    pub(crate) bytes: Vec<u8>,
    /// The part's `Content-Type`, if the client sent one.
    pub(crate) content_type: Option<String>,
}

/// One Bot API request the fake received.
#[derive(Debug, Clone)]
pub struct Call {
    /// Canonical camelCase name (`sendMessage`); unknown methods keep the requested spelling.
    pub method: String,
    /// All parameters as one JSON object, JSON-string fields decoded, numeric form fields typed.
    /// A multipart upload is in the message it made ([`BotMessage::document`]).
    pub params: Value,
    /// When the request arrived.
    pub at: Instant,
}

/// A document the bot sent, as Telegram keeps it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BotDocument {
    pub file_name: String,
    /// As Telegram reports it: the part's `Content-Type`, or guessed from the file name when the
    /// client sent none or `application/octet-stream`.
    pub mime_type: String,
    pub bytes: Vec<u8>,
}

impl BotDocument {
    /// The content as UTF-8 text (`.txt`, `.srt`, `.vtt`), if it is.
    pub fn text(&self) -> Option<&str> {
        std::str::from_utf8(&self.bytes).ok()
    }
}

/// A message the bot sent, in its current state.
#[derive(Debug, Clone, PartialEq)]
pub struct BotMessage {
    pub message_id: i64,
    /// Current text as sent (markup included), after edits.
    pub text: Option<String>,
    /// Current text as users see it: tags removed, entities decoded.
    pub rendered_text: Option<String>,
    pub parse_mode: Option<String>,
    /// An uploaded document, or one sent by the `file_id` of a file the fake holds.
    pub document: Option<BotDocument>,
    pub caption: Option<String>,
    pub reply_markup: Option<Value>,
    /// The inline keyboard's buttons, row by row.
    pub buttons: Vec<Button>,
    /// The message it replies to (`reply_parameters` that found their target).
    pub reply_to_message_id: Option<i64>,
    /// The `Invoice` object of a `sendInvoice` message.
    pub invoice: Option<Value>,
    pub deleted: bool,
    /// How many successful edits (text or markup) it had.
    pub edits: usize,
}

/// The webhook as last set with `setWebhook`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WebhookState {
    pub url: String,
    pub secret_token: Option<String>,
    pub allowed_updates: Option<Vec<String>>,
    pub max_connections: Option<u32>,
}

/// What [`FakeTelegram::push_update`] did with an update.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Pushed {
    /// The `update_id` it was queued under; `None` when Telegram would not deliver it to the bot
    /// (a group message privacy mode hides, or a group the bot is not in).
    pub update_id: Option<i64>,
    /// The id of the message it carries (delivered or not: it exists in its chat and can be
    /// replied to).
    pub message_id: Option<i64>,
}

/// A fake Telegram Bot API server.
///
/// The bot calls `{api_url}/bot{token}/{method}` and downloads
/// `{api_url}/file/bot{token}/{file_path}`. Cheap to clone; the server stops when the last clone
/// is dropped.
#[derive(Clone)]
pub struct FakeTelegram {
    shared: Arc<Shared>,
    server: Arc<Server>,
}

impl fmt::Debug for FakeTelegram {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("FakeTelegram")
            .field("api_url", &self.server.url())
            .field("local", &self.shared.local_dir.is_some())
            .field("emulator", &self.shared.supported.is_some())
            .finish_non_exhaustive()
    }
}

impl FakeTelegram {
    /// Starts a fake of `api.telegram.org` for the bot with `token`.
    pub async fn start(token: &str) -> Self {
        Self::launch(token, None, None).await
    }

    /// Starts a fake of a local Bot API server run with `--local`: `getFile` writes the file into
    /// `dir` and returns its absolute path; no 20 MB download limit, 2000 MB uploads.
    pub async fn start_local(token: &str, dir: PathBuf) -> Self {
        Self::launch(token, Some(dir), None).await
    }

    /// Starts a fake of a third-party Bot API emulator that implements only `methods` (any case;
    /// e.g. [`TEST_API_METHODS`]): every other method answers 404
    /// `{"ok":false,"error_code":404,"description":"Not Found"}`.
    ///
    /// # Panics
    /// If `methods` names a method the fake does not implement.
    pub async fn start_emulator(token: &str, methods: &[&str]) -> Self {
        let supported = methods
            .iter()
            .map(|name| {
                Method::parse(name).unwrap_or_else(|| panic!("the fake does not implement {name}"))
            })
            .collect();
        Self::launch(token, None, Some(supported)).await
    }

    async fn launch(
        token: &str,
        local_dir: Option<PathBuf>,
        supported: Option<Vec<Method>>,
    ) -> Self {
        let shared = Arc::new(Shared::new(token, local_dir, supported));
        let app = Router::new()
            .fallback(route::handle)
            .layer(DefaultBodyLimit::disable())
            .with_state(Arc::clone(&shared));
        let server = Arc::new(Server::start("fake telegram", app).await);
        Self { shared, server }
    }

    /// `http://127.0.0.1:PORT`.
    pub fn api_url(&self) -> String {
        self.server.url()
    }

    /// Makes the next call of `method` (any case) fail as described. Failures queue per method
    /// and are consumed one per call. `"download"` targets the file download route.
    pub fn fail_next(&self, method: &str, failure: Failure) {
        let key = Method::parse(method).map_or_else(|| method.to_ascii_lowercase(), Method::key);
        self.shared
            .book()
            .failures
            .entry(key)
            .or_default()
            .push_back(failure);
    }

    /// While `down`, every request is answered 502 with an HTML body, as by a proxy in front
    /// of an unreachable Telegram.
    pub fn set_down(&self, down: bool) {
        self.shared.down.store(down, Ordering::SeqCst);
    }

    /// Privacy mode (on by default): while on, a bot that is not a group's administrator
    /// receives only the group messages meant for it (`getMe.can_read_all_group_messages` is
    /// `false`); while off, it receives them all.
    pub fn set_privacy_mode(&self, enabled: bool) {
        self.shared.book().privacy_mode = enabled;
    }

    /// `getMe.can_join_groups` (true by default).
    pub fn set_can_join_groups(&self, can_join: bool) {
        self.shared.book().can_join_groups = can_join;
    }

    /// Makes `user` a member of `group` with `status` (what `getChatMember` answers). Users who
    /// post in a group become members by themselves; this sets anything else.
    pub fn set_member(&self, group: &TgGroup, user: &TgUser, status: MemberStatus) {
        let mut book = self.shared.book();
        book.users.insert(user.id, user.to_json());
        let chat = book.chat_mut(group.id);
        chat.info = group.to_json();
        chat.members.insert(user.id, status);
    }

    /// The bot's own status in `group` (`member` until set). `administrator` or `creator` means
    /// it receives every message; `left` or `kicked` means none, and sending there fails with
    /// 403 as the Bot API does.
    pub fn set_bot_member(&self, group: &TgGroup, status: MemberStatus) {
        let mut book = self.shared.book();
        let chat = book.chat_mut(group.id);
        chat.info = group.to_json();
        chat.bot_status = status;
    }

    /// Upgrades basic `group` to the supergroup `supergroup_id`, as Telegram does when `by`
    /// (a member) changes a setting that needs one: queues the two service messages
    /// (`migrate_to_chat_id` in the group, `migrate_from_chat_id` as message 1 of the
    /// supergroup), carries members and the bot over, and from then on answers any send to the
    /// group's id with 400 `Bad Request: group chat was upgraded to a supergroup chat` and
    /// `parameters.migrate_to_chat_id`. Returns the supergroup.
    ///
    /// # Panics
    /// If `group` is already a supergroup or was upgraded before.
    pub fn migrate_group(&self, group: &TgGroup, supergroup_id: i64, by: &TgUser) -> TgGroup {
        assert!(!group.supergroup, "{} is a supergroup already", group.id);
        let supergroup = TgGroup::supergroup(supergroup_id, &group.title);
        let [in_group, in_supergroup] = update::migration(group, &supergroup, by);
        {
            let mut book = self.shared.book();
            book.queue_update(in_group);
            let old = book.chat_mut(group.id);
            old.migrated_to = Some(supergroup_id);
            let (members, bot_status) = (old.members.clone(), old.bot_status);
            let new = book.chat_mut(supergroup_id);
            new.info = supergroup.to_json();
            new.members = members;
            new.bot_status = bot_status;
            book.queue_update(in_supergroup);
        }
        self.shared.changed.notify_waiters();
        supergroup
    }

    /// Restarts the `update_id` sequence at `start`, as Telegram does after a week without
    /// updates (the next id is then random, often lower than the last one the bot saw). An
    /// offset the bot sends from the old sequence is then "in the future" and confirms nothing,
    /// as with the real server.
    ///
    /// # Panics
    /// If updates are pending: the sequence only restarts after a week with none.
    pub fn reset_update_ids(&self, start: i64) {
        let mut book = self.shared.book();
        assert!(
            book.queue.is_empty(),
            "{} updates are pending; Telegram restarts update ids only after a week without any",
            book.queue.len()
        );
        book.next_update_id = start;
    }

    /// Queues an update for `getUpdates`, as Telegram would deliver it. Assigns `update_id`
    /// (increasing from 1) when absent and `message.message_id` from the chat's sequence when
    /// absent; fills in `reply_to_message`; registers members, callback and pre-checkout query
    /// ids and successful-payment charges. A group message the bot would not receive (privacy
    /// mode, or a group it is not in) is kept in its chat but not queued.
    ///
    /// # Panics
    /// If `update` is not a JSON object, replies to a message its chat never had, or posts in a
    /// group that became a supergroup.
    pub fn push_update(&self, update: Value) -> Pushed {
        let accepted = self.shared.book().queue_update(update);
        self.shared.changed.notify_waiters();
        Pushed {
            update_id: accepted
                .update
                .get("update_id")
                .and_then(Value::as_i64)
                .filter(|_| accepted.delivered),
            message_id: accepted.message_id,
        }
    }

    /// Like [`push_update`](Self::push_update) without queueing: returns the completed update,
    /// e.g. to POST it to the bot's webhook yourself.
    ///
    /// # Panics
    /// As `push_update`, and if Telegram would not deliver the update to the bot (use
    /// `push_update` to post a message the bot does not see).
    pub fn register_update(&self, update: Value) -> Value {
        let accepted = self.shared.book().accept_update(update);
        assert!(
            accepted.delivered,
            "Telegram would not deliver this update to the bot: {}",
            accepted.update
        );
        accepted.update
    }

    /// Queues a `successful_payment` message in XTR (registering the charge).
    pub fn push_successful_payment(
        &self,
        chat_id: i64,
        user: &TgUser,
        total_amount: i64,
        payload: &str,
        charge_id: &str,
    ) -> Pushed {
        self.push_update(update::successful_payment(
            chat_id,
            user,
            "XTR",
            total_amount,
            payload,
            charge_id,
        ))
    }

    /// Registers a downloadable file of `kind`.
    pub fn add_file(&self, kind: FileKind, bytes: Vec<u8>) -> FileRef {
        let size = bytes.len() as u64;
        self.shared
            .book()
            .add_file(kind, Some(Bytes::from(bytes)), size, None)
    }

    /// Registers a downloadable file whose path takes the extension of `file_name`.
    pub fn add_named_file(&self, kind: FileKind, file_name: &str, bytes: Vec<u8>) -> FileRef {
        let size = bytes.len() as u64;
        let extension = file_name.rsplit_once('.').map(|(_, ext)| ext);
        self.shared
            .book()
            .add_file(kind, Some(Bytes::from(bytes)), size, extension)
    }

    /// Registers a file that has only a size. Downloading it answers 404 (and is recorded in
    /// [`downloads`](Self::downloads)); in local mode `getFile` creates a sparse file of that size.
    pub fn add_file_of_size(&self, kind: FileKind, size: u64) -> FileRef {
        self.shared.book().add_file(kind, None, size, None)
    }

    /// `file_path`s requested from the download route (absolute paths handed out by `getFile`
    /// in local mode), in order.
    pub fn downloads(&self) -> Vec<String> {
        self.shared.book().downloads.clone()
    }

    /// Every request received, in arrival order.
    pub fn calls(&self) -> Vec<Call> {
        self.shared.book().calls.clone()
    }

    /// Requests of one method (any case).
    pub fn calls_of(&self, method: &str) -> Vec<Call> {
        let name: &str = match Method::parse(method) {
            Some(known) => known.name(),
            None => method,
        };
        self.shared
            .book()
            .calls
            .iter()
            .filter(|call| call.method == name)
            .cloned()
            .collect()
    }

    /// Messages the bot sent to `chat_id`, deleted ones included, in order.
    pub fn messages(&self, chat_id: i64) -> Vec<BotMessage> {
        self.shared.book().messages(chat_id)
    }

    /// Updates queued and not yet confirmed.
    pub fn pending_updates(&self) -> usize {
        self.shared.book().queue.len()
    }

    /// Makes `getWebhookInfo` report a failed delivery to the webhook at `unix_time`
    /// (`last_error_date`, `last_error_message`), as Telegram does after the webhook did not
    /// answer or answered with an error.
    pub fn fail_delivery(&self, unix_time: i64, message: &str) {
        self.shared.book().delivery_error = Some((unix_time, message.to_owned()));
    }

    /// The webhook, if one is set.
    pub fn webhook(&self) -> Option<WebhookState> {
        self.shared.book().webhook.clone()
    }

    /// Commands of the default scope without a language.
    pub fn commands(&self) -> Vec<Value> {
        self.commands_for(&json!({"type": "default"}), "")
    }

    /// Commands of exactly this scope and language (`""` for none).
    pub fn commands_for(&self, scope: &Value, language_code: &str) -> Vec<Value> {
        let key = (scope.to_string(), language_code.to_owned());
        self.shared
            .book()
            .commands
            .get(&key)
            .cloned()
            .unwrap_or_default()
    }

    /// `(query id, ok, error_message)` of every accepted `answerPreCheckoutQuery`.
    pub fn pre_checkout_answers(&self) -> Vec<(String, bool, Option<String>)> {
        self.shared.book().pre_checkout_answers.clone()
    }

    /// `(user_id, telegram_payment_charge_id)` of every accepted refund.
    pub fn refunds(&self) -> Vec<(i64, String)> {
        self.shared.book().refunds.clone()
    }
}
