//! User commands, dispatched on [`Command`]. `/cmd@ThisBot` works; `/cmd@OtherBot` is not ours
//! and is ignored. Wrong arguments get the command's usage; unknown commands — and admin
//! commands sent by anyone but an admin — get the same short answer.

use scribe_core::billing::TrialMode;
use scribe_core::commands::{Audience, Command};
use scribe_core::i18n::{HistoryLine, Lang, Msg, NextStep};
use scribe_core::time::now_secs;
use scribe_store::{JobSource, TranscriptOwner, TrialState, User};
use scribe_telegram::Message;

use crate::context::Context;
use crate::error::Result;
use crate::glossary::{self, Edit};
use crate::intake::{self, Request};
use crate::recognition::Recognition;
use crate::replies::reply;
use crate::{admin, payments, privacy, settings, trials};

/// A command addressed to this bot, as typed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Invocation<'a> {
    /// Lowercase, without the slash and the `@username`.
    pub name: String,
    pub args: Vec<&'a str>,
    /// Everything after the command word, as typed (lines and all).
    pub rest: &'a str,
}

/// Parses `/name[@username] args…`; `None` when the text is not a command or names another bot.
pub fn parse<'a>(text: &'a str, username: &str) -> Option<Invocation<'a>> {
    let text = text.trim_start();
    let (head, rest) = text.split_once(char::is_whitespace).unwrap_or((text, ""));
    let head = head.strip_prefix('/')?;
    let (name, addressee) = match head.split_once('@') {
        Some((n, a)) => (n, Some(a)),
        None => (head, None),
    };
    if addressee.is_some_and(|a| !a.eq_ignore_ascii_case(username)) || name.is_empty() {
        return None;
    }
    Some(Invocation {
        name: name.to_ascii_lowercase(),
        args: rest.split_whitespace().collect(),
        rest: rest.trim(),
    })
}

/// A user's command in their private chat. One match over every command on purpose (long for
/// that reason): a new [`Command`] does not compile until it is dispatched here.
#[allow(clippy::too_many_arguments)]
pub async fn handle(
    ctx: &Context,
    user: &User,
    update_id: i64,
    message: &Message,
    text: &str,
    new_trial: Option<i64>,
    trace_id: &str,
) -> Result<()> {
    let Some(invocation) = parse(text, &ctx.me.username) else {
        return Ok(());
    };
    let lang = ctx.lang_of(user);
    let chat = message.chat.id;
    let Some((command, package)) = Command::parse(&invocation.name) else {
        return reply(ctx, chat, &Msg::UnknownCommand.render(lang)).await;
    };
    let args = invocation.args.as_slice();
    if command.audience() == Audience::Admins {
        if !ctx.bot.is_admin(user.id) {
            return reply(ctx, chat, &Msg::UnknownCommand.render(lang)).await;
        }
        return admin::handle(ctx, user, update_id, command, args, lang).await;
    }
    let usage = || {
        Msg::Usage {
            usage: command.usage(),
        }
        .render(lang)
    };
    let html = match (command, args) {
        (Command::Start, _) => Msg::Start {
            name: &user.first_name,
            balance: user.balance,
            new_trial,
            next: next_step(ctx, user),
        }
        .render(lang),
        (Command::Help, _) => Msg::Help.render(lang),
        (Command::Balance, []) => balance(ctx, user, lang).await?,
        (Command::History, []) => history(ctx, user, lang).await?,
        (Command::Settings, []) => return settings::show(ctx, user, lang).await,
        (Command::BuyMinutes, []) => return payments::menu(ctx, user, lang).await,
        (Command::Trial, []) => return trials::request(ctx, user, lang).await,
        (Command::BuyPackage, []) => {
            return payments::invoice(ctx, user, package.unwrap_or_default(), lang).await;
        }
        (Command::Language | Command::Code | Command::Yo | Command::Output, _) => {
            settings::personal(ctx, user, command, args, lang).await?
        }
        (Command::Privacy, []) => {
            let days = privacy::retention_days(ctx, user.retention_days);
            return privacy::show(ctx, chat, TranscriptOwner::User(user.id), days, lang).await;
        }
        (Command::Retention, [arg]) => {
            match privacy::set(ctx, TranscriptOwner::User(user.id), arg, lang).await? {
                Some(text) => text,
                None => usage(),
            }
        }
        (Command::Forget, []) => return privacy::ask_forget(ctx, user, lang).await,
        (Command::Glossary, _) => match Edit::parse(invocation.rest) {
            Some(edit) => {
                let owner = TranscriptOwner::User(user.id);
                glossary::apply(ctx, owner, user.glossary.clone(), &edit, lang).await?
            }
            None => usage(),
        },
        (Command::Subtitles, _) => {
            return subtitles(ctx, user, update_id, message, trace_id).await;
        }
        (Command::Transcribe | Command::Auto, _) => Msg::TranscribeUsage.render(lang),
        (
            Command::Balance
            | Command::History
            | Command::Settings
            | Command::BuyMinutes
            | Command::Trial
            | Command::BuyPackage
            | Command::Privacy
            | Command::Retention
            | Command::Forget,
            _,
        ) => usage(),
        (
            Command::Admin
            | Command::User
            | Command::Credit
            | Command::Stat
            | Command::Metrics
            | Command::ReviewTrials
            | Command::Export
            | Command::Report
            | Command::Status
            | Command::Flush
            | Command::Refund,
            _,
        ) => Msg::UnknownCommand.render(lang),
    };
    reply(ctx, chat, &html).await
}

