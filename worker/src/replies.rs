//! Sending what handlers say: replies to a chat, and notices to every admin. Flood waits and
//! server errors are retried; an admin who cannot be reached does not fail the update.

use scribe_core::text::escape_html;
use scribe_store::{Job, User};
use scribe_telegram::{self as telegram, InlineKeyboard, TextOptions};

use crate::context::Context;
use crate::error::Result;

/// Sends an HTML reply.
pub async fn reply(ctx: &Context, chat_id: i64, html: &str) -> Result<()> {
    send_with(ctx, chat_id, html, &TextOptions::html()).await
}

/// Sends an HTML reply with buttons.
pub async fn reply_with(
    ctx: &Context,
    chat_id: i64,
    html: &str,
    keyboard: InlineKeyboard,
) -> Result<()> {
    send_with(
        ctx,
        chat_id,
        html,
        &TextOptions::html().with_keyboard(keyboard),
    )
    .await
}

/// Sends an HTML message with any options (a reply, buttons).
pub async fn send_with(
    ctx: &Context,
    chat_id: i64,
    html: &str,
    options: &TextOptions,
) -> Result<()> {
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

/// Puts `html` into a job's status message, or sends it as a reply to the job's media when the
/// status message is gone. Failures are counted, never raised: the job's outcome is already
/// recorded.
pub async fn show_on_status(ctx: &Context, job: &Job, html: &str) {
    let options = TextOptions::html();
    let edited = match job.status_message_id {
        Some(id) => {
            ctx.telegram
                .edit_message_text(job.chat_id, id, html, &options)
                .await
        }
        None => Err(telegram::Error::Status {
            method: "editMessageText",
            status: 404,
        }),
    };
    if edited.is_err()
        && let Err(e) = ctx
            .telegram
            .send_message(job.chat_id, html, &options.replying_to(job.message_id))
            .await
    {
        ctx.metrics.telegram_error("sendMessage", e.kind());
    }
}
