//! Every message and label rendered in both languages: worded, balanced HTML, people's values
//! escaped (messages) or kept as typed (labels); plus dates and language picking.

use super::*;

/// What a hostile user might type as a name, a search or a package.
const EVIL: &str = "<script>alert(1)</script> & <b>";
const EVIL_ESCAPED: &str = "&lt;script&gt;alert(1)&lt;/script&gt; &amp; &lt;b&gt;";

/// How many `Msg` variants there are. A new variant does not compile in [`index`] until it gets
/// the next index; raise this with it, and add a sample, or `every_variant_has_a_sample` fails.
const VARIANTS: usize = 99;

fn index(msg: &Msg<'_>) -> usize {
    match msg {
        Msg::Start { .. } => 0,
        Msg::Help => 1,
        Msg::AdminHelp => 2,
        Msg::Balance { .. } => 3,
        Msg::History(_) => 4,
        Msg::BuyMenu { .. } => 5,
        Msg::BuyUnknown { .. } => 6,
        Msg::InvoiceTitle { .. } => 7,
        Msg::InvoiceDescription { .. } => 8,
        Msg::PaymentInvalid => 9,
        Msg::PaymentLimit { .. } => 10,
        Msg::PaymentThanks { .. } => 11,
        Msg::PaymentRefunded { .. } => 12,
        Msg::TrialRequested => 13,
        Msg::TrialPending => 14,
        Msg::TrialUnavailable => 15,
        Msg::TrialApproved { .. } => 16,
        Msg::TrialDenied => 17,
        Msg::TrialRevoked { .. } => 18,
        Msg::Credited { .. } => 19,
        Msg::Flushed => 20,
        Msg::SweepReport { .. } => 21,
        Msg::Settings { .. } => 22,
        Msg::LanguageUsage { .. } => 23,
        Msg::LanguageSet { .. } => 24,
        Msg::LanguageInvalid { .. } => 25,
        Msg::CodeSet { .. } => 26,
        Msg::YoSet { .. } => 27,
        Msg::OutputSet { .. } => 28,
        Msg::OutputUsage => 29,
        Msg::Usage { .. } => 30,
        Msg::UnknownCommand => 31,
        Msg::MediaHint => 32,
        Msg::SlowDown => 33,
        Msg::TooManyJobs { .. } => 34,
        Msg::Stage(_) => 35,
        Msg::FileTooLarge { .. } => 36,
        Msg::CouldNotDecode => 37,
        Msg::TooLong { .. } => 38,
        Msg::NoAudioTrack => 39,
        Msg::NoSpeech => 40,
        Msg::ProviderUnavailable => 41,
        Msg::Insufficient { .. } => 42,
        Msg::BalanceEmpty => 43,
        Msg::InternalError => 44,
        Msg::LowBalance { .. } => 45,
        Msg::TranscriptCaption { .. } => 46,
        Msg::NoSuchUser { .. } => 47,
        Msg::AlreadyApplied => 48,
        Msg::CreditReport { .. } => 49,
        Msg::CreditRefused { .. } => 50,
        Msg::NoUsersMatch { .. } => 51,
        Msg::UsersPage { .. } => 52,
        Msg::UserCard(_) => 53,
        Msg::TrialReview { .. } => 54,
        Msg::TrialDecided { .. } => 55,
        Msg::ExportCaption { .. } => 56,
        Msg::Stat { .. } => 57,
        Msg::Metrics(_) => 58,
        Msg::Status(_) => 59,
        Msg::NoSuchPayment { .. } => 60,
        Msg::AlreadyRefunded => 61,
        Msg::RefundRefused { .. } => 62,
        Msg::RefundFailed { .. } => 63,
        Msg::Refunded { .. } => 64,
        Msg::TrialGranted { .. } => 65,
        Msg::TrialRequest { .. } => 66,
        Msg::PaymentReceived { .. } => 67,
        Msg::PaymentUnmatched { .. } => 68,
        Msg::PaymentStuck { .. } => 69,
        Msg::FailureStreak { .. } => 70,
        Msg::JobGivenUp { .. } => 71,
        Msg::Backlog { .. } => 72,
        Msg::GroupTopUp => 73,
        Msg::AutoPaused { .. } => 74,
        Msg::AutoState { .. } => 75,
        Msg::AutoOn { .. } => 76,
        Msg::AutoOff => 77,
        Msg::GroupAdminsOnly => 78,
        Msg::TranscribeUsage => 79,
        Msg::PrivateOnly => 80,
        Msg::Privacy { .. } => 81,
        Msg::RetentionSet { .. } => 82,
        Msg::ForgetConfirm => 83,
        Msg::ForgetDone { .. } => 84,
        Msg::ForgetCancelled => 85,
        Msg::ActionNotYours => 86,
        Msg::TranscriptGone => 87,
        Msg::ActionWorking => 88,
        Msg::ActionAnswered => 89,
        Msg::ActionUnavailable => 90,
        Msg::ActionNeedsBalance { .. } => 91,
        Msg::ActionCharged { .. } => 92,
        Msg::GlossaryList { .. } => 93,
        Msg::GlossaryAdded { .. } => 94,
        Msg::GlossaryRemoved { .. } => 95,
        Msg::GlossaryCleared => 96,
        Msg::SubtitlesSet { .. } => 97,
        Msg::SubtitlesUsage => 98,
    }
}

