//! Everything the bot says, in Russian and English. Texts are HTML for Telegram's HTML parse
//! mode; values that come from people are escaped here.

use crate::billing::Duration;
use crate::commands::{Audience, Command};
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

    /// Picks the English or Russian variant of a short label (admin reports compose their
    /// lines from such labels; whole user-facing messages are [`Msg`] variants).
    pub fn t<'a>(self, en: &'a str, ru: &'a str) -> &'a str {
        match self {
            Lang::En => en,
            Lang::Ru => ru,
        }
    }

    /// Seconds as minutes and seconds, in this language.
    pub fn duration(self, seconds: i64) -> String {
        self.minutes(seconds)
    }

    fn minutes(self, seconds: i64) -> String {
        match self {
            Lang::Ru => Duration(seconds).render("мин", "с"),
            Lang::En => Duration(seconds).render("min", "s"),
        }
    }
}

/// What `/start` suggests next.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NextStep {
    SendMedia,
    RequestTrial,
    AwaitTrial,
    Buy,
}

/// One line of `/history`.
#[derive(Debug, Clone)]
pub struct HistoryLine<'a> {
    pub created_at: i64,
    pub kind: &'a str,
    pub state: &'a str,
    pub error: Option<&'a str>,
    pub seconds: Option<i64>,
    pub charged: i64,
}

/// What a command does, for menus, `/help` and `/admin`.
pub fn command_description(command: Command, lang: Lang) -> &'static str {
    let (en, ru) = match command {
        Command::Start => ("Start the bot", "Запустить бота"),
        Command::Help => ("How to use the bot", "Как пользоваться ботом"),
        Command::Balance => ("Balance and usage", "Баланс и расход"),
        Command::BuyMinutes => ("Buy minutes", "Купить минуты"),
        Command::BuyPackage => ("Buy a package directly", "Купить пакет сразу"),
        Command::Settings => ("Settings", "Настройки"),
        Command::Language => ("Recognition language", "Язык распознавания"),
        Command::Code => ("Monospace output on or off", "Моноширинный вывод"),
        Command::Yo => ("Keep or replace «ё»", "Оставлять или заменять «ё»"),
        Command::Output => (
            "Long text: messages or a file",
            "Длинный текст: частями или файлом",
        ),
        Command::History => ("Your last recordings", "Последние записи"),
        Command::Trial => ("Ask for trial minutes", "Запросить пробные минуты"),
        Command::Transcribe => (
            "Transcribe the media you reply to",
            "Расшифровать медиа, на которое отвечаете",
        ),
        Command::Auto => (
            "Transcribe every voice note here (group admins)",
            "Расшифровывать все голосовые здесь (админы группы)",
        ),
        Command::Privacy => ("What is kept and for how long", "Что хранится и сколько"),
        Command::Retention => (
            "How long transcripts are kept",
            "Сколько хранить расшифровки",
        ),
        Command::Forget => (
            "Delete everything kept about you",
            "Удалить всё, что хранится о вас",
        ),
        Command::Admin => ("Admin commands", "Команды администратора"),
        Command::User => ("Find users", "Найти пользователей"),
        Command::Credit => (
            "Add minutes (negative: remove)",
            "Начислить минуты (минус — списать)",
        ),
        Command::Stat => ("Statistics", "Статистика"),
        Command::Metrics => (
            "Stage timings, provider and error rates",
            "Время этапов, доли ошибок",
        ),
        Command::ReviewTrials => (
            "Trial requests and grants",
            "Запросы и выдачи пробных минут",
        ),
        Command::Export => ("CSV export", "Выгрузка CSV"),
        Command::Report => ("Period summary", "Сводка за период"),
        Command::Status => ("Queues, jobs, workers", "Очереди, задания, воркеры"),
        Command::Flush => ("Sweep stuck jobs, release holds", "Снять зависшие задания"),
        Command::Refund => ("Refund a Stars payment", "Вернуть платёж в Stars"),
    };
    lang.t(en, ru)
}

/// `YYYY-MM-DD HH:MM` (UTC) of seconds since the epoch.
pub fn date_time(epoch: i64) -> String {
    let days = epoch.div_euclid(86_400);
    let secs = epoch.rem_euclid(86_400);
    // Civil-from-days (Howard Hinnant's algorithm), valid for the proleptic Gregorian calendar.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02} {:02}:{:02}",
        secs / 3600,
        secs % 3600 / 60
    )
}

