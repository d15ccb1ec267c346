//! Trials: granted on first contact (`auto`, with a revoke button for admins) or requested with
//! `/trial` and decided by an admin (`review`). Every decision is a conditional state change, so a
//! double tap decides once; the user hears about each decision.

use scribe_core::billing::TrialMode;
use scribe_core::i18n::{Lang, Msg};
use scribe_store::User;
use scribe_telegram::{InlineButton, InlineKeyboard};

use crate::context::Context;
use crate::replies::{notify_admins, reply, who};
use crate::updates::Result;

/// First contact in `auto` mode: grants the trial and tells the admins. Returns the seconds
/// granted now.
pub async fn on_contact(ctx: &Context, user: &mut User) -> Result<Option<i64>> {
    let seconds = ctx.billing.trial_seconds;
    if ctx.billing.trial_mode != TrialMode::Auto || user.trial_state != "none" || seconds == 0 {
        return Ok(None);
    }
    if !ctx.store.grant_trial(user.id, "none", seconds).await? {
        return Ok(None);
    }
    ctx.metrics.balance("credit", seconds);
    user.balance += seconds;
    user.trial_state = "granted".into();
    let keyboard = InlineKeyboard {
        inline_keyboard: vec![vec![InlineButton::callback(
            "↩️ Revoke trial",
            format!("trial:revoke:{}", user.id),
        )]],
    };
    let text = format!(
        "👤 New user {} got the {}-minute trial.",
        who(user),
        seconds / 60
    );
    notify_admins(ctx, &text, Some(keyboard)).await;
    Ok(Some(seconds))
}

/// `/trial` in `review` mode.
pub async fn request(ctx: &Context, user: &User, lang: Lang) -> Result<()> {
    let msg = match (ctx.billing.trial_mode, user.trial_state.as_str()) {
        (TrialMode::Review, "none")
            if ctx
                .store
                .set_trial_state(user.id, "none", "requested")
                .await? =>
        {
            let keyboard = InlineKeyboard {
                inline_keyboard: vec![vec![
                    InlineButton::callback("✅ Approve", format!("trial:ok:{}", user.id)),
                    InlineButton::callback("❌ Deny", format!("trial:no:{}", user.id)),
                ]],
            };
            notify_admins(
                ctx,
                &format!("🙋 Trial request from {}.", who(user)),
                Some(keyboard),
            )
            .await;
            Msg::TrialRequested
        }
        (TrialMode::Review, "requested" | "none") => Msg::TrialPending,
        _ => Msg::TrialUnavailable,
    };
    reply(ctx, user.id, &msg.render(lang)).await
}

/// An admin's decision on `user_id`: `ok`, `no` or `revoke`. Returns what to tell the admin.
pub async fn decide(ctx: &Context, action: &str, user_id: i64, admin_lang: Lang) -> Result<String> {
    let Some(user) = ctx.store.user(user_id).await? else {
        return Ok(format!(
            "{} {user_id}",
            admin_lang.t("Unknown user", "Нет пользователя")
        ));
    };
    let lang = ctx.lang_of(&user);
    let seconds = ctx.billing.trial_seconds;
    let (to_user, to_admin) = match action {
        "ok" if ctx.store.grant_trial(user_id, "requested", seconds).await? => {
            ctx.metrics.balance("credit", seconds);
            (
                Some(Msg::TrialApproved { seconds }),
                admin_lang.t("approved", "одобрено"),
            )
        }
        "no" if ctx
            .store
            .set_trial_state(user_id, "requested", "denied")
            .await? =>
        {
            (Some(Msg::TrialDenied), admin_lang.t("denied", "отклонено"))
        }
        "revoke" => match ctx.store.revoke_trial(user_id, seconds).await? {
            Some(taken) => (
                Some(Msg::TrialRevoked { taken }),
                admin_lang.t("revoked", "отозвано"),
            ),
            None => (None, admin_lang.t("already decided", "уже решено")),
        },
        _ => (None, admin_lang.t("already decided", "уже решено")),
    };
    if let Some(msg) = to_user {
        reply(ctx, user_id, &msg.render(lang)).await?;
    }
    Ok(format!("{}: {to_admin}", who(&user)))
}
