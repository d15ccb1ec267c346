//! English: every message, label and command description, worded.

use super::format::{counts, date_time, depth, percent, person, seconds_of_millis};
use super::message::{
    ASR_LANGUAGES, GiveUpCause, GlossaryLimit, Label, MetricsSummary, Msg, NextStep, Stage,
    StatSummary, StatTitle, StatusSummary, TrialOutcome, UserCard, language_name,
};
use crate::billing::Duration;
use crate::commands::{Audience, Command};
use crate::text::escape_html;

/// Seconds as minutes and seconds: `14 min 5 s`.
fn minutes(seconds: i64) -> String {
    Duration(seconds).render("min", "s")
}

pub(super) fn description(command: Command) -> &'static str {
    match command {
        Command::Start => "Start the bot",
        Command::Help => "How to use the bot",
        Command::Balance => "Balance and usage",
        Command::BuyMinutes => "Buy minutes",
        Command::BuyPackage => "Buy a package directly",
        Command::Settings => "Settings",
        Command::Language => "Recognition language",
        Command::Code => "Monospace output on or off",
        Command::Yo => "Keep or replace «ё»",
        Command::Output => "Long text: messages or a file; subtitles",
        Command::History => "Your last recordings",
        Command::Trial => "Ask for trial minutes",
        Command::Transcribe => "Transcribe the media you reply to",
        Command::Auto => "Transcribe every voice note here (group admins)",
        Command::Subtitles => "Subtitles (.srt, .vtt) for the media you reply to",
        Command::Glossary => "Words and names to spell exactly",
        Command::Privacy => "What is kept and for how long",
        Command::Retention => "How long transcripts are kept",
        Command::Forget => "Delete everything kept about you",
        Command::Admin => "Admin commands",
        Command::User => "Find users",
        Command::Credit => "Add minutes (negative: remove)",
        Command::Stat => "Statistics",
        Command::Metrics => "Stage timings, provider and error rates",
        Command::ReviewTrials => "Trial requests and grants",
        Command::Export => "CSV export",
        Command::Report => "Period summary",
        Command::Status => "Queues, jobs, workers",
        Command::Flush => "Sweep stuck jobs, release holds",
        Command::Refund => "Refund a Stars payment",
    }
}

