//! Cluster benchmark (`cargo bench --bench cluster`): the real `scribe webhook` and
//! `scribe worker` on this machine's RabbitMQ and PostgreSQL, external APIs faked.
//!
//! 1. Webhook: updates/s with 64 connections in a closed loop, and p50/p99 latency at a fixed
//!    offered load — next to the ceiling of confirmed publishes with lapin alone, same broker,
//!    same run.
//! 2. Interactive latency: `/balance` POSTed to the webhook → `sendMessage` at the fake.
//! 3. Jobs/s with one and two worker processes, the recogniser answering in 500 ms.
//! 4. Worker RSS idle and under load.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use lapin::options::{
    BasicPublishOptions, ConfirmSelectOptions, QueueDeclareOptions, QueueDeleteOptions,
};
use lapin::types::FieldTable;
use lapin::{BasicProperties, Connection, ConnectionProperties};
use scribe_fakes::dashscope::Reply;
use scribe_fakes::telegram::{FileKind, update};
use scribe_rabbitmq::Names;
use scribe_testkit::audio::{self, Format};
use scribe_testkit::bot::{Fakes, Scribe, user};
use scribe_testkit::database::TestDatabase;
use scribe_testkit::rabbit;

const BIN: &str = env!("CARGO_BIN_EXE_scribe");
const SECRET: &str = "bench-secret";
const SECONDS: u64 = 10;

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    sorted[((sorted.len() as f64 - 1.0) * p).round() as usize]
}

fn rss_kib(pid: u32, field: &str) -> u64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .ok()
        .and_then(|s| s.lines().find(|l| l.starts_with(field)).map(str::to_owned))
        .and_then(|l| l.split_whitespace().nth(1).and_then(|v| v.parse().ok()))
        .unwrap_or(0)
}

/// Confirmed publishes per second with lapin alone: 4 confirm channels, 64 publishers.
async fn lapin_ceiling(queue: &str) -> f64 {
    let conn = Connection::connect(&rabbit::amqp_url(), ConnectionProperties::default())
        .await
        .expect("connect");
    let setup = conn.create_channel().await.expect("channel");
    setup
        .queue_declare(
            queue.into(),
            QueueDeclareOptions {
                durable: true,
                ..Default::default()
            },
            FieldTable::default(),
        )
        .await
        .expect("declare");
    let mut channels = Vec::new();
    for _ in 0..4 {
        let c = conn.create_channel().await.expect("channel");
        c.confirm_select(ConfirmSelectOptions::default())
            .await
            .expect("confirms");
        channels.push(c);
    }
    let payload = serde_json::to_vec(&update::text(1, &user(1), "/balance")).expect("json");
    let done = Arc::new(AtomicU64::new(0));
    let deadline = Instant::now() + Duration::from_secs(SECONDS);
    let mut tasks = Vec::new();
    for i in 0..64 {
        let channel = channels[i % 4].clone();
        let (done, payload, queue) = (Arc::clone(&done), payload.clone(), queue.to_owned());
        tasks.push(tokio::spawn(async move {
            while Instant::now() < deadline {
                let confirm = channel
                    .basic_publish(
                        "".into(),
                        queue.as_str().into(),
                        BasicPublishOptions {
                            mandatory: true,
                            ..Default::default()
                        },
                        &payload,
                        BasicProperties::default().with_delivery_mode(2),
                    )
                    .await
                    .expect("publish")
                    .await
                    .expect("confirm");
                assert!(confirm.is_ack());
                done.fetch_add(1, Ordering::Relaxed);
            }
        }));
    }
    for t in tasks {
        t.await.expect("publisher");
    }
    let _ = setup
        .queue_delete(queue.into(), QueueDeleteOptions::default())
        .await;
    let _ = conn.close(200, "done".into()).await;
    done.load(Ordering::Relaxed) as f64 / SECONDS as f64
}

struct Env {
    fakes: Fakes,
    db: TestDatabase,
    bot: String,
    http: reqwest::Client,
}

