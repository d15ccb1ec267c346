//! Sending, editing and deleting messages (replies included); chat actions; callback answers.

use bytes::Bytes;
use serde_json::{Value, json};

use super::error::{QUERY_TOO_OLD, TgError};
use super::fake::BotDocument;
use super::html::{self, Rendered};
use super::keyboard::reply_markup;
use super::members::check_access;
use super::method::Answer;
use super::params::Params;
use super::state::{Shared, StoredMessage};
use super::update::now;
use super::{FileKind, Upload};

/// Text limit of `sendMessage`/`editMessageText`, in Unicode scalar values after parsing.
const TEXT_LIMIT: usize = 4096;
/// Caption limit, likewise.
const CAPTION_LIMIT: usize = 1024;
/// Multipart upload limit of the cloud Bot API.
const CLOUD_UPLOAD_LIMIT: usize = 50 * 1024 * 1024;
/// Upload limit of a local Bot API server.
const LOCAL_UPLOAD_LIMIT: usize = 2000 * 1024 * 1024;

const NOT_MODIFIED: &str = "message is not modified: specified new message content and reply markup are exactly the same as a current content and reply markup of the message";

const CHAT_ACTIONS: &[&str] = &[
    "typing",
    "upload_photo",
    "record_video",
    "upload_video",
    "record_voice",
    "upload_voice",
    "upload_document",
    "choose_sticker",
    "find_location",
    "record_video_note",
    "upload_video_note",
];

/// The target chat of a sending method.
pub(crate) fn chat_id(params: &Params) -> Result<i64, TgError> {
    match params.get("chat_id") {
        None => Err(TgError::bad_request("chat_id is empty")),
        Some(_) => params
            .integer("chat_id")
            .ok_or_else(|| TgError::bad_request("chat not found")),
    }
}

/// The target chat of a method that writes to it, once the bot may write there.
pub(crate) fn writable_chat(shared: &Shared, params: &Params) -> Result<i64, TgError> {
    let chat_id = chat_id(params)?;
    check_access(&shared.book(), chat_id)?;
    Ok(chat_id)
}

/// The message a send replies to (`reply_parameters`, or the older `reply_to_message_id`), as
/// the result nests it. A missing target fails the send unless `allow_sending_without_reply`.
fn reply_target(shared: &Shared, chat_id: i64, params: &Params) -> Result<Option<Value>, TgError> {
    let (message_id, allow_without) = match params.get("reply_parameters") {
        Some(parameters) => {
            let Some(message_id) = parameters.get("message_id").and_then(Value::as_i64) else {
                return Err(TgError::bad_request(
                    "can't parse reply parameters JSON object",
                ));
            };
            let allow = parameters
                .get("allow_sending_without_reply")
                .and_then(Value::as_bool)
                .unwrap_or(false);
            (message_id, allow)
        }
        None => match params.integer("reply_to_message_id") {
            Some(message_id) => (
                message_id,
                params
                    .boolean("allow_sending_without_reply")
                    .unwrap_or(false),
            ),
            None => return Ok(None),
        },
    };
    let book = shared.book();
    let replied = book
        .chats
        .get(&chat_id)
        .and_then(|chat| chat.replied(message_id, &shared.bot));
    match replied {
        Some(replied) => Ok(Some(replied)),
        None if allow_without => Ok(None),
        None => Err(TgError::bad_request("message to be replied not found")),
    }
}

/// Parses `source` per `parse_mode`. HTML is validated; Markdown modes are taken as plain text.
pub(crate) fn render(source: &str, parse_mode: Option<&str>) -> Result<Rendered, TgError> {
    match parse_mode.map(str::to_ascii_lowercase).as_deref() {
        None | Some("") => Ok(Rendered::plain(source)),
        Some("html") => html::parse(source)
            .map_err(|error| TgError::bad_request(format!("can't parse entities: {error}"))),
        Some("markdown" | "markdownv2") => Ok(Rendered::plain(source)),
        Some(_) => Err(TgError::bad_request("unsupported parse_mode")),
    }
}

/// The validated `text` of `sendMessage`/`editMessageText`: (as sent, parse mode, rendered).
fn message_text(params: &Params) -> Result<(String, Option<String>, Rendered), TgError> {
    let source = params.text("text").unwrap_or_default();
    let parse_mode = params.text("parse_mode").filter(|mode| !mode.is_empty());
    if source.is_empty() {
        return Err(TgError::bad_request("message text is empty"));
    }
    let rendered = render(&source, parse_mode.as_deref())?;
    if rendered.is_blank() {
        return Err(TgError::bad_request("message text is empty"));
    }
    if rendered.chars() > TEXT_LIMIT {
        return Err(TgError::bad_request("message is too long"));
    }
    Ok((source, parse_mode, rendered))
}

/// The validated `caption`: (as sent, rendered), `None` when absent or empty.
fn caption(params: &Params) -> Result<Option<(String, Rendered)>, TgError> {
    let Some(source) = params.text("caption").filter(|caption| !caption.is_empty()) else {
        return Ok(None);
    };
    let parse_mode = params.text("parse_mode");
    let rendered = render(&source, parse_mode.as_deref())?;
    if rendered.chars() > CAPTION_LIMIT {
        return Err(TgError::bad_request("message caption is too long"));
    }
    Ok(Some((source, rendered)))
}

