//! Handling one Telegram update: deduplicate on `(bot, update_id)`, hold back a user who sends
//! too much, then route it to commands, buttons, payments, media intake or a hint. The same code
//! runs behind the webhook's queue and behind long polling. A payment is never given up on: it is
//! retried until the store takes it.

use std::time::Duration;

use scribe_core::i18n::Msg;
use scribe_core::retry::{Backoff, Classify, Retry};
use scribe_core::time::now_secs;
use scribe_queue::Delivery;
use scribe_store::{UpdateClaim, User};
use scribe_telegram::{Message, Update};
use tracing::Instrument;

use crate::context::Context;
use crate::error::{Error, Result};
use crate::replies::{notify_admins, reply};
use crate::{batch, callbacks, commands, groups, intake, payments, trials};

/// An update claimed by one handler stays claimed this long.
const CLAIM_MS: i64 = 5 * 60 * 1000;
/// Deliveries of an update whose handler keeps failing, before it is dead-lettered (payments
/// excepted).
const MAX_ATTEMPTS: u32 = 5;
/// After this many failed deliveries of a payment, admins hear that it waits to be credited.
const PAYMENT_ALERT_AFTER: u32 = 3;
/// Waits between deliveries of a failing update.
const RETRY: Backoff = Backoff {
    attempts: u32::MAX,
    base: Duration::from_secs(2),
    cap: Duration::from_secs(600),
};
/// The window of the per-user update limit.
const RATE_WINDOW_SECS: i64 = 60;

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
        let expired_before = now_secs()
            - i64::try_from(ctx.limits.dedupe_window.as_secs()).unwrap_or(i64::MAX / 2);
        match ctx
            .store
            .claim_update(&ctx.bot.name, update.update_id, CLAIM_MS, expired_before)
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
                        // The claim lapses and a redelivery finds the work done (every
                        // handler is idempotent), so this costs a repeat at most.
                        tracing::warn!(error = %scribe_core::telemetry::chain(&error), "could not mark the update done");
                    }
                    finish(delivery.ack().await);
                }
                Err(error) => fail(ctx, delivery, &update, error).await,
            },
            // The store is unavailable: the same path as a handler's failure, so a payment is
            // never given up on and its admins hear about the wait.
            Err(error) => fail(ctx, delivery, &update, Error::Store(error)).await,
        }
    }
    .instrument(span)
    .await;
}

fn is_payment(update: &Update) -> bool {
    update
        .message
        .as_ref()
        .is_some_and(|m| m.successful_payment.is_some() || m.refunded_payment.is_some())
}

async fn fail(ctx: &Context, delivery: Delivery, update: &Update, error: Error) {
    let chain = scribe_core::telemetry::chain(&error);
    let attempt = delivery.attempt;
    let hint = match error.retry() {
        Retry::Transient { after } => Some(after),
        Retry::Permanent => None,
    };
    let payment = is_payment(update);
    if payment || (hint.is_some() && attempt < MAX_ATTEMPTS) {
        tracing::warn!(error = %chain, attempt, payment, "update failed; retrying later");
        if let Err(e) = ctx
            .store
            .release_update(&ctx.bot.name, update.update_id)
            .await
        {
            // The claim then lapses by itself; the retry waits for it.
            tracing::warn!(error = %scribe_core::telemetry::chain(&e), "could not release the update's claim");
        }
        if payment && attempt == PAYMENT_ALERT_AFTER {
            let notice = Msg::PaymentStuck {
                update_id: update.update_id,
                error: &chain.to_string(),
            };
            notify_admins(ctx, &notice, &[]).await;
        }
        let delay = RETRY.delay(attempt, hint.flatten());
        finish(delivery.retry_later(delay).await);
    } else {
        tracing::error!(error = %chain, attempt, "update failed for good");
        ctx.metrics.dead_letters.inc();
        if let Err(e) = ctx
            .store
            .complete_update(&ctx.bot.name, update.update_id)
            .await
        {
            tracing::warn!(error = %scribe_core::telemetry::chain(&e), "could not mark the dead update done");
        }
        finish(delivery.dead_letter().await);
    }
}

fn finish(result: scribe_queue::Result<()>) {
    if let Err(error) = result {
        // The broker redelivers what it did not hear back about; deduplication absorbs it.
        tracing::warn!(error = %scribe_core::telemetry::chain(&error), "could not finish the delivery");
    }
}

fn kind(update: &Update) -> &'static str {
    match (
        &update.message,
        &update.callback_query,
        &update.pre_checkout_query,
    ) {
        (Some(_), _, _) if is_payment(update) => "payment",
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
        if !within_rate(ctx, query.from.id, query.from.id).await? {
            return Ok(());
        }
        return callbacks::handle(ctx, query).await;
    }
    if let Some(message) = &update.message {
        return on_message(ctx, update.update_id, message, trace_id).await;
    }
    Ok(())
}

