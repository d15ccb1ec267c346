//! Admin commands. They exist only for the ids in `ADMIN_IDS`; anyone else gets the ordinary
//! "unknown command" answer, so nothing leaks.

use scribe_core::billing::Reason;
use scribe_core::i18n::{Lang, Msg, date_time};
use scribe_core::text::escape_html;
use scribe_core::time::now_secs;
use scribe_store::{Applied, Error as StoreError, ExportTable, JobStats, User};
use scribe_telegram::{InlineButton, InlineKeyboard};

use crate::context::Context;
use crate::replies::{reply, reply_with, who};
use crate::reports::{self, Period};
use crate::updates::Result;
use crate::{payments, trials};

/// Users per `/user` page.
pub const PAGE: i64 = 5;

pub const COMMANDS: &[&str] = &[
    "admin",
    "user",
    "credit",
    "stat",
    "metrics",
    "review_trials",
    "export",
    "report",
    "status",
    "flush",
    "refund",
];

fn usage(command: &str) -> &'static str {
    match command {
        "user" => "/user [query|id]",
        "credit" => "/credit <user_id> <minutes>",
        "stat" => "/stat [days]",
        "metrics" => "/metrics [hours]",
        "export" => "/export users|jobs|payments|ledger [days]",
        "report" => "/report daily|weekly",
        "flush" => "/flush [minutes]",
        "refund" => "/refund <charge_id> [force]",
        "review_trials" => "/review_trials",
        "status" => "/status",
        _ => "/admin",
    }
}

fn admin_help(lang: Lang) -> String {
    let lines = [
        ("/user [query|id]", "find users", "найти пользователей"),
        (
            "/credit &lt;user_id&gt; &lt;minutes&gt;",
            "add minutes (negative: remove)",
            "начислить минуты (минус — списать)",
        ),
        ("/stat [days]", "statistics", "статистика"),
        (
            "/metrics [hours]",
            "stage timings, provider and error rates",
            "время этапов, доли ошибок",
        ),
        (
            "/review_trials",
            "trial requests and grants",
            "запросы и выдачи пробных минут",
        ),
        (
            "/export users|jobs|payments|ledger [days]",
            "CSV export",
            "выгрузка CSV",
        ),
        ("/report daily|weekly", "period summary", "сводка за период"),
        (
            "/status",
            "queues, jobs, workers",
            "очереди, задания, воркеры",
        ),
        (
            "/flush [minutes]",
            "fail stuck jobs, release holds",
            "снять зависшие задания",
        ),
        (
            "/refund &lt;charge_id&gt; [force]",
            "refund a Stars payment",
            "вернуть платёж в Stars",
        ),
    ];
    let mut out = format!(
        "🛠 <b>{}</b>",
        lang.t("Admin commands", "Команды администратора")
    );
    for (cmd, en, ru) in lines {
        out.push_str(&format!("\n{cmd} — {}", lang.t(en, ru)));
    }
    out
}

/// Parses a whole number within `range`.
fn number(arg: Option<&&str>, default: i64, range: std::ops::RangeInclusive<i64>) -> Option<i64> {
    match arg {
        None => Some(default),
        Some(a) => a.parse::<i64>().ok().filter(|n| range.contains(n)),
    }
}

