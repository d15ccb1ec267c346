//! Fake Telegram Bot API (see `reference/apis.md` §5): private chats and groups, forwards,
//! supergroup migration, payments, and a mode that plays a third-party emulator.

mod chat;
mod commands;
mod error;
mod fake;
mod files;
mod html;
mod incoming;
mod keyboard;
mod members;
mod messages;
mod method;
mod origin;
mod params;
mod payments;
mod privacy;
mod route;
mod state;
pub mod update;
mod updates;

pub use chat::{TgChat, TgGroup};
pub(crate) use fake::Upload;
pub use fake::{
    BOT_USERNAME, BotDocument, BotMessage, Call, Failure, FakeTelegram, FileKind, FileRef, Pushed,
    TEST_API_METHODS, WebhookState,
};
pub use keyboard::Button;
pub use members::MemberStatus;
pub use origin::Origin;
pub use update::{ForwardedVoice, TgUser};