/// Counts the update against its sender's per-minute limit: `None` within it, else how many
/// the sender sent this minute (counted for metrics).
async fn over_rate(ctx: &Context, user_id: i64) -> Result<Option<i64>> {
    if ctx.bot.is_admin(user_id) {
        return Ok(None);
    }
    let hits = ctx
        .store
        .count_user_update(user_id, RATE_WINDOW_SECS)
        .await?;
    if hits <= ctx.limits.updates_per_minute {
        return Ok(None);
    }
    ctx.metrics
        .updates_rejected
        .get_or_create(&[("reason", "user_rate")])
        .inc();
    Ok(Some(hits))
}

async fn within_rate_silently(ctx: &Context, user_id: i64) -> Result<bool> {
    Ok(over_rate(ctx, user_id).await?.is_none())
}

/// Counts the update against its sender's per-minute limit. False when the sender is over it
/// (the update is then ignored; the first one over the limit gets one notice in `chat`).
async fn within_rate(ctx: &Context, user_id: i64, chat: i64) -> Result<bool> {
    let Some(hits) = over_rate(ctx, user_id).await? else {
        return Ok(true);
    };
    if hits == ctx.limits.updates_per_minute + 1 {
        let lang = match ctx.store.user(user_id).await? {
            Some(user) => ctx.lang_of(&user),
            None => scribe_core::i18n::Lang::En,
        };
        reply(ctx, chat, &Msg::SlowDown.render(lang)).await?;
    }
    Ok(false)
}

async fn on_message(
    ctx: &Context,
    update_id: i64,
    message: &Message,
    trace_id: &str,
) -> Result<()> {
    // Payment service messages count in every chat type, and are never rate limited.
    if let Some(from) = message.from.as_ref().filter(|f| !f.is_bot) {
        if let Some(payment) = &message.successful_payment {
            let user = ctx.contact(from).await?;
            return payments::successful(ctx, &user, payment).await;
        }
        if let Some(refund) = &message.refunded_payment {
            let user = ctx.contact(from).await?;
            return payments::refunded(ctx, &user, refund).await;
        }
    }
    if message.chat.is_group() {
        let within = match message.from.as_ref() {
            // Group members over their limit are ignored without a word in the group.
            Some(from) if !from.is_bot => within_rate_silently(ctx, from.id).await?,
            _ => true,
        };
        return if within {
            groups::on_message(ctx, update_id, message, trace_id).await
        } else {
            Ok(())
        };
    }
    let Some(from) = message.from.as_ref().filter(|f| !f.is_bot) else {
        return Ok(());
    };
    if !message.chat.is_private() {
        return Ok(());
    }
    if !within_rate(ctx, from.id, message.chat.id).await? {
        return Ok(());
    }
    let mut user: User = ctx.contact(from).await?;
    let new_trial = trials::on_contact(ctx, &mut user).await?;
    if let Some(text) = message.text.as_deref().filter(|t| t.starts_with('/')) {
        return commands::handle(ctx, &user, update_id, message, text, new_trial, trace_id).await;
    }
    if let Some(media) = message.media() {
        if let Some(origin) = message
            .forward_origin
            .as_ref()
            .filter(|_| batch::batches(message, &media))
        {
            return batch::collect(ctx, &user, update_id, message, media, origin, trace_id).await;
        }
        let request =
            intake::Request::private(ctx, &user, update_id, message.message_id, media, trace_id);
        return intake::handle(ctx, request).await;
    }
    let lang = ctx.lang_of(&user);
    reply(ctx, message.chat.id, &Msg::MediaHint.render(lang)).await
}

#[cfg(test)]
mod tests {
    use serde_json::{Value, json};

    use super::*;

    fn update(value: Value) -> Update {
        serde_json::from_value(value).expect("an update")
    }

    fn from() -> Value {
        json!({"id": 5, "first_name": "A"})
    }

    fn chat(kind: &str) -> Value {
        let id = if kind == "private" { 5 } else { -7 };
        json!({"id": id, "type": kind})
    }

    /// A message update in a private chat with `fields` added to the message.
    fn message(fields: Value) -> Value {
        message_in("private", fields)
    }

    fn message_in(chat_kind: &str, fields: Value) -> Value {
        let mut message =
            json!({"message_id": 1, "date": 0, "chat": chat(chat_kind), "from": from()});
        if let (Some(message), Value::Object(fields)) = (message.as_object_mut(), fields) {
            message.extend(fields);
        }
        json!({"update_id": 1, "message": message})
    }

