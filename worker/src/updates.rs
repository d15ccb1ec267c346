//! Handling one Telegram update: deduplicate on `(bot, update_id)`, then route it to commands,
//! media intake or a hint. The same code runs behind the webhook's queue and behind long polling.

use std::time::Duration;

use scribe_core::i18n::Msg;
use scribe_core::retry::{Classify, Retry};
use scribe_queue::Delivery;
use scribe_store::{self as store, UpdateClaim, User};
use scribe_telegram::{self as telegram, Message, Update};
use tracing::Instrument;

use crate::context::Context;
use crate::replies::reply;
use crate::{callbacks, commands, intake, payments, trials};

/// Why handling an update failed.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error(transparent)]
    Store(#[from] store::Error),
    #[error(transparent)]
    Telegram(#[from] telegram::Error),
    #[error(transparent)]
    Queue(#[from] scribe_queue::Error),
    #[error("export failed")]
    Export(#[from] crate::reports::ExportError),
    #[error("local file error")]
    Io(#[from] std::io::Error),
}

impl Classify for Error {
    fn retry(&self) -> Retry {
        match self {
            Error::Store(e) if e.is_unavailable() => Retry::Transient { after: None },
            Error::Store(_) => Retry::Permanent,
            Error::Telegram(e) => e.retry(),
            Error::Queue(_) | Error::Io(_) => Retry::Transient { after: None },
            Error::Export(crate::reports::ExportError::Store(e)) if e.is_unavailable() => {
                Retry::Transient { after: None }
            }
            Error::Export(_) => Retry::Permanent,
        }
    }
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

/// An update claimed by one handler stays claimed this long.
const CLAIM_MS: i64 = 5 * 60 * 1000;
/// Redeliveries of an update whose handler keeps failing, before it is dead-lettered.
const MAX_ATTEMPTS: u32 = 5;

/// Handles one delivery of the updates queue and finishes it (ack, retry, dead-letter).
pub async fn handle(ctx: &Context, delivery: Delivery) {
    let update: Update = match serde_json::from_slice(&delivery.payload) {
        Ok(u) => u,
        Err(error) => {
            tracing::error!(%error, "update is not valid JSON; dead-lettering it");
            ctx.metrics.dead_letters.inc();
            finish(delivery.dead_letter().await);
            return;
        }
    };
    let span = tracing::info_span!("update", bot = %ctx.bot.name, update_id = update.update_id, trace_id = %delivery.trace_id);
    async move {
        if delivery.attempt == 1 {
            ctx.metrics
                .queue_wait_seconds
                .get_or_create(&[("queue", "updates")])
                .observe(delivery.waited_seconds());
        }
        match ctx
            .store
            .claim_update(&ctx.bot.name, update.update_id, CLAIM_MS)
            .await
        {
            Ok(UpdateClaim::Done) => {
                tracing::info!("duplicate update ignored");
                finish(delivery.ack().await);
            }
            Ok(UpdateClaim::Busy) => finish(delivery.retry_later(Duration::from_secs(5)).await),
            Ok(UpdateClaim::Fresh) => match dispatch(ctx, &update, &delivery.trace_id).await {
                Ok(()) => {
                    if let Err(error) = ctx
                        .store
                        .complete_update(&ctx.bot.name, update.update_id)
                        .await
                    {
                        tracing::warn!(%error, "could not mark the update done");
                    }
                    finish(delivery.ack().await);
                }
                Err(error) => fail(ctx, delivery, update.update_id, error).await,
            },
            Err(error) => {
                tracing::warn!(%error, "store unavailable; update will be retried");
                finish(delivery.retry_later(Duration::from_secs(5)).await);
            }
        }
    }
    .instrument(span)
    .await;
}

async fn fail(ctx: &Context, delivery: Delivery, update_id: i64, error: Error) {
    let transient = matches!(error.retry(), Retry::Transient { .. });
    if transient && delivery.attempt < MAX_ATTEMPTS {
        tracing::warn!(%error, attempt = delivery.attempt, "update failed; retrying later");
        let _ = ctx.store.release_update(&ctx.bot.name, update_id).await;
        let delay = Duration::from_secs(2u64.pow(delivery.attempt.min(6)));
        finish(delivery.retry_later(delay).await);
    } else {
        tracing::error!(%error, attempt = delivery.attempt, "update failed for good");
        ctx.metrics.dead_letters.inc();
        let _ = ctx.store.complete_update(&ctx.bot.name, update_id).await;
        finish(delivery.dead_letter().await);
    }
}

fn finish(result: scribe_queue::Result<()>) {
    if let Err(error) = result {
        // The broker redelivers what it did not hear back about; deduplication absorbs it.
        tracing::warn!(%error, "could not finish the delivery");
    }
}

fn kind(update: &Update) -> &'static str {
    match (
        &update.message,
        &update.callback_query,
        &update.pre_checkout_query,
    ) {
        (Some(m), _, _) if m.successful_payment.is_some() || m.refunded_payment.is_some() => {
            "payment"
        }
        (Some(m), _, _) if m.media().is_some() => "media",
        (Some(m), _, _) if m.text.as_deref().is_some_and(|t| t.starts_with('/')) => "command",
        (Some(_), _, _) => "message",
        (None, Some(_), _) => "callback",
        (None, None, Some(_)) => "pre_checkout",
        (None, None, None) => "other",
    }
}

async fn dispatch(ctx: &Context, update: &Update, trace_id: &str) -> Result<()> {
    ctx.metrics
        .updates_received
        .get_or_create(&[("kind", kind(update))])
        .inc();
    if let Some(query) = &update.pre_checkout_query {
        return payments::pre_checkout(ctx, query).await;
    }
    if let Some(query) = &update.callback_query {
        return callbacks::handle(ctx, query).await;
    }
    if let Some(message) = &update.message {
        return on_message(ctx, update.update_id, message, trace_id).await;
    }
    Ok(())
}

async fn on_message(
    ctx: &Context,
    update_id: i64,
    message: &Message,
    trace_id: &str,
) -> Result<()> {
    let Some(from) = message.from.as_ref().filter(|f| !f.is_bot) else {
        return Ok(());
    };
    if !message.chat.is_private() {
        // Group support is a later feature; stay silent there.
        return Ok(());
    }
    let mut user = contact(ctx, from).await?;
    if let Some(payment) = &message.successful_payment {
        return payments::successful(ctx, &user, payment).await;
    }
    if let Some(refund) = &message.refunded_payment {
        return payments::refunded(ctx, &user, refund).await;
    }
    let new_trial = trials::on_contact(ctx, &mut user).await?;
    if let Some(text) = message.text.as_deref().filter(|t| t.starts_with('/')) {
        return commands::handle(ctx, &user, update_id, message, text, new_trial).await;
    }
    if let Some(media) = message.media() {
        return intake::handle(ctx, &user, update_id, message, media, trace_id).await;
    }
    let lang = ctx.lang_of(&user);
    reply(ctx, message.chat.id, &Msg::MediaHint.render(lang)).await
}

/// Records a contact from `from` (creating the user on first sight) and returns the user.
pub async fn contact(ctx: &Context, from: &telegram::User) -> Result<User> {
    let (user, _) = ctx
        .store
        .touch_user(
            from.id,
            &from.first_name,
            from.username.as_deref(),
            from.language_code.as_deref(),
        )
        .await?;
    Ok(user)
}
