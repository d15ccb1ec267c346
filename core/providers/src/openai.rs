//! OpenAI-compatible `POST /v1/audio/transcriptions` (OpenAI, Groq, vLLM, speaches, LocalAI):
//! multipart upload, JSON answer `{"text": ...}`. Errors are `{"error": {...}}` or FastAPI's
//! `{"detail": ...}`.

use async_trait::async_trait;
use serde::Deserialize;
use url::Url;

use super::{Audio, Error, ErrorBody, Result, Transcriber, Transcript, endpoint, send_json};
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

fn error_body(body: &[u8]) -> ErrorBody {
    #[derive(Deserialize)]
    struct Body {
        #[serde(default)]
        error: Option<Inner>,
        #[serde(default)]
        detail: Option<serde_json::Value>,
    }
    #[derive(Deserialize)]
    struct Inner {
        #[serde(default)]
        message: String,
        #[serde(default)]
        code: Option<serde_json::Value>,
        #[serde(default, rename = "type")]
        kind: Option<String>,
    }
    match serde_json::from_slice::<Body>(body) {
        Ok(Body { error: Some(e), .. }) => {
            let code = match e.code {
                Some(serde_json::Value::String(s)) => s,
                _ => e.kind.unwrap_or_default(),
            };
            ErrorBody {
                code,
                message: e.message,
                retry_after: None,
            }
        }
        Ok(Body {
            detail: Some(d), ..
        }) => ErrorBody {
            code: String::new(),
            message: d.to_string(),
            retry_after: None,
        },
        _ => ErrorBody::unparsed(body),
    }
}

#[derive(Deserialize)]
struct Response {
    #[serde(default)]
    text: String,
}

#[async_trait]
impl Transcriber for OpenAiAsr {
    fn provider(&self) -> &'static str {
        PROVIDER
    }

    async fn transcribe(&self, audio: Audio<'_>, language: Option<&str>) -> Result<Transcript> {
        // Several servers judge the format by the extension and refuse Telegram's `.oga`.
        let file_name = match audio.file_name.strip_suffix(".oga") {
            Some(stem) => format!("{stem}.ogg"),
            None => audio.file_name.to_owned(),
        };
        let part = reqwest::multipart::Part::bytes(audio.bytes.to_vec())
            .file_name(file_name)
            .mime_str(audio.mime)
            .map_err(|e| Error::Transport {
                provider: PROVIDER,
                source: e.without_url(),
            })?;
        let mut form = reqwest::multipart::Form::new()
            .part("file", part)
            .text("model", self.model.clone())
            .text("response_format", "json");
        if let Some(lang) = language {
            form = form.text("language", lang.to_owned());
        }
        let mut request = self
            .http
            .post(endpoint(&self.base, "v1/audio/transcriptions"))
            .multipart(form);
        if let Some(key) = &self.key {
            request = request.bearer_auth(key.expose());
        }
        let response: Response = send_json(PROVIDER, request, error_body).await?;
        Ok(Transcript {
            text: response.text.trim().to_owned(),
        })
    }
}
