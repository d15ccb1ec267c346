//! Everything the bot says, in Russian and English: the vocabulary of messages ([`Msg`], HTML for
//! Telegram's HTML parse mode) and button labels ([`Label`], plain text), one renderer per
//! language (`en`, `ru`) that must know every message, and the formatting both share. Values that
//! come from people are escaped here, never by callers.

mod en;
mod format;
mod message;
mod ru;
#[cfg(test)]
mod tests;

pub use format::date_time;
pub use message::{
    ASR_LANGUAGES, GiveUpCause, GlossaryLimit, HistoryLine, Label, MetricsSummary, Msg, NextStep,
    OldestJob, PaymentLine, Person, Ratio, Stage, StageTiming, StatSummary, StatTitle,
    StatusSummary, TrialOutcome, UserCard, WorkerLine, language_name,
};

use crate::commands::Command;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lang {
    Ru,
    En,
}

impl Lang {
    /// From a Telegram `language_code` (`ru`, `en-US`, …); Russian for the languages whose
    /// speakers usually read it, English otherwise.
    pub fn from_code(code: &str) -> Option<Lang> {
        let base = code
            .split(['-', '_'])
            .next()
            .unwrap_or_default()
            .to_ascii_lowercase();
        match base.as_str() {
            "ru" | "uk" | "be" | "kk" | "uz" | "ky" | "tg" => Some(Lang::Ru),
            "" => None,
            _ => Some(Lang::En),
        }
    }

    /// The UI language: the user's override, else their Telegram language, else English.
    pub fn pick(override_code: Option<&str>, telegram_code: Option<&str>) -> Lang {
        override_code
            .and_then(Lang::from_code)
            .or_else(|| telegram_code.and_then(Lang::from_code))
            .unwrap_or(Lang::En)
    }
}

impl Msg<'_> {
    /// The message as Telegram HTML in `lang`.
    pub fn render(&self, lang: Lang) -> String {
        match lang {
            Lang::En => en::render(self),
            Lang::Ru => ru::render(self),
        }
    }
}

impl Label<'_> {
    /// The label as plain text in `lang` (button texts are not parsed as HTML).
    pub fn render(&self, lang: Lang) -> String {
        match lang {
            Lang::En => en::label(self),
            Lang::Ru => ru::label(self),
        }
    }
}

/// What a command does, for menus, `/help` and `/admin`.
pub fn command_description(command: Command, lang: Lang) -> &'static str {
    match lang {
        Lang::En => en::description(command),
        Lang::Ru => ru::description(command),
    }
}
