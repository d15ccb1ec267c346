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
