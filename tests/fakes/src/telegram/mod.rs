//! Fake Telegram Bot API (see `reference/apis.md` §5).

mod commands;
mod error;
mod fake;
mod files;
mod html;
mod messages;
mod method;
mod params;
mod payments;
mod route;
mod state;
pub mod update;
mod updates;

pub use fake::{BotMessage, Call, Failure, FakeTelegram, FileKind, FileRef, Upload, WebhookState};
pub use update::TgUser;
