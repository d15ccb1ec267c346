//! Delivering a result: a short text replaces the status message; a long one is split into
//! messages at paragraph and sentence boundaries or sent as a `.txt` document, as the user chose.
//! Text is HTML-escaped before it is measured, so no piece ends inside an entity or tag.

use std::future::Future;

use scribe_core::i18n::{Lang, Msg};
use scribe_core::retry::Backoff;
use scribe_core::text;
use scribe_store::{LongOutput, UserSettings};
use scribe_telegram::{self as telegram, Telegram, TextOptions};

/// Longest message text, in UTF-16 units of the HTML sent (Telegram's limit is 4096 after
/// entity parsing; this leaves room for how clients count).
pub const MESSAGE_LIMIT: usize = 4000;

/// How the result went out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Sent {
    Edited,
    Messages(usize),
    Document,
}

impl Sent {
    pub fn as_str(self) -> &'static str {
        match self {
            Sent::Edited => "edit",
            Sent::Messages(_) => "split",
            Sent::Document => "file",
        }
    }
}

pub struct Recipient<'a> {
    pub telegram: &'a Telegram,
    pub backoff: Backoff,
    pub chat_id: i64,
    /// The user's media message (documents reply to it).
    pub reply_to: i64,
    pub status_message_id: Option<i64>,
    pub lang: Lang,
    pub settings: &'a UserSettings,
    /// Above this many characters, `auto` sends a document.
    pub file_threshold_chars: usize,
    pub audio_seconds: i64,
}

fn render(piece: &str, code: bool) -> String {
    if code {
        format!("<pre>{}</pre>", text::escape_html(piece))
    } else {
        text::escape_html(piece)
    }
}

impl Recipient<'_> {
    async fn retrying<T, F, Fut>(&self, op: F) -> telegram::Result<T>
    where
        F: FnMut(u32) -> Fut,
        Fut: Future<Output = telegram::Result<T>>,
    {
        self.backoff
            .run(op, |retry| {
                tracing::warn!(error = %retry.error, attempt = retry.attempt, wait_ms = retry.wait.as_millis() as u64, "delivery failed, retrying");
            })
            .await
    }

    /// Replaces the status message with `html`, or sends it when there is none any more.
    async fn replace_status(&self, html: &str) -> telegram::Result<()> {
        let options = TextOptions::html();
        if let Some(id) = self.status_message_id {
            match self
                .retrying(|_| {
                    self.telegram
                        .edit_message_text(self.chat_id, id, html, &options)
                })
                .await
            {
                Ok(()) => return Ok(()),
                Err(e) if e.is_message_gone() => {}
                Err(e) => return Err(e),
            }
        }
        let options = options.replying_to(self.reply_to);
        self.retrying(|_| self.telegram.send_message(self.chat_id, html, &options))
            .await
            .map(drop)
    }

    pub async fn deliver(&self, result: &str) -> telegram::Result<Sent> {
        let result = if self.settings.keep_yo {
            result.to_owned()
        } else {
            text::without_yo(result)
        };
        let code = self.settings.code_output;
        let whole = render(&result, code);
        if text::utf16_len(&whole) <= MESSAGE_LIMIT {
            self.replace_status(&whole).await?;
            return Ok(Sent::Edited);
        }
        let as_file = match self.settings.long_output {
            LongOutput::File => true,
            LongOutput::Split => false,
            LongOutput::Auto => text::chars(&result) > self.file_threshold_chars,
        };
        if as_file {
            let caption = Msg::TranscriptCaption {
                seconds: self.audio_seconds,
            }
            .render(self.lang);
            let bytes = result.into_bytes();
            self.retrying(|_| {
                self.telegram.send_document(
                    self.chat_id,
                    "transcript.txt",
                    "text/plain; charset=utf-8",
                    bytes.clone(),
                    Some(&caption),
                    Some(self.reply_to),
                )
            })
            .await?;
            if let Some(id) = self.status_message_id
                && let Err(e) = self.telegram.delete_message(self.chat_id, id).await
            {
                tracing::debug!(error = %e, "status message not deleted");
            }
            return Ok(Sent::Document);
        }
        let measure = |piece: &str| text::utf16_len(&render(piece, code));
        let pieces = text::split(&result, MESSAGE_LIMIT, &measure);
        let mut rest = pieces.iter();
        if let Some(first) = rest.next() {
            self.replace_status(&render(first, code)).await?;
        }
        let options = TextOptions::html();
        for piece in rest {
            let html = render(piece, code);
            self.retrying(|_| self.telegram.send_message(self.chat_id, &html, &options))
                .await?;
        }
        Ok(Sent::Messages(pieces.len()))
    }
}
