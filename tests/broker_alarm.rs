//! A broker that stops confirming (a real memory alarm on this machine's RabbitMQ): publishes
//! time out instead of holding an update slot forever, readiness goes false, and the work
//! resumes once the alarm clears. The alarm blocks every publisher on the broker, so this test
//! has a binary of its own (test binaries run one after another).

use scribe_fakes::dashscope::Reply;
use scribe_fakes::telegram::{FileKind, update};
use scribe_fakes::wait_until_async;
use scribe_store::JobState;
use scribe_testkit::audio::{self, Format};
use scribe_testkit::bot::{WAIT, ledger_rows, user};
use scribe_testkit::cluster::Cluster;
use scribe_testkit::rabbit::{self, MemoryAlarm};

const BIN: &str = env!("CARGO_BIN_EXE_scribe");

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_broker_that_stops_confirming_frees_the_slot_fails_readiness_and_work_resumes() {
    let cluster = Cluster::start(BIN, "alarm").await;
    cluster
        .fakes
        .dashscope
        .asr()
        .set_reply(|_| Reply::Text("after the alarm".into()));
    let amqp = rabbit::amqp_url();
    let webhook = cluster.webhook(&amqp, &[]).await;
    let chat = 7401;
    let bytes = audio::encode(&audio::say("After the alarm.", "en"), Format::VoiceNote);
    let file = cluster.fakes.telegram.add_file(FileKind::Voice, bytes);
    let voice = cluster
        .fakes
        .telegram
        .register_update(update::voice(chat, &user(chat), &file, 2));
    let balance =
        cluster
            .fakes
            .telegram
            .register_update(update::text(chat, &user(chat), "/balance"));
    // Both updates are in the queue before the broker stops confirming.
    assert_eq!(cluster.post(&webhook, &voice).await, 200);
    assert_eq!(cluster.post(&webhook, &balance).await, 200);

    let alarm = MemoryAlarm::raise();
    let worker = cluster
        .worker(&[
            ("UPDATES_CONCURRENCY", "1"),
            ("AMQP_CONFIRM_TIMEOUT_MS", "1000"),
        ])
        .await;
    // The voice note's intake cannot publish its job; its only update slot is freed after the
    // confirm timeout, so the command behind it is answered during the alarm.
    cluster.fakes.wait_containing(chat, "Balance").await;
    wait_until_async("readiness to fail", WAIT, || async {
        (!cluster.ready(&worker).await).then_some(())
    })
    .await;
    assert!(
        !cluster
            .fakes
            .shown(chat)
            .iter()
            .any(|t| t.contains("after the alarm")),
        "nothing was recognised while publishing was blocked"
    );

    drop(alarm);
    cluster.fakes.wait_text(chat, "after the alarm").await;
    wait_until_async("readiness to return", WAIT, || async {
        cluster.ready(&worker).await.then_some(())
    })
    .await;
    let store = cluster.store().await;
    let jobs = store.jobs_of_user(chat, 5).await.expect("jobs");
    assert_eq!(jobs.len(), 1, "one job for the one voice note");
    assert_eq!(jobs[0].state, JobState::Done);
    assert_eq!(ledger_rows(&store, chat, "hold").await.len(), 1);
    assert_eq!(ledger_rows(&store, chat, "settle").await.len(), 1);
    let names = cluster.names();
    assert_eq!(rabbit::ready(&names.dead).await, 0);
    store.close().await;
    cluster.clean_up().await;
}