pub(super) fn label(label: &Label<'_>) -> String {
    let on_off = |on: bool| if on { "on" } else { "off" };
    match label {
        Label::Package { minutes, stars } => format!("{minutes} min · {stars} ⭐"),
        Label::UserEntry { name, id } => format!("{name} · {id}"),
        Label::PreviousPage => "◀️".into(),
        Label::NextPage => "▶️".into(),
        Label::ApproveTrial => "✅ Approve".into(),
        Label::DenyTrial => "❌ Deny".into(),
        Label::RevokeTrial => "↩️ Revoke trial".into(),
        Label::ApproveTrialOf { name } => format!("✅ {name}"),
        Label::DenyTrialOf { name } => format!("❌ {name}"),
        Label::RevokeTrialOf { name } => format!("↩️ {name}"),
        Label::SettingSubtitles { on } => format!("🎬 Subtitles: {}", on_off(*on)),
        Label::OpenBot => "Open the bot".into(),
        Label::ForgetYes => "🗑 Delete everything".into(),
        Label::ForgetNo => "Cancel".into(),
        Label::Summary => "📝 Summary".into(),
        Label::ActionItems => "✅ Action items".into(),
        Label::Translate => "🌐 Translate".into(),
        Label::TranslateInto { language } => format!("🌐 {}", language_name(language)),
        Label::SettingLanguage { language } => {
            format!("🌐 Language: {}", language.unwrap_or("auto"))
        }
        Label::SettingMonospace { on } => format!("🔤 Monospace: {}", on_off(*on)),
        Label::SettingYo { keep } => {
            format!("ё: {}", if *keep { "keep" } else { "replace" })
        }
        Label::SettingLongText { mode } => format!("📄 Long text: {mode}"),
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
            let trial = new_trial.map_or_else(String::new, |s| format!("\n🎁 You got {} free.", m(s)));
            let next = match next {
                NextStep::SendMedia => {
                    "Send me a voice message or an audio/video file. /help for more."
                }
                NextStep::RequestTrial => {
                    "Ask for free trial minutes with /trial, or buy minutes: /buy_minutes."
                }
                NextStep::AwaitTrial => {
                    "Your trial request is being reviewed. You can also buy minutes: /buy_minutes."
                }
                NextStep::Buy => "Top up your balance: /buy_minutes.",
            };
            format!(
                "Hi, {name}! I turn voice messages, audio and video into clean text.{trial}\n\n\
                 Balance: <b>{}</b>.\n{next}",
                m(*balance)
            )
        }
        Msg::Help => {
            let mut out = "Send a voice message, audio, video or video note — I recognise the speech and send back text with punctuation and paragraphs.\n".to_owned();
            for command in
                Command::menu().filter(|c| !matches!(c, Command::Start | Command::Help))
            {
                out.push_str(&format!(
                    "\n{} — {}",
                    command.usage().split(' ').next().unwrap_or_default(),
                    description(command).to_lowercase()
                ));
            }
            out.push_str("\n\nYou pay per second of audio.");
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
                format!("\nIn progress: {}.", m(*held))
            } else {
                String::new()
            };
            format!(
                "Balance: <b>{}</b>.{held_line}\nLast 30 days: {} recordings, {}.\n/buy_minutes to top up.",
                m(*balance),
                recent.0,
                m(recent.1)
            )
        }
        Msg::History([]) => "No recordings yet.".into(),
        Msg::History(lines) => {
            let mut out = "Your last recordings:".to_owned();
            for l in lines.iter() {
                let state = match (l.state, l.error) {
                    ("done", _) if l.cached => "✅ from the cache, free".to_owned(),
                    ("done", _) => "✅ done".to_owned(),
                    ("failed", Some(e)) => format!("❌ failed ({})", escape_html(e)),
                    ("failed", None) => "❌ failed".to_owned(),
                    ("running" | "delivering", _) => "⏳ in progress".to_owned(),
                    _ => "🕓 queued".to_owned(),
                };
                let length = l.seconds.map_or_else(|| "—".into(), m);
                out.push_str(&format!(
                    "\n{} · {} · {length} · {state} · charged {}",
                    date_time(l.created_at),
                    escape_html(l.kind),
                    m(l.charged)
                ));
            }
            out
        }
        Msg::BuyMenu { packages } => {
            let mut out = "Choose a package (Telegram Stars):".to_owned();
            for (id, minutes, stars) in packages.iter() {
                out.push_str(&format!(
                    "\n/buy_{} — {minutes} min · {stars} ⭐",
                    escape_html(id)
                ));
            }
            out
        }
        Msg::BuyUnknown { given } => {
            format!("No such package «{}». /buy_minutes", escape_html(given))
        }
        Msg::InvoiceTitle { minutes } => format!("{minutes} minutes of transcription"),
        Msg::InvoiceDescription { minutes } => format!(
            "{minutes} minutes of voice, audio and video transcription. Minutes never expire."
        ),
        Msg::PaymentInvalid => {
            "This invoice is no longer valid. Please use /buy_minutes again.".into()
        }
        Msg::PaymentLimit { limit } => {
            format!("This package can be bought at most {limit} times.")
        }
        Msg::PaymentThanks { minutes, balance } => format!(
            "🎉 Thank you! {minutes} min added. Balance: <b>{}</b>.",
            m(*balance)
        ),
        Msg::PaymentRefunded { taken, balance } => format!(
            "↩️ Your payment was refunded; {} removed. Balance: <b>{}</b>.",
            m(*taken),
            m(*balance)
        ),
        Msg::TrialRequested => "🙋 Request sent. I'll let you know when it is approved.".into(),
        Msg::TrialPending => "Your request is already waiting for review.".into(),
        Msg::TrialUnavailable => {
            "Trial minutes are not available for your account. /buy_minutes".into()
        }
        Msg::TrialApproved { seconds } => {
            format!("🎁 Your trial was approved: {} added.", m(*seconds))
        }
        Msg::TrialDenied => {
            "Your trial request was declined. You can buy minutes: /buy_minutes".into()
        }
        Msg::TrialRevoked { taken } => format!("Your trial was revoked; {} removed.", m(*taken)),
        Msg::Credited { seconds, balance } => format!(
            "{} {}. Balance: <b>{}</b>.",
            if *seconds >= 0 { "Added" } else { "Removed" },
            m(seconds.abs()),
            m(*balance)
        ),
        Msg::Flushed => "⚠️ Your recording got stuck and was cancelled; nothing was charged. Please send it again.".into(),
        Msg::SweepReport {
            failed,
            released,
            republished,
            minutes,
        } => format!(
            "🧹 Flushed jobs: {failed} (older than {minutes} min), released {}; published again: {republished}.",
            m(*released)
        ),
        Msg::Settings {
            language,
            code,
            keep_yo,
            output,
            subtitles,
        } => format!(
            "Settings:\nRecognition language: <b>{}</b> (/language)\nMonospace output: <b>{}</b> (/code)\n\
             «ё»: <b>{}</b> (/yo)\nLong text: <b>{}</b> (/output)\nSubtitles: <b>{}</b> (/output srt)",
            language.map_or_else(|| "auto".to_owned(), escape_html),
            if *code { "on" } else { "off" },
            if *keep_yo { "keep" } else { "replace with «е»" },
            escape_html(output),
            if *subtitles { "on" } else { "off" }
        ),
        Msg::LanguageUsage { current } => format!(
            "Recognition language: <b>{}</b>.\nUsage: /language &lt;code&gt; or /language auto\nCodes: {}",
            current.map_or_else(|| "auto".to_owned(), escape_html),
            ASR_LANGUAGES.join(", ")
        ),
        Msg::LanguageSet { language: Some(l) } => {
            format!("Recognition language: <b>{}</b>.", escape_html(l))
        }
        Msg::LanguageSet { language: None } => {
            "Recognition language is detected automatically.".into()
        }
        Msg::LanguageInvalid { given } => format!(
            "Unknown language «{}». Codes: {}, or auto.",
            escape_html(given),
            ASR_LANGUAGES.join(", ")
        ),
        Msg::CodeSet { on: true } => "Text will come in monospace.".into(),
        Msg::CodeSet { on: false } => "Text will come as plain text.".into(),
        Msg::YoSet { keep: true } => "The letter «ё» is kept.".into(),
        Msg::YoSet { keep: false } => "The letter «ё» is replaced with «е».".into(),
        Msg::OutputSet { mode } => format!("Long text: <b>{}</b>.", escape_html(mode)),
        Msg::OutputUsage => "Usage: /output auto | split | file | srt | text\nauto — messages up to 8000 characters, a file beyond; split — always messages; file — always a .txt file; srt — subtitles (.srt and .vtt) with every transcript; text — no subtitles.".into(),
        Msg::Usage { usage } => format!("Usage: {}", escape_html(usage)),
        Msg::UnknownCommand => "I don't know that command. /help lists them.".into(),
        Msg::GroupTopUp => "💳 Your balance doesn't cover this recording. Top it up in a private chat with me.".into(),
        Msg::AutoPaused { over_cap: true } => "⏸ Automatic transcription is paused for today: the daily limit is used up. It resumes tomorrow.".into(),
        Msg::AutoPaused { over_cap: false } => "⏸ Automatic transcription is paused: the sponsor's minutes have run out.".into(),
        Msg::AutoState { sponsor: None } => "Automatic transcription is off. A group admin turns it on with /auto on [minutes per day].".into(),
        Msg::AutoState {
            sponsor: Some((name, daily, used)),
        } => format!(
            "Automatic transcription is on. {} pays, up to {daily} min a day; used today: {}.",
            escape_html(name),
            minutes(*used)
        ),
        Msg::AutoOn {
            daily_seconds,
            blind,
        } => {
            let mut out = format!(
                "✅ I'll transcribe every voice and video note in this group, up to {} a day, paid by whoever turned this on.",
                minutes(*daily_seconds)
            );
            if *blind {
                out.push_str("\n⚠️ Right now I can't see every message in this group: make me an admin, or turn privacy mode off in @BotFather (/setprivacy).");
            }
            out
        }
        Msg::AutoOff => "Automatic transcription is off.".into(),
        Msg::GroupAdminsOnly => "Only group admins can change this.".into(),
        Msg::TranscribeUsage => "Reply with /t to a voice message, audio or video to transcribe it.".into(),
        Msg::PrivateOnly => "That works in a private chat with me.".into(),
        Msg::Privacy { days, kept, group } => {
            let whose = if *group { "this group's" } else { "your" };
            let keep = match days {
                0 => "are not kept at all — gone as soon as they are sent".to_owned(),
                d => format!("are kept for {d} days, then deleted"),
            };
            format!(
                "🔒 I never keep audio: the file is deleted as soon as the job is done.\nTranscripts ({whose}) {keep}; kept now: {kept}. While a transcript is kept, the same file is answered at once and free, and its Summary, Action items and Translate buttons work.\n/retention off|1d|7d|30d sets how long. /forget deletes everything."
            )
        }
        Msg::RetentionSet { days: 0 } => "Transcripts are not kept any more; the kept ones are deleted.".into(),
        Msg::RetentionSet { days } => format!("Transcripts are kept for {days} days."),
        Msg::ForgetConfirm => "Delete all your transcripts, cached results, glossary and settings? Your balance and payments stay.".into(),
        Msg::ForgetDone { transcripts } => format!("🗑 Done: {transcripts} transcripts deleted, settings reset."),
        Msg::ForgetCancelled => "Nothing was deleted.".into(),
        Msg::ActionNotYours => "These buttons are for the person who asked for this transcript.".into(),
        Msg::TranscriptGone => "This transcript is no longer kept (retention or /forget), so there is nothing to work on.".into(),
        Msg::ActionWorking => "⏳ Working on it…".into(),
        Msg::ActionAnswered => "Already answered above.".into(),
        Msg::ActionUnavailable => "⚠️ This is not available right now. Nothing was charged — please try the button again later.".into(),
        Msg::ActionNeedsBalance {
            per_day,
            cost_seconds,
            balance,
        } => format!(
            "Today's {per_day} free actions are used up; each further one costs {} of balance, and you have {}. /buy_minutes",
            minutes(*cost_seconds),
            minutes(*balance)
        ),
        Msg::ActionCharged { seconds } => format!(
            "{} of balance used: today's free actions are used up.",
            minutes(*seconds)
        ),
        Msg::GlossaryList { entries: [], group } => format!(
            "{} glossary is empty. Add words and names to spell exactly: /glossary add Anna Lee, Kubernetes",
            if *group { "This group's" } else { "Your" }
        ),
        Msg::GlossaryList { entries, group } => format!(
            "📖 {} glossary ({} of 100):\n{}\n\n/glossary add … · /glossary remove … · /glossary clear",
            if *group { "This group's" } else { "Your" },
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
            let mut out = format!("📖 {added} added; the glossary has {total} entries.");
            match refused {
                None => {}
                Some(GlossaryLimit::Entries(n)) => out.push_str(&format!(
                    "\n⚠️ A glossary holds at most {n} entries; the rest were not added."
                )),
                Some(GlossaryLimit::Chars(n)) => out.push_str(&format!(
                    "\n⚠️ A glossary holds at most {n} characters; the rest were not added."
                )),
                Some(GlossaryLimit::EntryChars(n)) => out.push_str(&format!(
                    "\n⚠️ An entry is at most {n} characters; shorten it."
                )),
            }
            out
        }
        Msg::GlossaryRemoved { removed, total } => {
            format!("📖 {removed} removed; the glossary has {total} entries.")
        }
        Msg::GlossaryCleared => "📖 The glossary is cleared.".into(),
        Msg::SubtitlesSet { on: true } => "🎬 Subtitles on: every transcript also comes as .srt and .vtt files. /output text turns them off.".into(),
        Msg::SubtitlesSet { on: false } => "Subtitles off: transcripts come as text only.".into(),
        Msg::SubtitlesUsage => "Reply with /subtitles to a voice message, audio or video to get its subtitles (.srt and .vtt).".into(),
        Msg::MediaHint => "Send me a voice message or an audio/video file and I'll turn the speech into text.".into(),
        Msg::SlowDown => "⏸ That's a lot of messages in a minute — please wait a little, then carry on.".into(),
        Msg::TooManyJobs { active } => format!(
            "⏳ You already have {active} recordings in progress. Send this one again when one of them is done."
        ),
        Msg::Stage(stage) => stage_text(*stage),
        Msg::FileTooLarge { limit_mb } => format!(
            "⚠️ The file is too large: Telegram lets bots download files up to {limit_mb} MB. Please compress or trim it."
        ),
        Msg::CouldNotDecode => "⚠️ Could not decode the file: it is damaged or not audio/video. Nothing was charged.".into(),
        Msg::TooLong { limit_seconds } => format!(
            "⏱ The recording is longer than {} — more than I transcribe. Split it into parts; nothing was charged.",
            m(i64::try_from(*limit_seconds).unwrap_or(i64::MAX))
        ),
        Msg::NoAudioTrack => "⚠️ The file has no audio track. Nothing was charged.".into(),
        Msg::NoSpeech => "🤷 No speech recognised — the recording seems to be silence or noise. Nothing was charged.".into(),
        Msg::ProviderUnavailable => "⚠️ The recognition service is unavailable right now. Please try later — nothing was charged.".into(),
        Msg::Insufficient {
            balance,
            needed,
            package,
        } => {
            let offer = package.map_or_else(String::new, |(id, minutes, stars)| {
                let id = escape_html(id);
                format!("\nThe «{id}» package covers it: {minutes} min for {stars} ⭐ — /buy_{id}")
            });
            format!(
                "⚠️ Not enough minutes: the recording is {}, your balance is {}. You need {} more.{offer}",
                m(*needed),
                m(*balance),
                m((needed - balance).max(1))
            )
        }
        Msg::BalanceEmpty => "⚠️ Your balance is empty. /buy_minutes to top up.".into(),
        Msg::InternalError => "⚠️ Something went wrong. Please try again — nothing was charged.".into(),
        Msg::LowBalance { balance } => {
            format!("ℹ️ {} left on your balance. /buy_minutes to top up.", m(*balance))
        }
        Msg::TranscriptCaption { seconds } => format!("📝 Transcript ({})", m(*seconds)),

        Msg::NoSuchUser { id } => format!("No user with id <code>{id}</code>."),
        Msg::AlreadyApplied => "Already applied.".into(),
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
        Msg::CreditRefused { balance } => format!(
            "Refused: the balance would go below zero; it is {}.",
            m(*balance)
        ),
        Msg::NoUsersMatch { query } => format!("No users match «{}».", escape_html(query)),
        Msg::UsersPage { first, last } => format!("👥 Users {first}–{last}"),
        Msg::UserCard(card) => user_card(card),
        Msg::TrialReview { pending, granted } => {
            let mut out = format!("🙋 Pending trial requests: {}", pending.len());
            for p in pending.iter() {
                out.push_str(&format!("\n• {}", person(p)));
            }
            out.push_str(&format!("\n\n🎁 Recent grants: {}", granted.len()));
            for p in granted.iter() {
                out.push_str(&format!("\n• {}", person(p)));
            }
            out
        }
        Msg::TrialDecided { person: p, outcome } => {
            let outcome = match outcome {
                TrialOutcome::Approved => "approved",
                TrialOutcome::Denied => "denied",
                TrialOutcome::Revoked => "revoked",
                TrialOutcome::AlreadyDecided => "already decided",
            };
            format!("{}: {outcome}", person(p))
        }
        Msg::ExportCaption { table, rows } => format!("{} · {rows} rows", escape_html(table)),
        Msg::Stat { title, stats } => stat(*title, stats),
        Msg::Metrics(summary) => metrics(summary),
        Msg::Status(summary) => status(summary),
        Msg::NoSuchPayment { charge_id } => format!(
            "No payment with charge id <code>{}</code>.",
            escape_html(charge_id)
        ),
        Msg::AlreadyRefunded => "Already refunded.".into(),
        Msg::RefundRefused {
            balance,
            purchased,
            charge_id,
        } => format!(
            "Refused: the user has spent the minutes — balance {}, the purchase was {}. To refund anyway: <code>/refund {} force</code>",
            m(*balance),
            m(*purchased),
            escape_html(charge_id)
        ),
        Msg::RefundFailed { reason } => {
            format!("Telegram refused the refund: {}", escape_html(reason))
        }
        Msg::Refunded { stars, taken } => {
            format!("↩️ Refunded {stars} ⭐; minutes removed: {}.", m(*taken))
        }

        Msg::TrialGranted { person: p, seconds } => format!(
            "👤 New user {} got the {}-minute trial.",
            person(p),
            seconds / 60
        ),
        Msg::TrialRequest { person: p } => format!("🙋 Trial request from {}.", person(p)),
        Msg::PaymentReceived {
            person: p,
            package,
            minutes,
            stars,
            charge_id,
        } => format!(
            "💰 {} bought {} ({minutes} min) for {stars} ⭐. Charge <code>{}</code>",
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
            "⚠️ Payment <code>{}</code> of {stars} ⭐ by {} matches no package (payload {}); nothing was credited — refund it with /refund.",
            escape_html(charge_id),
            person(p),
            escape_html(payload)
        ),
        Msg::PaymentStuck { update_id, error } => format!(
            "⚠️ A Stars payment (update {update_id}) could not be credited yet: {}. It is retried until it is.",
            escape_html(error)
        ),
        Msg::FailureStreak { streak, last_kind } => format!(
            "🚨 {streak} jobs failed in a row; the last one: {}.",
            escape_html(last_kind)
        ),
        Msg::JobGivenUp {
            cause,
            job_id,
            user_id,
            attempts,
        } => {
            let why = match cause {
                GiveUpCause::Provider => "The speech recogniser keeps failing",
                GiveUpCause::Exhausted => {
                    "A job keeps ending its worker's attempts (crash, kill or panic)"
                }
            };
            format!(
                "🚨 {why}: job {job_id} of user <code>{user_id}</code> was given up after {attempts} attempts and moved to the dead-letter queue (hold released, user told)."
            )
        }
        Msg::Backlog { depth, threshold } => {
            format!("🚨 {depth} jobs are waiting in the queue (threshold {threshold}).")
        }
    }
}

