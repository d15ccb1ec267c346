//! Everything the bot says, in Russian and English. Texts are HTML for Telegram's HTML parse
//! mode; values that come from people are escaped here.

use crate::billing::Duration;
use crate::text::escape_html;

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

    pub fn code(self) -> &'static str {
        match self {
            Lang::Ru => "ru",
            Lang::En => "en",
        }
    }

    fn minutes(self, seconds: i64) -> String {
        match self {
            Lang::Ru => Duration(seconds).render("мин", "с"),
            Lang::En => Duration(seconds).render("min", "s"),
        }
    }
}

/// Progress of a job, shown in its status message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stage {
    Queued,
    Downloading,
    Preparing,
    Recognising { part: usize, parts: usize },
    Formatting,
    Sending,
    Retrying { in_seconds: u64 },
}

/// One thing the bot says.
#[derive(Debug, Clone)]
pub enum Msg<'a> {
    Start {
        name: &'a str,
        balance: i64,
        new_trial: Option<i64>,
    },
    Help,
    Balance {
        balance: i64,
        held: i64,
    },
    Settings {
        language: Option<&'a str>,
        code: bool,
        keep_yo: bool,
        output: &'a str,
    },
    LanguageUsage {
        current: Option<&'a str>,
    },
    LanguageSet {
        language: Option<&'a str>,
    },
    LanguageInvalid {
        given: &'a str,
    },
    CodeSet {
        on: bool,
    },
    YoSet {
        keep: bool,
    },
    OutputSet {
        mode: &'a str,
    },
    OutputUsage,
    Usage {
        usage: &'a str,
    },
    UnknownCommand,
    MediaHint,
    Stage(Stage),
    FileTooLarge {
        limit_mb: u64,
    },
    CouldNotDecode,
    NoAudioTrack,
    NoSpeech,
    ProviderUnavailable,
    Insufficient {
        balance: i64,
        needed: i64,
        package: Option<(&'a str, i64, i64)>,
    },
    BalanceEmpty,
    InternalError,
    LowBalance {
        balance: i64,
    },
    TranscriptCaption {
        seconds: i64,
    },
}

/// Languages a user may pin recognition to (qwen3-asr-flash's list).
pub const ASR_LANGUAGES: &[&str] = &[
    "zh", "yue", "en", "ja", "de", "ko", "ru", "fr", "pt", "ar", "it", "es", "hi", "id", "th",
    "tr", "uk", "vi", "cs", "da", "fil", "fi", "is", "ms", "no", "pl", "sv",
];