async fn balance(ctx: &Context, user: &User, lang: Lang) -> Result<String> {
    let recent = ctx
        .store
        .usage_since(user.id, now_secs() - 30 * 86_400)
        .await?;
    Ok(Msg::Balance {
        balance: user.balance,
        held: user.held,
        recent,
    }
    .render(lang))
}

async fn history(ctx: &Context, user: &User, lang: Lang) -> Result<String> {
    let jobs = ctx.store.jobs_of_user(user.id, 10).await?;
    let lines: Vec<HistoryLine> = jobs
        .iter()
        .map(|j| HistoryLine {
            created_at: j.created_at,
            kind: &j.media_kind,
            state: j.state.as_str(),
            error: j.error_kind.as_deref(),
            seconds: j
                .audio_seconds
                .or((j.reported_seconds > 0).then_some(j.reported_seconds)),
            charged: j.charged_seconds,
            cached: j.source == JobSource::Cache,
        })
        .collect();
    Ok(Msg::History(&lines).render(lang))
}

/// `/subtitles` as a reply to the user's own media: that media again, with subtitles.
async fn subtitles(
    ctx: &Context,
    user: &User,
    update_id: i64,
    message: &Message,
    trace_id: &str,
) -> Result<()> {
    let Some((media_message, media)) = message
        .reply_to_message
        .as_deref()
        .and_then(|m| m.media().map(|media| (m, media)))
    else {
        let lang = ctx.lang_of(user);
        return reply(ctx, message.chat.id, &Msg::SubtitlesUsage.render(lang)).await;
    };
    let request = Request {
        reply_to: Some(media_message.message_id),
        recognition: Recognition {
            subtitles: true,
            ..Recognition::of_user(user)
        },
        ..Request::private(ctx, user, update_id, message.message_id, media, trace_id)
    };
    intake::handle(ctx, request).await
}

/// What `/start` suggests, from the user's balance and trial state.
fn next_step(ctx: &Context, user: &User) -> NextStep {
    if user.balance > 0 {
        return NextStep::SendMedia;
    }
    match (ctx.billing.trial_mode, user.trial_state) {
        (TrialMode::Review, TrialState::None) => NextStep::RequestTrial,
        (TrialMode::Review, TrialState::Requested) => NextStep::AwaitTrial,
        _ => NextStep::Buy,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn commands_are_parsed_with_and_without_the_bot_name() {
        assert_eq!(
            parse("/start", "ScribeBot"),
            Some(Invocation {
                name: "start".into(),
                args: vec![],
                rest: "",
            })
        );
        assert_eq!(
            parse("/Language@scribebot ru", "ScribeBot"),
            Some(Invocation {
                name: "language".into(),
                args: vec!["ru"],
                rest: "ru",
            })
        );
        assert_eq!(parse("/start@OtherBot", "ScribeBot"), None);
        assert_eq!(parse("hello", "ScribeBot"), None);
        assert_eq!(parse("/", "ScribeBot"), None);
        assert_eq!(
            parse("/output  split  now", "b").map(|c| c.args),
            Some(vec!["split", "now"])
        );
        assert_eq!(
            parse("/glossary add Anna Li\nBob", "b").map(|c| c.rest),
            Some("add Anna Li\nBob")
        );
    }

    #[test]
    fn every_command_name_dispatches_to_its_variant() {
        for command in Command::ALL.iter().copied() {
            let typed = match command {
                Command::BuyPackage => "/buy_start@Bot".to_owned(),
                other => format!("/{}@Bot", other.name().to_uppercase()),
            };
            let invocation = parse(&typed, "bot").expect("ours");
            let (parsed, _) = Command::parse(&invocation.name).expect("known");
            assert_eq!(parsed, command, "{typed}");
        }
    }
}