fn user_card(card: &UserCard<'_>) -> String {
    let mut out = format!(
        "👤 {}\nBalance: <b>{}</b> (held {})\nTrial: {}\nJobs: {} done, {} failed, {}\nPaid: {} ⭐\njoined: {} · last seen: {}",
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
        StatTitle::LastDays(days) => format!("Last {days} days"),
        StatTitle::DailyReport => "Daily report".into(),
        StatTitle::WeeklyReport => "Weekly report".into(),
    };
    let mut out = format!(
        "📊 <b>{title}</b>\nUsers: {} ({} new, {} active)\nJobs: {} done, {} failed\nAudio charged: {}\nRevenue: {} ⭐ ({} payments, {} refunds)",
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
        out.push_str(&format!("\nFailures: {}", counts(s.failures)));
    }
    if !s.top_users.is_empty() {
        out.push_str("\nTop users:");
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
    let secs = |ms| seconds_of_millis(ms, "s");
    let mut out = format!("📈 <b>Last {} h</b>\nStages (p50 / p95):", s.hours);
    for t in s.stages {
        out.push_str(&format!(
            "\n• {}: {} / {}",
            escape_html(t.stage),
            secs(t.p50_ms),
            secs(t.p95_ms)
        ));
    }
    out.push_str(&format!(
        "\nRecognition success: {}\nFormatting: {} by the fallback, {} left raw\nError rate: {}\nJobs queue: {}; wait p50 / p95: {} / {}",
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
        "🩺 <b>Status</b>\nQueues: updates {}, jobs {}, dead {}\nJobs: {}\n",
        depth(s.updates_queue),
        depth(s.jobs_queue),
        depth(s.dead_letters),
        counts(s.jobs)
    );
    match s.oldest {
        Some(o) => out.push_str(&format!(
            "Oldest unfinished job: {} ({})",
            minutes(o.age_seconds),
            date_time(o.created_at)
        )),
        None => out.push_str("No unfinished jobs."),
    }
    out.push_str(&format!("\nWorkers seen (2 min): {}", s.workers_seen));
    for w in s.workers {
        out.push_str(&format!(
            "\n• <code>{}</code> {} — {} s",
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
        format!("{seconds} s")
    } else {
        format!("{} min", seconds.div_ceil(60))
    }
}

fn stage_text(stage: Stage) -> String {
    match stage {
        Stage::Queued => "🎙 Received, queued…".into(),
        Stage::Downloading => "⬇️ Downloading…".into(),
        Stage::Preparing => "🎛 Preparing audio…".into(),
        Stage::Recognising { parts: 1, .. } => "🧠 Recognising speech…".into(),
        Stage::Recognising {
            part,
            parts,
            eta_seconds: None,
        } => format!("🧠 Recognising speech: part {part} of {parts}…"),
        Stage::Recognising {
            part,
            parts,
            eta_seconds: Some(seconds),
        } => format!(
            "🧠 Recognising speech: part {part} of {parts}, about {} left…",
            eta(seconds)
        ),
        Stage::Formatting => "✍️ Formatting the text…".into(),
        Stage::Sending => "📤 Sending…".into(),
        Stage::Retrying { in_seconds } => {
            format!("⏳ The recognition service is busy, retrying in {in_seconds} s…")
        }
    }
}
