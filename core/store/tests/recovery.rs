//! The job state machine under crashes, takeovers, limits and refunds, on both backends: who may
//! change a job, what a worker that takes over finds, and that money stays exact.

use scribe_core::billing::Package;
use scribe_store::{Claim, Intake, JobState, JobStats, Owner, Refund, Store, UpdateClaim};
use scribe_testkit::database::{TestDatabase, each_backend};
use scribe_testkit::seed::{new_job, user_with, voice};

async fn created(store: &Store, update_id: i64, user: i64, seconds: i64) -> i64 {
    match store
        .create_job(&new_job(update_id, user, voice(seconds)))
        .await
        .expect("intake")
    {
        Intake::Created(job) => job.id,
        other => panic!("expected a job, got {other:?}"),
    }
}

async fn claimed(store: &Store, job_id: i64, worker: &str, stale_before: i64) -> scribe_store::Job {
    match store
        .claim_job(job_id, worker, stale_before)
        .await
        .expect("claim")
    {
        Claim::Run(job) => job,
        other => panic!("expected to run, got {other:?}"),
    }
}

/// The first package of the menu: 10 minutes for 35 Stars.
fn start_package() -> Package {
    Package {
        id: "start".into(),
        minutes: 10,
        stars: 35,
        per_user_limit: None,
    }
}

#[tokio::test]
async fn every_claim_counts_an_attempt_however_the_last_one_ended() {
    each_backend(|store| async move {
        user_with(&store, 1, 600).await;
        let id = created(&store, 1, 1, 30).await;
        for attempt in 1..=4 {
            // Each worker "dies" (never finishes): the next claim takes the stale job over.
            let job = claimed(&store, id, &format!("w{attempt}"), i64::MAX).await;
            assert_eq!(job.attempts, attempt);
        }
    })
    .await;
}

#[tokio::test]
async fn a_takeover_during_delivery_resumes_it_and_only_the_owner_finishes() {
    each_backend(|store| async move {
        user_with(&store, 2, 600).await;
        let id = created(&store, 2, 2, 30).await;
        claimed(&store, id, "w1", 0).await;
        assert!(
            store
                .begin_delivery(id, "w1", "the text", None)
                .await
                .expect("begin")
        );
        assert!(store.delivered(id, "w1", 1).await.expect("part"));
        // w1 dies; w2 takes the job over and finds the text and what was sent.
        let job = claimed(&store, id, "w2", i64::MAX).await;
        assert_eq!(job.state, JobState::Delivering);
        assert_eq!(job.result_text.as_deref(), Some("the text"));
        assert_eq!(job.delivered_parts, 1);
        // The old owner can change nothing any more.
        assert!(!store.delivered(id, "w1", 2).await.expect("part"));
        assert!(!store.heartbeat(id, "w1").await.expect("heartbeat"));
        assert_eq!(
            store
                .complete_job(id, "w1", &JobStats::default(), None)
                .await
                .expect("complete"),
            None
        );
        assert_eq!(
            store
                .fail_job(id, Owner::Worker("w1"), "late", &JobStats::default())
                .await
                .expect("fail"),
            None
        );
        assert_eq!(
            store
                .complete_job(id, "w2", &JobStats::default(), None)
                .await
                .expect("complete"),
            Some(30)
        );
        let job = store.job(id).await.expect("job").expect("exists");
        assert_eq!((job.state, job.result_text), (JobState::Done, None));
    })
    .await;
}

#[tokio::test]
async fn a_delivering_job_handed_back_stays_delivering() {
    each_backend(|store| async move {
        user_with(&store, 3, 600).await;
        let id = created(&store, 3, 3, 30).await;
        claimed(&store, id, "w1", 0).await;
        assert!(
            store
                .begin_delivery(id, "w1", "t", None)
                .await
                .expect("begin")
        );
        assert!(store.requeue_job(id, "w1").await.expect("hand back"));
        let job = claimed(&store, id, "w2", 0).await;
        assert_eq!(
            job.state,
            JobState::Delivering,
            "no fresh heartbeat to wait for"
        );
        assert_eq!(store.requeue_interrupted_jobs().await.expect("recover"), 1);
        assert_eq!(
            store.job(id).await.expect("job").expect("exists").state,
            JobState::Delivering
        );
    })
    .await;
}

