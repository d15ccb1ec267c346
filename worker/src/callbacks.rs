//! Inline-button presses: buying, settings, and (for admins only) trial decisions and user
//! pages. Every press is answered, so the client's spinner stops; a double tap finds the state
//! already changed and does nothing twice.

use scribe_telegram::CallbackQuery;

use crate::context::Context;
use crate::replies::reply;
use crate::updates::{Result, contact};
use crate::{admin, payments, settings};

pub async fn handle(ctx: &Context, query: &CallbackQuery) -> Result<()> {
    let user = contact(ctx, &query.from).await?;
    let lang = ctx.lang_of(&user);
    let data = query.data.as_deref().unwrap_or_default();
    let message_id = query.message.as_ref().map(|m| m.message_id);
    match data.split_once(':') {
        Some(("buy", package)) => payments::invoice(ctx, &user, package, lang).await?,
        Some(("set", what)) => settings::toggle(ctx, &user, what, message_id).await?,
        _ if ctx.bot.is_admin(user.id) => {
            if let Some(outcome) = admin::on_button(ctx, &user, data, lang).await? {
                reply(ctx, user.id, &outcome).await?;
            }
        }
        _ => tracing::debug!("button press ignored"),
    }
    match ctx.telegram.answer_callback_query(&query.id, None).await {
        Err(e) if !e.is_query_too_old() => Err(e.into()),
        _ => Ok(()),
    }
}
