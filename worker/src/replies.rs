//! Sending what handlers say: replies to a chat, and notices to every admin. Flood waits and
//! server errors are retried; an admin who cannot be reached does not fail the update.

use scribe_core::text::escape_html;
use scribe_store::User;
use scribe_telegram::{InlineKeyboard, TextOptions};

use crate::context::Context;
use crate::updates::Result;

/// Sends an HTML reply.
pub async fn reply(ctx: &Context, chat_id: i64, html: &str) -> Result<()> {
    send(ctx, chat_id, html, &TextOptions::html()).await
}

/// Sends an HTML reply with buttons.
pub async fn reply_with(
    ctx: &Context,
    chat_id: i64,
    html: &str,
    keyboard: InlineKeyboard,
) -> Result<()> {
    send(
        ctx,
        chat_id,
        html,
        &TextOptions::html().with_keyboard(keyboard),
    )
    .await
}

async fn send(ctx: &Context, chat_id: i64, html: &str, options: &TextOptions) -> Result<()> {
    ctx.telegram_backoff
        .run(
            |_| ctx.telegram.send_message(chat_id, html, options),
            |_| {},
        )
        .await?;
    Ok(())
}

/// Tells every admin; failures are logged, never raised.
pub async fn notify_admins(ctx: &Context, html: &str, keyboard: Option<InlineKeyboard>) {
    let mut options = TextOptions::html();
    options.reply_markup = keyboard;
    for admin in &ctx.bot.admins {
        if let Err(e) = ctx.telegram.send_message(*admin, html, &options).await {
            ctx.metrics.telegram_error("sendMessage", e.kind());
            tracing::warn!(error = %e, "admin notice not delivered");
        }
    }
}

/// `Name (@username, id 123)`, escaped.
pub fn who(user: &User) -> String {
    let name = escape_html(&user.first_name);
    match &user.username {
        Some(u) => format!("{name} (@{}, id <code>{}</code>)", escape_html(u), user.id),
        None => format!("{name} (id <code>{}</code>)", user.id),
    }
}
