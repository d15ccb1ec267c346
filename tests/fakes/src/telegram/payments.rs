//! Telegram Stars: `sendInvoice`, `answerPreCheckoutQuery`, `refundStarPayment`.
//!
//! The exact wording of invoice validation errors is not confirmed by `reference/apis.md`; the
//! fake uses the server's upper-case error names (`INVOICE_TITLE_INVALID`, …).

use std::time::Duration;

use serde_json::{Value, json};

use super::error::{QUERY_TOO_OLD, TgError};
use super::keyboard::reply_markup;
use super::messages::{store, writable_chat};
use super::method::Answer;
use super::params::Params;
use super::state::{Shared, StoredMessage};
use super::update::now;

/// The bot must answer a pre-checkout query within this time.
const PRE_CHECKOUT_DEADLINE: Duration = Duration::from_secs(10);

fn check_length(
    value: &str,
    range: std::ops::RangeInclusive<usize>,
    error: &str,
) -> Result<(), TgError> {
    if range.contains(&value.chars().count()) {
        Ok(())
    } else {
        Err(TgError::bad_request(error))
    }
}

/// The single `LabeledPrice` a Stars invoice carries; returns its amount.
fn stars_amount(params: &Params) -> Result<i64, TgError> {
    let Some(prices) = params.get("prices").and_then(Value::as_array) else {
        return Err(TgError::bad_request("can't parse prices JSON object"));
    };
    let [price] = prices.as_slice() else {
        return Err(TgError::bad_request("STARS_INVOICE_INVALID"));
    };
    let label_ok = price
        .get("label")
        .and_then(Value::as_str)
        .is_some_and(|label| !label.is_empty());
    if !label_ok {
        return Err(TgError::bad_request("can't parse prices JSON object"));
    }
    match price.get("amount").and_then(Value::as_i64) {
        Some(amount) if amount > 0 => Ok(amount),
        _ => Err(TgError::bad_request("CURRENCY_TOTAL_AMOUNT_INVALID")),
    }
}

pub(crate) fn send_invoice(shared: &Shared, params: &Params) -> Result<Answer, TgError> {
    let chat_id = writable_chat(shared, params)?;
    let title = params.text("title").unwrap_or_default();
    check_length(&title, 1..=32, "INVOICE_TITLE_INVALID")?;
    let description = params.text("description").unwrap_or_default();
    check_length(&description, 1..=255, "INVOICE_DESCRIPTION_INVALID")?;
    let payload = params.text("payload").unwrap_or_default();
    if !(1..=128).contains(&payload.len()) {
        return Err(TgError::bad_request("INVOICE_PAYLOAD_INVALID"));
    }
    if params.text("currency").as_deref() != Some("XTR") {
        return Err(TgError::bad_request("CURRENCY_INVALID"));
    }
    if params
        .text("provider_token")
        .is_some_and(|token| !token.is_empty())
    {
        return Err(TgError::bad_request("PAYMENT_PROVIDER_INVALID"));
    }
    let total_amount = stars_amount(params)?;
    let reply_markup = reply_markup(params)?;
    let message = StoredMessage {
        date: now(),
        invoice: Some(json!({
            "title": title,
            "description": description,
            "start_parameter": params.text("start_parameter").unwrap_or_default(),
            "currency": "XTR",
            "total_amount": total_amount,
        })),
        reply_markup,
        ..StoredMessage::default()
    };
    Ok(store(shared, chat_id, message).into())
}

pub(crate) fn answer_pre_checkout_query(
    shared: &Shared,
    params: &Params,
) -> Result<Answer, TgError> {
    let id = params.text("pre_checkout_query_id").unwrap_or_default();
    let mut book = shared.book();
    let Some(query) = book.pre_checkouts.get_mut(&id) else {
        return Err(TgError::bad_request(QUERY_TOO_OLD));
    };
    if query.answered || query.pushed.elapsed() > PRE_CHECKOUT_DEADLINE {
        return Err(TgError::bad_request(QUERY_TOO_OLD));
    }
    let Some(ok) = params.boolean("ok") else {
        return Err(TgError::bad_request("parameter \"ok\" is required"));
    };
    let error_message = params
        .text("error_message")
        .filter(|message| !message.is_empty());
    if !ok && error_message.is_none() {
        return Err(TgError::bad_request("ERROR_MESSAGE_EMPTY"));
    }
    query.answered = true;
    book.pre_checkout_answers.push((id, ok, error_message));
    Ok(json!(true).into())
}

pub(crate) fn refund_star_payment(shared: &Shared, params: &Params) -> Result<Answer, TgError> {
    let user_id = params.integer("user_id");
    let charge_id = params
        .text("telegram_payment_charge_id")
        .unwrap_or_default();
    {
        let mut book = shared.book();
        let Some(charge) = book
            .charges
            .get_mut(&charge_id)
            .filter(|charge| Some(charge.user_id) == user_id)
        else {
            return Err(TgError::bad_request("CHARGE_NOT_FOUND"));
        };
        if charge.refunded {
            return Err(TgError::bad_request("CHARGE_ALREADY_REFUNDED"));
        }
        charge.refunded = true;
        let user_id = charge.user_id;
        book.refunds.push((user_id, charge_id.clone()));
        book.queue_refund_message(&charge_id);
    }
    shared.changed.notify_waiters();
    Ok(json!(true).into())
}