impl Env {
    fn vars<'a>(&'a self, amqp: &'a str, extra: &[(&'a str, &'a str)]) -> Vec<(&'a str, &'a str)> {
        let mut v = vec![
            ("BOT_NAME", self.bot.as_str()),
            ("AMQP_URL", amqp),
            ("WEBHOOK_SECRET_TOKEN", SECRET),
            ("LOG_LEVEL", "warn,scribe=info"),
            ("TRIAL_MINUTES", "10000"),
        ];
        v.extend_from_slice(extra);
        v
    }

    async fn role(&self, role: &str, extra: &[(&str, &str)]) -> Scribe {
        let url = rabbit::amqp_url();
        Scribe::start_role(
            BIN,
            &[role],
            &self.fakes,
            &self.db.url,
            &self.vars(&url, extra),
        )
        .await
    }
}

async fn post(http: &reqwest::Client, url: &str, body: &[u8]) -> (u16, Duration) {
    let started = Instant::now();
    let status = http
        .post(url)
        .header("X-Telegram-Bot-Api-Secret-Token", SECRET)
        .header("content-type", "application/json")
        .body(body.to_vec())
        .send()
        .await
        .map(|r| r.status().as_u16())
        .unwrap_or(0);
    (status, started.elapsed())
}

/// 1. Webhook throughput against the lapin ceiling, then latency at a fixed offered load.
async fn webhook_load(env: &Env) {
    let ceiling = lapin_ceiling(&format!("scribe.bench-ceiling-{:08x}", fastrand::u32(..))).await;
    let webhook = env.role("webhook", &[]).await;
    let url = format!("http://{}/telegram", webhook.http_addr().await);
    let body = serde_json::to_vec(&env.fakes.telegram.register_update(update::text(
        1,
        &user(1),
        "/balance",
    )))
    .expect("json");
    let accepted = Arc::new(AtomicU64::new(0));
    let deadline = Instant::now() + Duration::from_secs(SECONDS);
    let mut tasks = Vec::new();
    for _ in 0..64 {
        let (http, url, body, accepted) = (
            env.http.clone(),
            url.clone(),
            body.clone(),
            Arc::clone(&accepted),
        );
        tasks.push(tokio::spawn(async move {
            while Instant::now() < deadline {
                if post(&http, &url, &body).await.0 == 200 {
                    accepted.fetch_add(1, Ordering::Relaxed);
                }
            }
        }));
    }
    for t in tasks {
        t.await.expect("client");
    }
    let sustained = accepted.load(Ordering::Relaxed) as f64 / SECONDS as f64;
    println!("| lapin alone: confirmed publishes/s (64 publishers, 4 channels) | {ceiling:.0} |");
    println!("| webhook: accepted updates/s (64 connections, closed loop) | {sustained:.0} |");
    println!("| webhook ÷ lapin ceiling | {:.2} |", sustained / ceiling);

    // Fixed offered load: one request every 2 ms (500/s) for the run, latency per request.
    let offered = 500u64;
    let interval = Duration::from_micros(1_000_000 / offered);
    let mut handles = Vec::new();
    let start = Instant::now();
    for i in 0..offered * SECONDS {
        tokio::time::sleep_until((start + interval * i as u32).into()).await;
        let (http, url, body) = (env.http.clone(), url.clone(), body.clone());
        handles.push(tokio::spawn(async move { post(&http, &url, &body).await }));
    }
    let mut latencies = Vec::new();
    let mut ok = 0;
    for h in handles {
        let (status, took) = h.await.expect("request");
        ok += usize::from(status == 200);
        latencies.push(took);
    }
    latencies.sort();
    println!(
        "| webhook at {offered}/s offered: p50 / p99 latency ({ok} of {} accepted) | {:.1} ms / {:.1} ms |",
        latencies.len(),
        percentile(&latencies, 0.5).as_secs_f64() * 1e3,
        percentile(&latencies, 0.99).as_secs_f64() * 1e3
    );
}

