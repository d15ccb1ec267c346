//! `FakeTelegram`: the handle tests hold, and the public types it speaks in.

use std::fmt;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use axum::Router;
use axum::extract::DefaultBodyLimit;
use bytes::Bytes;
use serde_json::{Value, json};

use super::method::Method;
use super::route;
use super::state::Shared;
use super::update::{self, TgUser};
use crate::server::Server;

/// A fault to inject into the next call of one method.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Failure {
    /// 429 `Too Many Requests: retry after N` with `parameters.retry_after`.
    TooManyRequests { retry_after: u32 },
    /// Any error envelope: HTTP `code`, `error_code: code`, `description`.
    Status { code: u16, description: String },
    /// Hold the request for this long, then handle it normally. A client that gives up first
    /// leaves the call without effect.
    Hang(Duration),
    /// Handle the request (its effect happens), then hold the response for this long: the
    /// "sent but the client never heard back" case that breeds duplicates.
    HangAfter(Duration),
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
pub struct Upload {
    /// The multipart field name (e.g. `document`).
    pub field: String,
    pub file_name: String,
    pub bytes: Vec<u8>,
    /// The part's `Content-Type`, if the client sent one.
    pub content_type: Option<String>,
}

/// One Bot API request the fake received.
#[derive(Debug, Clone)]
pub struct Call {
    /// Canonical camelCase name (`sendMessage`); unknown methods keep the requested spelling.
    pub method: String,
    /// All parameters as one JSON object, JSON-string fields decoded, numeric form fields typed.
    pub params: Value,
    pub upload: Option<Upload>,
    /// When the request arrived.
    pub at: Instant,
    /// Whether the answer was `{"ok":true,…}` (false while still in progress).
    pub response_ok: bool,
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
    pub document: Option<Upload>,
    pub caption: Option<String>,
    pub reply_markup: Option<Value>,
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
            .finish_non_exhaustive()
    }
}

impl FakeTelegram {
    /// Starts a fake of `api.telegram.org` for the bot with `token`.
    pub async fn start(token: &str) -> Self {
        Self::launch(token, None).await
    }

    /// Starts a fake of a local Bot API server run with `--local`: `getFile` writes the file into
    /// `dir` and returns its absolute path; no 20 MB download limit, 2000 MB uploads.
    pub async fn start_local(token: &str, dir: PathBuf) -> Self {
        Self::launch(token, Some(dir)).await
    }

    async fn launch(token: &str, local_dir: Option<PathBuf>) -> Self {
        let shared = Arc::new(Shared::new(token, local_dir));
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

    /// The token the fake accepts.
    pub fn token(&self) -> &str {
        &self.shared.token
    }

    /// The bot's `User` object (`getMe` without the capability flags).
    pub fn bot_user(&self) -> Value {
        self.shared.bot.clone()
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

    /// While `blocked`, sending to `chat_id` fails with 403 `Forbidden: bot was blocked by the user`.
    pub fn set_blocked(&self, chat_id: i64, blocked: bool) {
        let mut book = self.shared.book();
        if blocked {
            book.blocked.insert(chat_id);
        } else {
            book.blocked.remove(&chat_id);
        }
    }

    /// Queues an update for `getUpdates`. Assigns `update_id` (increasing from 1) when absent,
    /// and `message.message_id` from the chat's sequence when absent; registers callback and
    /// pre-checkout query ids and successful-payment charges. Returns the `update_id`.
    ///
    /// # Panics
    /// If `update` is not a JSON object.
    pub fn push_update(&self, update: Value) -> i64 {
        let update_id = self.shared.book().queue_update(update);
        self.shared.changed.notify_waiters();
        update_id
    }

    /// Like [`push_update`](Self::push_update) without queueing: returns the completed update,
    /// e.g. to POST it to the bot's webhook yourself.
    ///
    /// # Panics
    /// If `update` is not a JSON object.
    pub fn register_update(&self, update: Value) -> Value {
        self.shared.book().accept_update(update)
    }

    /// Queues a `successful_payment` message in XTR (registering the charge); returns the
    /// `update_id`.
    pub fn push_successful_payment(
        &self,
        chat_id: i64,
        user: &TgUser,
        total_amount: i64,
        payload: &str,
        charge_id: &str,
    ) -> i64 {
        self.push_update(update::successful_payment(
            chat_id,
            user,
            "XTR",
            total_amount,
            payload,
            charge_id,
        ))
    }

    /// Registers a Stars charge that `refundStarPayment` may refund, without any update.
    pub fn register_charge(&self, user_id: i64, charge_id: &str, total_amount: i64, payload: &str) {
        self.shared.book().charges.insert(
            charge_id.to_owned(),
            super::state::Charge {
                user: Value::Null,
                user_id,
                total_amount,
                payload: payload.to_owned(),
                refunded: false,
            },
        );
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
