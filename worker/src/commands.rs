//! User commands. `/cmd@ThisBot` works; `/cmd@OtherBot` is not ours and is ignored. Wrong
//! arguments get a usage line; unknown commands get a short answer.

use scribe_core::i18n::{ASR_LANGUAGES, Lang, Msg};
use scribe_core::store::{LongOutput, User};
use scribe_core::telegram::Message;

use crate::context::Context;
use crate::updates::{Result, reply};

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
    let html = match (command.name.as_str(), args) {
        ("start", _) => Msg::Start {
            name: &user.first_name,
            balance: user.balance,
            new_trial,
        }
        .render(lang),
        ("help", _) => Msg::Help.render(lang),
        ("balance", []) => Msg::Balance {
            balance: user.balance,
            held: user.held,
        }
        .render(lang),
        ("settings", []) => settings(user, lang),
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
        ("balance" | "settings", _) => Msg::Usage {
            usage: usage(&command.name),
        }
        .render(lang),
        ("output", _) => Msg::OutputUsage.render(lang),
        ("language" | "code" | "yo", _) => Msg::Usage {
            usage: usage(&command.name),
        }
        .render(lang),
        _ => Msg::UnknownCommand.render(lang),
    };
    reply(ctx, chat, &html).await
}

fn usage(command: &str) -> &'static str {
    match command {
        "balance" => "/balance",
        "settings" => "/settings",
        "language" => "/language [code|auto]",
        "code" => "/code [on|off]",
        "yo" => "/yo [keep|replace]",
        _ => "/help",
    }
}

fn settings(user: &User, lang: Lang) -> String {
    let s = user.settings();
    Msg::Settings {
        language: s.asr_language.as_deref(),
        code: s.code_output,
        keep_yo: s.keep_yo,
        output: s.long_output.as_str(),
    }
    .render(lang)
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
