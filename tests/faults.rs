//! Faults that must cost nothing and stall nothing, injected for real: a job that kills its
//! worker every time, a job whose queue message vanished, the database cut during a payment, a
//! user who sends ten voice notes at once, an update id Telegram reuses. Each test asserts what
//! the user received, what the ledger holds and what RabbitMQ still has.

use scribe_fakes::dashscope::Reply;
use scribe_fakes::telegram::{FileKind, update};
use scribe_fakes::{wait_until, wait_until_async};
use scribe_store::JobState;
use scribe_testkit::audio::{self, Format};
use scribe_testkit::bot::{Fakes, Scribe, WAIT, finished_job, ledger_rows, user};
use scribe_testkit::cluster::Cluster;
use scribe_testkit::proxy::Proxy;
use scribe_testkit::rabbit;

const BIN: &str = env!("CARGO_BIN_EXE_scribe");
const ADMIN: i64 = 4242;

fn voice_update(fakes: &Fakes, chat: i64, message_text: &str) -> serde_json::Value {
    let bytes = audio::encode(&audio::say(message_text, "en"), Format::VoiceNote);
    let file = fakes.telegram.add_file(FileKind::Voice, bytes);
    fakes
        .telegram
        .register_update(update::voice(chat, &user(chat), &file, 2))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_job_that_kills_its_worker_every_time_is_given_up_after_its_attempts() {
    let cluster = Cluster::start(BIN, "poison").await;
    cluster
        .fakes
        .dashscope
        .asr()
        .set_reply(|_| Reply::Text("never delivered".into()));
    // The recogniser never answers: each attempt is in flight when its worker is killed.
    let _held = cluster.fakes.dashscope.asr().gate();
    let amqp = rabbit::amqp_url();
    let admin = ADMIN.to_string();
    let env = [
        ("JOB_MAX_ATTEMPTS", "3"),
        ("ADMIN_IDS", admin.as_str()),
        ("JOB_STALE_SECONDS", "3"),
        ("JOB_HEARTBEAT_SECONDS", "1"),
    ];
    let webhook = cluster.webhook(&amqp, &env).await;
    let chat = 7301;
    assert_eq!(
        cluster
            .post(&webhook, &voice_update(&cluster.fakes, chat, "Poison."))
            .await,
        200
    );
    for attempt in 1..=3 {
        let mut worker = cluster.worker(&env).await;
        wait_until("the attempt to reach the recogniser", WAIT, || {
            (cluster.fakes.dashscope.asr().traffic().requests == attempt).then_some(())
        })
        .await;
        worker.kill().await;
    }
    // The fourth claim finds the attempts used up: it does not run the job again.
    let _last = cluster.worker(&env).await;
    let store = cluster.store().await;
    let job = wait_until_async("the job to be given up", WAIT, || async {
        store
            .jobs_of_user(chat, 1)
            .await
            .ok()?
            .into_iter()
            .find(|j| j.state == JobState::Failed)
    })
    .await;
    assert_eq!(job.error_kind.as_deref(), Some("exhausted"));
    // Claims: three runs, and the fourth that found them used up.
    assert_eq!(job.attempts, 4);
    assert_eq!(
        cluster.fakes.dashscope.asr().traffic().requests,
        3,
        "never a fourth run"
    );
    // The hold went back in full; the user and the admins heard.
    let held: i64 = ledger_rows(&store, chat, "hold")
        .await
        .iter()
        .map(|r| -r.delta)
        .sum();
    let released: i64 = ledger_rows(&store, chat, "release")
        .await
        .iter()
        .map(|r| r.delta)
        .sum();
    assert!(held > 0);
    assert_eq!(released, held, "every held second came back");
    assert!(
        ledger_rows(&store, chat, "settle").await.is_empty(),
        "nothing charged"
    );
    let u = store.user(chat).await.expect("user").expect("exists");
    assert_eq!((u.balance, u.held), (900, 0));
    cluster
        .fakes
        .wait_containing(chat, "Something went wrong")
        .await;
    cluster
        .fakes
        .wait_containing(ADMIN, "given up after 3 attempts")
        .await;
    // The message is in the dead-letter queue, nowhere else.
    let names = cluster.names();
    wait_until_async("the dead letter", WAIT, || async {
        (rabbit::ready(&names.dead).await == 1).then_some(())
    })
    .await;
    assert_eq!(rabbit::ready(&names.jobs).await, 0);
    store.close().await;
    cluster.clean_up().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_job_whose_queue_message_is_gone_is_published_again_by_the_sweeper() {
    let cluster = Cluster::start(BIN, "orphan").await;
    cluster
        .fakes
        .dashscope
        .asr()
        .set_reply(|_| Reply::Text("found again".into()));
    let amqp = rabbit::amqp_url();
    let env = [
        ("SWEEP_INTERVAL_SECONDS", "1"),
        ("JOB_REPUBLISH_AFTER_SECONDS", "2"),
    ];
    let webhook = cluster.webhook(&amqp, &env).await;
    // Only the updates queue is consumed: the job's message waits in the jobs queue…
    let mut intake = Scribe::start_role(
        BIN,
        &["worker", "--queues", "updates"],
        &cluster.fakes,
        &cluster.db.url,
        &[
            ("BOT_NAME", cluster.bot.as_str()),
            ("AMQP_URL", amqp.as_str()),
            ("SWEEP_INTERVAL_SECONDS", "3600"),
        ],
    )
    .await;
    let chat = 7302;
    assert_eq!(
        cluster
            .post(
                &webhook,
                &voice_update(&cluster.fakes, chat, "Lost and found.")
            )
            .await,
        200
    );
    let names = cluster.names();
    wait_until_async("the job message", WAIT, || async {
        (rabbit::ready(&names.jobs).await == 1).then_some(())
    })
    .await;
    intake.kill().await;
    // …and is lost (a purge, a broker that lost a non-replicated queue).
    assert_eq!(rabbit::purge(&names.jobs).await, 1);
    let _worker = cluster.worker(&env).await;
    cluster.fakes.wait_text(chat, "found again").await;
    let store = cluster.store().await;
    let job = store.jobs_of_user(chat, 1).await.expect("jobs").remove(0);
    assert_eq!((job.state, job.attempts), (JobState::Done, 1));
    assert_eq!(ledger_rows(&store, chat, "settle").await.len(), 1);
    store.close().await;
    cluster.clean_up().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_payment_during_a_database_outage_is_credited_once_when_it_returns() {
    let cluster = Cluster::start(BIN, "paydb").await;
    let amqp = rabbit::amqp_url();
    let admin = ADMIN.to_string();
    let db_addr: std::net::SocketAddr = "127.0.0.1:5432".parse().expect("addr");
    let proxy = Proxy::start(db_addr).await;
    let via_proxy = cluster
        .db
        .url
        .replace("127.0.0.1:5432", &proxy.addr().to_string());
    let env = [("ADMIN_IDS", admin.as_str())];
    let webhook = cluster.webhook(&amqp, &env).await;
    let worker = cluster.worker_via(&amqp, &via_proxy, &env).await;
    let chat = 7303;
    // The buyer exists (they asked for the invoice).
    let start = cluster
        .fakes
        .telegram
        .register_update(update::text(chat, &user(chat), "/start"));
    assert_eq!(cluster.post(&webhook, &start).await, 200);
    cluster.fakes.wait_containing(chat, "Hi, Tester").await;

    proxy.cut();
    wait_until_async("the worker to report the database gone", WAIT, || async {
        (!cluster.ready(&worker).await).then_some(())
    })
    .await;
    let paid = cluster
        .fakes
        .telegram
        .register_update(update::successful_payment(
            chat,
            &user(chat),
            "XTR",
            35,
            &format!("p1:start:{chat}"),
            "charge-outage",
        ));
    assert_eq!(cluster.post(&webhook, &paid).await, 200);
    // While it waits, the admins hear that a payment is not credited yet.
    cluster
        .fakes
        .wait_containing(ADMIN, "could not be credited yet")
        .await;
    proxy.restore();
    cluster.fakes.wait_containing(chat, "Thank you").await;
    let store = cluster.store().await;
    let purchases = ledger_rows(&store, chat, "purchase").await;
    assert_eq!(purchases.len(), 1, "credited exactly once");
    assert_eq!(purchases[0].delta, 50 * 60);
    assert_eq!(
        rabbit::ready(&cluster.names().dead).await,
        0,
        "never dead-lettered"
    );
    store.close().await;
    cluster.clean_up().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn ten_voice_notes_at_once_start_three_jobs_and_the_rest_are_told_to_wait() {
    let fakes = Fakes::start().await;
    fakes
        .dashscope
        .asr()
        .set_reply(|_| Reply::Text("one of many".into()));
    let _held = fakes.dashscope.asr().gate();
    let scribe = Scribe::start(BIN, &fakes, &[("UPDATES_CONCURRENCY", "16")]).await;
    let chat = 7304;
    for i in 0..10 {
        let update = voice_update(&fakes, chat, &format!("Note number {i}."));
        fakes.telegram.push_update(update);
    }
    let waits = wait_until("seven refusals", WAIT, || {
        let n = fakes
            .shown(chat)
            .iter()
            .filter(|t| t.contains("You already have 3 recordings in progress"))
            .count();
        (n == 7).then_some(n)
    })
    .await;
    assert_eq!(waits, 7);
    let store = scribe.store().await;
    let jobs = store.jobs_of_user(chat, 20).await.expect("jobs");
    assert_eq!(jobs.len(), 3, "refused notes leave no job");
    assert_eq!(
        ledger_rows(&store, chat, "hold").await.len(),
        3,
        "nothing held for the rest"
    );
    let u = store.user(chat).await.expect("user").expect("exists");
    assert_eq!(u.held, jobs.iter().map(|j| j.held_seconds).sum::<i64>());
    store.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_user_flooding_the_bot_is_told_once_to_slow_down_and_admins_are_not_limited() {
    let fakes = Fakes::start().await;
    let admin = ADMIN.to_string();
    let _scribe = Scribe::start(
        BIN,
        &fakes,
        &[
            ("USER_UPDATES_PER_MINUTE", "5"),
            ("ADMIN_IDS", admin.as_str()),
        ],
    )
    .await;
    let (chat, burst) = (7306, 13);
    for _ in 0..burst {
        fakes
            .telegram
            .push_update(update::text(chat, &user(chat), "/balance"));
    }
    fakes.wait_containing(chat, "please wait a little").await;
    // The admin's burst, sent after the user's, is answered in full.
    for _ in 0..burst {
        fakes
            .telegram
            .push_update(update::text(ADMIN, &user(ADMIN), "/balance"));
    }
    wait_until("every admin answer", WAIT, || {
        (fakes
            .shown(ADMIN)
            .iter()
            .filter(|t| t.contains("Balance"))
            .count()
            == burst)
            .then_some(())
    })
    .await;
    assert!(
        !fakes.shown(ADMIN).iter().any(|t| t.contains("please wait")),
        "admins are exempt"
    );
    // The user: at most the limit in each minute the burst touched (two at most), one notice
    // per minute, and the rest not answered at all.
    let shown = fakes.shown(chat);
    let answers = shown.iter().filter(|t| t.contains("Balance")).count();
    let notices = shown.iter().filter(|t| t.contains("please wait")).count();
    assert!((5..=10).contains(&answers), "{answers} answers: {shown:?}");
    assert!((1..=2).contains(&notices), "{notices} notices: {shown:?}");
    assert!(
        answers + notices < burst,
        "some updates went unanswered: {shown:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn an_update_id_reused_after_the_deduplication_window_is_handled() {
    let cluster = Cluster::start(BIN, "reuse").await;
    cluster
        .fakes
        .dashscope
        .asr()
        .set_reply(|_| Reply::Text("second life".into()));
    let amqp = rabbit::amqp_url();
    let webhook = cluster.webhook(&amqp, &[]).await;
    let _worker = cluster.worker(&[]).await;
    let chat = 7305;
    let telegram = &cluster.fakes.telegram;
    let mut first = telegram.register_update(update::text(chat, &user(chat), "/balance"));
    first["update_id"] = serde_json::json!(900_001);
    assert_eq!(cluster.post(&webhook, &first).await, 200);
    cluster.fakes.wait_containing(chat, "Balance").await;
    // A duplicate inside the window is dropped…
    let mut again = telegram.register_update(update::text(chat, &user(chat), "/help"));
    again["update_id"] = serde_json::json!(900_001);
    assert_eq!(cluster.post(&webhook, &again).await, 200);
    // …(proved by a later update being answered while the duplicate was not)…
    let mut marker = telegram.register_update(update::text(chat, &user(chat), "/balance"));
    marker["update_id"] = serde_json::json!(900_002);
    assert_eq!(cluster.post(&webhook, &marker).await, 200);
    wait_until("the marker's answer", WAIT, || {
        (cluster
            .fakes
            .shown(chat)
            .iter()
            .filter(|t| t.contains("Balance"))
            .count()
            == 2)
            .then_some(())
    })
    .await;
    assert!(
        !cluster
            .fakes
            .shown(chat)
            .iter()
            .any(|t| t.contains("You pay per second"))
    );
    // …but after the window (a week without updates restarts Telegram's ids) the id is new.
    let store = cluster.store().await;
    store.forget_updates(i64::MAX).await.expect("age the ids");
    let mut voice = voice_update(&cluster.fakes, chat, "Second life.");
    voice["update_id"] = serde_json::json!(900_001);
    assert_eq!(cluster.post(&webhook, &voice).await, 200);
    cluster.fakes.wait_text(chat, "second life").await;
    // The text is out a moment before the job is marked done.
    finished_job(&store, chat).await;
    let jobs = store.jobs_of_user(chat, 5).await.expect("jobs");
    assert_eq!(jobs.len(), 1);
    assert_eq!(jobs[0].state, JobState::Done);
    store.close().await;
    cluster.clean_up().await;
}
