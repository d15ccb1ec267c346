//! Alibaba Model Studio (DashScope), native protocol: `qwen3-asr-flash` through the multimodal
//! generation endpoint (the audio streamed into the JSON body as a base64 data URI) and
//! `qwen-plus` through text generation. Error bodies are flat `{"code","message","request_id"}`.

use async_trait::async_trait;
use futures::StreamExt;
use serde::Deserialize;
use serde_json::json;
use url::Url;

use crate::http::{ErrorBody, endpoint, send_json};
use crate::{
    Audio, Error, Formatted, Formatter, Options, Refusal, Result, Transcriber, Transcript, audio,
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
fn error_body(status: u16, body: &[u8]) -> ErrorBody {
    #[derive(Deserialize)]
    struct Body {
        #[serde(default)]
        code: String,
        #[serde(default)]
        message: String,
    }
    match serde_json::from_slice::<Body>(body) {
        Ok(Body { code, message }) => ErrorBody {
            refusal: refusal(status, &code),
            code,
            message,
            retry_after: None,
        },
        Err(_) => ErrorBody::unparsed(status, body),
    }
}

/// What a DashScope error code means (`reference/apis.md` §1.8).
fn refusal(status: u16, code: &str) -> Refusal {
    let family = code.split('.').next().unwrap_or_default();
    match family {
        // `Throttling`, `.RateQuota`, `.BurstRate`, `.AllocationQuota`: all say "slower".
        "Throttling" => Refusal::Throttled,
        "Arrearage" => Refusal::QuotaExhausted,
        "InvalidParameter" if status == 400 => Refusal::InvalidInput,
        _ => Refusal::from_status(status),
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

impl DashScopeAsr {
    /// The request body: the JSON up to the audio, the audio's base64 read from the file, and
    /// the JSON after it. The audio is the body's last value, so the two ends are fixed text.
    async fn body(&self, audio: Audio<'_>, options: Options<'_>) -> Result<(reqwest::Body, u64)> {
        let mut asr_options = json!({ "enable_itn": true });
        if let Some(lang) = options.language {
            asr_options["language"] = json!(lang);
        }
        let system = json!({
            "role": "system",
            "content": [{ "text": options.context.unwrap_or_default() }],
        });
        let data_uri = json!(format!("data:{};base64,", audio.mime)).to_string();
        // The data URI's JSON string, left open for the base64 to follow.
        let open_uri = data_uri.strip_suffix('"').unwrap_or(&data_uri);
        let head = format!(
            r#"{{"model":{},"parameters":{{"asr_options":{}}},"input":{{"messages":[{},{{"role":"user","content":[{{"audio":{}"#,
            json!(self.model),
            asr_options,
            system,
            open_uri,
        );
        const TAIL: &str = r#""}]}]}}"#;
        let file = audio.open(PROVIDER).await?;
        let len = head.len() as u64 + audio.base64_len() + TAIL.len() as u64;
        let stream = futures::stream::once(async move { Ok(bytes::Bytes::from(head)) })
            .chain(audio::base64(file, audio.len))
            .chain(futures::stream::once(async {
                Ok(bytes::Bytes::from_static(TAIL.as_bytes()))
            }));
        Ok((reqwest::Body::wrap_stream(stream), len))
    }
}

#[async_trait]
impl Transcriber for DashScopeAsr {
    fn provider(&self) -> &'static str {
        PROVIDER
    }

    async fn transcribe(&self, audio: Audio<'_>, options: Options<'_>) -> Result<Transcript> {
        let (body, len) = self.body(audio, options).await?;
        let request = self
            .account
            .post(ASR_PATH)
            .header(reqwest::header::CONTENT_TYPE, "application/json")
            .header(reqwest::header::CONTENT_LENGTH, len)
            .body(body);
        let response: Response<Vec<TextPart>> = send_json(PROVIDER, request, error_body).await?;
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
            segments: None,
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
                    return Err(Error::NoAnswer {
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
