//! Trials: granted on first contact (`auto`, with a revoke button for admins) or requested with
//! `/trial` and decided by an admin (`review`). Every decision is a conditional state change, so a
//! double tap decides once; the user hears about each decision.

use scribe_core::billing::TrialMode;
use scribe_core::i18n::{Label, Lang, Msg, TrialOutcome};
use scribe_store::{TrialState, User};

use crate::buttons::{Button, TrialDecision};
use crate::context::Context;
use crate::error::Result;
use crate::replies::{notify_admins, person, reply};

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
    let revoke = Button::Trial {
        decision: TrialDecision::Revoke,
        user_id: user.id,
    };
    let notice = Msg::TrialGranted {
        person: person(user),
        seconds,
    };
    notify_admins(ctx, &notice, &[(Label::RevokeTrial, revoke)]).await;
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
            let decide = |decision| Button::Trial {
                decision,
                user_id: user.id,
            };
            notify_admins(
                ctx,
                &Msg::TrialRequest {
                    person: person(user),
                },
                &[
                    (Label::ApproveTrial, decide(TrialDecision::Approve)),
                    (Label::DenyTrial, decide(TrialDecision::Deny)),
                ],
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
        return Ok(Msg::NoSuchUser { id: user_id }.render(admin_lang));
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
            (Some(Msg::TrialApproved { seconds }), TrialOutcome::Approved)
        }
        TrialDecision::Deny
            if ctx
                .store
                .set_trial_state(user_id, TrialState::Requested, TrialState::Denied)
                .await? =>
        {
            (Some(Msg::TrialDenied), TrialOutcome::Denied)
        }
        TrialDecision::Revoke => match ctx.store.revoke_trial(user_id, seconds).await? {
            Some(taken) => (Some(Msg::TrialRevoked { taken }), TrialOutcome::Revoked),
            None => (None, TrialOutcome::AlreadyDecided),
        },
        TrialDecision::Approve | TrialDecision::Deny => (None, TrialOutcome::AlreadyDecided),
    };
    if let Some(msg) = to_user {
        reply(ctx, user_id, &msg.render(lang)).await?;
    }
    Ok(Msg::TrialDecided {
        person: person(&user),
        outcome: to_admin,
    }
    .render(admin_lang))
}
