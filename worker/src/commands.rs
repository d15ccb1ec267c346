//! User commands. `/cmd@ThisBot` works; `/cmd@OtherBot` is not ours and is ignored. Wrong
//! arguments get a usage line; unknown commands get a short answer.

use scribe_core::billing::TrialMode;
use scribe_core::i18n::{ASR_LANGUAGES, HistoryLine, Msg, NextStep};
use scribe_core::time::now_secs;
use scribe_store::{LongOutput, User};
use scribe_telegram::Message;

use crate::context::Context;
use crate::replies::reply;
use crate::updates::Result;
use crate::{admin, payments, settings, trials};

/// A command addressed to this bot.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Command<'a> {
    /// Lowercase, without the slash and the `@username`.
    pub name: String,
    pub args: Vec<&'a str>,
}

/// Parses `/name[@username] args…`; `None` when the text is not a command or names another bot.
pub fn parse<'a>(text: &'a str, username: &str) -> Option<Command<'a>> {
    let mut words = text.split_whitespace();
    let head = words.next()?.strip_prefix('/')?;
    let (name, addressee) = match head.split_once('@') {
        Some((n, a)) => (n, Some(a)),
        None => (head, None),
    };
    if addressee.is_some_and(|a| !a.eq_ignore_ascii_case(username)) || name.is_empty() {
        return None;
    }
    Some(Command {
        name: name.to_ascii_lowercase(),
        args: words.collect(),
    })
}

pub async fn handle(
    ctx: &Context,
    user: &User,
    update_id: i64,
    message: &Message,
    text: &str,
    new_trial: Option<i64>,
) -> Result<()> {
    let Some(command) = parse(text, &ctx.username) else {
        return Ok(());
    };
    let lang = ctx.lang_of(user);
    let chat = message.chat.id;
    let args = command.args.as_slice();
    let name = command.name.as_str();
    if ctx.bot.is_admin(user.id) && admin::handle(ctx, user, update_id, name, args, lang).await? {
        return Ok(());
    }
    let html = match (name, args) {
        ("start", _) => Msg::Start {
            name: &user.first_name,
            balance: user.balance,
            new_trial,
            next: next_step(ctx, user),
        }
        .render(lang),
        ("help", _) => Msg::Help.render(lang),
        ("balance", []) => {
            let recent = ctx
                .store
                .usage_since(user.id, now_secs() - 30 * 86_400)
                .await?;
            Msg::Balance {
                balance: user.balance,
                held: user.held,
                recent,
            }
            .render(lang)
        }
        ("history", []) => {
            let jobs = ctx.store.jobs_of_user(user.id, 10).await?;
            let lines: Vec<HistoryLine> = jobs
                .iter()
                .map(|j| HistoryLine {
                    created_at: j.created_at,
                    kind: &j.media_kind,
                    state: &j.state,
                    error: j.error_kind.as_deref(),
                    seconds: j
                        .audio_seconds
                        .or((j.reported_seconds > 0).then_some(j.reported_seconds)),
                    charged: j.charged_seconds,
                })
                .collect();
            Msg::History(&lines).render(lang)
        }
        ("settings", []) => return settings::show(ctx, user, lang).await,
        ("buy_minutes", []) => return payments::menu(ctx, user, lang).await,
        ("trial", []) => return trials::request(ctx, user, lang).await,
        (buy, []) if buy.starts_with("buy_") => {
            return payments::invoice(ctx, user, &buy["buy_".len()..], lang).await;
        }
        ("language", []) => Msg::LanguageUsage {
            current: user.asr_language.as_deref(),
        }
        .render(lang),
        ("language", [code]) => {
            let code = code.to_ascii_lowercase();
            if code == "auto" {
                ctx.store.set_asr_language(user.id, None).await?;
                Msg::LanguageSet { language: None }.render(lang)
            } else if ASR_LANGUAGES.contains(&code.as_str()) {
                ctx.store.set_asr_language(user.id, Some(&code)).await?;
                Msg::LanguageSet {
                    language: Some(&code),
                }
                .render(lang)
            } else {
                Msg::LanguageInvalid { given: &code }.render(lang)
            }
        }
        ("code", []) | ("code", ["on" | "off"]) => {
            let on = args.first().map_or(user.code_output == 0, |a| *a == "on");
            ctx.store.set_code_output(user.id, on).await?;
            Msg::CodeSet { on }.render(lang)
        }
        ("yo", []) | ("yo", ["keep" | "replace"]) => {
            let keep = args.first().map_or(user.keep_yo == 0, |a| *a == "keep");
            ctx.store.set_keep_yo(user.id, keep).await?;
            Msg::YoSet { keep }.render(lang)
        }
        ("output", [mode]) if LongOutput::parse(mode).is_some() => {
            let mode = LongOutput::parse(mode).unwrap_or(LongOutput::Auto);
            ctx.store.set_long_output(user.id, mode).await?;
            Msg::OutputSet {
                mode: mode.as_str(),
            }
            .render(lang)
        }
        ("output", _) => Msg::OutputUsage.render(lang),
        (
            "balance" | "settings" | "history" | "buy_minutes" | "trial" | "language" | "code"
            | "yo",
            _,
        ) => Msg::Usage { usage: usage(name) }.render(lang),
        (buy, _) if buy.starts_with("buy_") => Msg::Usage {
            usage: "/buy_<package>",
        }
        .render(lang),
        _ => Msg::UnknownCommand.render(lang),
    };
    reply(ctx, chat, &html).await
}

/// What `/start` suggests, from the user's balance and trial state.
fn next_step(ctx: &Context, user: &User) -> NextStep {
    if user.balance > 0 {
        return NextStep::SendMedia;
    }
    match (ctx.billing.trial_mode, user.trial_state.as_str()) {
        (TrialMode::Review, "none") => NextStep::RequestTrial,
        (TrialMode::Review, "requested") => NextStep::AwaitTrial,
        _ => NextStep::Buy,
    }
}

fn usage(command: &str) -> &'static str {
    match command {
        "balance" => "/balance",
        "settings" => "/settings",
        "history" => "/history",
        "buy_minutes" => "/buy_minutes",
        "trial" => "/trial",
        "language" => "/language [code|auto]",
        "code" => "/code [on|off]",
        "yo" => "/yo [keep|replace]",
        _ => "/help",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn commands_are_parsed_with_and_without_the_bot_name() {
        assert_eq!(
            parse("/start", "ScribeBot"),
            Some(Command {
                name: "start".into(),
                args: vec![]
            })
        );
        assert_eq!(
            parse("/Language@scribebot ru", "ScribeBot"),
            Some(Command {
                name: "language".into(),
                args: vec!["ru"]
            })
        );
        assert_eq!(parse("/start@OtherBot", "ScribeBot"), None);
        assert_eq!(parse("hello", "ScribeBot"), None);
        assert_eq!(parse("/", "ScribeBot"), None);
        assert_eq!(
            parse("/output  split  now", "b").map(|c| c.args),
            Some(vec!["split", "now"])
        );
    }
}
