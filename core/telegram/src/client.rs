//! A typed Bot API client over reqwest. The base URL is configurable (cloud API, local Bot API
//! server, fakes); the token never appears in errors or logs.

use std::path::{Path, PathBuf};
use std::time::Duration;

use futures::StreamExt;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use tokio::io::AsyncWriteExt;
use url::Url;

use super::types::{BotCommand, ChatMember, File, InlineKeyboard, Message, WebhookInfo};
use scribe_core::retry::{Classify, Retry};
use scribe_core::secret::Secret;

#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// Telegram answered `ok: false`.
    #[error("Telegram {method}: {code} {description}")]
    Api {
        method: &'static str,
        code: u16,
        description: String,
        retry_after: Option<u32>,
    },
    /// The request did not complete (connection, timeout, a body that did not arrive).
    #[error("Telegram {method}: {}", scribe_core::http::failure(source))]
    Http {
        method: &'static str,
        #[source]
        source: reqwest::Error,
    },
    /// A status without the Bot API envelope (a proxy error page, say).
    #[error("Telegram {method}: HTTP {status} without a Bot API body")]
    Status { method: &'static str, status: u16 },
    #[error("Telegram {method}: unexpected response body")]
    Decode {
        method: &'static str,
        #[source]
        source: serde_json::Error,
    },
    #[error("writing the downloaded file failed")]
    Io(#[source] std::io::Error),
    /// A local Bot API server named a file outside the directory it may use (or no directory
    /// is configured): the path is not opened.
    #[error("Telegram gave a local file path outside the allowed root")]
    LocalPath,
}

impl Error {
    fn description(&self) -> &str {
        match self {
            Error::Api { description, .. } => description,
            _ => "",
        }
    }

    /// `editMessageText` with the same content: the edit already happened.
    pub fn is_not_modified(&self) -> bool {
        self.description().contains("message is not modified")
    }

    /// `getFile` over the Bot API's download limit.
    pub fn is_file_too_big(&self) -> bool {
        self.description().contains("file is too big")
    }

    /// The message to edit or delete is gone.
    pub fn is_message_gone(&self) -> bool {
        let d = self.description();
        d.contains("message to edit not found")
            || d.contains("message to delete not found")
            || d.contains("message can't be edited")
    }

    /// `getUpdates` refused because a webhook is set (409 Conflict).
    pub fn is_webhook_conflict(&self) -> bool {
        matches!(self, Error::Api { code: 409, .. }) && self.description().contains("webhook")
    }

    /// The Bot API server does not know the method (third-party emulators lack some).
    pub fn is_unknown_method(&self) -> bool {
        matches!(
            self,
            Error::Api { code: 404, .. } | Error::Status { status: 404, .. }
        )
    }

    /// The charge was refunded before.
    pub fn is_already_refunded(&self) -> bool {
        self.description().contains("CHARGE_ALREADY_REFUNDED")
    }

    /// A callback or pre-checkout query answered too late or twice.
    pub fn is_query_too_old(&self) -> bool {
        self.description().contains("query is too old")
    }

    /// Short machine name of the failure, for metrics labels.
    pub fn kind(&self) -> &'static str {
        match self {
            Error::Api { code: 429, .. } => "flood",
            Error::Api {
                code: 400..=499, ..
            } => "rejected",
            Error::Api { .. } | Error::Status { .. } => "server",
            Error::Http { .. } => "transport",
            Error::Decode { .. } => "decode",
            Error::Io(_) => "io",
            Error::LocalPath => "local_path",
        }
    }
}

impl Classify for Error {
    fn retry(&self) -> Retry {
        match self {
            Error::Api {
                code, retry_after, ..
            } => Retry::from_status(
                *code,
                retry_after.map(|s| Duration::from_secs(u64::from(s))),
            ),
            Error::Status { status, .. } => Retry::from_status(*status, None),
            Error::Http { source, .. } => Retry::from_reqwest(source),
            Error::Decode { .. } => Retry::Permanent,
            // The work directory was full or unwritable: that passes (a sweep, another node).
            Error::Io(_) => Retry::Transient { after: None },
            Error::LocalPath => Retry::Permanent,
        }
    }
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

#[derive(Deserialize)]
struct Envelope<T> {
    ok: bool,
    result: Option<T>,
    #[serde(default)]
    error_code: Option<u16>,
    #[serde(default)]
    description: Option<String>,
    #[serde(default)]
    parameters: Option<ResponseParameters>,
}

#[derive(Deserialize)]
struct ResponseParameters {
    retry_after: Option<u32>,
}

/// A Stars invoice.
#[derive(Debug, Clone)]
pub struct Invoice<'a> {
    pub title: &'a str,
    pub description: &'a str,
    /// Up to 128 bytes; comes back in the pre-checkout query and the payment.
    pub payload: &'a str,
    pub label: &'a str,
    pub stars: i64,
}

