//! Admin commands and buttons. They exist only for the ids in `ADMIN_IDS`; anyone else gets the
//! ordinary "unknown command" answer, so nothing leaks.

use std::time::Duration;

use scribe_core::billing::Reason;
use scribe_core::commands::Command;
use scribe_core::i18n::{Label, Lang, Msg, PaymentLine, Person, StatTitle, UserCard, date_time};
use scribe_core::time::now_secs;
use scribe_store::{Applied, Error as StoreError, ExportTable, TrialState, User};
use scribe_telegram::{Document, InlineButton, InlineKeyboard};

use crate::buttons::{Button, Query, TrialDecision};
use crate::context::Context;
use crate::error::Result;
use crate::replies::{person, reply, reply_with};
use crate::reports::{self, Period};
use crate::{payments, sweeper, trials};

/// Users per `/user` page.
pub const PAGE: i64 = 5;

/// Parses a whole number within `range`.
fn number(arg: Option<&&str>, default: i64, range: std::ops::RangeInclusive<i64>) -> Option<i64> {
    match arg {
        None => Some(default),
        Some(a) => a.parse::<i64>().ok().filter(|n| range.contains(n)),
    }
}

/// Runs admin command `command` for `admin`.
pub async fn handle(
    ctx: &Context,
    admin: &User,
    update_id: i64,
    command: Command,
    args: &[&str],
    lang: Lang,
) -> Result<()> {
    let chat = admin.id;
    let bad = || {
        Msg::Usage {
            usage: command.usage(),
        }
        .render(lang)
    };
    let text = match (command, args) {
        (Command::Admin, []) => Msg::AdminHelp.render(lang),
        (Command::User, _) => return user_search(ctx, chat, &args.join(" "), 0, lang).await,
        (Command::Credit, [id, minutes]) => match (id.parse::<i64>(), minutes.parse::<i64>()) {
            (Ok(id), Ok(minutes)) if minutes != 0 && minutes.abs() <= 1_000_000 => {
                credit(ctx, admin, update_id, id, minutes, lang).await?
            }
            _ => bad(),
        },
        (Command::Stat, [] | [_]) => match number(args.first(), 7, 1..=3650) {
            Some(days) => {
                let stats = ctx.store.stats(now_secs() - days * 86_400).await?;
                reports::stat_text(&stats, StatTitle::LastDays(days), lang)
            }
            None => bad(),
        },
        (Command::Metrics, [] | [_]) => match number(args.first(), 24, 1..=24 * 365) {
            Some(hours) => {
                reports::metrics_text(&ctx.store, ctx.queue.as_ref(), hours, lang).await?
            }
            None => bad(),
        },
        (Command::ReviewTrials, []) => return review_trials(ctx, chat, lang).await,
        (Command::Export, [table] | [table, _]) => match (
            ExportTable::parse(table),
            number(args.get(1), 0, 1..=36_500),
        ) {
            (Some(table), Some(days)) => {
                return export(ctx, chat, table, (days > 0).then_some(days), lang).await;
            }
            _ => bad(),
        },
        (Command::Report, [period]) => match Period::parse(period) {
            Some(period) => reports::report_text(&ctx.store, period, lang).await?,
            None => bad(),
        },
        (Command::Status, []) => reports::status_text(&ctx.store, ctx.queue.as_ref(), lang).await?,
        (Command::Flush, [] | [_]) => match number(args.first(), 60, 0..=525_600) {
            Some(minutes) => {
                let older_than = Duration::from_secs(u64::try_from(minutes).unwrap_or(0) * 60);
                let report = sweeper::sweep(ctx, older_than, "flushed").await?;
                sweeper::report_text(&report, minutes, lang)
            }
            None => bad(),
        },
        (Command::Refund, [charge]) => payments::refund(ctx, charge, false, lang).await?,
        (Command::Refund, [charge, "force"]) => payments::refund(ctx, charge, true, lang).await?,
        _ => bad(),
    };
    reply(ctx, chat, &text).await
}

