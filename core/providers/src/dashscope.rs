//! Alibaba Model Studio (DashScope), native protocol: `qwen3-asr-flash` through the multimodal
//! generation endpoint and `qwen-plus` through text generation. Error bodies are flat
//! `{"code","message","request_id"}`.

use async_trait::async_trait;
use base64::Engine;
use serde::{Deserialize, Serialize};
use serde_json::json;
use url::Url;

use super::{
    Audio, ErrorBody, Formatted, Formatter, Result, Transcriber, Transcript, endpoint, send_json,
};
use scribe_core::secret::Secret;

const PROVIDER: &str = "dashscope";
const ASR_PATH: &str = "api/v1/services/aigc/multimodal-generation/generation";
const TEXT_PATH: &str = "api/v1/services/aigc/text-generation/generation";

/// A DashScope account: the region's host and its key.
#[derive(Clone)]
pub struct DashScope {
    http: reqwest::Client,
    base: Url,
    key: Secret,
}

impl DashScope {
    pub fn new(http: reqwest::Client, base: Url, key: Secret) -> Self {
        Self { http, base, key }
    }

    fn post(&self, path: &str) -> reqwest::RequestBuilder {
        self.http
            .post(endpoint(&self.base, path))
            .bearer_auth(self.key.expose())
    }

    pub fn recogniser(&self, model: String) -> DashScopeAsr {
        DashScopeAsr {
            account: self.clone(),
            model,
        }
    }

    pub fn formatter(&self, model: String) -> DashScopeLlm {
        DashScopeLlm {
            account: self.clone(),
            model,
        }
    }
}

/// `{"code": "...", "message": "...", "request_id": "..."}`
fn error_body(body: &[u8]) -> ErrorBody {
    #[derive(Deserialize)]
    struct Body {
        #[serde(default)]
        code: String,
        #[serde(default)]
        message: String,
    }
    match serde_json::from_slice::<Body>(body) {
        Ok(b) => ErrorBody {
            code: b.code,
            message: b.message,
            retry_after: None,
        },
        Err(_) => ErrorBody::unparsed(body),
    }
}

#[derive(Debug, Deserialize)]
struct Response<C> {
    output: Output<C>,
}

#[derive(Debug, Deserialize)]
struct Output<C> {
    #[serde(default = "Vec::new")]
    choices: Vec<Choice<C>>,
    /// `result_format: "text"` shape, in case a deployment ignores our `message` request.
    #[serde(default)]
    text: Option<String>,
    #[serde(default)]
    finish_reason: Option<String>,
}

#[derive(Debug, Deserialize)]
struct Choice<C> {
    #[serde(default)]
    finish_reason: Option<String>,
    message: ChoiceMessage<C>,
}

#[derive(Debug, Deserialize)]
struct ChoiceMessage<C> {
    content: C,
}

#[derive(Debug, Deserialize)]
struct TextPart {
    #[serde(default)]
    text: Option<String>,
}

/// `qwen3-asr-flash` over the native multimodal endpoint.
#[derive(Clone)]
pub struct DashScopeAsr {
    account: DashScope,
    model: String,
}

#[derive(Serialize)]
struct AsrRequest<'a> {
    model: &'a str,
    input: serde_json::Value,
    parameters: serde_json::Value,
}

#[async_trait]
impl Transcriber for DashScopeAsr {
    fn provider(&self) -> &'static str {
        PROVIDER
    }

    async fn transcribe(&self, audio: Audio<'_>, language: Option<&str>) -> Result<Transcript> {
        let data = format!(
            "data:{};base64,{}",
            audio.mime,
            base64::engine::general_purpose::STANDARD.encode(audio.bytes)
        );
        let mut asr_options = json!({ "enable_itn": true });
        if let Some(lang) = language {
            asr_options["language"] = json!(lang);
        }
        let body = AsrRequest {
            model: &self.model,
            input: json!({
                "messages": [
                    { "role": "system", "content": [{ "text": "" }] },
                    { "role": "user", "content": [{ "audio": data }] }
                ]
            }),
            parameters: json!({ "asr_options": asr_options }),
        };
        let response: Response<Vec<TextPart>> = send_json(
            PROVIDER,
            self.account.post(ASR_PATH).json(&body),
            error_body,
        )
        .await?;
        let text = response
            .output
            .choices
            .into_iter()
            .next()
            .map(|c| {
                c.message
                    .content
                    .into_iter()
                    .filter_map(|p| p.text)
                    .collect::<Vec<_>>()
                    .join("")
            })
            .unwrap_or_default();
        Ok(Transcript {
            text: text.trim().to_owned(),
        })
    }
}

/// `qwen-plus` (or another text model) over native text generation.
#[derive(Clone)]
pub struct DashScopeLlm {
    account: DashScope,
    model: String,
}

#[async_trait]
impl Formatter for DashScopeLlm {
    fn provider(&self) -> &'static str {
        PROVIDER
    }

    fn model(&self) -> &str {
        &self.model
    }

    async fn format(&self, instructions: &str, text: &str) -> Result<Formatted> {
        let body = json!({
            "model": self.model,
            "input": { "messages": [
                { "role": "system", "content": instructions },
                { "role": "user", "content": text }
            ]},
            "parameters": {
                "result_format": "message",
                "temperature": 0.2,
                "max_tokens": 8192,
                "enable_thinking": false,
                "incremental_output": false
            }
        });
        let response: Response<String> = send_json(
            PROVIDER,
            self.account.post(TEXT_PATH).json(&body),
            error_body,
        )
        .await?;
        let Output {
            choices,
            text: plain,
            finish_reason,
        } = response.output;
        let (text, finish) = match choices.into_iter().next() {
            Some(c) => (c.message.content, c.finish_reason),
            None => match plain {
                Some(t) => (t, finish_reason),
                None => {
                    return Err(super::Error::NoAnswer {
                        provider: PROVIDER,
                        reason: "no choices".into(),
                    });
                }
            },
        };
        Ok(Formatted {
            text,
            truncated: finish.as_deref() == Some("length"),
        })
    }
}