/// Where a downloaded file is.
#[derive(Debug, Clone)]
pub enum Downloaded {
    /// Written by us into the requested path.
    Fetched(PathBuf),
    /// A local Bot API server (`--local`) already has it on a shared disk.
    Local(PathBuf),
}

impl Downloaded {
    pub fn path(&self) -> &Path {
        match self {
            Downloaded::Fetched(p) | Downloaded::Local(p) => p,
        }
    }
}

/// Options of `sendMessage` / `editMessageText` that scribe uses.
#[derive(Debug, Clone, Default)]
pub struct TextOptions {
    pub parse_mode: Option<&'static str>,
    pub reply_markup: Option<InlineKeyboard>,
    pub reply_to: Option<i64>,
}

impl TextOptions {
    pub fn html() -> Self {
        Self {
            parse_mode: Some("HTML"),
            ..Self::default()
        }
    }

    pub fn with_keyboard(mut self, keyboard: InlineKeyboard) -> Self {
        self.reply_markup = Some(keyboard);
        self
    }

    pub fn replying_to(mut self, message_id: i64) -> Self {
        self.reply_to = Some(message_id);
        self
    }
}

/// Which chats a command menu is for (`BotCommandScope`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CommandScope {
    /// Every chat without a more specific menu: private chats, here.
    Default,
    /// Every group and supergroup.
    AllGroupChats,
}

impl CommandScope {
    pub fn as_str(self) -> &'static str {
        match self {
            CommandScope::Default => "default",
            CommandScope::AllGroupChats => "all_group_chats",
        }
    }
}

/// A document to send: a file made in memory.
#[derive(Debug, Clone, Copy)]
pub struct Document<'a> {
    pub file_name: &'a str,
    pub mime: &'a str,
    pub bytes: &'a [u8],
    /// HTML.
    pub caption: Option<&'a str>,
    pub reply_to: Option<i64>,
    pub keyboard: Option<&'a InlineKeyboard>,
}

/// The Bot API client. Cheap to clone.
#[derive(Clone)]
pub struct Telegram {
    http: reqwest::Client,
    api_url: Url,
    token: Secret,
    /// Where a local Bot API server keeps its files; its paths are used only inside it.
    local_root: Option<PathBuf>,
}

impl std::fmt::Debug for Telegram {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Telegram")
            .field("api_url", &self.api_url.as_str())
            .finish_non_exhaustive()
    }
}

impl Telegram {
    pub fn new(http: reqwest::Client, api_url: Url, token: Secret) -> Self {
        Self {
            http,
            api_url,
            token,
            local_root: None,
        }
    }

    /// Accepts a local Bot API server's absolute file paths when they resolve (symlinks
    /// followed) inside `root`.
    pub fn with_local_root(mut self, root: Option<PathBuf>) -> Self {
        self.local_root = root;
        self
    }

    fn method_url(&self, method: &str) -> String {
        format!(
            "{}/bot{}/{method}",
            self.api_url.as_str().trim_end_matches('/'),
            self.token.expose()
        )
    }

    /// Calls `method` with JSON parameters.
    pub async fn call<P: Serialize + ?Sized, R: DeserializeOwned>(
        &self,
        method: &'static str,
        params: &P,
    ) -> Result<R> {
        self.call_with_timeout(method, params, None).await
    }

    async fn call_with_timeout<P: Serialize + ?Sized, R: DeserializeOwned>(
        &self,
        method: &'static str,
        params: &P,
        timeout: Option<Duration>,
    ) -> Result<R> {
        let mut request = self.http.post(self.method_url(method)).json(params);
        if let Some(t) = timeout {
            request = request.timeout(t);
        }
        let response = request.send().await.map_err(|e| Error::Http {
            method,
            source: e.without_url(),
        })?;
        Self::decode(method, response).await
    }

    async fn decode<R: DeserializeOwned>(
        method: &'static str,
        response: reqwest::Response,
    ) -> Result<R> {
        let status = response.status().as_u16();
        let body = response.bytes().await.map_err(|e| Error::Http {
            method,
            source: e.without_url(),
        })?;
        let envelope: Envelope<R> = match serde_json::from_slice(&body) {
            Ok(e) => e,
            Err(source) if status == 200 => return Err(Error::Decode { method, source }),
            Err(_) => return Err(Error::Status { method, status }),
        };
        match (envelope.ok, envelope.result) {
            (true, Some(result)) => Ok(result),
            (true, None) => Err(Error::Decode {
                method,
                source: serde::de::Error::missing_field("result"),
            }),
            (false, _) => Err(Error::Api {
                method,
                code: envelope.error_code.unwrap_or(status),
                description: envelope.description.unwrap_or_default(),
                retry_after: envelope.parameters.and_then(|p| p.retry_after),
            }),
        }
    }

