//! Russian: every message, label and command description, worded.

use super::format::{counts, date_time, depth, percent, person, seconds_of_millis};
use super::message::{
    ASR_LANGUAGES, GiveUpCause, GlossaryLimit, Label, MetricsSummary, Msg, NextStep, Stage,
    StatSummary, StatTitle, StatusSummary, TrialOutcome, UserCard, language_name,
};
use crate::billing::Duration;
use crate::commands::{Audience, Command};
use crate::text::escape_html;

/// Seconds as minutes and seconds: `14 мин 5 с`.
fn minutes(seconds: i64) -> String {
    Duration(seconds).render("мин", "с")
}

pub(super) fn description(command: Command) -> &'static str {
    match command {
        Command::Start => "Запустить бота",
        Command::Help => "Как пользоваться ботом",
        Command::Balance => "Баланс и расход",
        Command::BuyMinutes => "Купить минуты",
        Command::BuyPackage => "Купить пакет сразу",
        Command::Settings => "Настройки",
        Command::Language => "Язык распознавания",
        Command::Code => "Моноширинный вывод",
        Command::Yo => "Оставлять или заменять «ё»",
        Command::Output => "Длинный текст: частями или файлом; субтитры",
        Command::History => "Последние записи",
        Command::Trial => "Запросить пробные минуты",
        Command::Transcribe => "Расшифровать медиа, на которое отвечаете",
        Command::Auto => "Расшифровывать все голосовые здесь (админы группы)",
        Command::Subtitles => "Субтитры (.srt, .vtt) для медиа, на которое отвечаете",
        Command::Glossary => "Слова и имена, которые писать точно",
        Command::Privacy => "Что хранится и сколько",
        Command::Retention => "Сколько хранить расшифровки",
        Command::Forget => "Удалить всё, что хранится о вас",
        Command::Admin => "Команды администратора",
        Command::User => "Найти пользователей",
        Command::Credit => "Начислить минуты (минус — списать)",
        Command::Stat => "Статистика",
        Command::Metrics => "Время этапов, доли ошибок",
        Command::ReviewTrials => "Запросы и выдачи пробных минут",
        Command::Export => "Выгрузка CSV",
        Command::Report => "Сводка за период",
        Command::Status => "Очереди, задания, воркеры",
        Command::Flush => "Снять зависшие задания",
        Command::Refund => "Вернуть платёж в Stars",
    }
}

pub(super) fn label(label: &Label<'_>) -> String {
    let on_off = |on: bool| if on { "вкл" } else { "выкл" };
    match label {
        Label::Package { minutes, stars } => format!("{minutes} мин · {stars} ⭐"),
        Label::UserEntry { name, id } => format!("{name} · {id}"),
        Label::PreviousPage => "◀️".into(),
        Label::NextPage => "▶️".into(),
        Label::ApproveTrial => "✅ Одобрить".into(),
        Label::DenyTrial => "❌ Отклонить".into(),
        Label::RevokeTrial => "↩️ Отозвать пробный период".into(),
        Label::ApproveTrialOf { name } => format!("✅ {name}"),
        Label::DenyTrialOf { name } => format!("❌ {name}"),
        Label::RevokeTrialOf { name } => format!("↩️ {name}"),
        Label::SettingLanguage { language } => {
            format!("🌐 Язык: {}", language.unwrap_or("авто"))
        }
        Label::SettingMonospace { on } => format!("🔤 Моноширинный: {}", on_off(*on)),
        Label::SettingYo { keep } => {
            format!(
                "ё: {}",
                if *keep {
                    "оставлять"
                } else {
                    "заменять"
                }
            )
        }
        Label::SettingLongText { mode } => format!("📄 Длинный текст: {mode}"),
        Label::SettingSubtitles { on } => format!("🎬 Субтитры: {}", on_off(*on)),
        Label::OpenBot => "Открыть бота".into(),
        Label::ForgetYes => "🗑 Удалить всё".into(),
        Label::ForgetNo => "Отмена".into(),
        Label::Summary => "📝 Кратко".into(),
        Label::ActionItems => "✅ Задачи".into(),
        Label::Translate => "🌐 Перевести".into(),
        Label::TranslateInto { language } => format!("🌐 {}", language_name(language)),
    }
}