/// Runs admin command `name`; `Ok(false)` when `name` is not an admin command.
pub async fn handle(
    ctx: &Context,
    admin: &User,
    update_id: i64,
    name: &str,
    args: &[&str],
    lang: Lang,
) -> Result<bool> {
    if !COMMANDS.contains(&name) {
        return Ok(false);
    }
    let chat = admin.id;
    let bad = || Msg::Usage { usage: usage(name) }.render(lang);
    let text = match (name, args) {
        ("admin", []) => admin_help(lang),
        ("user", _) => {
            return user_search(ctx, chat, &args.join(" "), 0, lang)
                .await
                .map(|()| true);
        }
        ("credit", [id, minutes]) => match (id.parse::<i64>(), minutes.parse::<i64>()) {
            (Ok(id), Ok(minutes)) if minutes != 0 && minutes.abs() <= 1_000_000 => {
                credit(ctx, admin, update_id, id, minutes, lang).await?
            }
            _ => bad(),
        },
        ("stat", [] | [_]) => match number(args.first(), 7, 1..=3650) {
            Some(days) => {
                let stats = ctx.store.stats(now_secs() - days * 86_400).await?;
                reports::stat_text(
                    &stats,
                    &format!("{} {days} {}", lang.t("Last", "За"), lang.t("days", "дн.")),
                    lang,
                )
            }
            None => bad(),
        },
        ("metrics", [] | [_]) => match number(args.first(), 24, 1..=24 * 365) {
            Some(hours) => {
                reports::metrics_text(&ctx.store, ctx.queue.as_ref(), hours, lang).await?
            }
            None => bad(),
        },
        ("review_trials", []) => return review_trials(ctx, chat, lang).await.map(|()| true),
        ("export", [table] | [table, _]) => match (
            ExportTable::parse(table),
            number(args.get(1), 0, 1..=36_500),
        ) {
            (Some(table), Some(days)) => {
                return export(ctx, chat, table, (days > 0).then_some(days), lang)
                    .await
                    .map(|()| true);
            }
            _ => bad(),
        },
        ("report", [period]) => match Period::parse(period) {
            Some(period) => reports::report_text(&ctx.store, period, lang).await?,
            None => bad(),
        },
        ("status", []) => reports::status_text(&ctx.store, ctx.queue.as_ref(), lang).await?,
        ("flush", [] | [_]) => match number(args.first(), 60, 0..=525_600) {
            Some(minutes) => flush(ctx, minutes, lang).await?,
            None => bad(),
        },
        ("refund", [charge]) => payments::refund(ctx, charge, false, lang).await?,
        ("refund", [charge, "force"]) => payments::refund(ctx, charge, true, lang).await?,
        _ => bad(),
    };
    reply(ctx, chat, &text).await?;
    Ok(true)
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
        return Ok(format!(
            "{} <code>{user_id}</code>.",
            lang.t("No user with id", "Нет пользователя с id")
        ));
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
        Ok(Applied::Already) => Ok(lang.t("Already applied.", "Уже выполнено.").into()),
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
            Ok(format!(
                "{}: {}",
                who(&user),
                Msg::Credited {
                    seconds: minutes * 60,
                    balance
                }
                .render(lang)
            ))
        }
        Err(StoreError::Insufficient { balance, .. }) => Ok(format!(
            "{} {}.",
            lang.t(
                "Refused: the balance would go below zero; it is",
                "Отказ: баланс ушёл бы в минус; сейчас"
            ),
            lang.duration(balance)
        )),
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
        let text = format!(
            "{} «{}».",
            lang.t("No users match", "Никто не найден по запросу"),
            escape_html(query)
        );
        return reply(ctx, chat, &text).await;
    }
    let mut rows: Vec<Vec<InlineButton>> = found
        .iter()
        .take(PAGE as usize)
        .map(|u| {
            vec![InlineButton::callback(
                format!("{} · {}", u.first_name, u.id),
                format!("user:{}", u.id),
            )]
        })
        .collect();
    // Callback data is at most 64 bytes: keep the query short enough to fit.
    let short: String = query.chars().take(30).collect();
    let mut nav = Vec::new();
    if offset > 0 {
        nav.push(InlineButton::callback(
            "◀️",
            format!("users:{}:{short}", (offset - PAGE).max(0)),
        ));
    }
    if found.len() as i64 > PAGE {
        nav.push(InlineButton::callback(
            "▶️",
            format!("users:{}:{short}", offset + PAGE),
        ));
    }
    if !nav.is_empty() {
        rows.push(nav);
    }
    let text = format!(
        "👥 {} {}–{}",
        lang.t("Users", "Пользователи"),
        offset + 1,
        offset + found.len().min(PAGE as usize) as i64
    );
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
        return reply(
            ctx,
            chat,
            &format!(
                "{} <code>{user_id}</code>.",
                lang.t("No user with id", "Нет пользователя с id")
            ),
        )
        .await;
    };
    let totals = ctx.store.user_totals(user_id).await?;
    let payments = ctx.store.payments_of(user_id, 3).await?;
    let mut text = format!(
        "👤 {}\n{}: <b>{}</b> ({} {})\n{}: {}\n{}: {} {}, {} {}, {}\n{}: {} ⭐\n{}: {} · {}: {}",
        who(&user),
        lang.t("Balance", "Баланс"),
        lang.duration(user.balance),
        lang.t("held", "в обработке"),
        lang.duration(user.held),
        lang.t("Trial", "Пробный период"),
        escape_html(&user.trial_state),
        lang.t("Jobs", "Задания"),
        totals.jobs_done,
        lang.t("done", "готово"),
        totals.jobs_failed,
        lang.t("failed", "с ошибкой"),
        lang.duration(totals.seconds_charged),
        lang.t("Paid", "Оплачено"),
        totals.stars_paid,
        lang.t("joined", "с нами с"),
        date_time(user.created_at),
        lang.t("last seen", "был"),
        date_time(user.last_seen_at)
    );
    for p in payments {
        text.push_str(&format!(
            "\n• {} {} ⭐ {} ({}) <code>{}</code>",
            date_time(p.created_at),
            p.stars,
            escape_html(&p.package_id),
            escape_html(&p.state),
            escape_html(&p.charge_id)
        ));
    }
    reply(ctx, chat, &text).await
}

