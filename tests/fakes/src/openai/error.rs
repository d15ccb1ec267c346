//! OpenAI-style errors: `{"error":{"message","type","param","code"}}`, and the ones a test can
//! script ([`OpenAiError`]).

use serde_json::{Value, json};

/// Errors a test can make an OpenAI-compatible endpoint answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OpenAiError {
    /// 429 `rate_limit_exceeded`; also the rate-limit mode's answer.
    RateLimit,
    /// 429 `insufficient_quota`: billing, not rate.
    InsufficientQuota,
    /// 500 `server_error`; also the answer while the endpoint is down.
    Internal,
    /// 503 `server_error` (overloaded).
    Unavailable,
    /// 400 `invalid_request_error` with this message.
    BadRequest(String),
}

/// `{"error":{"message","type","param","code"}}`.
pub(crate) fn body(message: &str, kind: &str, param: Option<&str>, code: Option<&str>) -> Value {
    json!({"error": {"message": message, "type": kind, "param": param, "code": code}})
}

pub(crate) fn invalid_request(message: &str, param: Option<&str>, code: Option<&str>) -> Value {
    body(message, "invalid_request_error", param, code)
}

/// 404 `model_not_found`.
pub(crate) fn model_not_found(model: &str) -> (u16, Value) {
    let message = format!("The model `{model}` does not exist or you do not have access to it.");
    (
        404,
        invalid_request(&message, None, Some("model_not_found")),
    )
}

impl OpenAiError {
    pub(crate) fn render(&self, model: &str) -> (u16, Value) {
        match self {
            Self::RateLimit => (
                429,
                body(
                    &format!(
                        "Rate limit reached for {model} in organization org-fake on requests per min (RPM): Limit 50, Used 50, Requested 1. Please try again in 1.2s. Visit https://platform.openai.com/account/rate-limits to learn more."
                    ),
                    "requests",
                    None,
                    Some("rate_limit_exceeded"),
                ),
            ),
            Self::InsufficientQuota => (
                429,
                body(
                    "You exceeded your current quota, please check your plan and billing details. For more information on this error, read the docs: https://platform.openai.com/docs/guides/error-codes/api-errors.",
                    "insufficient_quota",
                    None,
                    Some("insufficient_quota"),
                ),
            ),
            Self::Internal => (
                500,
                body(
                    "The server had an error while processing your request. Sorry about that!",
                    "server_error",
                    None,
                    None,
                ),
            ),
            Self::Unavailable => (
                503,
                body(
                    "The engine is currently overloaded, please try again later",
                    "server_error",
                    None,
                    None,
                ),
            ),
            Self::BadRequest(message) => (400, invalid_request(message, None, None)),
        }
    }
}