/// Progress of a job, shown in its status message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stage {
    Queued,
    Downloading,
    Preparing,
    Recognising {
        part: usize,
        parts: usize,
        /// Seconds left, estimated once a long file has progress.
        eta_seconds: Option<u64>,
    },
    Formatting,
    Sending,
    Retrying {
        in_seconds: u64,
    },
}

/// One thing the bot says.
#[derive(Debug, Clone)]
pub enum Msg<'a> {
    Start {
        name: &'a str,
        balance: i64,
        new_trial: Option<i64>,
        next: NextStep,
    },
    Help,
    AdminHelp,
    Balance {
        balance: i64,
        held: i64,
        /// Jobs and seconds charged in the last 30 days.
        recent: (i64, i64),
    },
    History(&'a [HistoryLine<'a>]),
    BuyMenu {
        packages: &'a [(&'a str, i64, i64)],
    },
    BuyUnknown {
        given: &'a str,
    },
    InvoiceTitle {
        minutes: i64,
    },
    InvoiceDescription {
        minutes: i64,
    },
    PaymentInvalid,
    PaymentLimit {
        limit: i64,
    },
    PaymentThanks {
        minutes: i64,
        balance: i64,
    },
    PaymentRefunded {
        taken: i64,
        balance: i64,
    },
    TrialRequested,
    TrialPending,
    TrialUnavailable,
    TrialApproved {
        seconds: i64,
    },
    TrialDenied,
    TrialRevoked {
        taken: i64,
    },
    Credited {
        seconds: i64,
        balance: i64,
    },
    Flushed,
    /// What a sweep (`/flush`) did.
    SweepReport {
        failed: usize,
        released: i64,
        republished: usize,
        minutes: i64,
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
    /// In a group: the member's balance does not cover it (no amount: balances are private).
    GroupTopUp,
    /// The label of the button that opens the bot in a private chat.
    OpenBot,
    /// Auto mode stopped for today: the daily cap (`over_cap`) or the sponsor's balance.
    AutoPaused {
        over_cap: bool,
    },
    /// `/auto` in a group: on (sponsor, minutes a day, seconds used today) or off.
    AutoState {
        sponsor: Option<(&'a str, i64, i64)>,
    },
    /// Auto mode switched on; `blind` when the bot cannot see every message of the group.
    AutoOn {
        daily_seconds: i64,
        blind: bool,
    },
    AutoOff,
    /// A group setting only group admins change.
    GroupAdminsOnly,
    /// `/t` that replies to nothing transcribable.
    TranscribeUsage,
    /// A command that works only in a private chat with the bot.
    PrivateOnly,
    /// `/privacy`: what is kept and for how long (`days` 0: nothing), for a user or a group.
    Privacy {
        days: i64,
        kept: usize,
        group: bool,
    },
    RetentionSet {
        days: i64,
    },
    /// `/forget`: are you sure?
    ForgetConfirm,
    ForgetDone {
        transcripts: u64,
    },
    ForgetCancelled,
    /// The labels of `/forget`'s buttons.
    ForgetYes,
    ForgetNo,
    MediaHint,
    /// The user sent more updates in a minute than the bot answers.
    SlowDown,
    /// The user already has this many recordings queued or in progress.
    TooManyJobs {
        active: i64,
    },
    Stage(Stage),
    FileTooLarge {
        limit_mb: u64,
    },
    CouldNotDecode,
    /// Longer than the longest audio accepted.
    TooLong {
        limit_seconds: u64,
    },
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
    /// The message in `lang`. Long by design: one flat match over the closed `Msg`, each text
    /// beside its translation.
    pub fn render(&self, lang: Lang) -> String {
        let ru = lang == Lang::Ru;
        let m = |s: i64| lang.minutes(s);
        match self {
            Msg::Start { name, balance, new_trial, next } => {
                let name = escape_html(name);
                let trial = match new_trial {
                    Some(s) if ru => format!("\n🎁 Вам начислено {} бесплатно.", m(*s)),
                    Some(s) => format!("\n🎁 You got {} free.", m(*s)),
                    None => String::new(),
                };
                let next = match (next, ru) {
                    (NextStep::SendMedia, true) => "Пришлите голосовое сообщение, аудио- или видеофайл. /help — подробнее.",
                    (NextStep::SendMedia, false) => "Send me a voice message or an audio/video file. /help for more.",
                    (NextStep::RequestTrial, true) => "Попросите пробные минуты командой /trial или купите минуты: /buy_minutes.",
                    (NextStep::RequestTrial, false) => "Ask for free trial minutes with /trial, or buy minutes: /buy_minutes.",
                    (NextStep::AwaitTrial, true) => "Ваш запрос пробных минут рассматривается. Минуты можно купить: /buy_minutes.",
                    (NextStep::AwaitTrial, false) => "Your trial request is being reviewed. You can also buy minutes: /buy_minutes.",
                    (NextStep::Buy, true) => "Пополните баланс: /buy_minutes.",
                    (NextStep::Buy, false) => "Top up your balance: /buy_minutes.",
                };
                if ru {
                    format!(
                        "Привет, {name}! Я превращаю голосовые, аудио и видео в аккуратный текст.{trial}\n\n\
                         Баланс: <b>{}</b>.\n{next}",
                        m(*balance)
                    )
                } else {
                    format!(
                        "Hi, {name}! I turn voice messages, audio and video into clean text.{trial}\n\n\
                         Balance: <b>{}</b>.\n{next}",
                        m(*balance)
                    )
                }
            }
            Msg::Help => {
                let mut out = lang
                    .t(
                        "Send a voice message, audio, video or video note — I recognise the speech and send back text with punctuation and paragraphs.\n",
                        "Пришлите голосовое, аудио, видео или кружок — я распознаю речь и верну текст с пунктуацией и абзацами.\n",
                    )
                    .to_owned();
                for command in Command::menu().filter(|c| !matches!(c, Command::Start | Command::Help)) {
                    out.push_str(&format!(
                        "\n{} — {}",
                        command.usage().split(' ').next().unwrap_or_default(),
                        command_description(command, lang).to_lowercase()
                    ));
                }
                out.push_str(lang.t(
                    "\n\nYou pay per second of audio.",
                    "\n\nОплата посекундная: списываются только секунды записи.",
                ));
                out
            }
            Msg::AdminHelp => {
                let mut out = format!("🛠 <b>{}</b>", command_description(Command::Admin, lang));
                for command in Command::ALL
                    .iter()
                    .copied()
                    .filter(|c| c.audience() == Audience::Admins && *c != Command::Admin)
                {
                    out.push_str(&format!(
                        "\n{} — {}",
                        escape_html(command.usage()),
                        command_description(command, lang)
                    ));
                }
                out
            }
            Msg::Balance { balance, held, recent } => {
                let held_line = match (*held > 0, ru) {
                    (false, _) => String::new(),
                    (true, true) => format!("\nВ обработке: {}.", m(*held)),
                    (true, false) => format!("\nIn progress: {}.", m(*held)),
                };
                let usage = if ru {
                    format!("\nЗа 30 дней: {} записей, {}.", recent.0, m(recent.1))
                } else {
                    format!("\nLast 30 days: {} recordings, {}.", recent.0, m(recent.1))
                };
                if ru {
                    format!("Баланс: <b>{}</b>.{held_line}{usage}\n/buy_minutes — пополнить.", m(*balance))
                } else {
                    format!("Balance: <b>{}</b>.{held_line}{usage}\n/buy_minutes to top up.", m(*balance))
                }
            }
            Msg::History([]) => lang.t("No recordings yet.", "Записей пока нет.").to_owned(),
            Msg::History(lines) => {
                let mut out = lang.t("Your last recordings:", "Ваши последние записи:").to_owned();
                for l in lines.iter() {
                    let state = match (l.state, l.error) {
                        ("done", _) => lang.t("✅ done", "✅ готово").to_owned(),
                        ("failed", Some(e)) => format!("{} ({})", lang.t("❌ failed", "❌ ошибка"), escape_html(e)),
                        ("failed", None) => lang.t("❌ failed", "❌ ошибка").to_owned(),
                        ("running", _) => lang.t("⏳ in progress", "⏳ в работе").to_owned(),
                        _ => lang.t("🕓 queued", "🕓 в очереди").to_owned(),
                    };
                    let length = l.seconds.map(m).unwrap_or_else(|| "—".into());
                    out.push_str(&format!(
                        "\n{} · {} · {length} · {state} · {} {}",
                        date_time(l.created_at),
                        escape_html(l.kind),
                        lang.t("charged", "списано"),
                        m(l.charged)
                    ));
                }
                out
            }
            Msg::BuyMenu { packages } => {
                let mut out = lang.t("Choose a package (Telegram Stars):", "Выберите пакет (Telegram Stars):").to_owned();
                for (id, minutes, stars) in packages.iter() {
                    out.push_str(&format!("\n/buy_{id} — {minutes} {} · {stars} ⭐", lang.t("min", "мин")));
                }
                out
            }
            Msg::BuyUnknown { given } => format!(
                "{} «{}». /buy_minutes",
                lang.t("No such package", "Нет такого пакета"),
                escape_html(given)
            ),
            Msg::InvoiceTitle { minutes } => format!("{minutes} {}", lang.t("minutes of transcription", "минут расшифровки")),
            Msg::InvoiceDescription { minutes } => {
                if ru {
                    format!("{minutes} минут распознавания голосовых, аудио и видео. Минуты не сгорают.")
                } else {
                    format!("{minutes} minutes of voice, audio and video transcription. Minutes never expire.")
                }
            }
            Msg::PaymentInvalid => lang.t("This invoice is no longer valid. Please use /buy_minutes again.", "Этот счёт больше не действителен. Откройте /buy_minutes ещё раз.").into(),
            Msg::PaymentLimit { limit } => {
                if ru { format!("Этот пакет можно купить не больше {limit} раз.") } else { format!("This package can be bought at most {limit} times.") }
            }
            Msg::PaymentThanks { minutes, balance } => {
                if ru { format!("🎉 Спасибо! Начислено {minutes} мин. Баланс: <b>{}</b>.", m(*balance)) }
                else { format!("🎉 Thank you! {minutes} min added. Balance: <b>{}</b>.", m(*balance)) }
            }
            Msg::PaymentRefunded { taken, balance } => {
                if ru { format!("↩️ Платёж возвращён; списано {}. Баланс: <b>{}</b>.", m(*taken), m(*balance)) }
                else { format!("↩️ Your payment was refunded; {} removed. Balance: <b>{}</b>.", m(*taken), m(*balance)) }
            }
            Msg::TrialRequested => lang.t("🙋 Request sent. I'll let you know when it is approved.", "🙋 Запрос отправлен. Сообщу, когда его одобрят.").into(),
            Msg::TrialPending => lang.t("Your request is already waiting for review.", "Ваш запрос уже ждёт рассмотрения.").into(),
            Msg::TrialUnavailable => lang.t("Trial minutes are not available for your account. /buy_minutes", "Пробные минуты для вашего аккаунта недоступны. /buy_minutes").into(),
            Msg::TrialApproved { seconds } => {
                if ru { format!("🎁 Пробный период одобрен: начислено {}.", m(*seconds)) } else { format!("🎁 Your trial was approved: {} added.", m(*seconds)) }
            }
            Msg::TrialDenied => lang.t("Your trial request was declined. You can buy minutes: /buy_minutes", "Запрос пробных минут отклонён. Минуты можно купить: /buy_minutes").into(),
            Msg::TrialRevoked { taken } => {
                if ru { format!("Пробный период отозван; списано {}.", m(*taken)) } else { format!("Your trial was revoked; {} removed.", m(*taken)) }
            }
            Msg::SweepReport { failed, released, republished, minutes } => if ru {
                format!("🧹 Снято заданий: {failed} (старше {minutes} мин), возвращено {}; отправлено в очередь заново: {republished}.", m(*released))
            } else {
                format!("🧹 Flushed jobs: {failed} (older than {minutes} min), released {}; published again: {republished}.", m(*released))
            },
            Msg::Flushed => lang.t(
                "⚠️ Your recording got stuck and was cancelled; nothing was charged. Please send it again.",
                "⚠️ Запись зависла и была отменена; ничего не списано. Пришлите её ещё раз.",
            )
            .into(),
            Msg::Credited { seconds, balance } => {
                let verb = match (*seconds >= 0, ru) {
                    (true, true) => "Начислено",
                    (false, true) => "Списано",
                    (true, false) => "Added",
                    (false, false) => "Removed",
                };
                if ru { format!("{verb} {}. Баланс: <b>{}</b>.", m(seconds.abs()), m(*balance)) }
                else { format!("{verb} {}. Balance: <b>{}</b>.", m(seconds.abs()), m(*balance)) }
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
            Msg::GroupTopUp => if ru {
                "💳 На вашем балансе не хватает минут для этой записи. Пополните его в личном чате со мной."
            } else {
                "💳 Your balance doesn't cover this recording. Top it up in a private chat with me."
            }
            .into(),
            Msg::OpenBot => lang.t("Open the bot", "Открыть бота").into(),
            Msg::AutoPaused { over_cap: true } => if ru {
                "⏸ Автоматическая расшифровка на сегодня приостановлена: дневной лимит исчерпан. Завтра продолжу."
            } else {
                "⏸ Automatic transcription is paused for today: the daily limit is used up. It resumes tomorrow."
            }
            .into(),
            Msg::AutoPaused { over_cap: false } => if ru {
                "⏸ Автоматическая расшифровка приостановлена: у спонсора закончились минуты."
            } else {
                "⏸ Automatic transcription is paused: the sponsor's minutes have run out."
            }
            .into(),
            Msg::AutoState { sponsor: None } => if ru {
                "Автоматическая расшифровка выключена. Админ группы включает её командой /auto on [минут в день]."
            } else {
                "Automatic transcription is off. A group admin turns it on with /auto on [minutes per day]."
            }
            .into(),
            Msg::AutoState { sponsor: Some((name, daily, used)) } => if ru {
                format!("Автоматическая расшифровка включена. Платит {}, до {daily} мин в день; сегодня использовано {}.", escape_html(name), m(*used))
            } else {
                format!("Automatic transcription is on. {} pays, up to {daily} min a day; used today: {}.", escape_html(name), m(*used))
            },
            Msg::AutoOn { daily_seconds, blind } => {
                let on = if ru {
                    format!("✅ Буду расшифровывать все голосовые и видеокружки в этой группе, до {} в день, за счёт того, кто включил.", m(*daily_seconds))
                } else {
                    format!("✅ I'll transcribe every voice and video note in this group, up to {} a day, paid by whoever turned this on.", m(*daily_seconds))
                };
                let warning = match (*blind, ru) {
                    (false, _) => "",
                    (true, true) => "\n⚠️ Сейчас я не вижу всех сообщений группы: сделайте меня администратором или отключите режим приватности в @BotFather (/setprivacy).",
                    (true, false) => "\n⚠️ Right now I can't see every message in this group: make me an admin, or turn privacy mode off in @BotFather (/setprivacy).",
                };
                format!("{on}{warning}")
            }
            Msg::AutoOff => lang.t("Automatic transcription is off.", "Автоматическая расшифровка выключена.").into(),
            Msg::GroupAdminsOnly => lang.t("Only group admins can change this.", "Это могут менять только админы группы.").into(),
            Msg::TranscribeUsage => if ru {
                "Ответьте командой /t на голосовое, аудио или видео, чтобы его расшифровать."
            } else {
                "Reply with /t to a voice message, audio or video to transcribe it."
            }
            .into(),
            Msg::PrivateOnly => lang.t("That works in a private chat with me.", "Это работает в личном чате со мной.").into(),
            Msg::Privacy { days, kept, group } => {
                let whose = match (*group, ru) {
                    (true, true) => "этой группы",
                    (true, false) => "this group's",
                    (false, true) => "ваши",
                    (false, false) => "your",
                };
                let keep = match (*days, ru) {
                    (0, true) => "не храню вовсе — сразу после отправки их нет".to_owned(),
                    (0, false) => "are not kept at all — gone as soon as they are sent".to_owned(),
                    (d, true) => format!("храню {d} дн., потом удаляю"),
                    (d, false) => format!("are kept for {d} days, then deleted"),
                };
                if ru {
                    format!("🔒 Аудио я не храню: файл удаляется, как только задание закончено.\nРасшифровки ({whose}) {keep}; сейчас хранится: {kept}. Пока расшифровка хранится, тот же файл я отдаю сразу и бесплатно.\n/retention off|1d|7d|30d — срок хранения. /forget — удалить всё.")
                } else {
                    format!("🔒 I never keep audio: the file is deleted as soon as the job is done.\nTranscripts ({whose}) {keep}; kept now: {kept}. While a transcript is kept, the same file is answered at once and free.\n/retention off|1d|7d|30d sets how long. /forget deletes everything.")
                }
            }
            Msg::RetentionSet { days: 0 } => lang.t("Transcripts are not kept any more; the kept ones are deleted.", "Расшифровки больше не хранятся; сохранённые удалены.").into(),
            Msg::RetentionSet { days } => if ru { format!("Расшифровки хранятся {days} дн.") } else { format!("Transcripts are kept for {days} days.") },
            Msg::ForgetConfirm => if ru {
                "Удалить все ваши расшифровки, кэш и настройки? Баланс и платежи останутся."
            } else {
                "Delete all your transcripts, cached results and settings? Your balance and payments stay."
            }
            .into(),
            Msg::ForgetDone { transcripts } => if ru {
                format!("🗑 Готово: удалено расшифровок — {transcripts}, настройки сброшены.")
            } else {
                format!("🗑 Done: {transcripts} transcripts deleted, settings reset.")
            },
            Msg::ForgetCancelled => lang.t("Nothing was deleted.", "Ничего не удалено.").into(),
            Msg::ForgetYes => lang.t("🗑 Delete everything", "🗑 Удалить всё").into(),
            Msg::ForgetNo => lang.t("Cancel", "Отмена").into(),
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
            Msg::TooLong { limit_seconds } => if ru {
                format!("⏱ Запись длиннее {} — столько я не распознаю. Разделите её на части; ничего не списано.", m(i64::try_from(*limit_seconds).unwrap_or(i64::MAX)))
            } else {
                format!("⏱ The recording is longer than {} — more than I transcribe. Split it into parts; nothing was charged.", m(i64::try_from(*limit_seconds).unwrap_or(i64::MAX)))
            },
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
            Msg::SlowDown => if ru {
                "⏸ Слишком много сообщений за минуту — подождите немного, потом продолжим."
            } else {
                "⏸ That's a lot of messages in a minute — please wait a little, then carry on."
            }
            .into(),
            Msg::TooManyJobs { active } => if ru {
                format!("⏳ У вас уже {active} записи в работе. Пришлите эту снова, когда одна из них будет готова.")
            } else {
                format!("⏳ You already have {active} recordings in progress. Send this one again when one of them is done.")
            },
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

/// A short duration for an estimate: seconds under two minutes, else whole minutes.
fn eta_text(seconds: u64, ru: bool) -> String {
    match (seconds < 120, ru) {
        (true, true) => format!("{seconds} с"),
        (true, false) => format!("{seconds} s"),
        (false, true) => format!("{} мин", seconds.div_ceil(60)),
        (false, false) => format!("{} min", seconds.div_ceil(60)),
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
        (
            Stage::Recognising {
                part,
                parts,
                eta_seconds: None,
            },
            true,
        ) => {
            format!("🧠 Распознаю речь: часть {part} из {parts}…")
        }
        (
            Stage::Recognising {
                part,
                parts,
                eta_seconds: None,
            },
            false,
        ) => {
            format!("🧠 Recognising speech: part {part} of {parts}…")
        }
        (
            Stage::Recognising {
                part,
                parts,
                eta_seconds: Some(eta),
            },
            true,
        ) => {
            format!(
                "🧠 Распознаю речь: часть {part} из {parts}, осталось около {}…",
                eta_text(eta, true)
            )
        }
        (
            Stage::Recognising {
                part,
                parts,
                eta_seconds: Some(eta),
            },
            false,
        ) => {
            format!(
                "🧠 Recognising speech: part {part} of {parts}, about {} left…",
                eta_text(eta, false)
            )
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
    fn dates_are_civil_utc() {
        assert_eq!(date_time(0), "1970-01-01 00:00");
        assert_eq!(date_time(1_795_480_200), "2026-11-24 00:30");
        assert_eq!(date_time(951_782_400), "2000-02-29 00:00");
    }

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
            next: NextStep::SendMedia,
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
