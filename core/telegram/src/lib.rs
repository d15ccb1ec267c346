//! Telegram Bot API: the objects scribe reads and writes, and a typed client.
#![forbid(unsafe_code)]

mod client;
mod types;

pub use client::{
    CommandScope, Document, Downloaded, Error, Invoice, Result, Telegram, TextOptions,
};
pub use scribe_core::media::{Media, MediaKind};
pub use types::*;