fn message_id(params: &Params) -> Result<i64, TgError> {
    params
        .integer("message_id")
        .ok_or_else(|| TgError::bad_request("message identifier is not specified"))
}

pub(crate) fn send_message(shared: &Shared, params: &Params) -> Result<Answer, TgError> {
    let chat_id = writable_chat(shared, params)?;
    let (text, parse_mode, rendered) = message_text(params)?;
    let reply_markup = reply_markup(params)?;
    let reply_to = reply_target(shared, chat_id, params)?;
    let message = StoredMessage {
        date: now(),
        text: Some(text),
        parse_mode,
        rendered: Some(rendered),
        reply_markup,
        reply_to,
        ..StoredMessage::default()
    };
    Ok(store(shared, chat_id, message).into())
}

/// Gives `message` the chat's next id, keeps it, and returns its `Message` object.
pub(crate) fn store(shared: &Shared, chat_id: i64, mut message: StoredMessage) -> Value {
    let mut book = shared.book();
    let chat = book.chat_mut(chat_id);
    message.message_id = chat.allocate_message_id();
    let json = message.to_json(&shared.bot, &chat.info);
    chat.messages.push(message);
    json
}

/// Why an edit found nothing to edit.
fn edit_target_error(book: &super::state::Book, chat_id: i64, message_id: i64) -> TgError {
    let incoming = book
        .chats
        .get(&chat_id)
        .and_then(|chat| chat.incoming.get(&message_id))
        .is_some_and(|incoming| !incoming.deleted);
    if incoming {
        TgError::bad_request("message can't be edited")
    } else {
        TgError::bad_request("message to edit not found")
    }
}

pub(crate) fn edit_message_text(shared: &Shared, params: &Params) -> Result<Answer, TgError> {
    if params.get("inline_message_id").is_some() {
        return Err(TgError::bad_request("message to edit not found"));
    }
    let chat_id = chat_id(params)?;
    let message_id = message_id(params)?;
    let (text, parse_mode, rendered) = message_text(params)?;
    let reply_markup = reply_markup(params)?;
    let mut book = shared.book();
    let missing = edit_target_error(&book, chat_id, message_id);
    let chat = book.chat_mut(chat_id);
    let info = chat.info.clone();
    let message = chat.live_message_mut(message_id).ok_or(missing)?;
    if message.rendered.is_none() {
        return Err(TgError::bad_request(
            "there is no text in the message to edit",
        ));
    }
    if message.rendered.as_ref() == Some(&rendered) && message.reply_markup == reply_markup {
        return Err(TgError::bad_request(NOT_MODIFIED));
    }
    message.text = Some(text);
    message.parse_mode = parse_mode;
    message.rendered = Some(rendered);
    message.reply_markup = reply_markup;
    message.edits += 1;
    message.edit_date = Some(now());
    Ok(message.to_json(&shared.bot, &info).into())
}

pub(crate) fn edit_message_reply_markup(
    shared: &Shared,
    params: &Params,
) -> Result<Answer, TgError> {
    if params.get("inline_message_id").is_some() {
        return Err(TgError::bad_request("message to edit not found"));
    }
    let chat_id = chat_id(params)?;
    let message_id = message_id(params)?;
    let reply_markup = reply_markup(params)?;
    let mut book = shared.book();
    let missing = edit_target_error(&book, chat_id, message_id);
    let chat = book.chat_mut(chat_id);
    let info = chat.info.clone();
    let message = chat.live_message_mut(message_id).ok_or(missing)?;
    if message.reply_markup == reply_markup {
        return Err(TgError::bad_request(NOT_MODIFIED));
    }
    message.reply_markup = reply_markup;
    message.edits += 1;
    message.edit_date = Some(now());
    Ok(message.to_json(&shared.bot, &info).into())
}

pub(crate) fn delete_message(shared: &Shared, params: &Params) -> Result<Answer, TgError> {
    let chat_id = chat_id(params)?;
    let message_id = message_id(params)?;
    let mut book = shared.book();
    let chat = book.chat_mut(chat_id);
    if let Some(message) = chat.live_message_mut(message_id) {
        message.deleted = true;
        return Ok(json!(true).into());
    }
    match chat.incoming.get_mut(&message_id) {
        Some(incoming) if !incoming.deleted => {
            incoming.deleted = true;
            Ok(json!(true).into())
        }
        _ => Err(TgError::bad_request("message to delete not found")),
    }
}