/// Owned values the samples borrow.
struct Data {
    counts: Vec<(String, i64)>,
    top_users: Vec<(i64, String, i64)>,
    glossary: Vec<String>,
}

impl Data {
    fn new() -> Data {
        Data {
            counts: vec![(EVIL.into(), 3), ("provider".into(), 1)],
            top_users: vec![(7, EVIL.into(), 125)],
            glossary: vec![EVIL.into(), "Kubernetes".into()],
        }
    }
}

const PERSON: Person<'static> = Person {
    id: 42,
    first_name: EVIL,
    username: Some(EVIL),
};
const HISTORY: &[HistoryLine<'static>] = &[
    HistoryLine {
        created_at: 1_795_480_200,
        kind: EVIL,
        state: "failed",
        error: Some(EVIL),
        seconds: Some(61),
        charged: 0,
        cached: false,
    },
    HistoryLine {
        created_at: 0,
        kind: "voice",
        state: "done",
        error: None,
        seconds: None,
        charged: 61,
        cached: false,
    },
    HistoryLine {
        created_at: 0,
        kind: "voice",
        state: "done",
        error: None,
        seconds: Some(0),
        charged: 0,
        cached: true,
    },
    HistoryLine {
        created_at: 0,
        kind: "audio",
        state: "queued",
        error: None,
        seconds: None,
        charged: 0,
        cached: false,
    },
];
const STAGES: &[Stage] = &[
    Stage::Queued,
    Stage::Downloading,
    Stage::Preparing,
    Stage::Recognising {
        part: 1,
        parts: 1,
        eta_seconds: None,
    },
    Stage::Recognising {
        part: 2,
        parts: 5,
        eta_seconds: None,
    },
    Stage::Recognising {
        part: 2,
        parts: 5,
        eta_seconds: Some(30),
    },
    Stage::Recognising {
        part: 2,
        parts: 5,
        eta_seconds: Some(600),
    },
    Stage::Formatting,
    Stage::Sending,
    Stage::Retrying { in_seconds: 20 },
];
const TIMINGS: &[StageTiming<'static>] = &[
    StageTiming {
        stage: "asr",
        p50_ms: Some(1500),
        p95_ms: None,
    },
    StageTiming {
        stage: EVIL,
        p50_ms: None,
        p95_ms: Some(12),
    },
];
const WORKERS: &[WorkerLine<'static>] = &[WorkerLine {
    id: EVIL,
    role: EVIL,
    seconds_ago: 4,
}];
const PAYMENTS: &[PaymentLine<'static>] = &[PaymentLine {
    created_at: 0,
    stars: 35,
    package: EVIL,
    state: "paid",
    charge_id: EVIL,
}];
const PEOPLE: &[Person<'static>] = &[
    PERSON,
    Person {
        id: 43,
        first_name: "Ann",
        username: None,
    },
];
const PACKAGES: &[(&str, i64, i64)] = &[("start", 50, 35), (EVIL, 10, 5)];

