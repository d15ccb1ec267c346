//! Delivering a result: a short text replaces the status message; a long one is split into
//! messages at paragraph and sentence boundaries or sent as a `.txt` document, as the user chose.
//! Text is HTML-escaped before it is measured, so no piece ends inside an entity or tag.
//!
//! Delivery is planned first ([`plan`], a pure function) and then sent part by part: the job
//! records how many parts went out, so a worker that takes a job over after a crash sends only
//! the parts that are missing.

use std::future::Future;

use scribe_core::i18n::{Lang, Msg};
use scribe_core::retry::Backoff;
use scribe_core::text;
use scribe_store::{LongOutput, UserSettings};
use scribe_telegram::{self as telegram, Telegram, TextOptions};

/// Longest message text, in UTF-16 units of the HTML sent (Telegram's limit is 4096 after
/// entity parsing; this leaves room for how clients count).
pub const MESSAGE_LIMIT: usize = 4000;

/// One thing sent to the user.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Part {
    /// Replaces the status message (or is sent when there is none).
    Status(String),
    /// A further message.
    Message(String),
    /// The whole text as `transcript.txt`, replying to the media; the status message goes.
    Document { caption: String, text: String },
}

/// How the result goes out, for logs.
pub fn shape(parts: &[Part]) -> &'static str {
    match parts {
        [Part::Status(_)] => "edit",
        [.., Part::Document { .. }] => "file",
        _ => "split",
    }
}

fn render(piece: &str, code: bool) -> String {
    if code {
        format!("<pre>{}</pre>", text::escape_html(piece))
    } else {
        text::escape_html(piece)
    }
}

/// The parts `result` is delivered in, for this user's settings.
pub fn plan(
    result: &str,
    settings: &UserSettings,
    file_threshold_chars: usize,
    lang: Lang,
    audio_seconds: i64,
) -> Vec<Part> {
    let result = if settings.keep_yo {
        result.to_owned()
    } else {
        text::without_yo(result)
    };
    let code = settings.code_output;
    let whole = render(&result, code);
    if text::utf16_len(&whole) <= MESSAGE_LIMIT {
        return vec![Part::Status(whole)];
    }
    let as_file = match settings.long_output {
        LongOutput::File => true,
        LongOutput::Split => false,
        LongOutput::Auto => text::chars(&result) > file_threshold_chars,
    };
    if as_file {
        let caption = Msg::TranscriptCaption {
            seconds: audio_seconds,
        }
        .render(lang);
        return vec![Part::Document {
            caption,
            text: result,
        }];
    }
    let measure = |piece: &str| text::utf16_len(&render(piece, code));
    let pieces = text::split(&result, MESSAGE_LIMIT, &measure);
    pieces
        .iter()
        .enumerate()
        .map(|(i, piece)| {
            let html = render(piece, code);
            if i == 0 {
                Part::Status(html)
            } else {
                Part::Message(html)
            }
        })
        .collect()
}

/// Where a result goes.
pub struct Recipient<'a> {
    pub telegram: &'a Telegram,
    pub backoff: Backoff,
    pub chat_id: i64,
    /// The user's media message (documents and lost status messages reply to it).
    pub reply_to: i64,
    pub status_message_id: Option<i64>,
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

    /// Sends one part.
    pub async fn send(&self, part: &Part) -> telegram::Result<()> {
        match part {
            Part::Status(html) => self.replace_status(html).await,
            Part::Message(html) => {
                let options = TextOptions::html();
                self.retrying(|_| self.telegram.send_message(self.chat_id, html, &options))
                    .await
                    .map(drop)
            }
            Part::Document { caption, text } => {
                let bytes = text.as_bytes().to_vec();
                self.retrying(|_| {
                    self.telegram.send_document(
                        self.chat_id,
                        "transcript.txt",
                        "text/plain; charset=utf-8",
                        bytes.clone(),
                        Some(caption),
                        Some(self.reply_to),
                    )
                })
                .await?;
                if let Some(id) = self.status_message_id
                    && let Err(e) = self.telegram.delete_message(self.chat_id, id).await
                {
                    tracing::debug!(error = %e, "status message not deleted");
                }
                Ok(())
            }
        }
    }

    /// Replaces the status message with `html`, or sends it when there is none any more.
    /// Editing to the same text again (a resumed delivery) changes nothing.
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
}

#[cfg(test)]
mod tests {
    use super::*;

    fn settings(long_output: LongOutput) -> UserSettings {
        UserSettings {
            asr_language: None,
            code_output: false,
            keep_yo: true,
            long_output,
        }
    }

    #[test]
    fn a_short_text_replaces_the_status_message() {
        let parts = plan(
            "Привет <мир> & всё",
            &settings(LongOutput::Auto),
            8000,
            Lang::En,
            3,
        );
        assert_eq!(
            parts,
            vec![Part::Status("Привет &lt;мир&gt; &amp; всё".into())]
        );
        assert_eq!(shape(&parts), "edit");
    }

    #[test]
    fn a_long_text_is_split_or_filed_as_chosen() {
        let paragraph = "Word ".repeat(150);
        let long = [paragraph.trim(); 12].join("\n\n");
        let split = plan(&long, &settings(LongOutput::Split), 3000, Lang::En, 60);
        assert!(split.len() >= 2);
        assert!(matches!(split[0], Part::Status(_)));
        assert!(split[1..].iter().all(|p| matches!(p, Part::Message(_))));
        assert!(split.iter().all(|p| match p {
            Part::Status(h) | Part::Message(h) => text::utf16_len(h) <= MESSAGE_LIMIT,
            Part::Document { .. } => false,
        }));
        let filed = plan(&long, &settings(LongOutput::Auto), 3000, Lang::En, 60);
        assert!(matches!(filed.as_slice(), [Part::Document { text, .. }] if *text == long));
        assert_eq!(shape(&filed), "file");
    }

    #[test]
    fn the_plan_is_the_same_every_time() {
        let long = "Sentence one. ".repeat(700);
        let s = settings(LongOutput::Split);
        assert_eq!(
            plan(&long, &s, 8000, Lang::Ru, 10),
            plan(&long, &s, 8000, Lang::Ru, 10)
        );
    }
}