async fn credit(
    ctx: &Context,
    admin: &User,
    update_id: i64,
    user_id: i64,
    minutes: i64,
    lang: Lang,
) -> Result<String> {
    let Some(user) = ctx.store.user(user_id).await? else {
        return Ok(Msg::NoSuchUser { id: user_id }.render(lang));
    };
    let key = format!("admin:{}:{update_id}", ctx.bot.name);
    let note = format!("by {}", admin.id);
    match ctx
        .store
        .adjust_balance(
            user_id,
            Reason::AdminCredit,
            &key,
            minutes * 60,
            Some(&note),
        )
        .await
    {
        Ok(Applied::Already) => Ok(Msg::AlreadyApplied.render(lang)),
        Ok(Applied::Now) => {
            ctx.metrics.balance("credit", minutes.max(0) * 60);
            let balance = ctx.store.user(user_id).await?.map_or(0, |u| u.balance);
            reply(
                ctx,
                user_id,
                &Msg::Credited {
                    seconds: minutes * 60,
                    balance,
                }
                .render(ctx.lang_of(&user)),
            )
            .await?;
            Ok(Msg::CreditReport {
                person: person(&user),
                seconds: minutes * 60,
                balance,
            }
            .render(lang))
        }
        Err(StoreError::Insufficient { balance, .. }) => {
            Ok(Msg::CreditRefused { balance }.render(lang))
        }
        Err(e) => Err(e.into()),
    }
}

/// A page of users matching `query`, or the card when exactly one matches.
pub async fn user_search(
    ctx: &Context,
    chat: i64,
    query: &str,
    offset: i64,
    lang: Lang,
) -> Result<()> {
    let found = ctx.store.search_users(query, PAGE + 1, offset).await?;
    if found.len() == 1 && offset == 0 {
        return user_card(ctx, chat, found[0].id, lang).await;
    }
    if found.is_empty() {
        return reply(ctx, chat, &Msg::NoUsersMatch { query }.render(lang)).await;
    }
    let mut rows: Vec<Vec<InlineButton>> = found
        .iter()
        .take(PAGE as usize)
        .map(|u| {
            vec![InlineButton::callback(
                Label::UserEntry {
                    name: &u.first_name,
                    id: u.id,
                }
                .render(lang),
                Button::User { user_id: u.id }.data(),
            )]
        })
        .collect();
    let mut nav = Vec::new();
    for (show, offset, label) in [
        (offset > 0, (offset - PAGE).max(0), Label::PreviousPage),
        (found.len() as i64 > PAGE, offset + PAGE, Label::NextPage),
    ] {
        if !show {
            continue;
        }
        let button = Button::users(offset, query);
        if let Button::Users {
            query: Query::Handle(handle),
            ..
        } = &button
        {
            // Too long for the button itself: the button carries a handle to it.
            ctx.store
                .set_bot_state(&ctx.bot.name, &query_key(handle), query)
                .await?;
        }
        nav.push(InlineButton::callback(label.render(lang), button.data()));
    }
    if !nav.is_empty() {
        rows.push(nav);
    }
    let text = Msg::UsersPage {
        first: offset + 1,
        last: offset + found.len().min(PAGE as usize) as i64,
    }
    .render(lang);
    reply_with(
        ctx,
        chat,
        &text,
        InlineKeyboard {
            inline_keyboard: rows,
        },
    )
    .await
}

pub async fn user_card(ctx: &Context, chat: i64, user_id: i64, lang: Lang) -> Result<()> {
    let Some(user) = ctx.store.user(user_id).await? else {
        return reply(ctx, chat, &Msg::NoSuchUser { id: user_id }.render(lang)).await;
    };
    let totals = ctx.store.user_totals(user_id).await?;
    let payments = ctx.store.payments_of(user_id, 3).await?;
    let payments: Vec<PaymentLine> = payments
        .iter()
        .map(|p| PaymentLine {
            created_at: p.created_at,
            stars: p.stars,
            package: &p.package_id,
            state: p.state.as_str(),
            charge_id: &p.charge_id,
        })
        .collect();
    let text = Msg::UserCard(UserCard {
        person: person(&user),
        balance: user.balance,
        held: user.held,
        trial: user.trial_state.as_str(),
        jobs_done: totals.jobs_done,
        jobs_failed: totals.jobs_failed,
        seconds_charged: totals.seconds_charged,
        stars_paid: totals.stars_paid,
        joined_at: user.created_at,
        last_seen_at: user.last_seen_at,
        payments: &payments,
    })
    .render(lang);
    reply(ctx, chat, &text).await
}

