//! Sending what handlers say: replies to a chat, and notices to every admin in their own
//! language. Flood waits and server errors are retried; an admin who cannot be reached does not
//! fail the update.

use std::time::Duration;

use scribe_core::i18n::{Label, Lang, Msg, Person};
use scribe_core::telemetry::chain;
use scribe_store::{Job, User};
use scribe_telegram::{self as telegram, InlineButton, InlineKeyboard, TextOptions};

use crate::buttons::Button;
use crate::context::Context;
use crate::error::Result;

/// How long a notice waits for an admin's language before it goes in English (the store may be
/// what the notice is about).
const ADMIN_LANG_WAIT: Duration = Duration::from_secs(2);

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

/// Tells every admin, each in their own language, with `buttons` as one row; failures are
/// logged, never raised.
pub async fn notify_admins(ctx: &Context, notice: &Msg<'_>, buttons: &[(Label<'_>, Button)]) {
    for admin in &ctx.bot.admins {
        let lang = admin_lang(ctx, *admin).await;
        let mut options = TextOptions::html();
        if !buttons.is_empty() {
            options.reply_markup = Some(InlineKeyboard {
                inline_keyboard: vec![
                    buttons
                        .iter()
                        .map(|(label, button)| {
                            InlineButton::callback(label.render(lang), button.data())
                        })
                        .collect(),
                ],
            });
        }
        let html = notice.render(lang);
        if let Err(e) = ctx.telegram.send_message(*admin, &html, &options).await {
            ctx.metrics.telegram_error("sendMessage", e.kind());
            tracing::warn!(error = %chain(&e), "admin notice not delivered");
        }
    }
}

/// The admin's own language when the admin is a known user, else English.
async fn admin_lang(ctx: &Context, admin: i64) -> Lang {
    match tokio::time::timeout(ADMIN_LANG_WAIT, ctx.store.user(admin)).await {
        Ok(Ok(Some(user))) => ctx.lang_of(&user),
        Ok(Ok(None)) => Lang::En,
        Ok(Err(error)) => {
            tracing::debug!(error = %scribe_core::telemetry::chain(&error), "admin's language unknown; English");
            Lang::En
        }
        Err(_) => {
            tracing::debug!("admin's language not read in time; English");
            Lang::En
        }
    }
}

/// A user as admins see them.
pub fn person(user: &User) -> Person<'_> {
    Person {
        id: user.id,
        first_name: &user.first_name,
        username: user.username.as_deref(),
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