    fn file(extra: Value) -> Value {
        let mut file = json!({"file_id": "f", "file_unique_id": "u"});
        if let (Some(file), Value::Object(extra)) = (file.as_object_mut(), extra) {
            file.extend(extra);
        }
        file
    }

    fn successful_payment() -> Value {
        json!({"successful_payment": {"currency": "XTR", "total_amount": 5,
            "invoice_payload": "p1:micro:5", "telegram_payment_charge_id": "c"}})
    }

    fn refunded_payment() -> Value {
        json!({"refunded_payment": {"currency": "XTR", "total_amount": 5,
            "invoice_payload": "p1:micro:5", "telegram_payment_charge_id": "c"}})
    }

    #[test]
    fn every_update_shape_has_its_kind() {
        let duration = json!({"duration": 3});
        let cases = [
            ("a command", message(json!({"text": "/start"})), "command"),
            (
                "a command to a bot",
                message(json!({"text": "/help@ScribeBot"})),
                "command",
            ),
            ("plain text", message(json!({"text": "hi"})), "message"),
            (
                "a slash later in the text",
                message(json!({"text": "see /help"})),
                "message",
            ),
            (
                "a command-like caption without media",
                message(json!({"caption": "/start"})),
                "message",
            ),
            (
                "a message with nothing we read",
                message(json!({})),
                "message",
            ),
            (
                "a voice note",
                message(json!({"voice": file(duration.clone())})),
                "media",
            ),
            (
                "an audio file",
                message(json!({"audio": file(duration.clone())})),
                "media",
            ),
            (
                "a video",
                message(json!({"video": file(duration.clone())})),
                "media",
            ),
            (
                "a video note",
                message(json!({"video_note": file(duration.clone())})),
                "media",
            ),
            (
                "an audio document",
                message(json!({"document": file(json!({"mime_type": "audio/ogg"}))})),
                "media",
            ),
            (
                "a video document",
                message(json!({"document": file(json!({"mime_type": "video/mp4"}))})),
                "media",
            ),
            (
                "a PDF document",
                message(json!({"document": file(json!({"mime_type": "application/pdf"}))})),
                "message",
            ),
            (
                "a document without a type",
                message(json!({"document": file(json!({}))})),
                "message",
            ),
            (
                "a voice note captioned like a command",
                message(json!({"voice": file(duration.clone()), "caption": "/start"})),
                "media",
            ),
            ("a payment", message(successful_payment()), "payment"),
            ("a refund", message(refunded_payment()), "payment"),
            (
                "a button press",
                json!({"update_id": 1, "callback_query": {"id": "q", "from": from(), "data": "set:code"}}),
                "callback",
            ),
            (
                "a pre-checkout query",
                json!({"update_id": 1, "pre_checkout_query": {"id": "q", "from": from(),
                    "currency": "XTR", "total_amount": 5, "invoice_payload": "p"}}),
                "pre_checkout",
            ),
            (
                "an edited message",
                json!({"update_id": 1, "edited_message": {"message_id": 1, "chat": chat("private"), "text": "/start"}}),
                "other",
            ),
            (
                "an update kind we do not read",
                json!({"update_id": 1, "my_chat_member": {"chat": chat("group")}}),
                "other",
            ),
            ("an empty update", json!({"update_id": 1}), "other"),
        ];
        for (what, value, expected) in cases {
            assert_eq!(kind(&update(value)), expected, "{what}");
        }
    }

    #[test]
    fn payments_are_recognised_in_every_chat_type() {
        for chat_kind in ["private", "group", "supergroup", "channel"] {
            for payment in [successful_payment(), refunded_payment()] {
                let update = update(message_in(chat_kind, payment.clone()));
                assert!(is_payment(&update), "{chat_kind}: {payment}");
                assert_eq!(kind(&update), "payment", "{chat_kind}: {payment}");
            }
            for other in [
                json!({"text": "/buy_minutes"}),
                json!({"voice": file(json!({"duration": 3}))}),
                json!({}),
            ] {
                let update = update(message_in(chat_kind, other.clone()));
                assert!(!is_payment(&update), "{chat_kind}: {other}");
            }
        }
        let press = update(
            json!({"update_id": 1, "callback_query": {"id": "q", "from": from(), "data": "buy:micro"}}),
        );
        assert!(!is_payment(&press));
    }

    #[test]
    fn update_retries_wait_longer_each_time_and_respect_hints() {
        for _ in 0..50 {
            assert!(RETRY.delay(1, None) <= Duration::from_secs(2));
            assert!(RETRY.delay(20, None) <= Duration::from_secs(600));
            assert!(RETRY.delay(1, Some(Duration::from_secs(30))) >= Duration::from_secs(30));
        }
    }
}