/// At least one of every message, with people's values hostile wherever a person chose them.
fn samples(d: &Data) -> Vec<Msg<'_>> {
    let stats = StatSummary {
        users_total: 4,
        users_new: 1,
        users_active: 2,
        jobs_done: 3,
        jobs_failed: 1,
        audio_seconds: 465,
        revenue_stars: 35,
        payments: 1,
        refunds: 0,
        failures: &d.counts,
        top_users: &d.top_users,
    };
    let mut all = vec![
        Msg::Help,
        Msg::AdminHelp,
        Msg::Balance {
            balance: 845,
            held: 60,
            recent: (2, 125),
        },
        Msg::Balance {
            balance: 0,
            held: 0,
            recent: (0, 0),
        },
        Msg::History(&[]),
        Msg::History(HISTORY),
        Msg::BuyMenu { packages: PACKAGES },
        Msg::BuyUnknown { given: EVIL },
        Msg::InvoiceTitle { minutes: 50 },
        Msg::InvoiceDescription { minutes: 50 },
        Msg::PaymentInvalid,
        Msg::PaymentLimit { limit: 3 },
        Msg::PaymentThanks {
            minutes: 50,
            balance: 3000,
        },
        Msg::PaymentRefunded {
            taken: 3000,
            balance: 0,
        },
        Msg::TrialRequested,
        Msg::TrialPending,
        Msg::TrialUnavailable,
        Msg::TrialApproved { seconds: 900 },
        Msg::TrialDenied,
        Msg::TrialRevoked { taken: 900 },
        Msg::Credited {
            seconds: 600,
            balance: 660,
        },
        Msg::Credited {
            seconds: -600,
            balance: 60,
        },
        Msg::Flushed,
        Msg::SweepReport {
            failed: 2,
            released: 90,
            republished: 1,
            minutes: 60,
        },
        Msg::Settings {
            language: Some(EVIL),
            code: true,
            keep_yo: false,
            output: EVIL,
            subtitles: true,
        },
        Msg::Settings {
            language: None,
            code: false,
            keep_yo: true,
            output: "auto",
            subtitles: false,
        },
        Msg::GroupTopUp,
        Msg::AutoPaused { over_cap: true },
        Msg::AutoPaused { over_cap: false },
        Msg::AutoState { sponsor: None },
        Msg::AutoState {
            sponsor: Some((EVIL, 30, 125)),
        },
        Msg::AutoOn {
            daily_seconds: 1800,
            blind: true,
        },
        Msg::AutoOn {
            daily_seconds: 600,
            blind: false,
        },
        Msg::AutoOff,
        Msg::GroupAdminsOnly,
        Msg::TranscribeUsage,
        Msg::PrivateOnly,
        Msg::Privacy {
            days: 7,
            kept: 3,
            group: false,
        },
        Msg::Privacy {
            days: 0,
            kept: 0,
            group: true,
        },
        Msg::RetentionSet { days: 0 },
        Msg::RetentionSet { days: 30 },
        Msg::ForgetConfirm,
        Msg::ForgetDone { transcripts: 4 },
        Msg::ForgetCancelled,
        Msg::ActionNotYours,
        Msg::TranscriptGone,
        Msg::ActionWorking,
        Msg::ActionAnswered,
        Msg::ActionUnavailable,
        Msg::ActionNeedsBalance {
            per_day: 30,
            cost_seconds: 30,
            balance: 12,
        },
        Msg::ActionCharged { seconds: 30 },
        Msg::GlossaryList {
            entries: &[],
            group: false,
        },
        Msg::GlossaryList {
            entries: &d.glossary,
            group: true,
        },
        Msg::GlossaryAdded {
            added: 2,
            total: 5,
            refused: None,
        },
        Msg::GlossaryAdded {
            added: 0,
            total: 100,
            refused: Some(GlossaryLimit::Entries(100)),
        },
        Msg::GlossaryAdded {
            added: 1,
            total: 20,
            refused: Some(GlossaryLimit::Chars(2000)),
        },
        Msg::GlossaryAdded {
            added: 0,
            total: 1,
            refused: Some(GlossaryLimit::EntryChars(100)),
        },
        Msg::GlossaryRemoved {
            removed: 1,
            total: 4,
        },
        Msg::GlossaryCleared,
        Msg::SubtitlesSet { on: true },
        Msg::SubtitlesSet { on: false },
        Msg::SubtitlesUsage,
        Msg::LanguageUsage {
            current: Some(EVIL),
        },
        Msg::LanguageUsage { current: None },
        Msg::LanguageSet {
            language: Some(EVIL),
        },
        Msg::LanguageSet { language: None },
        Msg::LanguageInvalid { given: EVIL },
        Msg::CodeSet { on: true },
        Msg::CodeSet { on: false },
        Msg::YoSet { keep: true },
        Msg::YoSet { keep: false },
        Msg::OutputSet { mode: EVIL },
        Msg::OutputUsage,
        Msg::Usage { usage: EVIL },
        Msg::UnknownCommand,
        Msg::MediaHint,
        Msg::SlowDown,
        Msg::TooManyJobs { active: 3 },
        Msg::FileTooLarge { limit_mb: 20 },
        Msg::CouldNotDecode,
        Msg::TooLong {
            limit_seconds: 14_400,
        },
        Msg::NoAudioTrack,
        Msg::NoSpeech,
        Msg::ProviderUnavailable,
        Msg::Insufficient {
            balance: 60,
            needed: 200,
            package: Some((EVIL, 10, 5)),
        },
        Msg::Insufficient {
            balance: 60,
            needed: 200,
            package: None,
        },
        Msg::BalanceEmpty,
        Msg::InternalError,
        Msg::LowBalance { balance: 30 },
        Msg::TranscriptCaption { seconds: 75 },
        Msg::NoSuchUser { id: 5 },
        Msg::AlreadyApplied,
        Msg::CreditReport {
            person: PERSON,
            seconds: -60,
            balance: 0,
        },
        Msg::CreditRefused { balance: 30 },
        Msg::NoUsersMatch { query: EVIL },
        Msg::UsersPage { first: 6, last: 7 },
        Msg::UserCard(UserCard {
            person: PERSON,
            balance: 845,
            held: 60,
            trial: EVIL,
            jobs_done: 3,
            jobs_failed: 1,
            seconds_charged: 125,
            stars_paid: 35,
            joined_at: 0,
            last_seen_at: 1_795_480_200,
            payments: PAYMENTS,
        }),
        Msg::TrialReview {
            pending: PEOPLE,
            granted: &[],
        },
        Msg::ExportCaption {
            table: EVIL,
            rows: 12,
        },
        Msg::Stat {
            title: StatTitle::LastDays(7),
            stats,
        },
        Msg::Stat {
            title: StatTitle::DailyReport,
            stats: StatSummary {
                failures: &[],
                top_users: &[],
                ..stats
            },
        },
        Msg::Stat {
            title: StatTitle::WeeklyReport,
            stats,
        },
        Msg::Metrics(MetricsSummary {
            hours: 24,
            stages: TIMINGS,
            recognition: Ratio { part: 9, of: 10 },
            by_fallback: Ratio { part: 0, of: 0 },
            left_raw: Ratio { part: 1, of: 3 },
            errors: Ratio { part: 1, of: 10 },
            jobs_queue: None,
            wait_p50_ms: Some(2000),
            wait_p95_ms: None,
        }),
        Msg::Status(StatusSummary {
            updates_queue: Some(0),
            jobs_queue: None,
            dead_letters: Some(2),
            jobs: &d.counts,
            oldest: Some(OldestJob {
                age_seconds: 125,
                created_at: 0,
            }),
            workers_seen: 12,
            workers: WORKERS,
        }),
        Msg::Status(StatusSummary {
            updates_queue: None,
            jobs_queue: Some(1),
            dead_letters: None,
            jobs: &[],
            oldest: None,
            workers_seen: 0,
            workers: &[],
        }),
        Msg::NoSuchPayment { charge_id: EVIL },
        Msg::AlreadyRefunded,
        Msg::RefundRefused {
            balance: 30,
            purchased: 3000,
            charge_id: EVIL,
        },
        Msg::RefundFailed { reason: EVIL },
        Msg::Refunded {
            stars: 35,
            taken: 3000,
        },
        Msg::TrialGranted {
            person: PERSON,
            seconds: 900,
        },
        Msg::TrialRequest { person: PERSON },
        Msg::PaymentReceived {
            person: PERSON,
            package: EVIL,
            minutes: 50,
            stars: 35,
            charge_id: EVIL,
        },
        Msg::PaymentUnmatched {
            person: PERSON,
            stars: 35,
            charge_id: EVIL,
            payload: EVIL,
        },
        Msg::PaymentStuck {
            update_id: 9,
            error: EVIL,
        },
        Msg::FailureStreak {
            streak: 3,
            last_kind: EVIL,
        },
        Msg::Backlog {
            depth: 40,
            threshold: 20,
        },
    ];
    for next in [
        NextStep::SendMedia,
        NextStep::RequestTrial,
        NextStep::AwaitTrial,
        NextStep::Buy,
    ] {
        all.push(Msg::Start {
            name: EVIL,
            balance: 845,
            new_trial: Some(900),
            next,
        });
    }
    for outcome in [
        TrialOutcome::Approved,
        TrialOutcome::Denied,
        TrialOutcome::Revoked,
        TrialOutcome::AlreadyDecided,
    ] {
        all.push(Msg::TrialDecided {
            person: PEOPLE[1],
            outcome,
        });
    }
    for cause in [GiveUpCause::Provider, GiveUpCause::Exhausted] {
        all.push(Msg::JobGivenUp {
            cause,
            job_id: 11,
            user_id: 42,
            attempts: 4,
        });
    }
    all.extend(STAGES.iter().map(|s| Msg::Stage(*s)));
    all
}