#[tokio::test]
async fn a_user_has_at_most_the_allowed_active_jobs_even_when_they_arrive_together() {
    each_backend(|store| async move {
        user_with(&store, 4, 6000).await;
        let mut tasks = Vec::new();
        for update in 0..10 {
            let store = store.clone();
            tasks.push(tokio::spawn(async move {
                let mut new = new_job(100 + update, 4, voice(20));
                new.max_active = Some(3);
                store.create_job(&new).await
            }));
        }
        let (mut accepted, mut refused) = (0, 0);
        for task in tasks {
            match task.await.expect("task").expect("intake") {
                Intake::Created(_) => accepted += 1,
                Intake::TooMany { active } => {
                    assert!(active >= 3);
                    refused += 1;
                }
                other => panic!("{other:?}"),
            }
        }
        assert_eq!((accepted, refused), (3, 7));
        let user = store.user(4).await.expect("user").expect("exists");
        assert_eq!(
            (user.balance, user.held),
            (6000 - 60, 60),
            "nothing held for the refused"
        );
        let holds = store
            .ledger_of(4)
            .await
            .expect("ledger")
            .into_iter()
            .filter(|r| r.reason == "hold")
            .count();
        assert_eq!(holds, 3);
    })
    .await;
}

#[tokio::test]
async fn a_refund_takes_minutes_on_hold_when_the_hold_is_released() {
    each_backend(|store| async move {
        store.touch_user(5, "Pay", None, None).await.expect("user");
        let package = start_package();
        store
            .record_payment("charge-1", 5, &package, 35, None)
            .await
            .expect("pay");
        let id = created(&store, 50, 5, 400).await;
        assert_eq!(
            store.refund_payment("charge-1").await.expect("refund"),
            Refund::Refunded {
                seconds: 200,
                pending: 400
            }
        );
        let user = store.user(5).await.expect("user").expect("exists");
        assert_eq!(
            (user.balance, user.held, user.refund_pending),
            (0, 400, 400)
        );
        // The job fails: its hold comes back, and the refund takes it.
        assert_eq!(
            store
                .fail_job(id, Owner::Anyone, "provider", &JobStats::default())
                .await
                .expect("fail"),
            Some(400)
        );
        let user = store.user(5).await.expect("user").expect("exists");
        assert_eq!((user.balance, user.held, user.refund_pending), (0, 0, 0));
        let payment = store
            .payment("charge-1")
            .await
            .expect("payment")
            .expect("exists");
        assert_eq!(payment.refunded_seconds, 600);
    })
    .await;
}

#[tokio::test]
async fn refund_debt_ends_when_the_held_minutes_are_spent() {
    each_backend(|store| async move {
        store.touch_user(6, "Pay", None, None).await.expect("user");
        let package = start_package();
        store
            .record_payment("charge-2", 6, &package, 35, None)
            .await
            .expect("pay");
        let id = created(&store, 60, 6, 400).await;
        claimed(&store, id, "w", 0).await;
        store.refund_payment("charge-2").await.expect("refund");
        // The job's decoded length is shorter: the difference is released and taken.
        store.set_job_hold(id, "w", 300).await.expect("shrink");
        let user = store.user(6).await.expect("user").expect("exists");
        assert_eq!(
            (user.balance, user.held, user.refund_pending),
            (0, 300, 300)
        );
        // The job completes: the minutes were spent on it, and nothing is owed any more.
        assert_eq!(
            store
                .complete_job(id, "w", &JobStats::default(), None)
                .await
                .expect("complete"),
            Some(300)
        );
        let user = store.user(6).await.expect("user").expect("exists");
        assert_eq!((user.balance, user.held, user.refund_pending), (0, 0, 0));
        let payment = store
            .payment("charge-2")
            .await
            .expect("payment")
            .expect("exists");
        assert_eq!(payment.refunded_seconds, 300);
    })
    .await;
}