    /// `getUpdates` long poll; `offset` confirms everything before it. Updates come back as
    /// raw JSON: ingress forwards them untouched.
    pub async fn get_updates(
        &self,
        offset: Option<i64>,
        timeout: Duration,
        allowed: &[&str],
    ) -> Result<Vec<Value>> {
        let params = json!({
            "offset": offset,
            "timeout": timeout.as_secs(),
            "allowed_updates": allowed,
        });
        // The HTTP timeout must outlast the long poll.
        self.call_with_timeout(
            "getUpdates",
            &params,
            Some(timeout + Duration::from_secs(15)),
        )
        .await
    }

    pub async fn get_me(&self) -> Result<Value> {
        self.call("getMe", &json!({})).await
    }

    pub async fn get_chat_member(&self, chat_id: i64, user_id: i64) -> Result<ChatMember> {
        self.call(
            "getChatMember",
            &json!({ "chat_id": chat_id, "user_id": user_id }),
        )
        .await
    }

    pub async fn get_file(&self, file_id: &str) -> Result<File> {
        self.call("getFile", &json!({ "file_id": file_id })).await
    }

    /// Downloads `file_path` (from `getFile`) into `dest`. An absolute path means a local Bot API
    /// server already holds the file on a shared disk, so nothing is fetched — but only a path
    /// that resolves inside the configured local root is used.
    pub async fn download(&self, file_path: &str, dest: &Path) -> Result<Downloaded> {
        if Path::new(file_path).is_absolute() {
            return self.local(file_path).await.map(Downloaded::Local);
        }
        let method = "download";
        let url = format!(
            "{}/file/bot{}/{}",
            self.api_url.as_str().trim_end_matches('/'),
            self.token.expose(),
            file_path
        );
        let response = self.http.get(url).send().await.map_err(|e| Error::Http {
            method,
            source: e.without_url(),
        })?;
        if !response.status().is_success() {
            let status = response.status().as_u16();
            return Err(Self::decode::<Value>(method, response)
                .await
                .err()
                .unwrap_or(Error::Status { method, status }));
        }
        let mut file = tokio::fs::File::create(dest).await.map_err(Error::Io)?;
        let mut body = response.bytes_stream();
        while let Some(chunk) = body.next().await {
            let chunk = chunk.map_err(|e| Error::Http {
                method,
                source: e.without_url(),
            })?;
            file.write_all(&chunk).await.map_err(Error::Io)?;
        }
        file.flush().await.map_err(Error::Io)?;
        Ok(Downloaded::Fetched(dest.to_path_buf()))
    }

    /// `path` resolved, with every symlink followed, when it lies inside the local root.
    async fn local(&self, path: &str) -> Result<PathBuf> {
        let root = self.local_root.as_deref().ok_or(Error::LocalPath)?;
        let root = tokio::fs::canonicalize(root)
            .await
            .map_err(|_| Error::LocalPath)?;
        let file = tokio::fs::canonicalize(path)
            .await
            .map_err(|_| Error::LocalPath)?;
        if file.starts_with(&root) && file != root {
            Ok(file)
        } else {
            Err(Error::LocalPath)
        }
    }

    pub async fn send_message(
        &self,
        chat_id: i64,
        text: &str,
        options: &TextOptions,
    ) -> Result<Message> {
        let mut params = json!({ "chat_id": chat_id, "text": text });
        merge_options(&mut params, options);
        self.call("sendMessage", &params).await
    }

    pub async fn edit_message_text(
        &self,
        chat_id: i64,
        message_id: i64,
        text: &str,
        options: &TextOptions,
    ) -> Result<()> {
        let mut params = json!({ "chat_id": chat_id, "message_id": message_id, "text": text });
        merge_options(&mut params, options);
        match self.call::<_, Value>("editMessageText", &params).await {
            Ok(_) => Ok(()),
            Err(e) if e.is_not_modified() => Ok(()),
            Err(e) => Err(e),
        }
    }

    pub async fn delete_message(&self, chat_id: i64, message_id: i64) -> Result<()> {
        self.call::<_, bool>(
            "deleteMessage",
            &json!({ "chat_id": chat_id, "message_id": message_id }),
        )
        .await
        .map(drop)
    }

    pub async fn send_chat_action(&self, chat_id: i64, action: &str) -> Result<()> {
        self.call::<_, bool>(
            "sendChatAction",
            &json!({ "chat_id": chat_id, "action": action }),
        )
        .await
        .map(drop)
    }

    /// Replaces a message's buttons.
    pub async fn edit_message_reply_markup(
        &self,
        chat_id: i64,
        message_id: i64,
        keyboard: &InlineKeyboard,
    ) -> Result<()> {
        let params =
            json!({ "chat_id": chat_id, "message_id": message_id, "reply_markup": keyboard });
        match self
            .call::<_, Value>("editMessageReplyMarkup", &params)
            .await
        {
            Ok(_) => Ok(()),
            Err(e) if e.is_not_modified() => Ok(()),
            Err(e) => Err(e),
        }
    }