fn labels() -> Vec<Label<'static>> {
    vec![
        Label::Package {
            minutes: 50,
            stars: 35,
        },
        Label::UserEntry { name: EVIL, id: 42 },
        Label::PreviousPage,
        Label::NextPage,
        Label::ApproveTrial,
        Label::DenyTrial,
        Label::RevokeTrial,
        Label::ApproveTrialOf { name: EVIL },
        Label::DenyTrialOf { name: EVIL },
        Label::RevokeTrialOf { name: EVIL },
        Label::SettingLanguage {
            language: Some("ru"),
        },
        Label::SettingLanguage { language: None },
        Label::SettingMonospace { on: true },
        Label::SettingMonospace { on: false },
        Label::SettingYo { keep: true },
        Label::SettingYo { keep: false },
        Label::SettingLongText { mode: "split" },
        Label::SettingSubtitles { on: true },
        Label::SettingSubtitles { on: false },
        Label::OpenBot,
        Label::ForgetYes,
        Label::ForgetNo,
        Label::Summary,
        Label::ActionItems,
        Label::Translate,
        Label::TranslateInto { language: "de" },
        Label::TranslateInto { language: "xx" },
    ]
}

/// Checks that every `<` opens or closes a tag the bot uses, and that tags nest and close.
fn balanced(html: &str) -> Result<(), String> {
    let mut open: Vec<&str> = Vec::new();
    let mut rest = html;
    while let Some(at) = rest.find('<') {
        let after = &rest[at + 1..];
        let end = after
            .find('>')
            .ok_or_else(|| format!("unclosed `<` at …{}", &rest[at..]))?;
        let tag = &after[..end];
        match tag.strip_prefix('/') {
            Some(name) => match open.pop() {
                Some(top) if top == name => {}
                other => return Err(format!("`</{name}>` closes {other:?}")),
            },
            None => {
                let name = tag.split(' ').next().unwrap_or_default();
                let allowed = (matches!(name, "b" | "i" | "code" | "pre") && tag == name)
                    || (name == "a" && tag.starts_with("a href=\""));
                if !allowed {
                    return Err(format!("`<{tag}>` is not a tag the bot sends"));
                }
                open.push(name);
            }
        }
        rest = &after[end + 1..];
    }
    match open.as_slice() {
        [] => Ok(()),
        left => Err(format!("left open: {left:?}")),
    }
}

