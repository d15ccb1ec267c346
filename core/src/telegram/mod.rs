//! Telegram Bot API: the objects scribe reads and writes, and a typed client.

mod client;
mod types;

pub use client::{Downloaded, Error, Invoice, Result, Telegram, TextOptions};
pub use types::*;
