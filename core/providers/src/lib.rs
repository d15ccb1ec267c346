//! Speech recognition and text formatting providers, behind two seams:
//! [`Transcriber`] (DashScope native, OpenAI-compatible) and [`Formatter`] (DashScope text
//! generation, Gemini). Each provider file has the same shape: request types, response types,
//! one client struct, its error mapping.
#![forbid(unsafe_code)]

pub mod dashscope;
pub mod gemini;
pub mod openai;

use std::time::Duration;

use async_trait::async_trait;
use serde::de::DeserializeOwned;

use scribe_core::retry::{Classify, Retry};

/// Audio handed to a recogniser.
#[derive(Debug, Clone, Copy)]
pub struct Audio<'a> {
    pub bytes: &'a [u8],
    /// MIME type for data URIs (`audio/ogg`).
    pub mime: &'a str,
    /// File name for multipart uploads (`chunk.ogg`: some servers judge the format by it).
    pub file_name: &'a str,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Transcript {
    pub text: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Formatted {
    pub text: String,
    /// The model stopped at its output limit (`length`, `MAX_TOKENS`).
    pub truncated: bool,
}

#[async_trait]
pub trait Transcriber: Send + Sync {
    /// Short name for metrics and logs (`dashscope`, `openai`).
    fn provider(&self) -> &'static str;
    async fn transcribe(&self, audio: Audio<'_>, language: Option<&str>) -> Result<Transcript>;
}

#[async_trait]
pub trait Formatter: Send + Sync {
    fn provider(&self) -> &'static str;
    /// The model name, recorded with each job.
    fn model(&self) -> &str;
    async fn format(&self, instructions: &str, text: &str) -> Result<Formatted>;
}

#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The provider answered with an error status and body.
    #[error("{provider} answered {status} {code}: {message}")]
    Api {
        provider: &'static str,
        status: u16,
        code: String,
        message: String,
        retry_after: Option<Duration>,
    },
    #[error("{provider} request failed")]
    Transport {
        provider: &'static str,
        #[source]
        source: reqwest::Error,
    },
    #[error("{provider} answered with an unexpected body")]
    Decode {
        provider: &'static str,
        #[source]
        source: serde_json::Error,
    },
    /// A 200 without a usable answer (blocked prompt, no candidates).
    #[error("{provider} gave no answer: {reason}")]
    NoAnswer {
        provider: &'static str,
        reason: String,
    },
}

impl Error {
    pub fn provider(&self) -> &'static str {
        match self {
            Error::Api { provider, .. }
            | Error::Transport { provider, .. }
            | Error::Decode { provider, .. }
            | Error::NoAnswer { provider, .. } => provider,
        }
    }

    /// The provider refused the audio itself (format, size): worth one transcoded retry.
    pub fn is_invalid_input(&self) -> bool {
        matches!(self, Error::Api { status: 400, code, .. } if code.contains("InvalidParameter") || code == "invalid_parameter_error" || code == "unsupported_value")
    }

    /// Bounded label for metrics.
    pub fn outcome(&self) -> &'static str {
        match self {
            Error::Api { status: 429, .. } => "throttled",
            Error::Api {
                status: 401 | 403, ..
            } => "unauthorized",
            Error::Api {
                status: 400..=499, ..
            } => "rejected",
            Error::Api { .. } => "server_error",
            Error::Transport { source, .. } if source.is_timeout() => "timeout",
            Error::Transport { .. } => "transport",
            Error::Decode { .. } => "bad_body",
            Error::NoAnswer { .. } => "no_answer",
        }
    }
}

impl Classify for Error {
    fn retry(&self) -> Retry {
        match self {
            Error::Api {
                status,
                retry_after,
                ..
            } => Retry::from_status(*status, *retry_after),
            Error::Transport { source, .. } => Retry::from_reqwest(source),
            Error::Decode { .. } => Retry::Permanent,
            Error::NoAnswer { .. } => Retry::Permanent,
        }
    }
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

/// What a provider's error body says.
#[derive(Debug, Clone, PartialEq, Eq)]
struct ErrorBody {
    code: String,
    message: String,
    retry_after: Option<Duration>,
}

impl ErrorBody {
    /// A body in no known shape (a proxy's HTML page, say): its start becomes the message.
    fn unparsed(body: &[u8]) -> Self {
        Self {
            code: String::new(),
            message: String::from_utf8_lossy(body).chars().take(200).collect(),
            retry_after: None,
        }
    }
}

/// Sends a request and decodes a JSON success body; an error status goes through `error_body`,
/// which knows the provider's error shape.
async fn send_json<T: DeserializeOwned>(
    provider: &'static str,
    request: reqwest::RequestBuilder,
    error_body: fn(&[u8]) -> ErrorBody,
) -> Result<T> {
    let response = request.send().await.map_err(|e| Error::Transport {
        provider,
        source: e.without_url(),
    })?;
    let status = response.status().as_u16();
    let header_retry = response
        .headers()
        .get(reqwest::header::RETRY_AFTER)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<u64>().ok())
        .map(Duration::from_secs);
    let body = response.bytes().await.map_err(|e| Error::Transport {
        provider,
        source: e.without_url(),
    })?;
    if !(200..300).contains(&status) {
        let ErrorBody {
            code,
            message,
            retry_after,
        } = error_body(&body);
        return Err(Error::Api {
            provider,
            status,
            code,
            message: message.chars().take(300).collect(),
            retry_after: retry_after.or(header_retry),
        });
    }
    serde_json::from_slice(&body).map_err(|source| Error::Decode { provider, source })
}

/// Joins `path` to a base URL that may or may not end with `/`.
fn endpoint(base: &url::Url, path: &str) -> String {
    format!(
        "{}/{}",
        base.as_str().trim_end_matches('/'),
        path.trim_start_matches('/')
    )
}