#[test]
fn every_variant_has_a_sample() {
    let data = Data::new();
    let mut seen = [false; VARIANTS];
    for msg in samples(&data) {
        seen[index(&msg)] = true;
    }
    let missing: Vec<usize> = (0..VARIANTS).filter(|i| !seen[*i]).collect();
    assert!(missing.is_empty(), "variants without a sample: {missing:?}");
}

#[test]
fn every_message_is_worded_balanced_and_escaped_in_both_languages() {
    let data = Data::new();
    for msg in samples(&data) {
        let en = msg.render(Lang::En);
        let ru = msg.render(Lang::Ru);
        for (lang, text) in [("en", &en), ("ru", &ru)] {
            assert!(!text.trim().is_empty(), "{lang} {msg:?} is empty");
            if let Err(e) = balanced(text) {
                panic!("{lang} {msg:?}: {e}\n{text}");
            }
            assert!(!text.contains("<script>"), "{lang}: {text}");
        }
        assert_ne!(en, ru, "{msg:?} is not translated");
    }
}

#[test]
fn values_people_chose_come_out_escaped() {
    let data = Data::new();
    let hostile = samples(&data)
        .into_iter()
        .filter(|m| format!("{m:?}").contains("<script>"));
    let mut checked = 0;
    for msg in hostile {
        for lang in [Lang::En, Lang::Ru] {
            let text = msg.render(lang);
            assert!(text.contains(EVIL_ESCAPED), "{lang:?} {msg:?}: {text}");
        }
        checked += 1;
    }
    assert!(
        checked >= 25,
        "only {checked} messages carry a hostile value"
    );
}

