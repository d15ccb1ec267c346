//! The media a transcription starts from, whichever Telegram field it came in.

/// The media a message carries, whichever field it came in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Media {
    pub kind: MediaKind,
    pub file_id: String,
    pub file_unique_id: String,
    pub file_size: Option<i64>,
    /// Duration Telegram reported; documents have none.
    pub duration: Option<i64>,
    pub mime_type: Option<String>,
    pub file_name: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MediaKind {
    Voice,
    Audio,
    Video,
    VideoNote,
    Document,
}

impl MediaKind {
    pub fn as_str(self) -> &'static str {
        match self {
            MediaKind::Voice => "voice",
            MediaKind::Audio => "audio",
            MediaKind::Video => "video",
            MediaKind::VideoNote => "video_note",
            MediaKind::Document => "document",
        }
    }
}
