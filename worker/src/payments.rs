//! Telegram Stars: invoices for the configured packages, pre-checkout validation (answered at
//! once, well inside Telegram's 10 s), crediting exactly once per charge id, and refunds.

use scribe_core::billing::Package;
use scribe_core::i18n::{Label, Lang, Msg};
use scribe_store::{Applied, PaymentState, Refund, User};
use scribe_telegram::{
    InlineButton, InlineKeyboard, Invoice, PreCheckoutQuery, RefundedPayment, SuccessfulPayment,
};

use crate::buttons::Button;
use crate::context::Context;
use crate::error::Result;
use crate::replies::{notify_admins, person, reply, reply_with};

/// The invoice payload: version, package, buyer. At most 128 bytes.
fn payload(package: &Package, user_id: i64) -> String {
    format!("p1:{}:{user_id}", package.id)
}

/// `(package id, buyer)` from a payload this bot issued.
fn parse_payload(payload: &str) -> Option<(&str, i64)> {
    let mut parts = payload.split(':');
    match (parts.next(), parts.next(), parts.next(), parts.next()) {
        (Some("p1"), Some(package), Some(user), None) => Some((package, user.parse().ok()?)),
        _ => None,
    }
}

fn package<'a>(ctx: &'a Context, id: &str) -> Option<&'a Package> {
    ctx.billing.packages.iter().find(|p| p.id == id)
}

/// `/buy_minutes`: the packages as a list with buttons.
pub async fn menu(ctx: &Context, user: &User, lang: Lang) -> Result<()> {
    let packages: Vec<(&str, i64, i64)> = ctx
        .billing
        .packages
        .iter()
        .map(|p| (p.id.as_str(), p.minutes, p.stars))
        .collect();
    let rows = ctx
        .billing
        .packages
        .iter()
        .map(|p| {
            vec![InlineButton::callback(
                Label::Package {
                    minutes: p.minutes,
                    stars: p.stars,
                }
                .render(lang),
                Button::Buy {
                    package: p.id.clone(),
                }
                .data(),
            )]
        })
        .collect();
    let text = Msg::BuyMenu {
        packages: &packages,
    }
    .render(lang);
    reply_with(
        ctx,
        user.id,
        &text,
        InlineKeyboard {
            inline_keyboard: rows,
        },
    )
    .await
}

/// `/buy_<id>` or a menu button: the invoice, unless the per-user limit is reached.
pub async fn invoice(ctx: &Context, user: &User, package_id: &str, lang: Lang) -> Result<()> {
    let Some(package) = package(ctx, package_id) else {
        return reply(
            ctx,
            user.id,
            &Msg::BuyUnknown { given: package_id }.render(lang),
        )
        .await;
    };
    if let Some(limit) = package.per_user_limit
        && ctx.store.purchases_of(user.id, &package.id).await? >= limit
    {
        return reply(ctx, user.id, &Msg::PaymentLimit { limit }.render(lang)).await;
    }
    let title = Msg::InvoiceTitle {
        minutes: package.minutes,
    }
    .render(lang);
    let description = Msg::InvoiceDescription {
        minutes: package.minutes,
    }
    .render(lang);
    let payload = payload(package, user.id);
    let invoice = Invoice {
        title: &title,
        description: &description,
        payload: &payload,
        label: &title,
        stars: package.stars,
    };
    ctx.telegram_backoff
        .run(|_| ctx.telegram.send_invoice(user.id, &invoice), |_| {})
        .await?;
    Ok(())
}

/// Validates a pre-checkout query against the invoice this bot issued; `None` means accept.
async fn refusal(ctx: &Context, query: &PreCheckoutQuery) -> Result<Option<Msg<'static>>> {
    let Some((package_id, buyer)) = parse_payload(&query.invoice_payload) else {
        return Ok(Some(Msg::PaymentInvalid));
    };
    let Some(package) = package(ctx, package_id) else {
        return Ok(Some(Msg::PaymentInvalid));
    };
    if query.currency != "XTR" || query.total_amount != package.stars || query.from.id != buyer {
        return Ok(Some(Msg::PaymentInvalid));
    }
    if let Some(limit) = package.per_user_limit
        && ctx.store.purchases_of(buyer, &package.id).await? >= limit
    {
        return Ok(Some(Msg::PaymentLimit { limit }));
    }
    Ok(None)
}

pub async fn pre_checkout(ctx: &Context, query: &PreCheckoutQuery) -> Result<()> {
    let lang = Lang::pick(None, query.from.language_code.as_deref());
    let refused = refusal(ctx, query).await?;
    if let Some(msg) = &refused {
        tracing::info!(payload = %query.invoice_payload, amount = query.total_amount, "pre-checkout refused");
        ctx.metrics
            .payments
            .get_or_create(&[("result", "refused")])
            .inc();
        let text = msg.render(lang);
        return answer(ctx, &query.id, Some(&text)).await;
    }
    answer(ctx, &query.id, None).await
}

async fn answer(ctx: &Context, query_id: &str, error: Option<&str>) -> Result<()> {
    match ctx
        .telegram
        .answer_pre_checkout_query(query_id, error)
        .await
    {
        Ok(()) => Ok(()),
        // Answered before (a redelivered update) or too late: nothing more can be done.
        Err(e) if e.is_query_too_old() => Ok(()),
        Err(e) => Err(e.into()),
    }
}

