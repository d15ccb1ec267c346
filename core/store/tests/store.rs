//! The store on both backends: every test runs the same SQL against a SQLite file and a fresh
//! database on the real PostgreSQL server.

use scribe_core::billing::Reason;
use scribe_core::media::MediaKind;
use scribe_store::{
    Applied, Claim, Error, Intake, JobState, JobStats, Owner, TrialState, UpdateClaim,
};
use scribe_testkit::database::each_backend;
use scribe_testkit::seed::{new_job, user_with, voice};

#[tokio::test]
async fn users_are_created_once_and_refreshed() {
    each_backend(|store| async move {
        let (u, created) = store
            .touch_user(1, "Ann", None, Some("ru"))
            .await
            .expect("touch");
        assert!(created);
        assert_eq!(
            (
                u.balance,
                u.trial_state.as_str(),
                u.settings().keep_yo,
                u.long_output.as_str()
            ),
            (0, "none", true, "auto")
        );
        let (u, created) = store
            .touch_user(1, "Anna", Some("anna"), Some("en"))
            .await
            .expect("touch");
        assert!(!created);
        assert_eq!(
            (
                u.first_name.as_str(),
                u.username.as_deref(),
                u.language_code.as_deref()
            ),
            ("Anna", Some("anna"), Some("en"))
        );
    })
    .await;
}

#[tokio::test]
async fn trial_is_granted_exactly_once() {
    each_backend(|store| async move {
        store.touch_user(2, "Bo", None, None).await.expect("touch");
        assert!(
            store
                .grant_trial(2, TrialState::None, 900)
                .await
                .expect("grant")
        );
        assert!(
            !store
                .grant_trial(2, TrialState::None, 900)
                .await
                .expect("second grant")
        );
        let u = store.user(2).await.expect("user").expect("exists");
        assert_eq!((u.balance, u.trial_state.as_str()), (900, "granted"));
        let ledger = store.ledger_of(2).await.expect("ledger");
        assert_eq!(ledger.len(), 1);
        assert_eq!((ledger[0].reason.as_str(), ledger[0].delta), ("trial", 900));
    })
    .await;
}

#[tokio::test]
async fn keyed_changes_apply_once_and_never_go_negative() {
    each_backend(|store| async move {
        user_with(&store, 3, 100).await;
        assert_eq!(
            store
                .adjust_balance(3, Reason::AdminCredit, "k1", 50, None)
                .await
                .expect("credit"),
            Applied::Now
        );
        assert_eq!(
            store
                .adjust_balance(3, Reason::AdminCredit, "k1", 50, None)
                .await
                .expect("again"),
            Applied::Already
        );
        let err = store
            .adjust_balance(3, Reason::AdminCredit, "k2", -151, None)
            .await
            .expect_err("below zero");
        assert!(
            matches!(
                err,
                Error::Insufficient {
                    balance: 150,
                    needed: 151
                }
            ),
            "{err:?}"
        );
        assert_eq!(
            store.user(3).await.expect("user").expect("exists").balance,
            150
        );
        // The refused change left no ledger row behind.
        assert_eq!(store.ledger_of(3).await.expect("ledger").len(), 2);
    })
    .await;
}

#[tokio::test]
async fn a_job_holds_its_duration_once_per_update() {
    each_backend(|store| async move {
        user_with(&store, 4, 600).await;
        let Intake::Created(job) = store
            .create_job(&new_job(100, 4, voice(42)))
            .await
            .expect("intake")
        else {
            panic!("expected a new job");
        };
        assert_eq!((job.held_seconds, job.state.as_str()), (42, "queued"));
        let Intake::Existing(again) = store
            .create_job(&new_job(100, 4, voice(42)))
            .await
            .expect("intake")
        else {
            panic!("expected the existing job");
        };
        assert_eq!(again.id, job.id);
        let u = store.user(4).await.expect("user").expect("exists");
        assert_eq!((u.balance, u.held), (558, 42));
    })
    .await;
}

#[tokio::test]
async fn intake_without_enough_balance_writes_nothing() {
    each_backend(|store| async move {
        user_with(&store, 5, 30).await;
        let intake = store
            .create_job(&new_job(101, 5, voice(31)))
            .await
            .expect("intake");
        assert!(
            matches!(
                intake,
                Intake::Insufficient {
                    balance: 30,
                    needed: Some(31)
                }
            ),
            "{intake:?}"
        );
        let mut doc = voice(0);
        doc.kind = MediaKind::Document;
        doc.duration = None;
        user_with(&store, 6, 0).await;
        let intake = store
            .create_job(&new_job(102, 6, doc.clone()))
            .await
            .expect("intake");
        assert!(
            matches!(
                intake,
                Intake::Insufficient {
                    balance: 0,
                    needed: None
                }
            ),
            "{intake:?}"
        );
        // A document holds what the balance allows.
        let Intake::Created(job) = store
            .create_job(&new_job(103, 5, doc))
            .await
            .expect("intake")
        else {
            panic!("expected a job");
        };
        assert_eq!(job.held_seconds, 30);
        assert!(store.jobs_of_user(5, 10).await.expect("jobs").len() == 1);
    })
    .await;
}

