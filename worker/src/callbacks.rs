//! Inline-button presses: buying, settings, transcript actions, and (for admins only) trial decisions and user
//! pages. Every press is answered, so the client's spinner stops; a double tap finds the state
//! already changed and does nothing twice; data that is not one of our buttons (forged, or
//! from an older version) changes nothing.

use scribe_telegram::CallbackQuery;

use crate::buttons::Button;
use crate::context::Context;
use crate::error::Result;
use crate::replies::reply;
use crate::{actions, admin, payments, privacy, settings};

pub async fn handle(ctx: &Context, query: &CallbackQuery) -> Result<()> {
    let user = ctx.contact(&query.from).await?;
    let lang = ctx.lang_of(&user);
    let message_id = query.message.as_ref().map(|m| m.message_id);
    match query.data.as_deref().map(str::parse::<Button>) {
        Some(Ok(Button::Buy { package })) => payments::invoice(ctx, &user, &package, lang).await?,
        Some(Ok(Button::Setting(toggle))) => {
            settings::toggle(ctx, &user, toggle, message_id).await?
        }
        Some(Ok(Button::Forget { confirm })) => {
            privacy::forget(ctx, &user, confirm, message_id, lang).await?
        }
        // Action buttons answer their query themselves, often with a short notice.
        Some(Ok(Button::Action { job_id, action })) => {
            return actions::press(ctx, query, &user, job_id, action).await;
        }
        Some(Ok(Button::Languages { job_id })) => {
            return actions::languages(ctx, query, &user, job_id).await;
        }
        Some(Ok(button)) if ctx.bot.is_admin(user.id) => {
            if let Some(outcome) = admin::on_button(ctx, &user, &button, lang).await? {
                reply(ctx, user.id, &outcome).await?;
            }
        }
        Some(Ok(_)) => tracing::info!("an admin button pressed by someone else; ignored"),
        Some(Err(_)) | None => tracing::info!("button data that is not ours; ignored"),
    }
    match ctx.telegram.answer_callback_query(&query.id, None).await {
        Err(e) if !e.is_query_too_old() => Err(e.into()),
        _ => Ok(()),
    }
}
