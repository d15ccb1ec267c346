//! The Bot API objects scribe reads and writes (Bot API 10.x). Unknown fields are ignored, so
//! new Telegram features never break decoding.

use scribe_core::media::{Media, MediaKind};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Deserialize, Serialize)]
pub struct Update {
    pub update_id: i64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message: Option<Message>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub edited_message: Option<Message>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub callback_query: Option<CallbackQuery>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pre_checkout_query: Option<PreCheckoutQuery>,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
pub struct User {
    pub id: i64,
    #[serde(default)]
    pub is_bot: bool,
    #[serde(default)]
    pub first_name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub username: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub language_code: Option<String>,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
pub struct Chat {
    pub id: i64,
    #[serde(rename = "type", default)]
    pub kind: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
}

impl Chat {
    pub fn is_private(&self) -> bool {
        self.kind == "private"
    }

    /// A group or a supergroup.
    pub fn is_group(&self) -> bool {
        matches!(self.kind.as_str(), "group" | "supergroup")
    }
}

/// Where a forwarded message came from (Bot API 7+ `forward_origin`).
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ForwardOrigin {
    User { date: i64, sender_user: User },
    HiddenUser { date: i64, sender_user_name: String },
    Chat { date: i64, sender_chat: Chat },
    Channel { date: i64, chat: Chat },
}

impl ForwardOrigin {
    /// When the original was sent.
    pub fn date(&self) -> i64 {
        match self {
            ForwardOrigin::User { date, .. }
            | ForwardOrigin::HiddenUser { date, .. }
            | ForwardOrigin::Chat { date, .. }
            | ForwardOrigin::Channel { date, .. } => *date,
        }
    }

    /// Who sent the original, as a person would name them.
    pub fn sender(&self) -> String {
        match self {
            ForwardOrigin::User { sender_user, .. } => match &sender_user.last_name {
                Some(last) => format!("{} {last}", sender_user.first_name),
                None => sender_user.first_name.clone(),
            },
            ForwardOrigin::HiddenUser {
                sender_user_name, ..
            } => sender_user_name.clone(),
            ForwardOrigin::Chat { sender_chat, .. } => {
                sender_chat.title.clone().unwrap_or_default()
            }
            ForwardOrigin::Channel { chat, .. } => chat.title.clone().unwrap_or_default(),
        }
    }
}

/// A member's standing in a chat (`getChatMember`).
#[derive(Debug, Clone, Deserialize, Serialize)]
pub struct ChatMember {
    pub status: String,
    #[serde(default)]
    pub user: Option<User>,
}

impl ChatMember {
    /// The creator or an administrator.
    pub fn is_admin(&self) -> bool {
        matches!(self.status.as_str(), "creator" | "administrator")
    }
}

#[derive(Debug, Clone, Deserialize, Serialize)]
pub struct Message {
    pub message_id: i64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub from: Option<User>,
    pub chat: Chat,
    #[serde(default)]
    pub date: i64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub text: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub caption: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub voice: Option<Voice>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub audio: Option<Audio>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub video: Option<Video>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub video_note: Option<VideoNote>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub document: Option<Document>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub successful_payment: Option<SuccessfulPayment>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub refunded_payment: Option<RefundedPayment>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reply_to_message: Option<Box<Message>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub forward_origin: Option<ForwardOrigin>,
    /// In the old group when it became a supergroup.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub migrate_to_chat_id: Option<i64>,
    /// In the new supergroup.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub migrate_from_chat_id: Option<i64>,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
pub struct Voice {
    pub file_id: String,
    pub file_unique_id: String,
    #[serde(default)]
    pub duration: i64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mime_type: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub file_size: Option<i64>,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
pub struct Audio {
    pub file_id: String,
    pub file_unique_id: String,
    #[serde(default)]
    pub duration: i64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub file_name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mime_type: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub file_size: Option<i64>,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
pub struct Video {
    pub file_id: String,
    pub file_unique_id: String,
    #[serde(default)]
    pub duration: i64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub file_name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mime_type: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub file_size: Option<i64>,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
pub struct VideoNote {
    pub file_id: String,
    pub file_unique_id: String,
    #[serde(default)]
    pub duration: i64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub file_size: Option<i64>,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
pub struct Document {
    pub file_id: String,
    pub file_unique_id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub file_name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mime_type: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub file_size: Option<i64>,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
pub struct CallbackQuery {
    pub id: String,
    pub from: User,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message: Option<Box<Message>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub data: Option<String>,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
pub struct PreCheckoutQuery {
    pub id: String,
    pub from: User,
    pub currency: String,
    pub total_amount: i64,
    pub invoice_payload: String,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
pub struct SuccessfulPayment {
    pub currency: String,
    pub total_amount: i64,
    pub invoice_payload: String,
    pub telegram_payment_charge_id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub provider_payment_charge_id: Option<String>,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
pub struct RefundedPayment {
    pub currency: String,
    pub total_amount: i64,
    pub invoice_payload: String,
    pub telegram_payment_charge_id: String,
}

/// `getFile` result.
#[derive(Debug, Clone, Deserialize, Serialize)]
pub struct File {
    pub file_id: String,
    #[serde(default)]
    pub file_unique_id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub file_size: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub file_path: Option<String>,
}

#[derive(Debug, Clone, Deserialize, Serialize, PartialEq, Eq)]
pub struct WebhookInfo {
    #[serde(default)]
    pub url: String,
    #[serde(default)]
    pub pending_update_count: i64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_error_message: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_connections: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub allowed_updates: Option<Vec<String>>,
}

#[derive(Debug, Clone, Deserialize, Serialize, PartialEq, Eq)]
pub struct BotCommand {
    pub command: String,
    pub description: String,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq, Eq)]
pub struct InlineKeyboard {
    pub inline_keyboard: Vec<Vec<InlineButton>>,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct InlineButton {
    pub text: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub callback_data: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
}

impl InlineButton {
    pub fn callback(text: impl Into<String>, data: impl Into<String>) -> Self {
        Self {
            text: text.into(),
            callback_data: Some(data.into()),
            url: None,
        }
    }

