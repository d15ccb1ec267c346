//! OpenAI-compatible `POST /v1/chat/completions` as a formatter (vLLM, Ollama, LocalAI, OpenAI
//! or any hosted one): system instructions and the text as the user message, non-streaming.
//! `max_tokens` is left to the server: servers disagree on its name and on its ceiling, and a
//! truncated answer is reported by `finish_reason: "length"` either way.

use async_trait::async_trait;
use serde::Deserialize;
use serde_json::json;
use url::Url;

use super::error_body;
use crate::http::{endpoint, send_json};
use crate::{Error, Formatted, Formatter, Result};
use scribe_core::secret::Secret;

const PROVIDER: &str = "openai";

#[derive(Clone)]
pub struct OpenAiChat {
    http: reqwest::Client,
    base: Url,
    key: Option<Secret>,
    model: String,
}

impl OpenAiChat {
    /// A chat server at `base` (`https://api.openai.com`, `http://ollama:11434`); `key` is sent
    /// as a bearer token when there is one.
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
    choices: Vec<Choice>,
}

#[derive(Deserialize)]
struct Choice {
    #[serde(default)]
    message: Option<Message>,
    #[serde(default)]
    finish_reason: Option<String>,
}

#[derive(Deserialize)]
struct Message {
    /// Null when the model refused or produced only tool calls.
    #[serde(default)]
    content: Option<String>,
}

#[async_trait]
impl Formatter for OpenAiChat {
    fn provider(&self) -> &'static str {
        PROVIDER
    }

    fn model(&self) -> &str {
        &self.model
    }

    async fn format(&self, instructions: &str, text: &str) -> Result<Formatted> {
        let body = json!({
            "model": self.model,
            "messages": [
                { "role": "system", "content": instructions },
                { "role": "user", "content": text }
            ],
            "temperature": 0.2,
            "stream": false
        });
        let mut request = self
            .http
            .post(endpoint(&self.base, "v1/chat/completions"))
            .json(&body);
        if let Some(key) = &self.key {
            request = request.bearer_auth(key.expose());
        }
        let response: Response = send_json(PROVIDER, request, error_body::parse).await?;
        let Some(choice) = response.choices.into_iter().next() else {
            return Err(Error::NoAnswer {
                provider: PROVIDER,
                reason: "no choices".into(),
            });
        };
        let truncated = choice.finish_reason.as_deref() == Some("length");
        let text = choice.message.and_then(|m| m.content).unwrap_or_default();
        if text.is_empty() && !truncated {
            return Err(Error::NoAnswer {
                provider: PROVIDER,
                reason: choice
                    .finish_reason
                    .unwrap_or_else(|| "empty message".into()),
            });
        }
        Ok(Formatted { text, truncated })
    }
}