#[tokio::test]
async fn settle_charges_the_probed_duration_exactly_once() {
    each_backend(|store| async move {
        user_with(&store, 7, 600).await;
        let Intake::Created(job) = store
            .create_job(&new_job(200, 7, voice(40)))
            .await
            .expect("intake")
        else {
            panic!("job");
        };
        let Claim::Run(_) = store.claim_job(job.id, "w1", 0).await.expect("claim") else {
            panic!("claim")
        };
        store
            .set_job_hold(job.id, "w1", 37)
            .await
            .expect("shrink hold");
        store
            .set_job_hold(job.id, "w1", 37)
            .await
            .expect("same hold again");
        let stats = JobStats {
            audio_seconds: Some(37),
            ..JobStats::default()
        };
        assert_eq!(
            store
                .complete_job(job.id, "w1", &stats, None)
                .await
                .expect("complete"),
            Some(37)
        );
        assert_eq!(
            store
                .complete_job(job.id, "w1", &stats, None)
                .await
                .expect("complete again"),
            None
        );
        assert_eq!(
            store
                .fail_job(job.id, Owner::Anyone, "late", &stats)
                .await
                .expect("fail after done"),
            None
        );
        let u = store.user(7).await.expect("user").expect("exists");
        assert_eq!((u.balance, u.held), (563, 0));
        let reasons: Vec<(String, i64, i64)> = store
            .ledger_of(7)
            .await
            .expect("ledger")
            .into_iter()
            .map(|r| (r.reason, r.delta, r.held_delta))
            .collect();
        assert_eq!(
            reasons,
            vec![
                ("admin_credit".into(), 600, 0),
                ("hold".into(), -40, 40),
                ("release".into(), 3, -3),
                ("settle".into(), 0, -37),
            ]
        );
        let claim = store
            .claim_job(job.id, "w2", i64::MAX)
            .await
            .expect("claim");
        assert!(
            matches!(claim, Claim::Finished(_)),
            "a done job is not run again"
        );
    })
    .await;
}

#[tokio::test]
async fn a_longer_probe_holds_more_or_fails_for_lack_of_balance() {
    each_backend(|store| async move {
        user_with(&store, 8, 100).await;
        let Intake::Created(job) = store
            .create_job(&new_job(300, 8, voice(50)))
            .await
            .expect("intake")
        else {
            panic!("job");
        };
        let Claim::Run(_) = store.claim_job(job.id, "w1", 0).await.expect("claim") else {
            panic!("claim")
        };
        store
            .set_job_hold(job.id, "w1", 90)
            .await
            .expect("grow hold");
        assert_eq!(
            store
                .job(job.id)
                .await
                .expect("job")
                .expect("exists")
                .held_seconds,
            90
        );
        let err = store
            .set_job_hold(job.id, "w1", 200)
            .await
            .expect_err("needs 110 s more, has 10 s");
        assert!(
            matches!(
                err,
                Error::Insufficient {
                    balance: 10,
                    needed: 110
                }
            ),
            "{err:?}"
        );
        assert_eq!(
            store
                .job(job.id)
                .await
                .expect("job")
                .expect("exists")
                .held_seconds,
            90,
            "unchanged"
        );
        assert_eq!(
            store
                .fail_job(job.id, Owner::Anyone, "provider", &JobStats::default())
                .await
                .expect("fail"),
            Some(90)
        );
        let u = store.user(8).await.expect("user").expect("exists");
        assert_eq!((u.balance, u.held), (100, 0));
        assert_eq!(
            store
                .fail_job(job.id, Owner::Anyone, "provider", &JobStats::default())
                .await
                .expect("again"),
            None
        );
    })
    .await;
}