#[test]
fn every_label_is_worded_plain_text_in_both_languages() {
    for label in labels() {
        for lang in [Lang::En, Lang::Ru] {
            let text = label.render(lang);
            assert!(!text.trim().is_empty(), "{lang:?} {label:?}");
            assert!(!text.contains("&lt;"), "labels are not HTML: {text}");
        }
    }
    let entry = Label::UserEntry { name: EVIL, id: 42 };
    assert_eq!(entry.render(Lang::En), format!("{EVIL} · 42"));
    assert_eq!(Label::ApproveTrial.render(Lang::Ru), "✅ Одобрить");
}

#[test]
fn the_checker_refuses_what_telegram_would() {
    assert!(balanced("<b>ok</b> <a href=\"https://x\">x</a> &lt;").is_ok());
    assert!(balanced("<b>open").is_err());
    assert!(balanced("<b><i>x</b></i>").is_err());
    assert!(balanced("<script>x</script>").is_err());
    assert!(balanced("a < b").is_err());
}

#[test]
fn command_descriptions_exist_in_both_languages() {
    for command in Command::ALL.iter().copied() {
        let en = command_description(command, Lang::En);
        let ru = command_description(command, Lang::Ru);
        assert!(!en.is_empty() && !ru.is_empty() && en != ru, "{command:?}");
    }
}

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

#[test]
fn admin_reports_keep_their_wording() {
    let data = Data::new();
    let stat = Msg::Stat {
        title: StatTitle::LastDays(7),
        stats: StatSummary {
            users_total: 4,
            users_new: 4,
            users_active: 4,
            jobs_done: 3,
            jobs_failed: 0,
            audio_seconds: 465,
            revenue_stars: 35,
            payments: 1,
            refunds: 0,
            failures: &[],
            top_users: &[(6403, "U3".into(), 300)],
        },
    }
    .render(Lang::En);
    assert_eq!(
        stat,
        "📊 <b>Last 7 days</b>\nUsers: 4 (4 new, 4 active)\nJobs: 3 done, 0 failed\n\
         Audio charged: 7 min 45 s\nRevenue: 35 ⭐ (1 payments, 0 refunds)\nTop users:\n\
         • U3 (<code>6403</code>) — 5 min"
    );
    let status = Msg::Status(StatusSummary {
        updates_queue: Some(0),
        jobs_queue: None,
        dead_letters: Some(1),
        jobs: &data.counts[1..],
        oldest: None,
        workers_seen: 1,
        workers: &[WorkerLine {
            id: "w-1",
            role: "jobs",
            seconds_ago: 3,
        }],
    })
    .render(Lang::En);
    assert_eq!(
        status,
        "🩺 <b>Status</b>\nQueues: updates 0, jobs ?, dead 1\nJobs: provider 1\nNo unfinished jobs.\n\
         Workers seen (2 min): 1\n• <code>w-1</code> jobs — 3 s"
    );
    let who = Msg::TrialDecided {
        person: Person {
            id: 6303,
            first_name: "Zed",
            username: Some("zed3"),
        },
        outcome: TrialOutcome::Approved,
    }
    .render(Lang::En);
    assert_eq!(who, "Zed (@zed3, id <code>6303</code>): approved");
}
