//! The recognition seam: a [`Transcriber`] turns an [`Audio`] file into a [`Transcript`], as
//! the [`Options`] ask (language, glossary context, timed segments).

use std::time::Duration;

use async_trait::async_trait;

use crate::{Audio, Result};

/// What to ask the recogniser for, besides the text.
#[derive(Debug, Clone, Copy, Default)]
pub struct Options<'a> {
    /// A language code (`ru`) when the user pinned one; recognisers detect it otherwise.
    pub language: Option<&'a str>,
    /// Words to spell as given (a glossary): DashScope's system message, OpenAI's `prompt`.
    pub context: Option<&'a str>,
    /// Ask for timed segments (OpenAI-compatible `verbose_json`); DashScope has none.
    pub segments: bool,
}

/// One timed piece of a transcript, from the start of the audio sent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Segment {
    pub start: Duration,
    pub end: Duration,
    pub text: String,
}

/// What a recogniser heard.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Transcript {
    pub text: String,
    /// The recogniser's own segments, when they were asked for and it gave them.
    pub segments: Option<Vec<Segment>>,
}

#[async_trait]
pub trait Transcriber: Send + Sync {
    /// Short name for metrics and logs (`dashscope`, `openai`).
    fn provider(&self) -> &'static str;
    /// Whether it times its own segments when asked ([`Options::segments`]).
    fn times_segments(&self) -> bool {
        false
    }
    /// Recognises one file. Each call reads the file anew, so a retry is simply another call.
    async fn transcribe(&self, audio: Audio<'_>, options: Options<'_>) -> Result<Transcript>;
}