async fn review_trials(ctx: &Context, chat: i64, lang: Lang) -> Result<()> {
    let pending = ctx.store.users_in_trial_state("requested", 20).await?;
    let granted = ctx.store.users_in_trial_state("granted", 10).await?;
    let mut rows = Vec::new();
    let mut text = format!(
        "🙋 {}: {}",
        lang.t("Pending trial requests", "Запросы пробных минут"),
        pending.len()
    );
    for u in &pending {
        text.push_str(&format!("\n• {}", who(u)));
        rows.push(vec![
            InlineButton::callback(format!("✅ {}", u.first_name), format!("trial:ok:{}", u.id)),
            InlineButton::callback(format!("❌ {}", u.first_name), format!("trial:no:{}", u.id)),
        ]);
    }
    text.push_str(&format!(
        "\n\n🎁 {}: {}",
        lang.t("Recent grants", "Недавно выданные"),
        granted.len()
    ));
    for u in &granted {
        text.push_str(&format!("\n• {}", who(u)));
        rows.push(vec![InlineButton::callback(
            format!("↩️ {}", u.first_name),
            format!("trial:revoke:{}", u.id),
        )]);
    }
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
    let caption = format!("{} · {rows} {}", table.name(), lang.t("rows", "строк"));
    ctx.telegram_backoff
        .run(
            |_| {
                ctx.telegram.send_document(
                    chat,
                    &name,
                    "text/csv",
                    bytes.clone(),
                    Some(&caption),
                    None,
                )
            },
            |_| {},
        )
        .await?;
    Ok(())
}

async fn flush(ctx: &Context, minutes: i64, lang: Lang) -> Result<String> {
    let stuck = ctx.store.stuck_jobs(now_secs() - minutes * 60).await?;
    let mut flushed = 0;
    let mut released = 0;
    for job in &stuck {
        if let Some(seconds) = ctx
            .store
            .fail_job(job.id, "flushed", &JobStats::default())
            .await?
        {
            flushed += 1;
            released += seconds;
            ctx.metrics.job("flushed");
            ctx.metrics.balance("release", seconds);
            let user_lang = match ctx.store.user(job.user_id).await? {
                Some(u) => ctx.lang_of(&u),
                None => lang,
            };
            if let Err(e) = reply(ctx, job.chat_id, &Msg::Flushed.render(user_lang)).await {
                tracing::warn!(error = %e, job_id = job.id, "user not told about the flushed job");
            }
        }
    }
    Ok(format!(
        "🧹 {} {flushed} ({} {minutes} {}), {} {}.",
        lang.t("Flushed jobs:", "Снято заданий:"),
        lang.t("older than", "старше"),
        lang.t("min", "мин"),
        lang.t("released", "возвращено"),
        lang.duration(released)
    ))
}

/// An admin's button: trial decisions, user pages and cards.
pub async fn on_button(
    ctx: &Context,
    admin: &User,
    data: &str,
    lang: Lang,
) -> Result<Option<String>> {
    let parts: Vec<&str> = data.splitn(3, ':').collect();
    match parts.as_slice() {
        ["trial", action, id] => match id.parse::<i64>() {
            Ok(id) => Ok(Some(trials::decide(ctx, action, id, lang).await?)),
            Err(_) => Ok(None),
        },
        ["users", offset, query] => {
            let offset = offset.parse::<i64>().unwrap_or(0).max(0);
            user_search(ctx, admin.id, query, offset, lang).await?;
            Ok(None)
        }
        ["user", id] => {
            if let Ok(id) = id.parse::<i64>() {
                user_card(ctx, admin.id, id, lang).await?;
            }
            Ok(None)
        }
        _ => Ok(None),
    }
}