pub(crate) fn send_document(
    shared: &Shared,
    params: &Params,
    upload: Option<Upload>,
) -> Result<Answer, TgError> {
    let chat_id = writable_chat(shared, params)?;
    let caption = caption(params)?;
    let reply_markup = reply_markup(params)?;
    let reply_to = reply_target(shared, chat_id, params)?;
    let limit = if shared.local_dir.is_some() {
        LOCAL_UPLOAD_LIMIT
    } else {
        CLOUD_UPLOAD_LIMIT
    };
    let (upload, document_json) = match upload {
        Some(upload) => {
            if upload.bytes.len() > limit {
                return Err(TgError::too_large());
            }
            let extension = upload.file_name.rsplit_once('.').map(|(_, ext)| ext);
            let file = shared.book().add_file(
                FileKind::Document,
                Some(Bytes::from(upload.bytes.clone())),
                upload.bytes.len() as u64,
                extension,
            );
            let mime = upload
                .content_type
                .clone()
                .filter(|mime| mime != "application/octet-stream")
                .unwrap_or_else(|| guess_mime(&upload.file_name).to_owned());
            let document = json!({
                "file_name": upload.file_name,
                "mime_type": mime,
                "file_id": file.file_id,
                "file_unique_id": file.file_unique_id,
                "file_size": file.file_size,
            });
            let sent = BotDocument {
                file_name: upload.file_name,
                mime_type: mime,
                bytes: upload.bytes,
            };
            (Some(sent), document)
        }
        None => document_by_reference(shared, params)?,
    };
    let (caption_text, caption_rendered) = caption.unzip();
    let message = StoredMessage {
        date: now(),
        parse_mode: params.text("parse_mode").filter(|mode| !mode.is_empty()),
        caption: caption_text,
        caption_rendered,
        document: upload,
        document_json: Some(document_json),
        reply_markup,
        reply_to,
        ..StoredMessage::default()
    };
    Ok(store(shared, chat_id, message).into())
}

/// A document given as a `file_id` or an HTTP URL instead of an upload: what the bot sees of it
/// (the bytes when the fake holds the file) and its `Document` object.
fn document_by_reference(
    shared: &Shared,
    params: &Params,
) -> Result<(Option<BotDocument>, Value), TgError> {
    let Some(reference) = params.text("document").filter(|doc| !doc.is_empty()) else {
        return Err(TgError::bad_request("there is no document in the request"));
    };
    if reference.starts_with("attach://") {
        return Err(TgError::bad_request("there is no document in the request"));
    }
    if reference.starts_with("http://") || reference.starts_with("https://") {
        let name = reference
            .rsplit('/')
            .next()
            .filter(|name| !name.is_empty())
            .unwrap_or("file");
        let document = json!({
            "file_name": name,
            "mime_type": guess_mime(name),
            "file_id": format!("{}{}", FileKind::Document.file_id_prefix(), crate::id::url_safe(58)),
            "file_unique_id": format!("AgAD{}", crate::id::url_safe(12)),
        });
        return Ok((None, document));
    }
    let book = shared.book();
    let file = book
        .files
        .get(&reference)
        .ok_or_else(|| TgError::bad_request("wrong file identifier/HTTP URL specified"))?;
    let name = file.path.rsplit('/').next().unwrap_or("file");
    let sent = file.bytes.as_ref().map(|bytes| BotDocument {
        file_name: name.to_owned(),
        mime_type: guess_mime(name).to_owned(),
        bytes: bytes.to_vec(),
    });
    let document = json!({
        "file_name": name,
        "mime_type": guess_mime(name),
        "file_id": reference,
        "file_unique_id": file.unique_id,
        "file_size": file.size,
    });
    Ok((sent, document))
}

fn guess_mime(file_name: &str) -> &'static str {
    let extension = file_name
        .rsplit_once('.')
        .map(|(_, ext)| ext.to_ascii_lowercase())
        .unwrap_or_default();
    match extension.as_str() {
        "txt" => "text/plain",
        "md" => "text/markdown",
        "html" | "htm" => "text/html",
        "json" => "application/json",
        "pdf" => "application/pdf",
        "srt" => "application/x-subrip",
        "vtt" => "text/vtt",
        "docx" => "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        "zip" => "application/zip",
        "ogg" | "oga" | "opus" => "audio/ogg",
        "mp3" => "audio/mpeg",
        "m4a" => "audio/mp4",
        "wav" => "audio/x-wav",
        "mp4" => "video/mp4",
        _ => "application/octet-stream",
    }
}

pub(crate) fn send_chat_action(shared: &Shared, params: &Params) -> Result<Answer, TgError> {
    writable_chat(shared, params)?;
    let action = params.text("action").unwrap_or_default();
    if !CHAT_ACTIONS.contains(&action.as_str()) {
        return Err(TgError::bad_request("wrong parameter action in request"));
    }
    Ok(json!(true).into())
}

pub(crate) fn answer_callback_query(shared: &Shared, params: &Params) -> Result<Answer, TgError> {
    let id = params.text("callback_query_id").unwrap_or_default();
    if params
        .text("text")
        .is_some_and(|text| text.chars().count() > 200)
    {
        return Err(TgError::bad_request("MESSAGE_TOO_LONG"));
    }
    let mut book = shared.book();
    match book.callback_queries.get_mut(&id) {
        Some(answered) if !*answered => {
            *answered = true;
            Ok(json!(true).into())
        }
        _ => Err(TgError::bad_request(QUERY_TOO_OLD)),
    }
}
