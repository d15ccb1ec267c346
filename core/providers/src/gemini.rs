//! Google Gemini `generateContent`, the fallback formatter. Thinking is switched off
//! (`thinkingBudget: 0`): thinking tokens count against the output limit and can leave a
//! `MAX_TOKENS` candidate with no parts. Errors are Google RPC shaped.

use std::time::Duration;

use async_trait::async_trait;
use serde::Deserialize;
use serde_json::json;
use url::Url;

use crate::http::{ErrorBody, endpoint, send_json};
use crate::{Error, Formatted, Formatter, Refusal, Result};
use scribe_core::secret::Secret;

const PROVIDER: &str = "gemini";

#[derive(Clone)]
pub struct Gemini {
    http: reqwest::Client,
    base: Url,
    key: Secret,
    model: String,
}

impl Gemini {
    pub fn new(http: reqwest::Client, base: Url, key: Secret, model: String) -> Self {
        Self {
            http,
            base,
            key,
            model,
        }
    }
}

/// `{"error": {"code", "message", "status", "details": [..RetryInfo {retryDelay: "26s"}..]}}`
fn error_body(status: u16, body: &[u8]) -> ErrorBody {
    #[derive(Deserialize)]
    struct Body {
        error: Inner,
    }
    #[derive(Deserialize)]
    struct Inner {
        #[serde(default)]
        message: String,
        #[serde(default)]
        status: String,
        #[serde(default)]
        details: Vec<serde_json::Value>,
    }
    let parsed = serde_json::from_slice::<Body>(body).or_else(|_| {
        // The OpenAI-compatible endpoint has been seen wrapping the error in an array.
        serde_json::from_slice::<Vec<Body>>(body)
            .map_err(|_| ())
            .and_then(|mut v| v.pop().ok_or(()))
    });
    match parsed {
        Ok(Body { error }) => {
            let retry = error
                .details
                .iter()
                .filter_map(|d| d.get("retryDelay").and_then(|v| v.as_str()))
                .find_map(parse_retry_delay);
            let refusal = match error.status.as_str() {
                "RESOURCE_EXHAUSTED" => Refusal::Throttled,
                _ => Refusal::from_status(status),
            };
            ErrorBody {
                refusal,
                code: error.status,
                message: error.message,
                retry_after: retry,
            }
        }
        Err(()) => ErrorBody::unparsed(status, body),
    }
}

/// `"26s"` or `"1.5s"`.
fn parse_retry_delay(text: &str) -> Option<Duration> {
    let secs: f64 = text.strip_suffix('s')?.parse().ok()?;
    (secs.is_finite() && secs >= 0.0).then(|| Duration::from_secs_f64(secs.min(3600.0)))
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Response {
    #[serde(default)]
    candidates: Vec<Candidate>,
    #[serde(default)]
    prompt_feedback: Option<PromptFeedback>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Candidate {
    #[serde(default)]
    content: Option<Content>,
    #[serde(default)]
    finish_reason: Option<String>,
}

#[derive(Debug, Deserialize)]
struct Content {
    #[serde(default)]
    parts: Vec<Part>,
}

#[derive(Debug, Deserialize)]
struct Part {
    #[serde(default)]
    text: Option<String>,
    #[serde(default)]
    thought: bool,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct PromptFeedback {
    #[serde(default)]
    block_reason: Option<String>,
}

#[async_trait]
impl Formatter for Gemini {
    fn provider(&self) -> &'static str {
        PROVIDER
    }

    fn model(&self) -> &str {
        &self.model
    }

    async fn format(&self, instructions: &str, text: &str) -> Result<Formatted> {
        let body = json!({
            "systemInstruction": { "parts": [{ "text": instructions }] },
            "contents": [{ "role": "user", "parts": [{ "text": text }] }],
            "generationConfig": {
                "temperature": 0.2,
                "maxOutputTokens": 8192,
                "thinkingConfig": { "thinkingBudget": 0 }
            }
        });
        let url = endpoint(
            &self.base,
            &format!("v1beta/models/{}:generateContent", self.model),
        );
        let request = self
            .http
            .post(url)
            .header("x-goog-api-key", self.key.expose())
            .json(&body);
        let response: Response = send_json(PROVIDER, request, error_body).await?;
        let Some(candidate) = response.candidates.into_iter().next() else {
            let reason = response
                .prompt_feedback
                .and_then(|f| f.block_reason)
                .unwrap_or_else(|| "no candidates".into());
            return Err(Error::NoAnswer {
                provider: PROVIDER,
                reason,
            });
        };
        let truncated = candidate.finish_reason.as_deref() == Some("MAX_TOKENS");
        let text: String = candidate
            .content
            .map(|c| {
                c.parts
                    .into_iter()
                    .filter(|p| !p.thought)
                    .filter_map(|p| p.text)
                    .collect()
            })
            .unwrap_or_default();
        if text.is_empty() && !truncated {
            let reason = candidate
                .finish_reason
                .unwrap_or_else(|| "empty candidate".into());
            return Err(Error::NoAnswer {
                provider: PROVIDER,
                reason,
            });
        }
        Ok(Formatted { text, truncated })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retry_info_is_read_from_error_details() {
        let body = br#"{"error":{"code":429,"message":"Quota exceeded. Please retry in 26.3s.","status":"RESOURCE_EXHAUSTED",
            "details":[{"@type":"type.googleapis.com/google.rpc.RetryInfo","retryDelay":"26s"}]}}"#;
        let parsed = error_body(429, body);
        assert_eq!(parsed.refusal, Refusal::Throttled);
        assert_eq!(parsed.code, "RESOURCE_EXHAUSTED");
        assert!(parsed.message.starts_with("Quota exceeded"));
        assert_eq!(parsed.retry_after, Some(Duration::from_secs(26)));
        assert_eq!(parse_retry_delay("1.5s"), Some(Duration::from_millis(1500)));
        assert_eq!(parse_retry_delay("soon"), None);
    }
}
