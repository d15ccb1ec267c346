//! Admin commands and the user commands of the payments era, through `scribe run`: each with good
//! and bad arguments, as an admin and as anyone else; numbers checked against seeded data.

use scribe_core::billing::{Package, Reason};
use scribe_fakes::dashscope::Reply;
use scribe_fakes::telegram::{FileKind, TgUser, update};
use scribe_fakes::wait_until;
use scribe_store::{Intake, JobSource, JobStats, NewJob, Store, TrialState};
use scribe_telegram::{Media, MediaKind};
use scribe_testkit::audio::{self, Format};
use scribe_testkit::bot::{Fakes, Scribe, WAIT, finished_job, user};

const BIN: &str = env!("CARGO_BIN_EXE_scribe");
const ADMIN: i64 = 6000;

fn boss() -> TgUser {
    TgUser::new(ADMIN, "Boss").lang("en")
}

async fn start(fakes: &Fakes, extra: &[(&str, &str)]) -> Scribe {
    let mut env = vec![("ADMIN_IDS", "6000")];
    env.extend_from_slice(extra);
    Scribe::start(BIN, fakes, &env).await
}

/// How many messages the admin has had so far.
fn seen(fakes: &Fakes) -> usize {
    fakes.telegram.messages(ADMIN).len()
}

/// Waits for an admin message after the first `since` that contains `expect`.
async fn expect_admin(fakes: &Fakes, since: usize, expect: &str) -> String {
    wait_until(
        &format!("an admin message containing {expect:?}"),
        WAIT,
        || {
            fakes
                .telegram
                .messages(ADMIN)
                .into_iter()
                .skip(since)
                .filter_map(|m| m.rendered_text.or(m.caption))
                .find(|t| t.contains(expect))
        },
    )
    .await
}

/// Sends `text` as the admin and waits for a reply containing `expect`.
async fn ask(fakes: &Fakes, text: &str, expect: &str) -> String {
    let since = seen(fakes);
    fakes
        .telegram
        .push_update(update::text(ADMIN, &boss(), text));
    expect_admin(fakes, since, expect).await
}

/// Presses the button with callback `data` on the admin's message that carries it.
fn press(fakes: &Fakes, chat: i64, who: &TgUser, data: &str) {
    let message = fakes
        .telegram
        .messages(chat)
        .into_iter()
        .find(|m| {
            m.reply_markup
                .as_ref()
                .is_some_and(|k| k.to_string().contains(data))
        })
        .unwrap_or_else(|| panic!("a message with button {data}"));
    fakes
        .telegram
        .push_update(update::callback(chat, who, message.message_id, data).0);
}

fn media(duration: i64) -> Media {
    Media {
        kind: MediaKind::Voice,
        file_id: "seeded".into(),
        file_unique_id: "seeded".into(),
        file_size: Some(1000),
        duration: Some(duration),
        mime_type: None,
        file_name: None,
    }
}

