//! The HTTP exchange every provider shares: send a request, decode a JSON success body, or turn
//! an error status and the provider's error body into an [`Error::Api`].

use std::time::Duration;

use serde::de::DeserializeOwned;

use crate::{Error, Refusal, Result};

/// What a provider's error body says, read by the provider's own parser.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ErrorBody {
    pub(crate) refusal: Refusal,
    pub(crate) code: String,
    pub(crate) message: String,
    pub(crate) retry_after: Option<Duration>,
}

impl ErrorBody {
    /// A body in no known shape (a proxy's HTML page, say): the status decides, the body's start
    /// becomes the message.
    pub(crate) fn unparsed(status: u16, body: &[u8]) -> Self {
        Self {
            refusal: Refusal::from_status(status),
            code: String::new(),
            message: String::from_utf8_lossy(body).chars().take(200).collect(),
            retry_after: None,
        }
    }
}

/// A provider's error-body parser: the status and the body in, their meaning out.
pub(crate) type ErrorParser = fn(u16, &[u8]) -> ErrorBody;

/// Sends a request and decodes a JSON success body; an error status goes through `error_body`,
/// which knows the provider's error shape.
pub(crate) async fn send_json<T: DeserializeOwned>(
    provider: &'static str,
    request: reqwest::RequestBuilder,
    error_body: ErrorParser,
) -> Result<T> {
    let transport = |e: reqwest::Error| Error::Transport {
        provider,
        source: e.without_url(),
    };
    let response = request.send().await.map_err(transport)?;
    let status = response.status().as_u16();
    let header_retry = response
        .headers()
        .get(reqwest::header::RETRY_AFTER)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<u64>().ok())
        .map(Duration::from_secs);
    let body = response.bytes().await.map_err(transport)?;
    if !(200..300).contains(&status) {
        let ErrorBody {
            refusal,
            code,
            message,
            retry_after,
        } = error_body(status, &body);
        return Err(Error::Api {
            provider,
            status,
            refusal,
            code,
            message: message.chars().take(300).collect(),
            retry_after: retry_after.or(header_retry),
        });
    }
    serde_json::from_slice(&body).map_err(|source| Error::Decode { provider, source })
}

/// Joins `path` to a base URL that may or may not end with `/`.
pub(crate) fn endpoint(base: &url::Url, path: &str) -> String {
    format!(
        "{}/{}",
        base.as_str().trim_end_matches('/'),
        path.trim_start_matches('/')
    )
}
