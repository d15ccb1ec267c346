//! Everything the scribe processes share: configuration, the Telegram client, the store, the
//! queue, speech and text providers, audio tools, billing, localisation, metrics and telemetry.
#![forbid(unsafe_code)]

pub mod audio;
pub mod billing;
pub mod config;
pub mod http;
pub mod i18n;
pub mod metrics;
pub mod ops;
pub mod providers;
pub mod queue;
pub mod retry;
pub mod secret;
pub mod shutdown;
pub mod store;
pub mod telegram;
pub mod telemetry;
pub mod text;
pub mod time;

pub use secret::Secret;