async fn review_trials(ctx: &Context, chat: i64, lang: Lang) -> Result<()> {
    let pending = ctx
        .store
        .users_in_trial_state(TrialState::Requested, 20)
        .await?;
    let granted = ctx
        .store
        .users_in_trial_state(TrialState::Granted, 10)
        .await?;
    let decide = |decision, label: Label<'_>, user_id| {
        InlineButton::callback(
            label.render(lang),
            Button::Trial { decision, user_id }.data(),
        )
    };
    let mut rows: Vec<Vec<InlineButton>> = pending
        .iter()
        .map(|u| {
            vec![
                decide(
                    TrialDecision::Approve,
                    Label::ApproveTrialOf {
                        name: &u.first_name,
                    },
                    u.id,
                ),
                decide(
                    TrialDecision::Deny,
                    Label::DenyTrialOf {
                        name: &u.first_name,
                    },
                    u.id,
                ),
            ]
        })
        .collect();
    rows.extend(granted.iter().map(|u| {
        vec![decide(
            TrialDecision::Revoke,
            Label::RevokeTrialOf {
                name: &u.first_name,
            },
            u.id,
        )]
    }));
    let pending: Vec<Person> = pending.iter().map(person).collect();
    let granted: Vec<Person> = granted.iter().map(person).collect();
    let text = Msg::TrialReview {
        pending: &pending,
        granted: &granted,
    }
    .render(lang);
    reply_with(
        ctx,
        chat,
        &text,
        InlineKeyboard {
            inline_keyboard: rows,
        },
    )
    .await
}

async fn export(
    ctx: &Context,
    chat: i64,
    table: ExportTable,
    days: Option<i64>,
    lang: Lang,
) -> Result<()> {
    let dir = tempfile::Builder::new()
        .prefix("scribe-export-")
        .tempdir_in(&ctx.pipeline.config().temp_dir)?;
    let path = dir.path().join("export.csv");
    let rows = reports::export_csv(&ctx.store, table, days, &path).await?;
    let bytes = tokio::fs::read(&path).await?;
    let name = format!(
        "{}-{}.csv",
        table.name(),
        date_time(now_secs()).replace([' ', ':'], "-")
    );
    let caption = Msg::ExportCaption {
        table: table.name(),
        rows,
    }
    .render(lang);
    let document = Document {
        file_name: &name,
        mime: "text/csv",
        bytes: &bytes,
        caption: Some(&caption),
        reply_to: None,
        keyboard: None,
    };
    ctx.telegram_backoff
        .run(|_| ctx.telegram.send_document(chat, &document), |_| {})
        .await?;
    Ok(())
}

/// The store key of a `/user` search text that travels by handle.
fn query_key(handle: &str) -> String {
    format!("user_query:{handle}")
}

/// An admin's button: trial decisions, user pages and cards. Returns what to tell the admin.
pub async fn on_button(
    ctx: &Context,
    admin: &User,
    button: &Button,
    lang: Lang,
) -> Result<Option<String>> {
    match button {
        Button::Trial { decision, user_id } => {
            Ok(Some(trials::decide(ctx, *decision, *user_id, lang).await?))
        }
        Button::Users { offset, query } => {
            let text = match query {
                Query::Text(text) => Some(text.clone()),
                Query::Handle(handle) => {
                    ctx.store
                        .bot_state(&ctx.bot.name, &query_key(handle))
                        .await?
                }
            };
            match text {
                Some(text) => user_search(ctx, admin.id, &text, *offset, lang).await?,
                None => tracing::debug!("a user page button whose search is gone"),
            }
            Ok(None)
        }
        Button::User { user_id } => {
            user_card(ctx, admin.id, *user_id, lang).await?;
            Ok(None)
        }
        Button::Buy { .. }
        | Button::Setting(_)
        | Button::Forget { .. }
        | Button::Action { .. }
        | Button::Languages { .. } => Ok(None),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numeric_arguments_default_and_stay_in_range() {
        let cases: [(Option<&str>, Option<i64>); 9] = [
            (None, Some(7)),
            (Some("1"), Some(1)),
            (Some("30"), Some(30)),
            (Some("3650"), Some(3650)),
            (Some("0"), None),
            (Some("3651"), None),
            (Some("-5"), None),
            (Some("7d"), None),
            (Some(""), None),
        ];
        for (arg, expected) in cases {
            assert_eq!(number(arg.as_ref(), 7, 1..=3650), expected, "{arg:?}");
        }
        assert_eq!(number(Some(&"0"), 60, 0..=525_600), Some(0));
    }
}
