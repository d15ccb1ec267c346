//! Bearer-key checks with OpenAI's 401 answers.

use axum::http::HeaderMap;
use serde_json::Value;

use super::error::invalid_request;
use crate::server;

const MISSING: &str = "You didn't provide an API key. You need to provide your API key in an Authorization header using Bearer auth (i.e. Authorization: Bearer YOUR_KEY), or as the password field (with blank username) if you're accessing the API from your browser and are prompted for a username. You can obtain an API key from https://platform.openai.com/account/api-keys.";

/// Checks the bearer key against `expected`; a server started without a key (vLLM, Ollama by
/// default) accepts any request.
pub(crate) fn check(expected: Option<&str>, headers: &HeaderMap) -> Result<(), (u16, Value)> {
    let Some(expected) = expected else {
        return Ok(());
    };
    match server::bearer(headers) {
        None => Err((401, invalid_request(MISSING, None, None))),
        Some(key) if key != expected => {
            let message = format!(
                "Incorrect API key provided: {}. You can find your API key at https://platform.openai.com/account/api-keys.",
                mask(&key)
            );
            Err((
                401,
                invalid_request(&message, None, Some("invalid_api_key")),
            ))
        }
        Some(_) => Ok(()),
    }
}

/// `sk-****1234`, as OpenAI echoes a wrong key.
fn mask(key: &str) -> String {
    let chars: Vec<char> = key.chars().collect();
    if chars.len() <= 8 {
        return "*".repeat(chars.len());
    }
    let head: String = chars[..3].iter().collect();
    let tail: String = chars[chars.len() - 4..].iter().collect();
    format!("{head}{}{tail}", "*".repeat(chars.len() - 7))
}