/// A finished job charging `seconds`, straight through the store.
async fn done_job(store: &Store, update_id: i64, user_id: i64, seconds: i64) {
    let new = NewJob {
        bot: "scribe".into(),
        update_id,
        user_id,
        chat_id: user_id,
        message_id: update_id,
        media: media(seconds),
        trace_id: "seed".into(),
        unknown_duration_cap: 3600,
        max_active: None,
        source: JobSource::Private,
        requested_by: None,
        reply_to: None,
        settings_key: String::new(),
        daily_cap: None,
        parts: Vec::new(),
    };
    let Intake::Created(job) = store.create_job(&new).await.expect("intake") else {
        panic!("created")
    };
    store.claim_job(job.id, "seeder", 0).await.expect("claim");
    store
        .complete_job(
            job.id,
            "seeder",
            &JobStats {
                audio_seconds: Some(seconds),
                ..JobStats::default()
            },
            None,
        )
        .await
        .expect("done");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn admin_commands_do_not_exist_for_anyone_else() {
    let fakes = Fakes::start().await;
    let _scribe = start(&fakes, &[]).await;
    let mallory = user(6101);
    for command in [
        "/admin",
        "/stat",
        "/credit 6101 100",
        "/export users",
        "/refund x",
        "/flush",
        "/status",
    ] {
        let before = fakes.telegram.messages(6101).len();
        fakes
            .telegram
            .push_update(update::text(6101, &mallory, command));
        let reply = wait_until("a reply", WAIT, || {
            fakes.telegram.messages(6101).into_iter().nth(before)
        })
        .await;
        assert_eq!(
            reply.rendered_text.as_deref(),
            Some("I don't know that command. /help lists them."),
            "{command}"
        );
    }
    ask(&fakes, "/admin@scribe_fake_bot", "Admin commands").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn credit_checks_its_arguments_and_tells_the_user() {
    let fakes = Fakes::start().await;
    let scribe = start(&fakes, &[]).await;
    fakes
        .telegram
        .push_update(update::text(6201, &user(6201), "/start"));
    fakes.wait_containing(6201, "Hi, Tester!").await;
    ask(&fakes, "/credit 6201 10", "Added 10 min. Balance: 25 min.").await;
    fakes
        .wait_containing(6201, "Added 10 min. Balance: 25 min.")
        .await;
    ask(&fakes, "/credit 6201 -5", "Removed 5 min. Balance: 20 min.").await;
    ask(
        &fakes,
        "/credit 6201 -5000",
        "Refused: the balance would go below zero",
    )
    .await;
    ask(&fakes, "/credit 6201", "Usage: /credit <user_id> <minutes>").await;
    ask(
        &fakes,
        "/credit abc 10",
        "Usage: /credit <user_id> <minutes>",
    )
    .await;
    ask(
        &fakes,
        "/credit 6201 0",
        "Usage: /credit <user_id> <minutes>",
    )
    .await;
    ask(&fakes, "/credit 987654 5", "No user with id 987654").await;
    let store = scribe.store().await;
    let credits: Vec<i64> = store
        .ledger_of(6201)
        .await
        .expect("ledger")
        .into_iter()
        .filter(|r| r.reason == Reason::AdminCredit.as_str())
        .map(|r| r.delta)
        .collect();
    assert_eq!(credits, vec![600, -300]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn users_are_found_paged_and_shown_as_a_card() {
    let fakes = Fakes::start().await;
    let scribe = start(&fakes, &[]).await;
    let store = scribe.store().await;
    for i in 0..7 {
        store
            .touch_user(6300 + i, "Zed", Some(&format!("zed{i}")), Some("en"))
            .await
            .expect("seed");
    }
    let page = ask(&fakes, "/user zed", "Users 1–5").await;
    assert!(page.contains("Users 1–5"), "{page}");
    let since = seen(&fakes);
    press(&fakes, ADMIN, &boss(), "users:5:zed");
    expect_admin(&fakes, since, "Users 6–7").await;
    let card = ask(&fakes, "/user 6303", "Balance").await;
    assert!(card.contains("Zed (@zed3, id 6303)"), "{card}");
    ask(&fakes, "/user nobodyhere", "No users match «nobodyhere»").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_long_cyrillic_search_pages_with_buttons_that_fit_telegrams_limit() {
    let fakes = Fakes::start().await;
    let scribe = start(&fakes, &[]).await;
    let store = scribe.store().await;
    // 30 Cyrillic characters: 60 bytes, more than a button's 64 bytes can carry with its page.
    let name = "Александра Константиновна Ивн";
    assert_eq!(name.chars().count(), 29);
    let query = format!("{name}а");
    for i in 0..7 {
        store
            .touch_user(6400 + i, &format!("{query} {i}"), None, Some("ru"))
            .await
            .expect("seed");
    }
    let page = ask(&fakes, &format!("/user {query}"), "Users 1–5").await;
    assert!(page.contains("Users 1–5"), "{page}");
    // The fake Telegram refuses callback data over 64 bytes, so the page arrived at all only
    // because every button fits; now the next-page button must work.
    let next = fakes
        .telegram
        .messages(ADMIN)
        .into_iter()
        .rev()
        .flat_map(|m| m.buttons)
        .find(|b| b.text == "▶️")
        .and_then(|b| b.callback_data)
        .expect("a next-page button");
    assert!(next.len() <= 64, "{next}");
    let since = seen(&fakes);
    press(&fakes, ADMIN, &boss(), &next);
    let second = expect_admin(&fakes, since, "Users 6–7").await;
    assert!(second.contains("Users 6–7"), "{second}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn exported_text_cells_never_run_as_spreadsheet_formulas() {
    let fakes = Fakes::start().await;
    let scribe = start(&fakes, &[]).await;
    let store = scribe.store().await;
    store
        .touch_user(
            6500,
            "=HYPERLINK(\"http://evil.example\",\"click\")",
            Some("@evil"),
            None,
        )
        .await
        .expect("seed");
    store
        .touch_user(6501, "+1 (555) call me", None, None)
        .await
        .expect("seed");
    fakes
        .telegram
        .push_update(update::text(ADMIN, &boss(), "/export users"));
    let doc = fakes
        .wait_message(ADMIN, "the CSV", |m| m.document.is_some())
        .await;
    let csv = String::from_utf8(doc.document.expect("document").bytes).expect("utf-8");
    assert!(
        csv.contains("6500,\"'=HYPERLINK(\"\"http://evil.example\"\",\"\"click\"\")\",'@evil,"),
        "{csv}"
    );
    assert!(csv.contains("6501,'+1 (555) call me,"), "{csv}");
    assert!(!csv.contains(",=HYPERLINK"), "{csv}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn stat_and_report_equal_a_hand_count_of_seeded_data() {
    let fakes = Fakes::start().await;
    let scribe = start(&fakes, &[]).await;
    let store = scribe.store().await;
    let start = Package {
        id: "start".into(),
        minutes: 50,
        stars: 35,
        per_user_limit: None,
    };
    for (i, seconds) in [(1, 120), (2, 45), (3, 300)] {
        let id = 6400 + i;
        store
            .touch_user(id, &format!("U{i}"), None, Some("en"))
            .await
            .expect("seed");
        store
            .adjust_balance(id, Reason::AdminCredit, &format!("seed{i}"), 1000, None)
            .await
            .expect("credit");
        done_job(&store, 100 + i, id, seconds).await;
    }
    store
        .record_payment("seed-charge", 6401, &start, 35, None)
        .await
        .expect("payment");
    let stat = ask(&fakes, "/stat 1", "Users:").await;
    // Admin + 3 seeded users; 3 jobs charging 120 + 45 + 300 = 465 s; one payment of 35 stars.
    assert!(stat.contains("Users: 4 (4 new, 4 active)"), "{stat}");
    assert!(stat.contains("Jobs: 3 done, 0 failed"), "{stat}");
    assert!(stat.contains("Audio charged: 7 min 45 s"), "{stat}");
    assert!(
        stat.contains("Revenue: 35 ⭐ (1 payments, 0 refunds)"),
        "{stat}"
    );
    assert!(stat.contains("U3 (6403) — 5 min"), "{stat}");
    let report = ask(&fakes, "/report daily", "Daily report").await;
    assert!(report.contains("Audio charged: 7 min 45 s"), "{report}");
    ask(&fakes, "/stat zero", "Usage: /stat [days]").await;
    ask(&fakes, "/report monthly", "Usage: /report daily|weekly").await;
    let metrics = ask(&fakes, "/metrics 1", "Stages").await;
    assert!(metrics.contains("total:"), "{metrics}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn export_streams_every_row_past_the_page_size() {
    let fakes = Fakes::start().await;
    let scribe = start(&fakes, &[]).await;
    let store = scribe.store().await;
    let rows = scribe_worker::reports::EXPORT_PAGE * 2 + 37;
    for i in 0..rows {
        store
            .touch_user(700_000 + i, "Bulk, \"quoted\"", None, None)
            .await
            .expect("seed");
    }
    fakes
        .telegram
        .push_update(update::text(ADMIN, &boss(), "/export users"));
    let doc = fakes
        .wait_message(ADMIN, "the CSV", |m| m.document.is_some())
        .await;
    let csv = String::from_utf8(doc.document.expect("document").bytes).expect("utf-8");
    let lines: Vec<&str> = csv.split("\r\n").filter(|l| !l.is_empty()).collect();
    assert_eq!(
        lines[0],
        "id,first_name,username,language_code,balance_seconds,held_seconds,trial_state,created_at,last_seen_at"
    );
    // Every seeded user, plus the admin, plus the header.
    assert_eq!(lines.len() as i64, rows + 2);
    assert!(
        lines[1..]
            .iter()
            .filter(|l| l.contains("\"Bulk, \"\"quoted\"\"\""))
            .count() as i64
            == rows
    );
    assert!(
        doc.caption
            .is_some_and(|c| c.contains(&format!("{} rows", rows + 1)))
    );
    ask(
        &fakes,
        "/export everything",
        "Usage: /export users|jobs|payments|ledger [days]",
    )
    .await;
    fakes
        .telegram
        .push_update(update::text(ADMIN, &boss(), "/export ledger 30"));
    fakes
        .wait_message(ADMIN, "the ledger CSV", |m| {
            m.document
                .as_ref()
                .is_some_and(|d| d.file_name.starts_with("ledger-"))
        })
        .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn status_shows_a_running_job_and_flush_fails_it_releasing_the_hold() {
    let fakes = Fakes::start().await;
    let gate = fakes.dashscope.asr().gate();
    let scribe = start(&fakes, &[]).await;
    let chat = 6601;
    let note = audio::encode(&audio::say("Stuck forever.", "en"), Format::VoiceNote);
    let file = fakes.telegram.add_file(FileKind::Voice, note);
    fakes
        .telegram
        .push_update(update::voice(chat, &user(chat), &file, 2));
    wait_until("the job at the recogniser", WAIT, || {
        (gate.waiting() > 0).then_some(())
    })
    .await;
    let status = ask(&fakes, "/status", "Status").await;
    assert!(status.contains("running 1"), "{status}");
    assert!(status.contains("Workers seen (2 min): 1"), "{status}");
    ask(&fakes, "/flush 0", "Flushed jobs: 1").await;
    fakes
        .wait_containing(chat, "got stuck and was cancelled")
        .await;
    let store = scribe.store().await;
    let u = store.user(chat).await.expect("user").expect("exists");
    assert_eq!((u.balance, u.held), (900, 0));
    assert_eq!(
        store.jobs_of_user(chat, 1).await.expect("jobs")[0]
            .error_kind
            .as_deref(),
        Some("flushed")
    );
    ask(&fakes, "/flush soon", "Usage: /flush [minutes]").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn admin_notices_speak_each_admins_own_language() {
    let fakes = Fakes::start().await;
    let _scribe = Scribe::start(
        BIN,
        &fakes,
        &[("ADMIN_IDS", "6000,6010"), ("TRIAL_MODE", "review")],
    )
    .await;
    // 6010 has written to the bot and reads Russian; 6000 never has, so gets English.
    let boris = TgUser::new(6010, "Борис").lang("ru");
    fakes
        .telegram
        .push_update(update::text(6010, &boris, "/start"));
    fakes.wait_containing(6010, "Привет, Борис").await;
    fakes
        .telegram
        .push_update(update::text(6801, &user(6801), "/trial"));
    let ru = fakes.wait_containing(6010, "Запрос пробных минут от").await;
    let en = fakes.wait_containing(ADMIN, "Trial request from").await;
    let labels = |m: &scribe_fakes::telegram::BotMessage| -> Vec<String> {
        m.buttons.iter().map(|b| b.text.clone()).collect()
    };
    assert_eq!(labels(&ru), ["✅ Одобрить", "❌ Отклонить"]);
    assert_eq!(labels(&en), ["✅ Approve", "❌ Deny"]);
    assert_eq!(ru.buttons[0].callback_data, en.buttons[0].callback_data);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn review_mode_trials_are_requested_decided_once_and_told() {
    let fakes = Fakes::start().await;
    let scribe = start(&fakes, &[("TRIAL_MODE", "review")]).await;
    let (ann, bob) = (user(6701), user(6702));
    fakes
        .telegram
        .push_update(update::text(6701, &ann, "/start"));
    fakes
        .wait_containing(6701, "Ask for free trial minutes with /trial")
        .await;
    fakes
        .telegram
        .push_update(update::text(6701, &ann, "/trial"));
    fakes.wait_containing(6701, "Request sent").await;
    fakes
        .telegram
        .push_update(update::text(6701, &ann, "/trial"));
    fakes
        .wait_containing(6701, "already waiting for review")
        .await;
    fakes
        .telegram
        .push_update(update::text(6702, &bob, "/trial"));
    fakes.wait_containing(6702, "Request sent").await;
    let list = ask(&fakes, "/review_trials", "Pending trial requests: 2").await;
    assert!(list.contains("6701") && list.contains("6702"), "{list}");
    // A double tap approves once.
    let since = seen(&fakes);
    press(&fakes, ADMIN, &boss(), "trial:ok:6701");
    press(&fakes, ADMIN, &boss(), "trial:ok:6701");
    fakes
        .wait_containing(6701, "Your trial was approved: 15 min added")
        .await;
    expect_admin(&fakes, since, "already decided").await;
    press(&fakes, ADMIN, &boss(), "trial:no:6702");
    fakes
        .wait_containing(6702, "Your trial request was declined")
        .await;
    let store = scribe.store().await;
    assert_eq!(
        store
            .user(6701)
            .await
            .expect("user")
            .expect("exists")
            .balance,
        900
    );
    assert_eq!(
        store
            .user(6702)
            .await
            .expect("user")
            .expect("exists")
            .trial_state,
        TrialState::Denied
    );
    let approvals = fakes
        .shown(6701)
        .iter()
        .filter(|t| t.contains("Your trial was approved"))
        .count();
    assert_eq!(approvals, 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn auto_trials_notify_admins_and_revoke_once() {
    let fakes = Fakes::start().await;
    let scribe = start(&fakes, &[]).await;
    fakes
        .telegram
        .push_update(update::text(6801, &user(6801), "hello"));
    fakes
        .wait_containing(ADMIN, "got the 15-minute trial")
        .await;
    let since = seen(&fakes);
    press(&fakes, ADMIN, &boss(), "trial:revoke:6801");
    press(&fakes, ADMIN, &boss(), "trial:revoke:6801");
    fakes
        .wait_containing(6801, "Your trial was revoked; 15 min removed")
        .await;
    expect_admin(&fakes, since, "already decided").await;
    let store = scribe.store().await;
    let u = store.user(6801).await.expect("user").expect("exists");
    assert_eq!((u.balance, u.trial_state.as_str()), (0, "revoked"));
    assert!(store.ledger_mismatches().await.expect("check").is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn settings_toggle_in_place_history_lists_jobs_and_a_low_balance_is_noted() {
    let fakes = Fakes::start().await;
    fakes
        .dashscope
        .asr()
        .set_reply(|_| Reply::Text("short note".into()));
    let scribe = start(&fakes, &[("TRIAL_MINUTES", "1")]).await;
    let chat = 6901;
    let cat = user(chat);
    fakes
        .telegram
        .push_update(update::text(chat, &cat, "/settings"));
    let settings = fakes.wait_containing(chat, "Settings:").await;
    press(&fakes, chat, &cat, "set:code");
    fakes
        .wait_message(chat, "the same message edited", |m| {
            m.message_id == settings.message_id
                && m.rendered_text
                    .as_deref()
                    .is_some_and(|t| t.contains("Monospace output: on"))
        })
        .await;
    press(&fakes, chat, &cat, "set:out");
    fakes
        .wait_message(chat, "output cycled", |m| {
            m.message_id == settings.message_id
                && m.rendered_text
                    .as_deref()
                    .is_some_and(|t| t.contains("Long text: split"))
        })
        .await;
    let note = audio::encode(
        &audio::say("A note for the history.", "en"),
        Format::VoiceNote,
    );
    let file = fakes.telegram.add_file(FileKind::Voice, note);
    fakes
        .telegram
        .push_update(update::voice(chat, &cat, &file, 2));
    fakes.wait_containing(chat, "left on your balance").await;
    let store = scribe.store().await;
    finished_job(&store, chat).await;
    fakes
        .telegram
        .push_update(update::text(chat, &cat, "/history"));
    let history = fakes
        .wait_containing(chat, "Your last recordings")
        .await
        .rendered_text
        .expect("text");
    assert!(
        history.contains("voice") && history.contains("✅ done"),
        "{history}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn alerts_fire_once_per_cooldown_for_failure_streaks_backlogs_and_a_dead_provider() {
    let fakes = Fakes::start().await;
    fakes.dashscope.asr().set_down(true);
    let _scribe = start(
        &fakes,
        &[
            ("PROVIDER_ATTEMPTS", "1"),
            ("JOB_MAX_ATTEMPTS", "1"),
            ("ALERT_FAILURE_STREAK", "2"),
            ("ALERT_BACKLOG_JOBS", "2"),
            ("ALERT_CHECK_SECONDS", "1"),
            ("WORKER_CONCURRENCY", "1"),
        ],
    )
    .await;
    let note = audio::encode(
        &audio::say("Nobody can hear this.", "en"),
        Format::VoiceNote,
    );
    for chat in [7101, 7102, 7103] {
        let file = fakes.telegram.add_file(FileKind::Voice, note.clone());
        fakes
            .telegram
            .push_update(update::voice(chat, &user(chat), &file, 2));
        fakes
            .wait_containing(chat, "recognition service is unavailable")
            .await;
    }
    expect_admin(&fakes, 0, "2 jobs failed in a row").await;
    expect_admin(&fakes, 0, "The speech recogniser keeps failing").await;
    let count = |part: &str| {
        fakes
            .shown(ADMIN)
            .iter()
            .filter(|t| t.contains(part))
            .count()
    };
    assert_eq!(
        count("failed in a row"),
        1,
        "the third failure is within the cooldown"
    );
    assert_eq!(count("keeps failing"), 1);

    // A backlog: three jobs behind a single job slot held at the recogniser.
    fakes.dashscope.asr().set_down(false);
    let _held = fakes.dashscope.asr().gate();
    for chat in [7201, 7202, 7203, 7204] {
        let file = fakes.telegram.add_file(FileKind::Voice, note.clone());
        fakes
            .telegram
            .push_update(update::voice(chat, &user(chat), &file, 2));
    }
    expect_admin(&fakes, 0, "jobs are waiting in the queue (threshold 2)").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_report_command_sends_the_period_summary_to_every_admin() {
    let fakes = Fakes::start().await;
    let scribe = start(&fakes, &[]).await;
    let store = scribe.store().await;
    store
        .touch_user(7301, "Reported", None, Some("ru"))
        .await
        .expect("seed");
    store
        .adjust_balance(7301, Reason::AdminCredit, "seed", 600, None)
        .await
        .expect("credit");
    done_job(&store, 1, 7301, 90).await;
    let run = |admins: &str| {
        let mut command = std::process::Command::new(BIN);
        command
            .args(["report", "weekly"])
            .env_clear()
            .env("PATH", std::env::var("PATH").unwrap_or_default())
            .env("TELEGRAM_BOT_TOKEN", scribe_testkit::bot::TOKEN)
            .env("TELEGRAM_API_URL", fakes.telegram.api_url())
            .env("DATABASE_URL", &scribe.database_url)
            .env("ADMIN_IDS", admins);
        tokio::task::spawn_blocking(move || command.output().expect("report"))
    };
    let out = run("6000,7301").await.expect("joined");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let report = expect_admin(&fakes, 0, "Weekly report").await;
    assert!(report.contains("Audio charged: 1 min 30 s"), "{report}");
    // Each admin reads it in their language.
    fakes.wait_containing(7301, "Отчёт за неделю").await;
    let nobody = run("").await.expect("joined");
    assert_eq!(nobody.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&nobody.stderr).contains("ADMIN_IDS is empty"));
}
