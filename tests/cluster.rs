//! Cluster mode end to end: `scribe webhook` and `scribe worker` processes on the real RabbitMQ
//! and PostgreSQL of this machine, the external APIs faked. Each test has its own bot name
//! (so its own queues) and its own database.

use scribe_fakes::dashscope::Reply;
use scribe_fakes::telegram::{FileKind, update};
use scribe_fakes::{wait_until, wait_until_async};
use scribe_store::JobState;
use scribe_testkit::audio::{self, Format};
use scribe_testkit::bot::{WAIT, finished_job, ledger_rows, user};
use scribe_testkit::cluster::{Cluster, SECRET};
use scribe_testkit::proxy::Proxy;
use scribe_testkit::rabbit;

const BIN: &str = env!("CARGO_BIN_EXE_scribe");

fn voice(cluster: &Cluster, chat: i64, text: &str) -> serde_json::Value {
    let bytes = audio::encode(&audio::say(text, "en"), Format::VoiceNote);
    let file = cluster.fakes.telegram.add_file(FileKind::Voice, bytes);
    cluster
        .fakes
        .telegram
        .register_update(update::voice(chat, &user(chat), &file, 2))
}

const SPOKEN: &str = "we ship the release on friday after the last review and then we all take a well deserved long weekend off";

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn updates_flow_through_the_broker_and_commands_are_answered_while_jobs_are_busy() {
    let cluster = Cluster::start(BIN, "flow").await;
    cluster
        .fakes
        .dashscope
        .asr()
        .set_reply(|_| Reply::Text(SPOKEN.into()));
    cluster
        .fakes
        .dashscope
        .llm()
        .set_reply(|c| Reply::Text(c.user.to_uppercase()));
    let gate = cluster.fakes.dashscope.asr().gate();
    let url = rabbit::amqp_url();
    let webhook = cluster.webhook(&url, &[]).await;
    let _worker = cluster.worker(&[("WORKER_CONCURRENCY", "1")]).await;

    assert_eq!(
        cluster
            .post(&webhook, &voice(&cluster, 9101, "Ship it on Friday."))
            .await,
        200
    );
    wait_until("the job at the recogniser", WAIT, || {
        (gate.waiting() > 0).then_some(())
    })
    .await;
    // Every job slot is busy; a command still gets its answer.
    let balance =
        cluster
            .fakes
            .telegram
            .register_update(update::text(9102, &user(9102), "/balance"));
    assert_eq!(cluster.post(&webhook, &balance).await, 200);
    cluster
        .fakes
        .wait_containing(9102, "Balance: 15 min.")
        .await;
    assert!(
        gate.waiting() > 0,
        "answered while the job was still running"
    );
    gate.release_all();

    cluster.fakes.wait_text(9101, &SPOKEN.to_uppercase()).await;
    let store = cluster.store().await;
    let job = finished_job(&store, 9101).await;
    assert_eq!(job.formatter.as_deref(), Some("qwen-plus"));
    assert!(store.ledger_mismatches().await.expect("check").is_empty());
    let metrics = cluster
        .http
        .get(format!("http://{}/metrics", webhook.http_addr().await))
        .send()
        .await
        .expect("metrics")
        .text()
        .await
        .expect("body");
    assert!(
        metrics.contains("scribe_publish_confirm_seconds"),
        "{metrics}"
    );
    store.close().await;
    cluster.clean_up().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn an_update_delivered_twice_is_handled_once() {
    let cluster = Cluster::start(BIN, "dup").await;
    cluster
        .fakes
        .dashscope
        .asr()
        .set_reply(|_| Reply::Text("just once".into()));
    let url = rabbit::amqp_url();
    let webhook = cluster.webhook(&url, &[]).await;
    let worker = cluster.worker(&[]).await;
    let update = voice(&cluster, 9201, "Once.");
    assert_eq!(cluster.post(&webhook, &update).await, 200);
    assert_eq!(
        cluster.post(&webhook, &update).await,
        200,
        "Telegram retried"
    );
    cluster.fakes.wait_text(9201, "just once").await;
    wait_until("the duplicate to be dropped", WAIT, || {
        worker
            .logs()
            .contains("duplicate update ignored")
            .then_some(())
    })
    .await;
    let store = cluster.store().await;
    assert_eq!(store.jobs_of_user(9201, 10).await.expect("jobs").len(), 1);
    let settles = ledger_rows(&store, 9201, "settle").await.len();
    assert_eq!(settles, 1);
    assert_eq!(cluster.fakes.shown(9201), vec!["just once".to_owned()]);
    store.close().await;
    cluster.clean_up().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn bad_requests_get_their_status_and_leave_the_queue_untouched() {
    let cluster = Cluster::start(BIN, "bad").await;
    let url = rabbit::amqp_url();
    let webhook = cluster
        .webhook(&url, &[("WEBHOOK_MAX_BODY_BYTES", "4096")])
        .await;
    let endpoint = format!("http://{}/telegram", webhook.http_addr().await);
    let post = |secret: Option<&'static str>, body: Vec<u8>| {
        let mut request = cluster
            .http
            .post(endpoint.clone())
            .header("content-type", "application/json")
            .body(body);
        if let Some(s) = secret {
            request = request.header("X-Telegram-Bot-Api-Secret-Token", s);
        }
        async move { request.send().await.expect("response").status().as_u16() }
    };
    let good = serde_json::to_vec(&cluster.fakes.telegram.register_update(update::text(
        9301,
        &user(9301),
        "/start",
    )))
    .expect("json");
    assert_eq!(post(None, good.clone()).await, 401, "no secret");
    assert_eq!(
        post(Some("wrong-secret"), good.clone()).await,
        401,
        "wrong secret"
    );
    assert_eq!(post(Some(SECRET), vec![b' '; 5000]).await, 413, "oversized");
    assert_eq!(
        post(Some(SECRET), b"{not json".to_vec()).await,
        400,
        "invalid JSON"
    );
    assert_eq!(
        post(Some(SECRET), br#"{"message":{}}"#.to_vec()).await,
        400,
        "no update_id"
    );
    let updates = cluster.names().updates;
    assert_eq!(rabbit::ready(&updates).await, 0, "nothing was published");
    assert_eq!(post(Some(SECRET), good).await, 200);
    assert_eq!(rabbit::ready(&updates).await, 1);
    let ready = cluster
        .http
        .get(format!("http://{}/readyz", webhook.http_addr().await))
        .send()
        .await
        .expect("readyz");
    assert_eq!(ready.status().as_u16(), 200);
    cluster.clean_up().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_job_of_a_killed_worker_is_finished_by_another_once() {
    let cluster = Cluster::start(BIN, "kill").await;
    cluster
        .fakes
        .dashscope
        .asr()
        .set_reply(|_| Reply::Text("survived".into()));
    let gate = cluster.fakes.dashscope.asr().gate();
    let url = rabbit::amqp_url();
    let webhook = cluster.webhook(&url, &[]).await;
    let mut first = cluster.worker(&[]).await;
    assert_eq!(
        cluster
            .post(&webhook, &voice(&cluster, 9401, "Survive."))
            .await,
        200
    );
    wait_until("the job at the recogniser", WAIT, || {
        (gate.waiting() > 0).then_some(())
    })
    .await;
    first.kill().await;
    gate.release_all();
    let _second = cluster.worker(&[]).await;
    cluster.fakes.wait_text(9401, "survived").await;
    let store = cluster.store().await;
    let job = finished_job(&store, 9401).await;
    assert_eq!(
        job.attempts, 2,
        "taken over after the first worker's heartbeat went stale"
    );
    let settles = ledger_rows(&store, 9401, "settle").await.len();
    assert_eq!(settles, 1);
    assert_eq!(cluster.fakes.shown(9401), vec!["survived".to_owned()]);
    store.close().await;
    cluster.clean_up().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_broker_outage_during_a_burst_loses_nothing_and_duplicates_nothing() {
    let cluster = Cluster::start(BIN, "outage").await;
    let upstream = "127.0.0.1:5672".parse().expect("address");
    let proxy = Proxy::start(upstream).await;
    let via_proxy = format!("amqp://guest:guest@{}/%2f", proxy.addr());
    let webhook = cluster
        .webhook(&via_proxy, &[("WEBHOOK_CONFIRM_TIMEOUT_MS", "2000")])
        .await;
    // The worker loses its connection too, mid-burst.
    let _worker = cluster.worker_via(&via_proxy, &cluster.db.url, &[]).await;
    let chats: Vec<i64> = (0..30).map(|i| 9500 + i).collect();
    let updates: Vec<serde_json::Value> = chats
        .iter()
        .map(|c| {
            cluster
                .fakes
                .telegram
                .register_update(update::text(*c, &user(*c), "/balance"))
        })
        .collect();
    let mut statuses = Vec::new();
    for (i, u) in updates.iter().enumerate() {
        if i == 10 {
            proxy.cut();
        }
        if i == 20 {
            proxy.restore();
        }
        statuses.push(cluster.post(&webhook, u).await);
    }
    let refused: Vec<usize> = statuses
        .iter()
        .enumerate()
        .filter(|(_, s)| **s != 200)
        .map(|(i, _)| i)
        .collect();
    assert!(!refused.is_empty(), "the outage was seen: {statuses:?}");
    assert!(
        refused.iter().all(|i| statuses[*i] == 503),
        "refusals are 503s: {statuses:?}"
    );
    // Updates that got 200 were queued durably: their replies come without any retry.
    for (i, chat) in chats.iter().enumerate() {
        if statuses[i] == 200 {
            cluster
                .fakes
                .wait_containing(*chat, "Balance: 15 min.")
                .await;
        }
    }
    // Telegram re-sends what was refused, until it is accepted.
    for i in refused {
        wait_until_async("the update accepted after the outage", WAIT, || async {
            (cluster.post(&webhook, &updates[i]).await == 200).then_some(())
        })
        .await;
    }
    for chat in &chats {
        cluster
            .fakes
            .wait_containing(*chat, "Balance: 15 min.")
            .await;
    }
    let store = cluster.store().await;
    wait_until_async("every update handled", WAIT, || async {
        for u in &updates {
            let id = u["update_id"].as_i64()?;
            if !store.update_done(&cluster.bot, id).await.ok()? {
                return None;
            }
        }
        Some(())
    })
    .await;
    for chat in &chats {
        assert_eq!(
            cluster.fakes.telegram.messages(*chat).len(),
            1,
            "chat {chat}: exactly one reply"
        );
    }
    store.close().await;
    cluster.clean_up().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_provider_failing_past_the_budget_dead_letters_releases_and_tells() {
    let cluster = Cluster::start(BIN, "dead").await;
    cluster.fakes.dashscope.asr().set_down(true);
    let url = rabbit::amqp_url();
    let webhook = cluster.webhook(&url, &[]).await;
    let _worker = cluster
        .worker(&[
            ("PROVIDER_ATTEMPTS", "1"),
            ("JOB_MAX_ATTEMPTS", "2"),
            ("ADMIN_IDS", "9699"),
        ])
        .await;
    assert_eq!(
        cluster
            .post(&webhook, &voice(&cluster, 9601, "Nobody hears this."))
            .await,
        200
    );
    cluster
        .fakes
        .wait_containing(9601, "recognition service is unavailable")
        .await;
    let dead = cluster.names().dead;
    wait_until_async("the job message in the dead-letter queue", WAIT, || async {
        (rabbit::ready(&dead).await == 1).then_some(())
    })
    .await;
    let store = cluster.store().await;
    let u = store.user(9601).await.expect("user").expect("exists");
    assert_eq!((u.balance, u.held), (900, 0), "hold released");
    let job = store.jobs_of_user(9601, 1).await.expect("jobs").remove(0);
    assert_eq!((job.state.as_str(), job.attempts), ("failed", 2));
    cluster.fakes.wait_containing(9699, "dead-letter").await;
    store.close().await;
    cluster.clean_up().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn sigterm_hands_an_unfinished_job_back_and_finishes_a_short_one() {
    let cluster = Cluster::start(BIN, "term").await;
    cluster
        .fakes
        .dashscope
        .asr()
        .set_reply(|_| Reply::Text("handed back".into()));
    let gate = cluster.fakes.dashscope.asr().gate();
    let url = rabbit::amqp_url();
    let webhook = cluster.webhook(&url, &[]).await;
    let mut first = cluster.worker(&[("SHUTDOWN_GRACE_SECONDS", "1")]).await;
    assert_eq!(
        cluster
            .post(&webhook, &voice(&cluster, 9701, "Long job."))
            .await,
        200
    );
    wait_until("the job at the recogniser", WAIT, || {
        (gate.waiting() > 0).then_some(())
    })
    .await;
    let status = first.terminate().await;
    assert_eq!(status.code(), Some(0), "clean exit");
    assert!(
        first.logs().contains("handing the job back"),
        "requeued, not lost"
    );
    let store = cluster.store().await;
    assert_eq!(
        store.jobs_of_user(9701, 1).await.expect("jobs")[0].state,
        JobState::Queued
    );

    let asked = cluster.fakes.dashscope.asr().traffic().requests;
    let mut second = cluster.worker(&[("SHUTDOWN_GRACE_SECONDS", "20")]).await;
    let ops = second.http_addr().await;
    wait_until("the job running again", WAIT, || {
        (cluster.fakes.dashscope.asr().traffic().requests > asked).then_some(())
    })
    .await;
    // SIGTERM while the recogniser holds the job; released once the worker has stopped serving,
    // the job still finishes within the grace period, before the worker exits.
    let release = async {
        wait_until_async("the worker to take SIGTERM", WAIT, || async {
            tokio::net::TcpStream::connect(ops).await.err().map(drop)
        })
        .await;
        gate.release_all();
    };
    let (status, ()) = tokio::join!(second.terminate(), release);
    assert_eq!(status.code(), Some(0), "clean exit");
    assert_eq!(cluster.fakes.shown(9701), vec!["handed back".to_owned()]);
    let job = store.jobs_of_user(9701, 1).await.expect("jobs").remove(0);
    assert_eq!(job.state, JobState::Done);
    store.close().await;
    cluster.clean_up().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn readiness_follows_broker_and_database_outages_and_work_resumes() {
    let cluster = Cluster::start(BIN, "ready").await;
    let broker = Proxy::start("127.0.0.1:5672".parse().expect("address")).await;
    let database = Proxy::start("127.0.0.1:5432".parse().expect("address")).await;
    let amqp = format!("amqp://guest:guest@{}/%2f", broker.addr());
    let db_url = cluster
        .db
        .url
        .replace("127.0.0.1:5432", &database.addr().to_string());
    let worker = cluster.worker_via(&amqp, &db_url, &[]).await;
    let readyz = format!("http://{}/readyz", worker.http_addr().await);
    let probe = |want: u16, part: &'static str| {
        let (http, url) = (cluster.http.clone(), readyz.clone());
        wait_until_async(part, WAIT, move || {
            let (http, url) = (http.clone(), url.clone());
            async move {
                let r = http.get(url).send().await.ok()?;
                let status = r.status().as_u16();
                let body = r.text().await.ok()?;
                (status == want && body.contains(part)).then_some(())
            }
        })
    };
    probe(200, r#""store":"ok""#).await;
    database.cut();
    probe(503, r#""store":"unavailable""#).await;
    database.restore();
    probe(200, r#""store":"ok""#).await;
    broker.cut();
    probe(503, r#""queue":"unavailable""#).await;
    broker.restore();
    probe(200, r#""queue":"ok""#).await;

    let url = rabbit::amqp_url();
    let webhook = cluster.webhook(&url, &[]).await;
    let balance =
        cluster
            .fakes
            .telegram
            .register_update(update::text(9801, &user(9801), "/balance"));
    assert_eq!(cluster.post(&webhook, &balance).await, 200);
    cluster
        .fakes
        .wait_containing(9801, "Balance: 15 min.")
        .await;
    drop(worker);
    cluster.clean_up().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn payments_and_admin_commands_work_through_the_cluster() {
    let cluster = Cluster::start(BIN, "pay").await;
    let url = rabbit::amqp_url();
    let webhook = cluster.webhook(&url, &[]).await;
    let _worker = cluster.worker(&[("ADMIN_IDS", "9900")]).await;
    let buyer = user(9901);
    let telegram = &cluster.fakes.telegram;
    let buy = telegram.register_update(update::text(9901, &buyer, "/buy_start"));
    assert_eq!(cluster.post(&webhook, &buy).await, 200);
    cluster
        .fakes
        .wait_message(9901, "the invoice", |m| m.invoice.is_some())
        .await;
    let payload = "p1:start:9901";
    let (query, query_id) = update::pre_checkout(&buyer, "XTR", 35, payload);
    assert_eq!(
        cluster
            .post(&webhook, &telegram.register_update(query))
            .await,
        200
    );
    wait_until("the pre-checkout answer", WAIT, || {
        telegram
            .pre_checkout_answers()
            .into_iter()
            .find(|(id, ok, _)| id == &query_id && *ok)
    })
    .await;
    let paid = telegram.register_update(update::successful_payment(
        9901,
        &buyer,
        "XTR",
        35,
        payload,
        "cluster-charge",
    ));
    assert_eq!(cluster.post(&webhook, &paid).await, 200);
    assert_eq!(cluster.post(&webhook, &paid).await, 200, "Telegram retried");
    cluster
        .fakes
        .wait_containing(9901, "Thank you! 50 min added")
        .await;
    let store = cluster.store().await;
    let id = paid["update_id"].as_i64().expect("id");
    wait_until_async("the payment handled", WAIT, || async {
        store
            .update_done(&cluster.bot, id)
            .await
            .ok()?
            .then_some(())
    })
    .await;
    let u = store.user(9901).await.expect("user").expect("exists");
    assert_eq!(u.balance, 900 + 3000, "credited once");
    let admin = scribe_fakes::telegram::TgUser::new(9900, "Boss").lang("en");
    let stat = telegram.register_update(update::text(9900, &admin, "/stat 1"));
    assert_eq!(cluster.post(&webhook, &stat).await, 200);
    cluster
        .fakes
        .wait_containing(9900, "Revenue: 35 ⭐ (1 payments, 0 refunds)")
        .await;
    store.close().await;
    cluster.clean_up().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_worker_is_alive_while_migrations_wait_and_ready_once_they_ran() {
    use sqlx::{Connection, PgConnection};

    let cluster = Cluster::start(BIN, "migrating").await;
    // The schema exists; a migration run reads its history, and waits while this lock is held.
    cluster.store().await.migrate().await.expect("migrations");
    let mut conn = PgConnection::connect(&cluster.db.url)
        .await
        .expect("a connection");
    let mut lock = conn.begin().await.expect("a transaction");
    sqlx::query("LOCK TABLE _sqlx_migrations IN ACCESS EXCLUSIVE MODE")
        .execute(&mut *lock)
        .await
        .expect("the migrations table locked");

    let worker = cluster.worker(&[]).await;
    let base = format!("http://{}", worker.http_addr().await);
    let get = |path: &str| {
        let (http, url) = (cluster.http.clone(), format!("{base}{path}"));
        async move {
            let r = http.get(url).send().await.expect("an answer");
            (r.status().as_u16(), r.text().await.unwrap_or_default())
        }
    };
    // Liveness and startup probes pass while the migration waits; readiness does not.
    assert_eq!(get("/healthz").await.0, 200);
    let (status, body) = get("/readyz").await;
    assert_eq!(status, 503, "{body}");
    assert!(body.contains(r#""store":"unavailable""#), "{body}");
    assert!(
        !worker.logs().contains("scribe worker"),
        "the worker started before its migrations ran"
    );

    lock.commit().await.expect("the lock released");
    let (http, url) = (cluster.http.clone(), format!("{base}/readyz"));
    wait_until_async("readiness once migrations ran", WAIT, move || {
        let (http, url) = (http.clone(), url.clone());
        async move {
            let r = http.get(url).send().await.ok()?;
            (r.status().as_u16() == 200).then_some(())
        }
    })
    .await;
    drop(worker);
    cluster.clean_up().await;
}
