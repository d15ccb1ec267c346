//! The vocabulary every scribe process shares: configuration, secrets, retry and backoff,
//! billing units, media, commands, user-visible texts, metrics, telemetry, shutdown and the ops
//! endpoints. It names no database, broker, provider or audio tool: those live in the crates
//! beside it (`core/telegram`, `core/store`, `core/queue`, `core/rabbitmq`, `core/providers`,
//! `core/audio`).
#![forbid(unsafe_code)]

pub mod billing;
pub mod commands;
pub mod config;
pub mod http;
pub mod i18n;
pub mod media;
pub mod metrics;
pub mod ops;
pub mod retry;
pub mod secret;
pub mod shutdown;
pub mod telemetry;
pub mod text;
pub mod time;

pub use secret::Secret;
