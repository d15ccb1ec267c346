//! `/settings` as an inline keyboard: each button toggles (or cycles) one setting and the message
//! is edited in place to show the new state.

use scribe_core::i18n::{Label, Lang, Msg};
use scribe_store::{LongOutput, User};
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
