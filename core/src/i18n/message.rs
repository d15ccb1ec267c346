//! The vocabulary: every message ([`Msg`]) and button label ([`Label`]) the bot can say, with
//! the plain values they carry. Nothing here is worded; `en` and `ru` word each of them.

/// Languages a user may pin recognition to (qwen3-asr-flash's list).
pub const ASR_LANGUAGES: &[&str] = &[
    "zh", "yue", "en", "ja", "de", "ko", "ru", "fr", "pt", "ar", "it", "es", "hi", "id", "th",
    "tr", "uk", "vi", "cs", "da", "fil", "fi", "is", "ms", "no", "pl", "sv",
];

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
    /// Answered from a kept transcript (free).
    pub cached: bool,
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

/// A user as admins see them: `Name (@username, id 123)`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Person<'a> {
    pub id: i64,
    pub first_name: &'a str,
    pub username: Option<&'a str>,
}

/// The heading of `/stat` and of the periodic report.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StatTitle {
    LastDays(i64),
    DailyReport,
    WeeklyReport,
}

/// The numbers of `/stat` and of the periodic report.
#[derive(Debug, Clone, Copy)]
pub struct StatSummary<'a> {
    pub users_total: i64,
    pub users_new: i64,
    pub users_active: i64,
    pub jobs_done: i64,
    pub jobs_failed: i64,
    pub audio_seconds: i64,
    pub revenue_stars: i64,
    pub payments: i64,
    pub refunds: i64,
    /// `(error kind, count)` of failed jobs, most first.
    pub failures: &'a [(String, i64)],
    /// `(user id, first name, seconds charged)`, most first.
    pub top_users: &'a [(i64, String, i64)],
}

/// A part of a whole, shown as a percentage (a dash when the whole is zero).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Ratio {
    pub part: i64,
    pub of: i64,
}

/// Median and 95th percentile of one stage, in milliseconds (`None`: no samples).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StageTiming<'a> {
    pub stage: &'a str,
    pub p50_ms: Option<i64>,
    pub p95_ms: Option<i64>,
}

/// What `/metrics` reports over the last `hours`.
#[derive(Debug, Clone, Copy)]
pub struct MetricsSummary<'a> {
    pub hours: i64,
    pub stages: &'a [StageTiming<'a>],
    /// Jobs recognised of those the recogniser was asked for.
    pub recognition: Ratio,
    /// Formatted jobs whose text came from a fallback model.
    pub by_fallback: Ratio,
    /// Formatted jobs whose text was left unformatted.
    pub left_raw: Ratio,
    /// Failed jobs of all finished ones.
    pub errors: Ratio,
    /// Messages in the jobs queue (`None`: the broker did not say).
    pub jobs_queue: Option<u64>,
    pub wait_p50_ms: Option<i64>,
    pub wait_p95_ms: Option<i64>,
}

/// The oldest job not finished yet.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OldestJob {
    pub age_seconds: i64,
    pub created_at: i64,
}

/// A worker seen lately.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WorkerLine<'a> {
    pub id: &'a str,
    pub role: &'a str,
    pub seconds_ago: i64,
}

/// What `/status` reports. Queue depths are `None` when the broker did not say.
#[derive(Debug, Clone, Copy)]
pub struct StatusSummary<'a> {
    pub updates_queue: Option<u64>,
    pub jobs_queue: Option<u64>,
    pub dead_letters: Option<u64>,
    /// `(job state, count)`.
    pub jobs: &'a [(String, i64)],
    pub oldest: Option<OldestJob>,
    /// How many workers were seen lately; `workers` lists some of them.
    pub workers_seen: usize,
    pub workers: &'a [WorkerLine<'a>],
}

/// A payment on a user's card.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PaymentLine<'a> {
    pub created_at: i64,
    pub stars: i64,
    pub package: &'a str,
    pub state: &'a str,
    pub charge_id: &'a str,
}

/// A user's card for admins.
#[derive(Debug, Clone, Copy)]
pub struct UserCard<'a> {
    pub person: Person<'a>,
    pub balance: i64,
    pub held: i64,
    pub trial: &'a str,
    pub jobs_done: i64,
    pub jobs_failed: i64,
    pub seconds_charged: i64,
    pub stars_paid: i64,
    pub joined_at: i64,
    pub last_seen_at: i64,
    pub payments: &'a [PaymentLine<'a>],
}

/// What became of an admin's trial decision.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TrialOutcome {
    Approved,
    Denied,
    Revoked,
    /// Decided before (a double tap, another admin).
    AlreadyDecided,
}

/// Why a job was given up.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GiveUpCause {
    /// The speech recogniser kept failing.
    Provider,
    /// Attempts ended without an answer: crashes, kills, panics.
    Exhausted,
}