#[tokio::test]
async fn an_update_id_seen_before_the_window_is_new_again() {
    each_backend(|store| async move {
        assert_eq!(
            store.claim_update("b", 7, 60_000, 0).await.expect("claim"),
            UpdateClaim::Fresh
        );
        store.complete_update("b", 7).await.expect("done");
        assert_eq!(
            store.claim_update("b", 7, 60_000, 0).await.expect("claim"),
            UpdateClaim::Done,
            "a duplicate within the window"
        );
        let later = scribe_core::time::now_secs() + 1;
        assert_eq!(
            store
                .claim_update("b", 7, 60_000, later)
                .await
                .expect("claim"),
            UpdateClaim::Fresh,
            "the same id after the window is another update"
        );
        assert_eq!(store.forget_updates(later).await.expect("forget"), 1);
    })
    .await;
}

#[tokio::test]
async fn per_user_update_counts_are_shared_and_per_window() {
    each_backend(|store| async move {
        let counts = [
            store.count_user_update(8, 3600).await.expect("count"),
            store.count_user_update(8, 3600).await.expect("count"),
            store.count_user_update(9, 3600).await.expect("count"),
            store.count_user_update(8, 3600).await.expect("count"),
        ];
        assert_eq!(counts, [1, 2, 1, 3]);
    })
    .await;
}

#[tokio::test]
async fn jobs_whose_message_may_be_lost_are_found() {
    each_backend(|store| async move {
        user_with(&store, 10, 600).await;
        let queued = created(&store, 70, 10, 10).await;
        let running = created(&store, 71, 10, 10).await;
        claimed(&store, running, "w", 0).await;
        let now = scribe_core::time::now_secs();
        let now_ms = scribe_core::time::now_millis();
        assert!(
            store
                .orphaned_jobs(now - 60, now_ms - 60_000, 10)
                .await
                .expect("orphans")
                .is_empty(),
            "just published, heartbeat fresh"
        );
        let ids: Vec<i64> = store
            .orphaned_jobs(now + 1, now_ms + 1, 10)
            .await
            .expect("orphans")
            .iter()
            .map(|j| j.id)
            .collect();
        assert_eq!(ids, vec![queued, running]);
        store.mark_published(queued).await.expect("published");
        assert_eq!(
            store.stuck_jobs(now + 1).await.expect("stuck").len(),
            2,
            "both unfinished"
        );
    })
    .await;
}

#[tokio::test]
async fn the_schema_refuses_unknown_states_on_both_backends() {
    for db in [TestDatabase::sqlite(), TestDatabase::postgres().await] {
        let store = Store::connect(&scribe_core::Secret::new(db.url.clone()), 2)
            .await
            .expect("connect");
        store.migrate().await.expect("migrate");
        user_with(&store, 11, 60).await;
        created(&store, 80, 11, 10).await;
        let package = start_package();
        store
            .record_payment("charge-80", 11, &package, 35, None)
            .await
            .expect("pay");
        store.close().await;
        let pool = sqlx::AnyPool::connect(&db.url).await.expect("pool");
        for sql in [
            "UPDATE jobs SET state = 'stuck'",
            "UPDATE users SET trial_state = 'maybe'",
            "UPDATE users SET code_output = 2",
            "UPDATE users SET long_output = 'pdf'",
        ] {
            assert!(
                sqlx::query(sql).execute(&pool).await.is_err(),
                "{sql} on {}",
                db.url
            );
        }
        // A known state is written; an unknown one is refused by the state check itself.
        let refunded = sqlx::query("UPDATE payments SET state = 'refunded'")
            .execute(&pool)
            .await
            .expect("a known payment state");
        assert_eq!(refunded.rows_affected(), 1, "on {}", db.url);
        let refused = sqlx::query("UPDATE payments SET state = 'lost'")
            .execute(&pool)
            .await
            .expect_err("an unknown payment state");
        assert!(
            refused.to_string().contains("payments_state_check"),
            "{refused} on {}",
            db.url
        );
        pool.close().await;
        db.drop_database().await;
    }
}