    /// A button that opens `url` (e.g. the bot in private: `https://t.me/<bot>?start=<payload>`).
    pub fn link(text: impl Into<String>, url: impl Into<String>) -> Self {
        Self {
            text: text.into(),
            callback_data: None,
            url: Some(url.into()),
        }
    }
}

impl Message {
    /// The transcribable media of this message: voice, audio, video, video note, or a document
    /// whose MIME type is audio/* or video/*.
    pub fn media(&self) -> Option<Media> {
        if let Some(v) = &self.voice {
            return Some(Media {
                kind: MediaKind::Voice,
                file_id: v.file_id.clone(),
                file_unique_id: v.file_unique_id.clone(),
                file_size: v.file_size,
                duration: Some(v.duration),
                mime_type: v.mime_type.clone(),
                file_name: None,
            });
        }
        if let Some(a) = &self.audio {
            return Some(Media {
                kind: MediaKind::Audio,
                file_id: a.file_id.clone(),
                file_unique_id: a.file_unique_id.clone(),
                file_size: a.file_size,
                duration: Some(a.duration),
                mime_type: a.mime_type.clone(),
                file_name: a.file_name.clone(),
            });
        }
        if let Some(v) = &self.video {
            return Some(Media {
                kind: MediaKind::Video,
                file_id: v.file_id.clone(),
                file_unique_id: v.file_unique_id.clone(),
                file_size: v.file_size,
                duration: Some(v.duration),
                mime_type: v.mime_type.clone(),
                file_name: v.file_name.clone(),
            });
        }
        if let Some(v) = &self.video_note {
            return Some(Media {
                kind: MediaKind::VideoNote,
                file_id: v.file_id.clone(),
                file_unique_id: v.file_unique_id.clone(),
                file_size: v.file_size,
                duration: Some(v.duration),
                mime_type: None,
                file_name: None,
            });
        }
        if let Some(d) = &self.document {
            let mime = d.mime_type.as_deref().unwrap_or_default();
            if mime.starts_with("audio/") || mime.starts_with("video/") {
                return Some(Media {
                    kind: MediaKind::Document,
                    file_id: d.file_id.clone(),
                    file_unique_id: d.file_unique_id.clone(),
                    file_size: d.file_size,
                    duration: None,
                    mime_type: d.mime_type.clone(),
                    file_name: d.file_name.clone(),
                });
            }
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn documents_count_as_media_only_for_audio_and_video() {
        let mut m: Message = serde_json::from_value(serde_json::json!({
            "message_id": 1, "chat": {"id": 5, "type": "private"}, "date": 0,
            "document": {"file_id": "a", "file_unique_id": "b", "mime_type": "audio/mp4", "file_name": "x.m4a"}
        }))
        .expect("message");
        assert_eq!(m.media().map(|m| m.kind), Some(MediaKind::Document));
        if let Some(d) = m.document.as_mut() {
            d.mime_type = Some("application/pdf".into());
        }
        assert!(m.media().is_none());
    }

    #[test]
    fn unknown_fields_and_update_kinds_are_ignored() {
        let u: Update = serde_json::from_value(serde_json::json!({
            "update_id": 9, "managed_bot": {"x": 1},
            "message": {"message_id": 1, "chat": {"id": 5, "type": "private"}, "date": 0, "guest": true,
                        "voice": {"file_id": "v", "file_unique_id": "u", "duration": 3, "file_size": 4000000000_i64}}
        }))
        .expect("update");
        let media = u.message.and_then(|m| m.media()).expect("voice");
        assert_eq!(media.file_size, Some(4_000_000_000));
        assert_eq!(media.duration, Some(3));
    }
}