/// One thing the bot says, as Telegram HTML.
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
    /// Plain text: an invoice's title.
    InvoiceTitle {
        minutes: i64,
    },
    /// Plain text: an invoice's description.
    InvoiceDescription {
        minutes: i64,
    },
    /// Plain text: a pre-checkout refusal.
    PaymentInvalid,
    /// Plain text: a pre-checkout refusal.
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
        subtitles: bool,
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
    /// A transcript action's button pressed by someone other than who asked for the transcript.
    ActionNotYours,
    /// The transcript a button belongs to is no longer kept (retention, `/forget`).
    TranscriptGone,
    /// The action is being answered.
    ActionWorking,
    /// The action was answered already (a second press).
    ActionAnswered,
    /// No model gave a usable answer; nothing was charged.
    ActionUnavailable,
    /// Today's free actions are used and the balance does not cover another.
    ActionNeedsBalance {
        per_day: i64,
        cost_seconds: i64,
        balance: i64,
    },
    /// An action beyond the free ones cost this much.
    ActionCharged {
        seconds: i64,
    },
    /// `/glossary`: the entries of a user's or a group's glossary.
    GlossaryList {
        entries: &'a [String],
        group: bool,
    },
    /// Entries added (now `total`); `refused` when a limit stopped the rest.
    GlossaryAdded {
        added: usize,
        total: usize,
        refused: Option<GlossaryLimit>,
    },
    GlossaryRemoved {
        removed: usize,
        total: usize,
    },
    GlossaryCleared,
    /// `/output srt` (on) or `/output text` (off).
    SubtitlesSet {
        on: bool,
    },
    /// `/subtitles` that replies to nothing transcribable.
    SubtitlesUsage,
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

    // Answers to admins.
    /// No user has this id.
    NoSuchUser {
        id: i64,
    },
    /// A `/credit` that was applied before (a redelivered update).
    AlreadyApplied,
    /// `/credit` done: the user and what they were told.
    CreditReport {
        person: Person<'a>,
        seconds: i64,
        balance: i64,
    },
    /// `/credit` refused: the balance would go below zero.
    CreditRefused {
        balance: i64,
    },
    NoUsersMatch {
        query: &'a str,
    },
    /// The heading of a page of `/user` results, numbered from 1.
    UsersPage {
        first: i64,
        last: i64,
    },
    UserCard(UserCard<'a>),
    /// `/review_trials`.
    TrialReview {
        pending: &'a [Person<'a>],
        granted: &'a [Person<'a>],
    },
    TrialDecided {
        person: Person<'a>,
        outcome: TrialOutcome,
    },
    /// The caption of a CSV export.
    ExportCaption {
        table: &'a str,
        rows: u64,
    },
    Stat {
        title: StatTitle,
        stats: StatSummary<'a>,
    },
    Metrics(MetricsSummary<'a>),
    Status(StatusSummary<'a>),
    NoSuchPayment {
        charge_id: &'a str,
    },
    AlreadyRefunded,
    /// `/refund` refused: the minutes bought are spent.
    RefundRefused {
        balance: i64,
        purchased: i64,
        charge_id: &'a str,
    },
    /// Telegram refused a refund, saying `reason`.
    RefundFailed {
        reason: &'a str,
    },
    Refunded {
        stars: i64,
        taken: i64,
    },

    // Notices to admins.
    /// A new user got the trial automatically.
    TrialGranted {
        person: Person<'a>,
        seconds: i64,
    },
    TrialRequest {
        person: Person<'a>,
    },
    PaymentReceived {
        person: Person<'a>,
        package: &'a str,
        minutes: i64,
        stars: i64,
        charge_id: &'a str,
    },
    /// A payment that matches no package: nothing was credited.
    PaymentUnmatched {
        person: Person<'a>,
        stars: i64,
        charge_id: &'a str,
        payload: &'a str,
    },
    /// A payment's update keeps failing; it is retried until it is credited.
    PaymentStuck {
        update_id: i64,
        error: &'a str,
    },
    FailureStreak {
        streak: i64,
        last_kind: &'a str,
    },
    JobGivenUp {
        cause: GiveUpCause,
        job_id: i64,
        user_id: i64,
        attempts: i64,
    },
    Backlog {
        depth: u64,
        threshold: u64,
    },
}

/// The text of an inline button: plain text, never HTML.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Label<'a> {
    /// A package in `/buy_minutes`.
    Package {
        minutes: i64,
        stars: i64,
    },
    /// A user in a `/user` page.
    UserEntry {
        name: &'a str,
        id: i64,
    },
    PreviousPage,
    NextPage,
    ApproveTrial,
    DenyTrial,
    RevokeTrial,
    /// Approve the trial of the user named.
    ApproveTrialOf {
        name: &'a str,
    },
    DenyTrialOf {
        name: &'a str,
    },
    RevokeTrialOf {
        name: &'a str,
    },
    /// The `/settings` buttons, each showing the current value.
    SettingLanguage {
        language: Option<&'a str>,
    },
    SettingMonospace {
        on: bool,
    },
    SettingYo {
        keep: bool,
    },
    SettingLongText {
        mode: &'a str,
    },
    SettingSubtitles {
        on: bool,
    },
    /// Opens the bot in a private chat.
    OpenBot,
    /// `/forget`'s buttons.
    ForgetYes,
    ForgetNo,
    /// The action row under a transcript.
    Summary,
    ActionItems,
    Translate,
    /// A language to translate into (its code), in its own name.
    TranslateInto {
        language: &'a str,
    },
}

/// Which glossary limit an entry ran into.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GlossaryLimit {
    /// At most this many entries.
    Entries(usize),
    /// At most this many characters in all.
    Chars(usize),
    /// At most this many characters in one entry.
    EntryChars(usize),
}

/// A language's name in itself (`de` → `Deutsch`), or the code when the bot does not know it.
pub fn language_name(code: &str) -> &str {
    match code {
        "en" => "English",
        "ru" => "Русский",
        "uk" => "Українська",
        "de" => "Deutsch",
        "fr" => "Français",
        "es" => "Español",
        "it" => "Italiano",
        "pt" => "Português",
        "tr" => "Türkçe",
        "zh" => "中文",
        "ja" => "日本語",
        "ko" => "한국어",
        "ar" => "العربية",
        "pl" => "Polski",
        "kk" => "Қазақша",
        "uz" => "Oʻzbekcha",
        other => other,
    }
}
