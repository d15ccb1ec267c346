//! `/settings` as an inline keyboard: each button toggles (or cycles) one setting and the message
//! is edited in place to show the new state; `/language` and `/output` for a user or a group.

use scribe_core::commands::Command;
use scribe_core::i18n::{ASR_LANGUAGES, Label, Lang, Msg};
use scribe_store::{LongOutput, TranscriptOwner, User};
use scribe_telegram::{InlineButton, InlineKeyboard, TextOptions};

use crate::buttons::{Button, SettingToggle};
use crate::context::Context;
use crate::error::Result;
use crate::replies::reply_with;

/// Recognition languages the language button cycles through (`/language` sets any).
const LANGUAGE_CYCLE: &[Option<&str>] = &[
    None,
    Some("ru"),
    Some("en"),
    Some("uk"),
    Some("de"),
    Some("es"),
    Some("fr"),
];

fn text(user: &User, lang: Lang) -> String {
    let s = user.settings();
    Msg::Settings {
        language: s.asr_language.as_deref(),
        code: s.code_output,
        keep_yo: s.keep_yo,
        output: s.long_output.as_str(),
        subtitles: s.subtitles,
    }
    .render(lang)
}

fn keyboard(user: &User, lang: Lang) -> InlineKeyboard {
    let s = user.settings();
    let row = |label: Label<'_>, toggle: SettingToggle| {
        vec![InlineButton::callback(
            label.render(lang),
            Button::Setting(toggle).data(),
        )]
    };
    InlineKeyboard {
        inline_keyboard: vec![
            row(
                Label::SettingLanguage {
                    language: s.asr_language.as_deref(),
                },
                SettingToggle::Language,
            ),
            row(
                Label::SettingMonospace { on: s.code_output },
                SettingToggle::Code,
            ),
            row(Label::SettingYo { keep: s.keep_yo }, SettingToggle::Yo),
            row(
                Label::SettingLongText {
                    mode: s.long_output.as_str(),
                },
                SettingToggle::Output,
            ),
            row(
                Label::SettingSubtitles { on: s.subtitles },
                SettingToggle::Subtitles,
            ),
        ],
    }
}

/// `/language`, `/code`, `/yo` and `/output` in a private chat (`command` is one of them).
pub async fn personal(
    ctx: &Context,
    user: &User,
    command: Command,
    args: &[&str],
    lang: Lang,
) -> Result<String> {
    let owner = TranscriptOwner::User(user.id);
    Ok(match (command, args) {
        (Command::Language, [code]) => set_language(ctx, owner, code, lang).await?,
        (Command::Code, [] | ["on" | "off"]) => {
            let on = args.first().map_or(!user.code_output, |a| *a == "on");
            ctx.store.set_code_output(user.id, on).await?;
            Msg::CodeSet { on }.render(lang)
        }
        (Command::Yo, [] | ["keep" | "replace"]) => {
            let keep = args.first().map_or(!user.keep_yo, |a| *a == "keep");
            ctx.store.set_keep_yo(user.id, keep).await?;
            Msg::YoSet { keep }.render(lang)
        }
        (Command::Output, [mode]) => set_output(ctx, owner, mode, lang)
            .await?
            .unwrap_or_else(|| Msg::OutputUsage.render(lang)),
        (Command::Output, _) => Msg::OutputUsage.render(lang),
        (Command::Language, []) => Msg::LanguageUsage {
            current: user.asr_language.as_deref(),
        }
        .render(lang),
        _ => Msg::Usage {
            usage: command.usage(),
        }
        .render(lang),
    })
}

/// `/language <code|auto>` for a user or a group: stores the choice and says so, or says the
/// code is not one the recogniser knows.
pub async fn set_language(
    ctx: &Context,
    owner: TranscriptOwner,
    arg: &str,
    lang: Lang,
) -> Result<String> {
    let code = arg.to_ascii_lowercase();
    let language = match code.as_str() {
        "auto" => None,
        known if ASR_LANGUAGES.contains(&known) => Some(known),
        _ => return Ok(Msg::LanguageInvalid { given: &code }.render(lang)),
    };
    match owner {
        TranscriptOwner::User(id) => ctx.store.set_asr_language(id, language).await?,
        TranscriptOwner::Chat(id) => ctx.store.set_group_language(id, language).await?,
    }
    Ok(Msg::LanguageSet { language }.render(lang))
}

/// `/output <mode>` for a user or a group: how long text arrives (`auto|split|file`), or
/// subtitles on (`srt`) or off (`text`). `None` when `mode` is none of them.
pub async fn set_output(
    ctx: &Context,
    owner: TranscriptOwner,
    mode: &str,
    lang: Lang,
) -> Result<Option<String>> {
    if let "srt" | "text" = mode {
        let on = mode == "srt";
        match owner {
            TranscriptOwner::User(id) => ctx.store.set_subtitles(id, on).await?,
            TranscriptOwner::Chat(id) => ctx.store.set_group_subtitles(id, on).await?,
        }
        return Ok(Some(Msg::SubtitlesSet { on }.render(lang)));
    }
    let Some(long) = LongOutput::parse(mode) else {
        return Ok(None);
    };
    match owner {
        TranscriptOwner::User(id) => ctx.store.set_long_output(id, long).await?,
        TranscriptOwner::Chat(id) => ctx.store.set_group_output(id, long).await?,
    }
    Ok(Some(
        Msg::OutputSet {
            mode: long.as_str(),
        }
        .render(lang),
    ))
}

pub async fn show(ctx: &Context, user: &User, lang: Lang) -> Result<()> {
    reply_with(ctx, user.id, &text(user, lang), keyboard(user, lang)).await
}

/// Applies a settings button and redraws the message it belongs to.
pub async fn toggle(
    ctx: &Context,
    user: &User,
    toggle: SettingToggle,
    message_id: Option<i64>,
) -> Result<()> {
    let s = user.settings();
    match toggle {
        SettingToggle::Code => ctx.store.set_code_output(user.id, !s.code_output).await?,
        SettingToggle::Yo => ctx.store.set_keep_yo(user.id, !s.keep_yo).await?,
        SettingToggle::Output => {
            let next = match s.long_output {
                LongOutput::Auto => LongOutput::Split,
                LongOutput::Split => LongOutput::File,
                LongOutput::File => LongOutput::Auto,
            };
            ctx.store.set_long_output(user.id, next).await?;
        }
        SettingToggle::Subtitles => ctx.store.set_subtitles(user.id, !s.subtitles).await?,
        SettingToggle::Language => {
            let at = LANGUAGE_CYCLE
                .iter()
                .position(|l| *l == s.asr_language.as_deref())
                .unwrap_or(0);
            let next = LANGUAGE_CYCLE[(at + 1) % LANGUAGE_CYCLE.len()];
            ctx.store.set_asr_language(user.id, next).await?;
        }
    }
    let Some(updated) = ctx.store.user(user.id).await? else {
        return Ok(());
    };
    let lang = ctx.lang_of(&updated);
    let options = TextOptions::html().with_keyboard(keyboard(&updated, lang));
    match message_id {
        Some(id) => {
            ctx.telegram
                .edit_message_text(user.id, id, &text(&updated, lang), &options)
                .await?
        }
        None => show(ctx, &updated, lang).await?,
    }
    Ok(())
}