pub(super) fn render(msg: &Msg<'_>) -> String {
    let m = minutes;
    match msg {
        Msg::Start {
            name,
            balance,
            new_trial,
            next,
        } => {
            let name = escape_html(name);
            let trial = new_trial
                .map_or_else(String::new, |s| format!("\n🎁 Вам начислено {} бесплатно.", m(s)));
            let next = match next {
                NextStep::SendMedia => {
                    "Пришлите голосовое сообщение, аудио- или видеофайл. /help — подробнее."
                }
                NextStep::RequestTrial => {
                    "Попросите пробные минуты командой /trial или купите минуты: /buy_minutes."
                }
                NextStep::AwaitTrial => {
                    "Ваш запрос пробных минут рассматривается. Минуты можно купить: /buy_minutes."
                }
                NextStep::Buy => "Пополните баланс: /buy_minutes.",
            };
            format!(
                "Привет, {name}! Я превращаю голосовые, аудио и видео в аккуратный текст.{trial}\n\n\
                 Баланс: <b>{}</b>.\n{next}",
                m(*balance)
            )
        }
        Msg::Help => {
            let mut out = "Пришлите голосовое, аудио, видео или кружок — я распознаю речь и верну текст с пунктуацией и абзацами.\n".to_owned();
            for command in
                Command::menu().filter(|c| !matches!(c, Command::Start | Command::Help))
            {
                out.push_str(&format!(
                    "\n{} — {}",
                    command.usage().split(' ').next().unwrap_or_default(),
                    description(command).to_lowercase()
                ));
            }
            out.push_str("\n\nОплата посекундная: списываются только секунды записи.");
            out
        }
        Msg::AdminHelp => {
            let mut out = format!("🛠 <b>{}</b>", description(Command::Admin));
            for command in Command::ALL
                .iter()
                .copied()
                .filter(|c| c.audience() == Audience::Admins && *c != Command::Admin)
            {
                out.push_str(&format!(
                    "\n{} — {}",
                    escape_html(command.usage()),
                    description(command)
                ));
            }
            out
        }
        Msg::Balance {
            balance,
            held,
            recent,
        } => {
            let held_line = if *held > 0 {
                format!("\nВ обработке: {}.", m(*held))
            } else {
                String::new()
            };
            format!(
                "Баланс: <b>{}</b>.{held_line}\nЗа 30 дней: {} записей, {}.\n/buy_minutes — пополнить.",
                m(*balance),
                recent.0,
                m(recent.1)
            )
        }
        Msg::History([]) => "Записей пока нет.".into(),
        Msg::History(lines) => {
            let mut out = "Ваши последние записи:".to_owned();
            for l in lines.iter() {
                let state = match (l.state, l.error) {
                    ("done", _) if l.cached => "✅ из кэша, бесплатно".to_owned(),
                    ("done", _) => "✅ готово".to_owned(),
                    ("failed", Some(e)) => format!("❌ ошибка ({})", escape_html(e)),
                    ("failed", None) => "❌ ошибка".to_owned(),
                    ("running" | "delivering", _) => "⏳ в работе".to_owned(),
                    _ => "🕓 в очереди".to_owned(),
                };
                let length = l.seconds.map_or_else(|| "—".into(), m);
                out.push_str(&format!(
                    "\n{} · {} · {length} · {state} · списано {}",
                    date_time(l.created_at),
                    escape_html(l.kind),
                    m(l.charged)
                ));
            }
            out
        }
        Msg::BuyMenu { packages } => {
            let mut out = "Выберите пакет (Telegram Stars):".to_owned();
            for (id, minutes, stars) in packages.iter() {
                out.push_str(&format!(
                    "\n/buy_{} — {minutes} мин · {stars} ⭐",
                    escape_html(id)
                ));
            }
            out
        }
        Msg::BuyUnknown { given } => {
            format!("Нет такого пакета «{}». /buy_minutes", escape_html(given))
        }
        Msg::InvoiceTitle { minutes } => format!("{minutes} минут расшифровки"),
        Msg::InvoiceDescription { minutes } => format!(
            "{minutes} минут распознавания голосовых, аудио и видео. Минуты не сгорают."
        ),
        Msg::PaymentInvalid => {
            "Этот счёт больше не действителен. Откройте /buy_minutes ещё раз.".into()
        }
        Msg::PaymentLimit { limit } => {
            format!("Этот пакет можно купить не больше {limit} раз.")
        }
        Msg::PaymentThanks { minutes, balance } => format!(
            "🎉 Спасибо! Начислено {minutes} мин. Баланс: <b>{}</b>.",
            m(*balance)
        ),
        Msg::PaymentRefunded { taken, balance } => format!(
            "↩️ Платёж возвращён; списано {}. Баланс: <b>{}</b>.",
            m(*taken),
            m(*balance)
        ),
        Msg::TrialRequested => "🙋 Запрос отправлен. Сообщу, когда его одобрят.".into(),
        Msg::TrialPending => "Ваш запрос уже ждёт рассмотрения.".into(),
        Msg::TrialUnavailable => {
            "Пробные минуты для вашего аккаунта недоступны. /buy_minutes".into()
        }
        Msg::TrialApproved { seconds } => {
            format!("🎁 Пробный период одобрен: начислено {}.", m(*seconds))
        }
        Msg::TrialDenied => {
            "Запрос пробных минут отклонён. Минуты можно купить: /buy_minutes".into()
        }
        Msg::TrialRevoked { taken } => format!("Пробный период отозван; списано {}.", m(*taken)),
        Msg::Credited { seconds, balance } => format!(
            "{} {}. Баланс: <b>{}</b>.",
            if *seconds >= 0 { "Начислено" } else { "Списано" },
            m(seconds.abs()),
            m(*balance)
        ),
        Msg::Flushed => {
            "⚠️ Запись зависла и была отменена; ничего не списано. Пришлите её ещё раз.".into()
        }
        Msg::SweepReport {
            failed,
            released,
            republished,
            minutes,
        } => format!(
            "🧹 Снято заданий: {failed} (старше {minutes} мин), возвращено {}; отправлено в очередь заново: {republished}.",
            m(*released)
        ),
        Msg::Settings {
            language,
            code,
            keep_yo,
            output,
            subtitles,
        } => format!(
            "Настройки:\nЯзык распознавания: <b>{}</b> (/language)\nМоноширинный вывод: <b>{}</b> (/code)\n\
             «ё»: <b>{}</b> (/yo)\nДлинный текст: <b>{}</b> (/output)\nСубтитры: <b>{}</b> (/output srt)",
            language.map_or_else(|| "авто".to_owned(), escape_html),
            if *code { "вкл" } else { "выкл" },
            if *keep_yo { "оставлять" } else { "заменять на «е»" },
            escape_html(output),
            if *subtitles { "вкл" } else { "выкл" }
        ),
        Msg::LanguageUsage { current } => format!(
            "Язык распознавания: <b>{}</b>.\nИспользование: /language &lt;код&gt; или /language auto\nКоды: {}",
            current.map_or_else(|| "авто".to_owned(), escape_html),
            ASR_LANGUAGES.join(", ")
        ),
        Msg::LanguageSet { language: Some(l) } => {
            format!("Язык распознавания: <b>{}</b>.", escape_html(l))
        }
        Msg::LanguageSet { language: None } => {
            "Язык распознавания определяется автоматически.".into()
        }
        Msg::LanguageInvalid { given } => format!(
            "Не знаю язык «{}». Коды: {}, или auto.",
            escape_html(given),
            ASR_LANGUAGES.join(", ")
        ),
        Msg::CodeSet { on: true } => "Текст будет приходить моноширинным.".into(),
        Msg::CodeSet { on: false } => "Текст будет приходить обычным.".into(),
        Msg::YoSet { keep: true } => "Буква «ё» сохраняется.".into(),
        Msg::YoSet { keep: false } => "Буква «ё» заменяется на «е».".into(),
        Msg::OutputSet { mode } => format!("Длинный текст: <b>{}</b>.", escape_html(mode)),
        Msg::OutputUsage => "Использование: /output auto | split | file | srt | text\nauto — сообщениями до 8000 символов, дальше файлом; split — всегда сообщениями; file — всегда файлом .txt; srt — к каждой расшифровке субтитры (.srt и .vtt); text — без субтитров.".into(),
        Msg::Usage { usage } => format!("Использование: {}", escape_html(usage)),
        Msg::UnknownCommand => "Не знаю такой команды. /help — список команд.".into(),
        Msg::GroupTopUp => "💳 На вашем балансе не хватает минут для этой записи. Пополните его в личном чате со мной.".into(),
        Msg::AutoPaused { over_cap: true } => "⏸ Автоматическая расшифровка на сегодня приостановлена: дневной лимит исчерпан. Завтра продолжу.".into(),
        Msg::AutoPaused { over_cap: false } => "⏸ Автоматическая расшифровка приостановлена: у спонсора закончились минуты.".into(),
        Msg::AutoState { sponsor: None } => "Автоматическая расшифровка выключена. Админ группы включает её командой /auto on [минут в день].".into(),
        Msg::AutoState {
            sponsor: Some((name, daily, used)),
        } => format!(
            "Автоматическая расшифровка включена. Платит {}, до {daily} мин в день; сегодня использовано {}.",
            escape_html(name),
            minutes(*used)
        ),
        Msg::AutoOn {
            daily_seconds,
            blind,
        } => {
            let mut out = format!(
                "✅ Буду расшифровывать все голосовые и видеокружки в этой группе, до {} в день, за счёт того, кто включил.",
                minutes(*daily_seconds)
            );
            if *blind {
                out.push_str("\n⚠️ Сейчас я не вижу всех сообщений группы: сделайте меня администратором или отключите режим приватности в @BotFather (/setprivacy).");
            }
            out
        }
        Msg::AutoOff => "Автоматическая расшифровка выключена.".into(),
        Msg::GroupAdminsOnly => "Это могут менять только админы группы.".into(),
        Msg::TranscribeUsage => "Ответьте командой /t на голосовое, аудио или видео, чтобы его расшифровать.".into(),
        Msg::PrivateOnly => "Это работает в личном чате со мной.".into(),
        Msg::Privacy { days, kept, group } => {
            let whose = if *group { "этой группы" } else { "ваши" };
            let keep = match days {
                0 => "не храню вовсе — сразу после отправки их нет".to_owned(),
                d => format!("храню {d} дн., потом удаляю"),
            };
            format!(
                "🔒 Аудио я не храню: файл удаляется, как только задание закончено.\nРасшифровки ({whose}) {keep}; сейчас хранится: {kept}. Пока расшифровка хранится, тот же файл я отдаю сразу и бесплатно, и под ней работают кнопки «Кратко», «Задачи» и «Перевести».\n/retention off|1d|7d|30d — срок хранения. /forget — удалить всё."
            )
        }
        Msg::RetentionSet { days: 0 } => "Расшифровки больше не хранятся; сохранённые удалены.".into(),
        Msg::RetentionSet { days } => format!("Расшифровки хранятся {days} дн."),
        Msg::ForgetConfirm => "Удалить все ваши расшифровки, кэш, глоссарий и настройки? Баланс и платежи останутся.".into(),
        Msg::ForgetDone { transcripts } => format!("🗑 Готово: удалено расшифровок — {transcripts}, настройки сброшены."),
        Msg::ForgetCancelled => "Ничего не удалено.".into(),
        Msg::ActionNotYours => "Эти кнопки — для того, кто запросил расшифровку.".into(),
        Msg::TranscriptGone => "Эта расшифровка больше не хранится (срок хранения или /forget), работать не с чем.".into(),
        Msg::ActionWorking => "⏳ Готовлю…".into(),
        Msg::ActionAnswered => "Уже ответил выше.".into(),
        Msg::ActionUnavailable => "⚠️ Сейчас это недоступно. Ничего не списано — нажмите кнопку ещё раз позже.".into(),
        Msg::ActionNeedsBalance {
            per_day,
            cost_seconds,
            balance,
        } => format!(
            "Бесплатные действия на сегодня ({per_day}) закончились; каждое следующее стоит {} баланса, а у вас {}. /buy_minutes",
            minutes(*cost_seconds),
            minutes(*balance)
        ),
        Msg::ActionCharged { seconds } => format!(
            "Списано {} баланса: бесплатные действия на сегодня закончились.",
            minutes(*seconds)
        ),
        Msg::GlossaryList { entries: [], group } => format!(
            "{} пуст. Добавьте слова и имена, которые нужно писать точно: /glossary add Анна Ли, Kubernetes",
            if *group { "Глоссарий группы" } else { "Ваш глоссарий" }
        ),
        Msg::GlossaryList { entries, group } => format!(
            "📖 {} (записей: {} из 100):\n{}\n\n/glossary add … · /glossary remove … · /glossary clear",
            if *group { "Глоссарий группы" } else { "Ваш глоссарий" },
            entries.len(),
            entries
                .iter()
                .map(|e| format!("• {}", escape_html(e)))
                .collect::<Vec<_>>()
                .join("\n")
        ),
        Msg::GlossaryAdded {
            added,
            total,
            refused,
        } => {
            let mut out = format!("📖 Добавлено: {added}; в глоссарии записей: {total}.");
            match refused {
                None => {}
                Some(GlossaryLimit::Entries(n)) => out.push_str(&format!(
                    "\n⚠️ В глоссарии не больше {n} записей; остальные не добавлены."
                )),
                Some(GlossaryLimit::Chars(n)) => out.push_str(&format!(
                    "\n⚠️ В глоссарии не больше {n} символов; остальное не добавлено."
                )),
                Some(GlossaryLimit::EntryChars(n)) => out.push_str(&format!(
                    "\n⚠️ Запись — не длиннее {n} символов; сократите её."
                )),
            }
            out
        }
        Msg::GlossaryRemoved { removed, total } => {
            format!("📖 Удалено: {removed}; в глоссарии записей: {total}.")
        }
        Msg::GlossaryCleared => "📖 Глоссарий очищен.".into(),
        Msg::SubtitlesSet { on: true } => "🎬 Субтитры включены: к каждой расшифровке — файлы .srt и .vtt. /output text — выключить.".into(),
        Msg::SubtitlesSet { on: false } => "Субтитры выключены: расшифровки приходят только текстом.".into(),
        Msg::SubtitlesUsage => "Ответьте командой /subtitles на голосовое, аудио или видео, чтобы получить субтитры (.srt и .vtt).".into(),
        Msg::MediaHint => "Пришлите мне голосовое сообщение или аудио/видеофайл — я превращу речь в текст.".into(),
        Msg::SlowDown => "⏸ Слишком много сообщений за минуту — подождите немного, потом продолжим.".into(),
        Msg::TooManyJobs { active } => format!(
            "⏳ У вас уже {active} записи в работе. Пришлите эту снова, когда одна из них будет готова."
        ),
        Msg::Stage(stage) => stage_text(*stage),
        Msg::FileTooLarge { limit_mb } => format!(
            "⚠️ Файл слишком большой: Telegram позволяет ботам скачивать файлы до {limit_mb} МБ. Сожмите или обрежьте запись."
        ),
        Msg::CouldNotDecode => "⚠️ Не удалось прочитать файл: он повреждён или это не аудио/видео. Ничего не списано.".into(),
        Msg::TooLong { limit_seconds } => format!(
            "⏱ Запись длиннее {} — столько я не распознаю. Разделите её на части; ничего не списано.",
            m(i64::try_from(*limit_seconds).unwrap_or(i64::MAX))
        ),
        Msg::NoAudioTrack => "⚠️ В файле нет звуковой дорожки. Ничего не списано.".into(),
        Msg::NoSpeech => "🤷 Речь не распознана — похоже, в записи тишина или шум. Ничего не списано.".into(),
        Msg::ProviderUnavailable => "⚠️ Сервис распознавания сейчас недоступен. Попробуйте позже — ничего не списано.".into(),
        Msg::Insufficient {
            balance,
            needed,
            package,
        } => {
            let offer = package.map_or_else(String::new, |(id, minutes, stars)| {
                let id = escape_html(id);
                format!("\nХватит пакета «{id}»: {minutes} мин за {stars} ⭐ — /buy_{id}")
            });
            format!(
                "⚠️ Недостаточно минут: запись {}, на балансе {}. Не хватает {}.{offer}",
                m(*needed),
                m(*balance),
                m((needed - balance).max(1))
            )
        }
        Msg::BalanceEmpty => "⚠️ На балансе нет минут. /buy_minutes — пополнить.".into(),
        Msg::InternalError => "⚠️ Что-то пошло не так. Попробуйте ещё раз — ничего не списано.".into(),
        Msg::LowBalance { balance } => {
            format!("ℹ️ На балансе осталось {}. /buy_minutes — пополнить.", m(*balance))
        }
        Msg::TranscriptCaption { seconds } => format!("📝 Текст записи ({})", m(*seconds)),

        Msg::NoSuchUser { id } => format!("Нет пользователя с id <code>{id}</code>."),
        Msg::AlreadyApplied => "Уже выполнено.".into(),
        Msg::CreditReport {
            person: p,
            seconds,
            balance,
        } => format!(
            "{}: {}",
            person(p),
            render(&Msg::Credited {
                seconds: *seconds,
                balance: *balance
            })
        ),
        Msg::CreditRefused { balance } => {
            format!("Отказ: баланс ушёл бы в минус; сейчас {}.", m(*balance))
        }
        Msg::NoUsersMatch { query } => {
            format!("Никто не найден по запросу «{}».", escape_html(query))
        }
        Msg::UsersPage { first, last } => format!("👥 Пользователи {first}–{last}"),
        Msg::UserCard(card) => user_card(card),
        Msg::TrialReview { pending, granted } => {
            let mut out = format!("🙋 Запросы пробных минут: {}", pending.len());
            for p in pending.iter() {
                out.push_str(&format!("\n• {}", person(p)));
            }
            out.push_str(&format!("\n\n🎁 Недавно выданные: {}", granted.len()));
            for p in granted.iter() {
                out.push_str(&format!("\n• {}", person(p)));
            }
            out
        }
        Msg::TrialDecided { person: p, outcome } => {
            let outcome = match outcome {
                TrialOutcome::Approved => "одобрено",
                TrialOutcome::Denied => "отклонено",
                TrialOutcome::Revoked => "отозвано",
                TrialOutcome::AlreadyDecided => "уже решено",
            };
            format!("{}: {outcome}", person(p))
        }
        Msg::ExportCaption { table, rows } => format!("{} · строк: {rows}", escape_html(table)),
        Msg::Stat { title, stats } => stat(*title, stats),
        Msg::Metrics(summary) => metrics(summary),
        Msg::Status(summary) => status(summary),
        Msg::NoSuchPayment { charge_id } => format!(
            "Нет платежа с charge id <code>{}</code>.",
            escape_html(charge_id)
        ),
        Msg::AlreadyRefunded => "Уже возвращён.".into(),
        Msg::RefundRefused {
            balance,
            purchased,
            charge_id,
        } => format!(
            "Отказ: минуты уже потрачены — баланс {}, куплено {}. Вернуть всё равно: <code>/refund {} force</code>",
            m(*balance),
            m(*purchased),
            escape_html(charge_id)
        ),
        Msg::RefundFailed { reason } => {
            format!("Telegram отклонил возврат: {}", escape_html(reason))
        }
        Msg::Refunded { stars, taken } => {
            format!("↩️ Возвращено {stars} ⭐; списано минут: {}.", m(*taken))
        }

        Msg::TrialGranted { person: p, seconds } => format!(
            "👤 Новый пользователь {} получил пробный период: {}.",
            person(p),
            m(*seconds)
        ),
        Msg::TrialRequest { person: p } => {
            format!("🙋 Запрос пробных минут от {}.", person(p))
        }
        Msg::PaymentReceived {
            person: p,
            package,
            minutes,
            stars,
            charge_id,
        } => format!(
            "💰 {} купил пакет {} ({minutes} мин) за {stars} ⭐. Платёж <code>{}</code>",
            person(p),
            escape_html(package),
            escape_html(charge_id)
        ),
        Msg::PaymentUnmatched {
            person: p,
            stars,
            charge_id,
            payload,
        } => format!(
            "⚠️ Платёж <code>{}</code> на {stars} ⭐ от {} не подходит ни к одному пакету (payload {}); ничего не начислено — верните его командой /refund.",
            escape_html(charge_id),
            person(p),
            escape_html(payload)
        ),
        Msg::PaymentStuck { update_id, error } => format!(
            "⚠️ Платёж в Stars (update {update_id}) пока не зачислен: {}. Попытки продолжаются, пока он не пройдёт.",
            escape_html(error)
        ),
        Msg::FailureStreak { streak, last_kind } => format!(
            "🚨 Ошибок подряд: {streak}; последняя: {}.",
            escape_html(last_kind)
        ),
        Msg::JobGivenUp {
            cause,
            job_id,
            user_id,
            attempts,
        } => {
            let why = match cause {
                GiveUpCause::Provider => "Сервис распознавания раз за разом отказывает",
                GiveUpCause::Exhausted => {
                    "Задание раз за разом обрывает попытки воркера (сбой, остановка или panic)"
                }
            };
            format!(
                "🚨 {why}: задание {job_id} пользователя <code>{user_id}</code> снято после попыток: {attempts} — и отправлено в очередь недоставленных (резерв снят, пользователь уведомлён)."
            )
        }
        Msg::Backlog { depth, threshold } => {
            format!("🚨 В очереди ждут заданий: {depth} (порог {threshold}).")
        }
    }
}