#[tokio::test]
async fn stale_running_jobs_are_taken_over_and_fresh_ones_are_not() {
    each_backend(|store| async move {
        user_with(&store, 9, 600).await;
        let Intake::Created(job) = store
            .create_job(&new_job(400, 9, voice(10)))
            .await
            .expect("intake")
        else {
            panic!("job");
        };
        assert!(matches!(
            store.claim_job(job.id, "w1", 0).await.expect("claim"),
            Claim::Run(_)
        ));
        assert!(store.heartbeat(job.id, "w1").await.expect("heartbeat"));
        assert!(matches!(
            store.claim_job(job.id, "w2", 0).await.expect("claim"),
            Claim::Busy
        ));
        let Claim::Run(taken) = store
            .claim_job(job.id, "w2", i64::MAX)
            .await
            .expect("takeover")
        else {
            panic!("stale job taken over");
        };
        assert_eq!(taken.attempts, 2);
        assert!(
            !store
                .heartbeat(job.id, "w1")
                .await
                .expect("old worker's heartbeat")
        );
        assert!(store.requeue_job(job.id, "w2").await.expect("requeue"));
        assert_eq!(
            store.job(job.id).await.expect("job").expect("exists").state,
            JobState::Queued
        );
        assert!(matches!(
            store.claim_job(job.id, "w3", 0).await.expect("claim"),
            Claim::Run(_)
        ));
        assert_eq!(store.requeue_interrupted_jobs().await.expect("recover"), 1);
        assert!(matches!(
            store.claim_job(999_999, "w3", 0).await.expect("claim"),
            Claim::Missing
        ));
    })
    .await;
}

#[tokio::test]
async fn updates_are_claimed_once() {
    each_backend(|store| async move {
        assert_eq!(
            store.claim_update("b", 1, 60_000, 0).await.expect("claim"),
            UpdateClaim::Fresh
        );
        assert_eq!(
            store.claim_update("b", 1, 60_000, 0).await.expect("claim"),
            UpdateClaim::Busy
        );
        assert_eq!(
            store
                .claim_update("other", 1, 60_000, 0)
                .await
                .expect("claim"),
            UpdateClaim::Fresh
        );
        store.release_update("b", 1).await.expect("release");
        assert_eq!(
            store.claim_update("b", 1, 60_000, 0).await.expect("claim"),
            UpdateClaim::Fresh
        );
        store.complete_update("b", 1).await.expect("complete");
        assert_eq!(
            store.claim_update("b", 1, 60_000, 0).await.expect("claim"),
            UpdateClaim::Done
        );
    })
    .await;
}

#[tokio::test]
async fn queue_rows_are_taken_locked_returned_and_deleted() {
    each_backend(|store| async move {
        store
            .enqueue("jobs", "{\"a\":1}", "t1", 1, 0)
            .await
            .expect("enqueue");
        store
            .enqueue("jobs", "{\"a\":2}", "t2", 1, 60_000)
            .await
            .expect("enqueue delayed");
        let rows = store.take_due("jobs", 10, 60_000).await.expect("take");
        assert_eq!(rows.len(), 1);
        assert_eq!(rows[0].payload, "{\"a\":1}");
        assert!(
            store
                .take_due("jobs", 10, 60_000)
                .await
                .expect("take")
                .is_empty(),
            "locked"
        );
        store
            .return_message(rows[0].id, "jobs", 2, 0)
            .await
            .expect("return");
        let again = store.take_due("jobs", 10, 60_000).await.expect("take");
        assert_eq!((again.len(), again[0].attempt), (1, 2));
        store.delete_message(again[0].id).await.expect("delete");
        assert_eq!(store.queue_depth("jobs").await.expect("depth"), 1);
        assert!(
            store
                .next_due_in("jobs")
                .await
                .expect("next")
                .is_some_and(|ms| ms > 50_000)
        );
        store
            .set_bot_state("b", "offset", "41")
            .await
            .expect("state");
        store
            .set_bot_state("b", "offset", "42")
            .await
            .expect("state");
        assert_eq!(
            store
                .bot_state("b", "offset")
                .await
                .expect("state")
                .as_deref(),
            Some("42")
        );
    })
    .await;
}

#[tokio::test]
async fn concurrent_holds_never_overdraw() {
    each_backend(|store| async move {
        user_with(&store, 10, 100).await;
        let mut tasks = Vec::new();
        for i in 0..12 {
            let store = store.clone();
            tasks.push(tokio::spawn(async move {
                store.create_job(&new_job(500 + i, 10, voice(30))).await
            }));
        }
        let mut created = 0;
        for t in tasks {
            match t.await.expect("task").expect("intake") {
                Intake::Created(_) => created += 1,
                Intake::Insufficient { .. } => {}
                Intake::Existing(_) | Intake::TooMany { .. } | Intake::OverCap { .. } => {
                    panic!("distinct messages, no limit")
                }
            }
        }
        assert_eq!(created, 3, "100 s hold three 30 s jobs");
        let u = store.user(10).await.expect("user").expect("exists");
        assert_eq!((u.balance, u.held), (10, 90));
    })
    .await;
}