impl Msg<'_> {
    pub fn render(&self, lang: Lang) -> String {
        let ru = lang == Lang::Ru;
        let m = |s: i64| lang.minutes(s);
        match self {
            Msg::Start { name, balance, new_trial } => {
                let name = escape_html(name);
                let trial = match new_trial {
                    Some(s) if ru => format!("\n🎁 Вам начислено {} бесплатно.", m(*s)),
                    Some(s) => format!("\n🎁 You got {} free.", m(*s)),
                    None => String::new(),
                };
                if ru {
                    format!(
                        "Привет, {name}! Я превращаю голосовые, аудио и видео в аккуратный текст.{trial}\n\n\
                         Баланс: <b>{}</b>.\nПришлите голосовое сообщение, аудио- или видеофайл. /help — подробнее.",
                        m(*balance)
                    )
                } else {
                    format!(
                        "Hi, {name}! I turn voice messages, audio and video into clean text.{trial}\n\n\
                         Balance: <b>{}</b>.\nSend me a voice message or an audio/video file. /help for more.",
                        m(*balance)
                    )
                }
            }
            Msg::Help => if ru {
                "Пришлите голосовое, аудио, видео или кружок — я распознаю речь и верну текст с пунктуацией и абзацами.\n\n\
                 /balance — баланс\n/settings — настройки\n/language — язык распознавания\n/code — моноширинный вывод\n\
                 /yo — оставлять или заменять «ё»\n/output — длинный текст: частями или файлом\n\n\
                 Оплата посекундная: списываются только секунды записи."
            } else {
                "Send a voice message, audio, video or video note — I recognise the speech and send back text with punctuation and paragraphs.\n\n\
                 /balance — your balance\n/settings — settings\n/language — recognition language\n/code — monospace output\n\
                 /yo — keep or replace «ё»\n/output — long text: messages or a file\n\n\
                 You pay per second of audio."
            }
            .to_owned(),
            Msg::Balance { balance, held } => {
                let held_line = match (*held > 0, ru) {
                    (false, _) => String::new(),
                    (true, true) => format!("\nВ обработке: {}.", m(*held)),
                    (true, false) => format!("\nIn progress: {}.", m(*held)),
                };
                if ru {
                    format!("Баланс: <b>{}</b>.{held_line}", m(*balance))
                } else {
                    format!("Balance: <b>{}</b>.{held_line}", m(*balance))
                }
            }
            Msg::Settings { language, code, keep_yo, output } => {
                let on_off = |b: bool| match (b, ru) {
                    (true, true) => "вкл",
                    (false, true) => "выкл",
                    (true, false) => "on",
                    (false, false) => "off",
                };
                let lang_text = language.map_or_else(|| if ru { "авто".to_owned() } else { "auto".to_owned() }, escape_html);
                if ru {
                    format!(
                        "Настройки:\nЯзык распознавания: <b>{lang_text}</b> (/language)\nМоноширинный вывод: <b>{}</b> (/code)\n\
                         «ё»: <b>{}</b> (/yo)\nДлинный текст: <b>{output}</b> (/output)",
                        on_off(*code),
                        if *keep_yo { "оставлять" } else { "заменять на «е»" }
                    )
                } else {
                    format!(
                        "Settings:\nRecognition language: <b>{lang_text}</b> (/language)\nMonospace output: <b>{}</b> (/code)\n\
                         «ё»: <b>{}</b> (/yo)\nLong text: <b>{output}</b> (/output)",
                        on_off(*code),
                        if *keep_yo { "keep" } else { "replace with «е»" }
                    )
                }
            }
            Msg::LanguageUsage { current } => {
                let cur = current.map_or_else(|| if ru { "авто".to_owned() } else { "auto".to_owned() }, escape_html);
                let list = ASR_LANGUAGES.join(", ");
                if ru {
                    format!("Язык распознавания: <b>{cur}</b>.\nИспользование: /language &lt;код&gt; или /language auto\nКоды: {list}")
                } else {
                    format!("Recognition language: <b>{cur}</b>.\nUsage: /language &lt;code&gt; or /language auto\nCodes: {list}")
                }
            }
            Msg::LanguageSet { language: Some(l) } => {
                if ru { format!("Язык распознавания: <b>{}</b>.", escape_html(l)) } else { format!("Recognition language: <b>{}</b>.", escape_html(l)) }
            }
            Msg::LanguageSet { language: None } => {
                if ru { "Язык распознавания определяется автоматически.".into() } else { "Recognition language is detected automatically.".into() }
            }
            Msg::LanguageInvalid { given } => {
                let list = ASR_LANGUAGES.join(", ");
                if ru {
                    format!("Не знаю язык «{}». Коды: {list}, или auto.", escape_html(given))
                } else {
                    format!("Unknown language «{}». Codes: {list}, or auto.", escape_html(given))
                }
            }
            Msg::CodeSet { on } => match (on, ru) {
                (true, true) => "Текст будет приходить моноширинным.".into(),
                (false, true) => "Текст будет приходить обычным.".into(),
                (true, false) => "Text will come in monospace.".into(),
                (false, false) => "Text will come as plain text.".into(),
            },
            Msg::YoSet { keep } => match (keep, ru) {
                (true, true) => "Буква «ё» сохраняется.".into(),
                (false, true) => "Буква «ё» заменяется на «е».".into(),
                (true, false) => "The letter «ё» is kept.".into(),
                (false, false) => "The letter «ё» is replaced with «е».".into(),
            },
            Msg::OutputSet { mode } => {
                if ru { format!("Длинный текст: <b>{mode}</b>.") } else { format!("Long text: <b>{mode}</b>.") }
            }
            Msg::OutputUsage => if ru {
                "Использование: /output auto | split | file\nauto — сообщениями до 8000 символов, дальше файлом; split — всегда сообщениями; file — всегда файлом .txt."
            } else {
                "Usage: /output auto | split | file\nauto — messages up to 8000 characters, a file beyond; split — always messages; file — always a .txt file."
            }
            .into(),
            Msg::Usage { usage } => {
                if ru { format!("Использование: {}", escape_html(usage)) } else { format!("Usage: {}", escape_html(usage)) }
            }
            Msg::UnknownCommand => if ru { "Не знаю такой команды. /help — список команд." } else { "I don't know that command. /help lists them." }.into(),
            Msg::MediaHint => if ru {
                "Пришлите мне голосовое сообщение или аудио/видеофайл — я превращу речь в текст."
            } else {
                "Send me a voice message or an audio/video file and I'll turn the speech into text."
            }
            .into(),
            Msg::Stage(stage) => stage_text(*stage, ru),
            Msg::FileTooLarge { limit_mb } => {
                if ru { format!("⚠️ Файл слишком большой: Telegram позволяет ботам скачивать файлы до {limit_mb} МБ. Сожмите или обрежьте запись.") }
                else { format!("⚠️ The file is too large: Telegram lets bots download files up to {limit_mb} MB. Please compress or trim it.") }
            }
            Msg::CouldNotDecode => if ru { "⚠️ Не удалось прочитать файл: он повреждён или это не аудио/видео. Ничего не списано." } else { "⚠️ Could not decode the file: it is damaged or not audio/video. Nothing was charged." }.into(),
            Msg::NoAudioTrack => if ru { "⚠️ В файле нет звуковой дорожки. Ничего не списано." } else { "⚠️ The file has no audio track. Nothing was charged." }.into(),
            Msg::NoSpeech => if ru { "🤷 Речь не распознана — похоже, в записи тишина или шум. Ничего не списано." } else { "🤷 No speech recognised — the recording seems to be silence or noise. Nothing was charged." }.into(),
            Msg::ProviderUnavailable => if ru { "⚠️ Сервис распознавания сейчас недоступен. Попробуйте позже — ничего не списано." } else { "⚠️ The recognition service is unavailable right now. Please try later — nothing was charged." }.into(),
            Msg::Insufficient { balance, needed, package } => {
                let deficit = (needed - balance).max(1);
                let offer = match (package, ru) {
                    (Some((id, minutes, stars)), true) => format!("\nХватит пакета «{id}»: {minutes} мин за {stars} ⭐ — /buy_{id}"),
                    (Some((id, minutes, stars)), false) => format!("\nThe «{id}» package covers it: {minutes} min for {stars} ⭐ — /buy_{id}"),
                    (None, _) => String::new(),
                };
                if ru {
                    format!("⚠️ Недостаточно минут: запись {}, на балансе {}. Не хватает {}.{offer}", m(*needed), m(*balance), m(deficit))
                } else {
                    format!("⚠️ Not enough minutes: the recording is {}, your balance is {}. You need {} more.{offer}", m(*needed), m(*balance), m(deficit))
                }
            }
            Msg::BalanceEmpty => if ru { "⚠️ На балансе нет минут. /buy_minutes — пополнить." } else { "⚠️ Your balance is empty. /buy_minutes to top up." }.into(),
            Msg::InternalError => if ru { "⚠️ Что-то пошло не так. Попробуйте ещё раз — ничего не списано." } else { "⚠️ Something went wrong. Please try again — nothing was charged." }.into(),
            Msg::LowBalance { balance } => {
                if ru { format!("ℹ️ На балансе осталось {}. /buy_minutes — пополнить.", m(*balance)) }
                else { format!("ℹ️ {} left on your balance. /buy_minutes to top up.", m(*balance)) }
            }
            Msg::TranscriptCaption { seconds } => {
                if ru { format!("📝 Текст записи ({})", m(*seconds)) } else { format!("📝 Transcript ({})", m(*seconds)) }
            }
        }
    }
}