fn user_card(card: &UserCard<'_>) -> String {
    let mut out = format!(
        "👤 {}\nБаланс: <b>{}</b> (в обработке {})\nПробный период: {}\nЗадания: {} готово, {} с ошибкой, {}\nОплачено: {} ⭐\nс нами с: {} · был: {}",
        person(&card.person),
        minutes(card.balance),
        minutes(card.held),
        escape_html(card.trial),
        card.jobs_done,
        card.jobs_failed,
        minutes(card.seconds_charged),
        card.stars_paid,
        date_time(card.joined_at),
        date_time(card.last_seen_at)
    );
    for p in card.payments {
        out.push_str(&format!(
            "\n• {} {} ⭐ {} ({}) <code>{}</code>",
            date_time(p.created_at),
            p.stars,
            escape_html(p.package),
            escape_html(p.state),
            escape_html(p.charge_id)
        ));
    }
    out
}

fn stat(title: StatTitle, s: &StatSummary<'_>) -> String {
    let title = match title {
        StatTitle::LastDays(days) => format!("За {days} дн."),
        StatTitle::DailyReport => "Отчёт за день".into(),
        StatTitle::WeeklyReport => "Отчёт за неделю".into(),
    };
    let mut out = format!(
        "📊 <b>{title}</b>\nПользователи: {} ({} новых, {} активных)\nЗадания: {} готово, {} с ошибкой\nСписано аудио: {}\nВыручка: {} ⭐ ({} платежей, {} возвратов)",
        s.users_total,
        s.users_new,
        s.users_active,
        s.jobs_done,
        s.jobs_failed,
        minutes(s.audio_seconds),
        s.revenue_stars,
        s.payments,
        s.refunds
    );
    if !s.failures.is_empty() {
        out.push_str(&format!("\nОшибки: {}", counts(s.failures)));
    }
    if !s.top_users.is_empty() {
        out.push_str("\nТоп пользователей:");
        for (id, name, seconds) in s.top_users {
            out.push_str(&format!(
                "\n• {} (<code>{id}</code>) — {}",
                escape_html(name),
                minutes(*seconds)
            ));
        }
    }
    out
}

