//! The outbound HTTP client shared by the Telegram client and the providers: rustls with the
//! ring provider (one crypto provider across the process), bounded timeouts, pooled connections.

use std::time::Duration;

/// Installs ring as the process's rustls provider. Idempotent.
pub fn install_crypto_provider() {
    // Err means a provider is already installed, which is what we want.
    let _ = rustls::crypto::ring::default_provider().install_default();
}

/// A client whose requests time out after `timeout` (long polls set their own).
pub fn client(timeout: Duration) -> Result<reqwest::Client, reqwest::Error> {
    install_crypto_provider();
    reqwest::Client::builder()
        .timeout(timeout)
        .connect_timeout(Duration::from_secs(10))
        .pool_idle_timeout(Duration::from_secs(60))
        .user_agent(concat!("scribe/", env!("CARGO_PKG_VERSION")))
        .build()
}

pub use reqwest::Client;

/// What went wrong with a request that got no answer, in words an operator can act on: the
/// name did not resolve, nothing listened, TLS failed, it timed out. (The error itself never
/// carries the URL, which may hold a token: callers strip it with `without_url`.)
pub fn failure(error: &reqwest::Error) -> &'static str {
    let causes = {
        let mut text = String::new();
        let mut source = std::error::Error::source(error);
        while let Some(cause) = source {
            text.push_str(&cause.to_string().to_ascii_lowercase());
            text.push(' ');
            source = cause.source();
        }
        text
    };
    if error.is_timeout() {
        "timed out"
    } else if causes.contains("dns") || causes.contains("lookup") {
        "the host name did not resolve (DNS)"
    } else if [
        "certificate",
        "tls",
        "handshake",
        "corrupt message",
        "peer misbehaved",
        "peer is incompatible",
    ]
    .iter()
    .any(|sign| causes.contains(sign))
    {
        "the TLS handshake failed"
    } else if error.is_connect() {
        "could not connect"
    } else if error.is_body() || error.is_decode() {
        "the answer broke off"
    } else if let Some(status) = error.status() {
        if status.is_server_error() {
            "the server answered with an error status"
        } else {
            "the server refused the request"
        }
    } else {
        "the request failed"
    }
}