/// 2. Interactive latency, and 4. idle RSS. Returns the worker it started.
async fn interactive(env: &Env, url: &str) -> Scribe {
    let worker = env.role("worker", &[]).await;
    worker.http_addr().await;
    tokio::time::sleep(Duration::from_secs(2)).await; // let it settle before reading idle memory
    let idle = worker.pid().map_or(0, |p| rss_kib(p, "VmRSS:"));
    let mut interactive = Vec::new();
    for i in 0..200 {
        let chat = 20_000 + i;
        let u = serde_json::to_vec(&env.fakes.telegram.register_update(update::text(
            chat,
            &user(chat),
            "/balance",
        )))
        .expect("json");
        let started = Instant::now();
        assert_eq!(post(&env.http, url, &u).await.0, 200);
        let at = scribe_fakes::wait_until("the reply", Duration::from_secs(30), || {
            env.fakes
                .telegram
                .calls_of("sendMessage")
                .into_iter()
                .find(|c| c.params["chat_id"].as_i64() == Some(chat))
                .map(|c| c.at)
        })
        .await;
        interactive.push(at.saturating_duration_since(started));
        tokio::time::sleep(Duration::from_millis(20)).await; // offered load: ~40/s, not a flood
    }
    interactive.sort();
    println!(
        "| `/balance` POST → sendMessage at the fake: p50 / p99 (200 sequential) | {:.1} ms / {:.1} ms |",
        percentile(&interactive, 0.5).as_secs_f64() * 1e3,
        percentile(&interactive, 0.99).as_secs_f64() * 1e3
    );
    println!("| worker RSS, idle | {:.1} MiB |", idle as f64 / 1024.0);

    worker
}

/// 3. Jobs/s with one and two workers, recogniser at 500 ms per request. Returns the workers.
async fn jobs_per_second(env: &Env, url: &str, worker: Scribe) -> Vec<Scribe> {
    env.fakes
        .dashscope
        .asr()
        .set_reply(|_| Reply::Text("bench job".into()));
    env.fakes
        .dashscope
        .asr()
        .set_latency(Duration::from_millis(500));
    let note = audio::encode(
        &audio::say("A short benchmark voice note.", "en"),
        Format::VoiceNote,
    );
    let mut workers = vec![worker];
    let mut chat = 40_000;
    for n in [1usize, 2] {
        while workers.len() < n {
            let w = env.role("worker", &[]).await;
            w.http_addr().await;
            workers.push(w);
        }
        let jobs = 40;
        let first = chat + 1;
        let started = Instant::now();
        for _ in 0..jobs {
            chat += 1;
            // A file of its own (a new `file_unique_id`): a repeated one is answered from the
            // transcript cache without a job.
            let file = env.fakes.telegram.add_file(FileKind::Voice, note.clone());
            let u = serde_json::to_vec(&env.fakes.telegram.register_update(update::voice(
                chat,
                &user(chat),
                &file,
                2,
            )))
            .expect("json");
            assert_eq!(post(&env.http, url, &u).await.0, 200);
        }
        let last = chat;
        scribe_fakes::wait_until("every job delivered", Duration::from_secs(600), || {
            (first..=last)
                .all(|c| {
                    env.fakes
                        .telegram
                        .messages(c)
                        .iter()
                        .any(|m| m.rendered_text.as_deref() == Some("bench job"))
                })
                .then_some(())
        })
        .await;
        let took = started.elapsed();
        println!(
            "| jobs/s, {n} worker process(es) × WORKER_CONCURRENCY=2, ASR 500 ms ({jobs} voice notes) | {:.2} |",
            jobs as f64 / took.as_secs_f64()
        );
    }
    workers
}

#[tokio::main(flavor = "multi_thread", worker_threads = 4)]
async fn main() {
    println!("| measurement | value |\n|---|---|");
    let env = Env {
        fakes: Fakes::start().await,
        db: TestDatabase::postgres().await,
        bot: rabbit::unique_bot("bench"),
        http: scribe_core::http::client(Duration::from_secs(30)).expect("client"),
    };
    webhook_load(&env).await;
    // Drop the backlog the load left behind before measuring the workers.
    let names = Names::new(&env.bot);
    rabbit::delete(&names.exchange, &names.all_queues()).await;
    let webhook = env.role("webhook", &[]).await;
    let url = format!("http://{}/telegram", webhook.http_addr().await);

    let worker = interactive(&env, &url).await;
    let workers = jobs_per_second(&env, &url, worker).await;
    let peak = workers[0].pid().map_or(0, |p| rss_kib(p, "VmHWM:"));
    println!(
        "| worker peak RSS under load | {:.1} MiB |",
        peak as f64 / 1024.0
    );
    drop(workers);
    drop(webhook);
    rabbit::delete(&names.exchange, &names.all_queues()).await;
    env.db.drop_database().await;
}