fn stage_text(stage: Stage, ru: bool) -> String {
    match (stage, ru) {
        (Stage::Queued, true) => "🎙 Получено, в очереди…".into(),
        (Stage::Queued, false) => "🎙 Received, queued…".into(),
        (Stage::Downloading, true) => "⬇️ Скачиваю…".into(),
        (Stage::Downloading, false) => "⬇️ Downloading…".into(),
        (Stage::Preparing, true) => "🎛 Готовлю аудио…".into(),
        (Stage::Preparing, false) => "🎛 Preparing audio…".into(),
        (Stage::Recognising { parts: 1, .. }, true) => "🧠 Распознаю речь…".into(),
        (Stage::Recognising { parts: 1, .. }, false) => "🧠 Recognising speech…".into(),
        (Stage::Recognising { part, parts }, true) => {
            format!("🧠 Распознаю речь: часть {part} из {parts}…")
        }
        (Stage::Recognising { part, parts }, false) => {
            format!("🧠 Recognising speech: part {part} of {parts}…")
        }
        (Stage::Formatting, true) => "✍️ Оформляю текст…".into(),
        (Stage::Formatting, false) => "✍️ Formatting the text…".into(),
        (Stage::Sending, true) => "📤 Отправляю…".into(),
        (Stage::Sending, false) => "📤 Sending…".into(),
        (Stage::Retrying { in_seconds }, true) => {
            format!("⏳ Сервис распознавания перегружен, повторю через {in_seconds} с…")
        }
        (Stage::Retrying { in_seconds }, false) => {
            format!("⏳ The recognition service is busy, retrying in {in_seconds} s…")
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn language_is_picked_from_override_then_telegram() {
        assert_eq!(Lang::pick(None, Some("ru")), Lang::Ru);
        assert_eq!(Lang::pick(None, Some("en-US")), Lang::En);
        assert_eq!(Lang::pick(Some("en"), Some("ru")), Lang::En);
        assert_eq!(Lang::pick(None, None), Lang::En);
        assert_eq!(Lang::pick(None, Some("uk")), Lang::Ru);
    }

    #[test]
    fn names_are_escaped_and_amounts_shown_in_minutes() {
        let text = Msg::Start {
            name: "<Bob & Co>",
            balance: 845,
            new_trial: Some(900),
        }
        .render(Lang::En);
        assert!(text.contains("&lt;Bob &amp; Co&gt;"));
        assert!(text.contains("14 min 5 s"));
        assert!(text.contains("15 min free"));
        let ru = Msg::Insufficient {
            balance: 60,
            needed: 200,
            package: Some(("micro", 10, 5)),
        }
        .render(Lang::Ru);
        assert!(ru.contains("Не хватает 2 мин 20 с"), "{ru}");
        assert!(ru.contains("/buy_micro"), "{ru}");
    }
}