    pub async fn answer_callback_query(&self, query_id: &str, text: Option<&str>) -> Result<()> {
        self.call::<_, bool>(
            "answerCallbackQuery",
            &json!({ "callback_query_id": query_id, "text": text }),
        )
        .await
        .map(drop)
    }

    /// Sends a document.
    pub async fn send_document(&self, chat_id: i64, document: &Document<'_>) -> Result<Message> {
        let method = "sendDocument";
        let part = reqwest::multipart::Part::bytes(document.bytes.to_vec())
            .file_name(document.file_name.to_owned())
            .mime_str(document.mime)
            .map_err(|e| Error::Http {
                method,
                source: e.without_url(),
            })?;
        let mut form = reqwest::multipart::Form::new()
            .text("chat_id", chat_id.to_string())
            .part("document", part);
        if let Some(c) = document.caption {
            form = form
                .text("caption", c.to_owned())
                .text("parse_mode", "HTML");
        }
        if let Some(id) = document.reply_to {
            form = form.text(
                "reply_parameters",
                json!({ "message_id": id, "allow_sending_without_reply": true }).to_string(),
            );
        }
        if let Some(keyboard) = document.keyboard {
            form = form.text(
                "reply_markup",
                serde_json::to_string(keyboard).map_err(|e| Error::Decode { method, source: e })?,
            );
        }
        let response = self
            .http
            .post(self.method_url(method))
            .multipart(form)
            .send()
            .await
            .map_err(|e| Error::Http {
                method,
                source: e.without_url(),
            })?;
        Self::decode(method, response).await
    }

    /// A Telegram Stars invoice (currency `XTR`, one price, no provider token).
    pub async fn send_invoice(&self, chat_id: i64, invoice: &Invoice<'_>) -> Result<Message> {
        let params = json!({
            "chat_id": chat_id,
            "title": invoice.title,
            "description": invoice.description,
            "payload": invoice.payload,
            "currency": "XTR",
            "prices": [{ "label": invoice.label, "amount": invoice.stars }],
            "provider_token": "",
        });
        self.call("sendInvoice", &params).await
    }

    pub async fn answer_pre_checkout_query(
        &self,
        query_id: &str,
        error: Option<&str>,
    ) -> Result<()> {
        let params = json!({ "pre_checkout_query_id": query_id, "ok": error.is_none(), "error_message": error });
        self.call::<_, bool>("answerPreCheckoutQuery", &params)
            .await
            .map(drop)
    }

    pub async fn refund_star_payment(&self, user_id: i64, charge_id: &str) -> Result<()> {
        let params = json!({ "user_id": user_id, "telegram_payment_charge_id": charge_id });
        self.call::<_, bool>("refundStarPayment", &params)
            .await
            .map(drop)
    }

    pub async fn set_webhook(
        &self,
        url: &str,
        secret_token: &Secret,
        allowed_updates: &[&str],
    ) -> Result<()> {
        let params = json!({
            "url": url,
            "secret_token": secret_token.expose(),
            "allowed_updates": allowed_updates,
            "max_connections": 40,
        });
        self.call::<_, bool>("setWebhook", &params).await.map(drop)
    }

    pub async fn delete_webhook(&self) -> Result<()> {
        self.call::<_, bool>("deleteWebhook", &json!({}))
            .await
            .map(drop)
    }

    pub async fn get_webhook_info(&self) -> Result<WebhookInfo> {
        self.call("getWebhookInfo", &json!({})).await
    }

    /// Sets the command menu shown in `scope`'s chats to users of `language_code` (`None`:
    /// everyone without a menu of their own).
    pub async fn set_my_commands(
        &self,
        commands: &[BotCommand],
        scope: CommandScope,
        language_code: Option<&str>,
    ) -> Result<()> {
        self.call::<_, bool>(
            "setMyCommands",
            &json!({
                "commands": commands,
                "scope": { "type": scope.as_str() },
                "language_code": language_code,
            }),
        )
        .await
        .map(drop)
    }
}

/// Adds the optional fields to a JSON parameter object.
fn merge_options(params: &mut Value, options: &TextOptions) {
    if let Some(mode) = options.parse_mode {
        params["parse_mode"] = json!(mode);
    }
    if let Some(k) = &options.reply_markup {
        params["reply_markup"] = json!(k);
    }
    if let Some(id) = options.reply_to {
        params["reply_parameters"] =
            json!({ "message_id": id, "allow_sending_without_reply": true });
    }
    params["link_preview_options"] = json!({ "is_disabled": true });
}
