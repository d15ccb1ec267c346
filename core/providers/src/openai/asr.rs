//! OpenAI-compatible `POST /v1/audio/transcriptions` (OpenAI, Groq, vLLM, speaches, LocalAI):
//! a multipart upload streamed from the file; the answer is `{"text": ...}`, or `verbose_json`
//! with timed segments when they are asked for.

use std::time::Duration;

use async_trait::async_trait;
use serde::{Deserialize, Deserializer};
use url::Url;

use super::error_body;
use crate::http::{endpoint, send_json};
use crate::{Audio, Error, Options, Result, Segment, Transcriber, Transcript, audio};
use scribe_core::secret::Secret;

const PROVIDER: &str = "openai";

#[derive(Clone)]
pub struct OpenAiAsr {
    http: reqwest::Client,
    base: Url,
    key: Option<Secret>,
    model: String,
}

impl OpenAiAsr {
    pub fn new(http: reqwest::Client, base: Url, key: Option<Secret>, model: String) -> Self {
        Self {
            http,
            base,
            key,
            model,
        }
    }
}

#[derive(Deserialize)]
struct Response {
    #[serde(default)]
    text: String,
    /// Present in `verbose_json` answers.
    #[serde(default)]
    segments: Option<Vec<ResponseSegment>>,
}

#[derive(Deserialize)]
struct ResponseSegment {
    #[serde(deserialize_with = "seconds")]
    start: Duration,
    #[serde(deserialize_with = "seconds")]
    end: Duration,
    #[serde(default)]
    text: String,
}

/// A time in seconds (`3.3`); negative or not finite is a bad body.
fn seconds<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Duration, D::Error> {
    let seconds = f64::deserialize(deserializer)?;
    Duration::try_from_secs_f64(seconds).map_err(serde::de::Error::custom)
}

#[async_trait]
impl Transcriber for OpenAiAsr {
    fn provider(&self) -> &'static str {
        PROVIDER
    }

    fn times_segments(&self) -> bool {
        true
    }

    async fn transcribe(&self, audio: Audio<'_>, options: Options<'_>) -> Result<Transcript> {
        // Several servers judge the format by the extension and refuse Telegram's `.oga`.
        let file_name = match audio.file_name.strip_suffix(".oga") {
            Some(stem) => format!("{stem}.ogg"),
            None => audio.file_name.to_owned(),
        };
        let file = audio.open(PROVIDER).await?;
        let stream = reqwest::Body::wrap_stream(audio::raw(file, audio.len));
        let part = reqwest::multipart::Part::stream_with_length(stream, audio.len)
            .file_name(file_name)
            .mime_str(audio.mime)
            .map_err(|e| Error::Transport {
                provider: PROVIDER,
                source: e.without_url(),
            })?;
        let format = if options.segments {
            "verbose_json"
        } else {
            "json"
        };
        let mut form = reqwest::multipart::Form::new()
            .part("file", part)
            .text("model", self.model.clone())
            .text("response_format", format);
        if let Some(lang) = options.language {
            form = form.text("language", lang.to_owned());
        }
        if let Some(context) = options.context {
            form = form.text("prompt", context.to_owned());
        }
        let mut request = self
            .http
            .post(endpoint(&self.base, "v1/audio/transcriptions"))
            .multipart(form);
        if let Some(key) = &self.key {
            request = request.bearer_auth(key.expose());
        }
        let response: Response = send_json(PROVIDER, request, error_body::parse).await?;
        let segments = response
            .segments
            .filter(|_| options.segments)
            .map(|segments| {
                segments
                    .into_iter()
                    .map(|s| Segment {
                        start: s.start,
                        end: s.end,
                        text: s.text.trim().to_owned(),
                    })
                    .collect()
            });
        Ok(Transcript {
            text: response.text.trim().to_owned(),
            segments,
        })
    }
}
