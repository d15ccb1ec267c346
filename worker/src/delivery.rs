//! Delivering a result: a short text replaces the status message; a long one is split into
//! messages at paragraph and sentence boundaries or sent as a `.txt` document, as the user chose;
//! subtitles follow as `.srt` and `.vtt` documents. Text is HTML-escaped before it is measured,
//! so no piece ends inside an entity or tag.
//!
//! Delivery is planned first ([`plan`], a pure function) and then sent part by part: the job
//! records how many parts went out, so a worker that takes a job over after a crash sends only
//! the parts that are missing.

use std::future::Future;

use scribe_core::i18n::{Lang, Msg};
use scribe_core::retry::Backoff;
use scribe_core::telemetry::chain;
use scribe_core::text;
use scribe_store::{LongOutput, UserSettings};
use scribe_telegram::{self as telegram, Document, InlineKeyboard, Telegram, TextOptions};

use crate::pipeline::subtitles::{self, Cue};

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
    /// A document replying to the media.
    File(File),
}

/// What a document holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FileKind {
    /// The whole text as `transcript.txt`; the status message goes.
    Transcript,
    Srt,
    Vtt,
}

impl FileKind {
    fn name(self) -> &'static str {
        match self {
            FileKind::Transcript => "transcript.txt",
            FileKind::Srt => "subtitles.srt",
            FileKind::Vtt => "subtitles.vtt",
        }
    }

    fn mime(self) -> &'static str {
        match self {
            FileKind::Transcript => "text/plain; charset=utf-8",
            FileKind::Srt => "application/x-subrip",
            FileKind::Vtt => "text/vtt",
        }
    }
}

/// A document to send.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct File {
    pub kind: FileKind,
    /// HTML.
    pub caption: Option<String>,
    pub text: String,
}

impl Part {
    /// The transcript itself (not a subtitle document): the action buttons go on its last part.
    pub fn is_text(&self) -> bool {
        match self {
            Part::Status(_) | Part::Message(_) => true,
            Part::File(file) => file.kind == FileKind::Transcript,
        }
    }
}

/// How the result goes out, for logs.
pub fn shape(parts: &[Part]) -> &'static str {
    let text: Vec<&Part> = parts.iter().filter(|p| p.is_text()).collect();
    match text.as_slice() {
        [Part::Status(_)] => "edit",
        [.., Part::File(_)] => "file",
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

/// The parts `result` (and its subtitle `cues`) are delivered in, for this user's settings.
pub fn plan(
    result: &str,
    settings: &UserSettings,
    file_threshold_chars: usize,
    lang: Lang,
    audio_seconds: i64,
    cues: Option<&[Cue]>,
) -> Vec<Part> {
    let mut parts = plan_text(result, settings, file_threshold_chars, lang, audio_seconds);
    if let Some(cues) = cues.filter(|c| !c.is_empty()) {
        for (kind, text) in [
            (FileKind::Srt, subtitles::srt(cues)),
            (FileKind::Vtt, subtitles::vtt(cues)),
        ] {
            parts.push(Part::File(File {
                kind,
                caption: None,
                text,
            }));
        }
    }
    parts
}

fn plan_text(
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
        return vec![Part::File(File {
            kind: FileKind::Transcript,
            caption: Some(caption),
            text: result,
        })];
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

    /// Sends one part, with `keyboard` under it.
    pub async fn send(
        &self,
        part: &Part,
        keyboard: Option<&InlineKeyboard>,
    ) -> telegram::Result<()> {
        match part {
            Part::Status(html) => self.replace_status(html, keyboard).await,
            Part::Message(html) => {
                let mut options = TextOptions::html();
                options.reply_markup = keyboard.cloned();
                self.retrying(|_| self.telegram.send_message(self.chat_id, html, &options))
                    .await
                    .map(drop)
            }
            Part::File(file) => {
                let document = Document {
                    file_name: file.kind.name(),
                    mime: file.kind.mime(),
                    bytes: file.text.as_bytes(),
                    caption: file.caption.as_deref(),
                    reply_to: Some(self.reply_to),
                    keyboard,
                };
                self.retrying(|_| self.telegram.send_document(self.chat_id, &document))
                    .await?;
                if file.kind == FileKind::Transcript
                    && let Some(id) = self.status_message_id
                    && let Err(e) = self.telegram.delete_message(self.chat_id, id).await
                {
                    tracing::debug!(error = %chain(&e), "status message not deleted");
                }
                Ok(())
            }
        }
    }

    /// Replaces the status message with `html`, or sends it when there is none any more.
    /// Editing to the same text again (a resumed delivery) changes nothing.
    async fn replace_status(
        &self,
        html: &str,
        keyboard: Option<&InlineKeyboard>,
    ) -> telegram::Result<()> {
        let mut options = TextOptions::html();
        options.reply_markup = keyboard.cloned();
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
            subtitles: false,
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
            None,
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
        let split = plan(
            &long,
            &settings(LongOutput::Split),
            3000,
            Lang::En,
            60,
            None,
        );
        assert!(split.len() >= 2);
        assert!(matches!(split[0], Part::Status(_)));
        assert!(split[1..].iter().all(|p| matches!(p, Part::Message(_))));
        assert!(split.iter().all(|p| match p {
            Part::Status(h) | Part::Message(h) => text::utf16_len(h) <= MESSAGE_LIMIT,
            Part::File(_) => false,
        }));
        let filed = plan(&long, &settings(LongOutput::Auto), 3000, Lang::En, 60, None);
        assert!(
            matches!(filed.as_slice(), [Part::File(File { kind: FileKind::Transcript, text, .. })] if *text == long)
        );
        assert_eq!(shape(&filed), "file");
    }

    #[test]
    fn the_plan_is_the_same_every_time() {
        let long = "Sentence one. ".repeat(700);
        let s = settings(LongOutput::Split);
        assert_eq!(
            plan(&long, &s, 8000, Lang::Ru, 10, None),
            plan(&long, &s, 8000, Lang::Ru, 10, None)
        );
    }

    #[test]
    fn subtitles_follow_the_text_as_two_documents() {
        let cues = [Cue {
            start_ms: 0,
            end_ms: 1_000,
            lines: vec!["Hi".into()],
        }];
        let parts = plan(
            "Hi",
            &settings(LongOutput::Auto),
            8000,
            Lang::En,
            1,
            Some(&cues),
        );
        let kinds: Vec<_> = parts
            .iter()
            .map(|p| match p {
                Part::File(f) => Some(f.kind),
                _ => None,
            })
            .collect();
        assert_eq!(kinds, vec![None, Some(FileKind::Srt), Some(FileKind::Vtt)]);
        assert_eq!(shape(&parts), "edit");
        assert_eq!(parts.iter().rposition(Part::is_text), Some(0));
    }
}