pub async fn successful(ctx: &Context, user: &User, payment: &SuccessfulPayment) -> Result<()> {
    let lang = ctx.lang_of(user);
    let found = parse_payload(&payment.invoice_payload)
        .and_then(|(id, buyer)| Some((package(ctx, id)?, buyer)));
    let Some((package, _)) = found.filter(|(p, buyer)| {
        *buyer == user.id && payment.currency == "XTR" && payment.total_amount == p.stars
    }) else {
        tracing::error!(charge = %payment.telegram_payment_charge_id, "payment does not match any package; not credited");
        let notice = Msg::PaymentUnmatched {
            person: person(user),
            stars: payment.total_amount,
            charge_id: &payment.telegram_payment_charge_id,
            payload: &payment.invoice_payload,
        };
        notify_admins(ctx, &notice, &[]).await;
        return Ok(());
    };
    let applied = ctx
        .store
        .record_payment(
            &payment.telegram_payment_charge_id,
            user.id,
            package,
            payment.total_amount,
            payment.provider_payment_charge_id.as_deref(),
        )
        .await?;
    if applied == Applied::Already {
        tracing::info!("payment seen before; credited once already");
        return Ok(());
    }
    ctx.metrics.balance("credit", package.seconds());
    ctx.metrics
        .payments
        .get_or_create(&[("result", "credited")])
        .inc();
    let balance = ctx.store.user(user.id).await?.map_or(0, |u| u.balance);
    reply(
        ctx,
        user.id,
        &Msg::PaymentThanks {
            minutes: package.minutes,
            balance,
        }
        .render(lang),
    )
    .await?;
    let notice = Msg::PaymentReceived {
        person: person(user),
        package: &package.id,
        minutes: package.minutes,
        stars: payment.total_amount,
        charge_id: &payment.telegram_payment_charge_id,
    };
    notify_admins(ctx, &notice, &[]).await;
    Ok(())
}

/// Telegram tells us a payment was refunded (by `/refund` or outside the bot).
pub async fn refunded(ctx: &Context, user: &User, refund: &RefundedPayment) -> Result<()> {
    if let Refund::Refunded { seconds, .. } = ctx
        .store
        .refund_payment(&refund.telegram_payment_charge_id)
        .await?
    {
        let balance = ctx.store.user(user.id).await?.map_or(0, |u| u.balance);
        let text = Msg::PaymentRefunded {
            taken: seconds,
            balance,
        }
        .render(ctx.lang_of(user));
        reply(ctx, user.id, &text).await?;
    }
    Ok(())
}

/// `/refund <charge_id> [force]`: refunds the Stars, then takes the minutes back. Refused when
/// the minutes are already spent, unless forced. Returns the admin's answer.
pub async fn refund(ctx: &Context, charge_id: &str, force: bool, lang: Lang) -> Result<String> {
    let Some(payment) = ctx.store.payment(charge_id).await? else {
        return Ok(Msg::NoSuchPayment { charge_id }.render(lang));
    };
    if payment.state == PaymentState::Refunded {
        return Ok(Msg::AlreadyRefunded.render(lang));
    }
    let balance = ctx
        .store
        .user(payment.user_id)
        .await?
        .map_or(0, |u| u.balance);
    if balance < payment.seconds && !force {
        return Ok(Msg::RefundRefused {
            balance,
            purchased: payment.seconds,
            charge_id,
        }
        .render(lang));
    }
    match ctx
        .telegram
        .refund_star_payment(payment.user_id, charge_id)
        .await
    {
        Ok(()) => {}
        Err(e) if e.is_already_refunded() => {}
        Err(e) => {
            return Ok(Msg::RefundFailed {
                reason: &e.to_string(),
            }
            .render(lang));
        }
    }
    let taken = match ctx.store.refund_payment(charge_id).await? {
        Refund::Refunded { seconds, .. } => {
            ctx.metrics
                .payments
                .get_or_create(&[("result", "refunded")])
                .inc();
            if let Some(user) = ctx.store.user(payment.user_id).await? {
                let text = Msg::PaymentRefunded {
                    taken: seconds,
                    balance: user.balance,
                }
                .render(ctx.lang_of(&user));
                reply(ctx, user.id, &text).await?;
            }
            seconds
        }
        // The payment was `paid` before Telegram refunded it, so the `refunded_payment` update
        // that Telegram sends got here first and took the minutes (and told the user).
        Refund::Already => ctx
            .store
            .payment(charge_id)
            .await?
            .map_or(0, |p| p.refunded_seconds),
    };
    Ok(Msg::Refunded {
        stars: payment.stars,
        taken,
    }
    .render(lang))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn payloads_round_trip_and_reject_foreign_ones() {
        let p = Package {
            id: "start".into(),
            minutes: 50,
            stars: 35,
            per_user_limit: None,
        };
        let text = payload(&p, 42);
        assert!(text.len() <= 128);
        assert_eq!(parse_payload(&text), Some(("start", 42)));
        assert_eq!(parse_payload("p1:start"), None);
        assert_eq!(parse_payload("p2:start:42"), None);
        assert_eq!(parse_payload("p1:start:x"), None);
        assert_eq!(parse_payload("p1:start:1:extra"), None);
    }
}
