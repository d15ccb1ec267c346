//! Trials: granted on first contact (`auto`, with a revoke button for admins) or requested with
//! `/trial` and decided by an admin (`review`). Every decision is a conditional state change, so a
//! double tap decides once; the user hears about each decision.

use scribe_core::billing::TrialMode;
use scribe_core::i18n::{Lang, Msg};
use scribe_store::{TrialState, User};
use scribe_telegram::{InlineButton, InlineKeyboard};

use crate::buttons::{Button, TrialDecision};
use crate::context::Context;
use crate::error::Result;
use crate::replies::{notify_admins, reply, who};

/// First contact in `auto` mode: grants the trial and tells the admins. Returns the seconds
/// granted now.
pub async fn on_contact(ctx: &Context, user: &mut User) -> Result<Option<i64>> {
    let seconds = ctx.billing.trial_seconds;
    if ctx.billing.trial_mode != TrialMode::Auto
        || user.trial_state != TrialState::None
        || seconds == 0
    {
        return Ok(None);
    }
    if !ctx
        .store
        .grant_trial(user.id, TrialState::None, seconds)
        .await?
    {
        return Ok(None);
    }
    ctx.metrics.balance("credit", seconds);
    user.balance += seconds;
    user.trial_state = TrialState::Granted;
    let keyboard = InlineKeyboard {
        inline_keyboard: vec![vec![InlineButton::callback(
            "↩️ Revoke trial",
            Button::Trial {
                decision: TrialDecision::Revoke,
                user_id: user.id,
            }
            .data(),
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
    let msg = match (ctx.billing.trial_mode, user.trial_state) {
        (TrialMode::Review, TrialState::None)
            if ctx
                .store
                .set_trial_state(user.id, TrialState::None, TrialState::Requested)
                .await? =>
        {
            let keyboard = InlineKeyboard {
                inline_keyboard: vec![vec![
                    InlineButton::callback(
                        "✅ Approve",
                        Button::Trial {
                            decision: TrialDecision::Approve,
                            user_id: user.id,
                        }
                        .data(),
                    ),
                    InlineButton::callback(
                        "❌ Deny",
                        Button::Trial {
                            decision: TrialDecision::Deny,
                            user_id: user.id,
                        }
                        .data(),
                    ),
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
        (TrialMode::Review, TrialState::Requested | TrialState::None) => Msg::TrialPending,
        _ => Msg::TrialUnavailable,
    };
    reply(ctx, user.id, &msg.render(lang)).await
}

/// An admin's decision on `user_id`. Returns what to tell the admin.
pub async fn decide(
    ctx: &Context,
    decision: TrialDecision,
    user_id: i64,
    admin_lang: Lang,
) -> Result<String> {
    let Some(user) = ctx.store.user(user_id).await? else {
        return Ok(format!(
            "{} {user_id}",
            admin_lang.t("Unknown user", "Нет пользователя")
        ));
    };
    let lang = ctx.lang_of(&user);
    let seconds = ctx.billing.trial_seconds;
    let (to_user, to_admin) = match decision {
        TrialDecision::Approve
            if ctx
                .store
                .grant_trial(user_id, TrialState::Requested, seconds)
                .await? =>
        {
            ctx.metrics.balance("credit", seconds);
            (
                Some(Msg::TrialApproved { seconds }),
                admin_lang.t("approved", "одобрено"),
            )
        }
        TrialDecision::Deny
            if ctx
                .store
                .set_trial_state(user_id, TrialState::Requested, TrialState::Denied)
                .await? =>
        {
            (Some(Msg::TrialDenied), admin_lang.t("denied", "отклонено"))
        }
        TrialDecision::Revoke => match ctx.store.revoke_trial(user_id, seconds).await? {
            Some(taken) => (
                Some(Msg::TrialRevoked { taken }),
                admin_lang.t("revoked", "отозвано"),
            ),
            None => (None, admin_lang.t("already decided", "уже решено")),
        },
        TrialDecision::Approve | TrialDecision::Deny => {
            (None, admin_lang.t("already decided", "уже решено"))
        }
    };
    if let Some(msg) = to_user {
        reply(ctx, user_id, &msg.render(lang)).await?;
    }
    Ok(format!("{}: {to_admin}", who(&user)))
}