fn metrics(s: &MetricsSummary<'_>) -> String {
    let secs = |ms| seconds_of_millis(ms, "с");
    let mut out = format!("📈 <b>За {} ч</b>\nЭтапы (p50 / p95):", s.hours);
    for t in s.stages {
        out.push_str(&format!(
            "\n• {}: {} / {}",
            escape_html(t.stage),
            secs(t.p50_ms),
            secs(t.p95_ms)
        ));
    }
    out.push_str(&format!(
        "\nУспешное распознавание: {}\nОформление: {} через запасную модель, {} без оформления\nДоля ошибок: {}\nОчередь заданий: {}; ожидание p50 / p95: {} / {}",
        percent(s.recognition),
        percent(s.by_fallback),
        percent(s.left_raw),
        percent(s.errors),
        depth(s.jobs_queue),
        secs(s.wait_p50_ms),
        secs(s.wait_p95_ms)
    ));
    out
}

fn status(s: &StatusSummary<'_>) -> String {
    let mut out = format!(
        "🩺 <b>Состояние</b>\nОчереди: updates {}, jobs {}, dead {}\nЗадания: {}\n",
        depth(s.updates_queue),
        depth(s.jobs_queue),
        depth(s.dead_letters),
        counts(s.jobs)
    );
    match s.oldest {
        Some(o) => out.push_str(&format!(
            "Самое старое незавершённое: {} ({})",
            minutes(o.age_seconds),
            date_time(o.created_at)
        )),
        None => out.push_str("Незавершённых заданий нет."),
    }
    out.push_str(&format!("\nВоркеры за 2 мин: {}", s.workers_seen));
    for w in s.workers {
        out.push_str(&format!(
            "\n• <code>{}</code> {} — {} с",
            escape_html(w.id),
            escape_html(w.role),
            w.seconds_ago
        ));
    }
    out
}

/// A short duration for an estimate: seconds under two minutes, else whole minutes.
fn eta(seconds: u64) -> String {
    if seconds < 120 {
        format!("{seconds} с")
    } else {
        format!("{} мин", seconds.div_ceil(60))
    }
}

fn stage_text(stage: Stage) -> String {
    match stage {
        Stage::Queued => "🎙 Получено, в очереди…".into(),
        Stage::Downloading => "⬇️ Скачиваю…".into(),
        Stage::Preparing => "🎛 Готовлю аудио…".into(),
        Stage::Recognising { parts: 1, .. } => "🧠 Распознаю речь…".into(),
        Stage::Recognising {
            part,
            parts,
            eta_seconds: None,
        } => format!("🧠 Распознаю речь: часть {part} из {parts}…"),
        Stage::Recognising {
            part,
            parts,
            eta_seconds: Some(seconds),
        } => format!(
            "🧠 Распознаю речь: часть {part} из {parts}, осталось около {}…",
            eta(seconds)
        ),
        Stage::Formatting => "✍️ Оформляю текст…".into(),
        Stage::Sending => "📤 Отправляю…".into(),
        Stage::Retrying { in_seconds } => {
            format!("⏳ Сервис распознавания перегружен, повторю через {in_seconds} с…")
        }
    }
}
