//! Property: after any sequence of balance operations — credits and debits with repeated keys,
//! trials granted and revoked, payments delivered twice and refunded, jobs held, re-held,
//! settled and failed in any order — every balance equals its ledger sum, nothing is negative,
//! and every held second belongs to an unfinished job.

use proptest::prelude::*;
use proptest::strategy::ValueTree;
use scribe_core::Secret;
use scribe_core::billing::{Package, Reason};
use scribe_core::media::{Media, MediaKind};
use scribe_store::{Intake, JobSource, JobStats, NewJob, Owner, Store, TrialState};
use scribe_testkit::database::TestDatabase;

#[derive(Debug, Clone)]
enum Op {
    Credit {
        user: i64,
        seconds: i64,
        key: u8,
    },
    Trial {
        user: i64,
    },
    Revoke {
        user: i64,
    },
    Pay {
        user: i64,
        charge: u8,
    },
    Refund {
        charge: u8,
    },
    Job {
        user: i64,
        update: u8,
        seconds: i64,
        document: bool,
    },
    Probe {
        update: u8,
        seconds: i64,
    },
    Complete {
        update: u8,
    },
    Fail {
        update: u8,
    },
}

fn op() -> impl Strategy<Value = Op> {
    let user = 1i64..=3;
    prop_oneof![
        (user.clone(), -400i64..600, 0u8..4).prop_map(|(user, seconds, key)| Op::Credit {
            user,
            seconds,
            key
        }),
        user.clone().prop_map(|user| Op::Trial { user }),
        user.clone().prop_map(|user| Op::Revoke { user }),
        (user.clone(), 0u8..4).prop_map(|(user, charge)| Op::Pay { user, charge }),
        (0u8..4).prop_map(|charge| Op::Refund { charge }),
        (user, 0u8..6, 1i64..400, any::<bool>()).prop_map(|(user, update, seconds, document)| {
            Op::Job {
                user,
                update,
                seconds,
                document,
            }
        }),
        (0u8..6, 1i64..500).prop_map(|(update, seconds)| Op::Probe { update, seconds }),
        (0u8..6).prop_map(|update| Op::Complete { update }),
        (0u8..6).prop_map(|update| Op::Fail { update }),
    ]
}

const PACKAGE: Package = Package {
    id: String::new(),
    minutes: 5,
    stars: 3,
    per_user_limit: None,
};

async fn job_id(store: &Store, update: u8) -> Option<i64> {
    for user in 1..=3 {
        if let Some(job) = store
            .jobs_of_user(user, 100)
            .await
            .ok()?
            .into_iter()
            .find(|j| j.update_id == i64::from(update))
        {
            return Some(job.id);
        }
    }
    None
}

/// Applies `op`; business refusals (not enough balance, wrong state) are expected outcomes.
async fn apply(store: &Store, op: &Op) {
    match op {
        Op::Credit { user, seconds, key } => {
            let _ = store
                .adjust_balance(
                    *user,
                    Reason::AdminCredit,
                    &format!("k{key}"),
                    *seconds,
                    None,
                )
                .await;
        }
        Op::Trial { user } => {
            let _ = store
                .grant_trial(*user, TrialState::None, 900)
                .await
                .expect("trial");
        }
        Op::Revoke { user } => {
            let _ = store.revoke_trial(*user, 900).await.expect("revoke");
        }
        Op::Pay { user, charge } => {
            let package = Package {
                id: "p".into(),
                ..PACKAGE
            };
            let _ = store
                .record_payment(&format!("c{charge}"), *user, &package, 3, None)
                .await
                .expect("pay");
        }
        Op::Refund { charge } => {
            let _ = store
                .refund_payment(&format!("c{charge}"))
                .await
                .expect("refund");
        }
        Op::Job {
            user,
            update,
            seconds,
            document,
        } => {
            let media = Media {
                kind: if *document {
                    MediaKind::Document
                } else {
                    MediaKind::Voice
                },
                file_id: "f".into(),
                file_unique_id: "u".into(),
                file_size: None,
                duration: (!document).then_some(*seconds),
                mime_type: None,
                file_name: None,
            };
            let new = NewJob {
                bot: "p".into(),
                update_id: i64::from(*update),
                user_id: *user,
                chat_id: *user,
                message_id: i64::from(*update),
                media,
                trace_id: "t".into(),
                unknown_duration_cap: 1000,
                max_active: Some(3),
                source: JobSource::Private,
                requested_by: None,
                reply_to: None,
                settings_key: String::new(),
                daily_cap: None,
                parts: Vec::new(),
            };
            let _: Intake = store.create_job(&new).await.expect("intake");
        }
        Op::Probe { update, seconds } => {
            if let Some(id) = job_id(store, *update).await {
                let _ = store.claim_job(id, "w", i64::MAX).await.expect("claim");
                let _ = store.set_job_hold(id, "w", *seconds).await;
            }
        }
        Op::Complete { update } => {
            if let Some(id) = job_id(store, *update).await {
                let _ = store.claim_job(id, "w", i64::MAX).await.expect("claim");
                let _ = store
                    .begin_delivery(id, "w", "text", None)
                    .await
                    .expect("deliver");
                let _ = store
                    .complete_job(id, "w", &JobStats::default(), None)
                    .await
                    .expect("complete");
            }
        }
        Op::Fail { update } => {
            if let Some(id) = job_id(store, *update).await {
                let _ = store
                    .fail_job(id, Owner::Anyone, "test", &JobStats::default())
                    .await
                    .expect("fail");
            }
        }
    }
}

async fn check(store: &Store, after: &Op) {
    assert!(
        store.ledger_mismatches().await.expect("check").is_empty(),
        "balance ≠ ledger after {after:?}"
    );
    for user in 1..=3 {
        let u = store.user(user).await.expect("user").expect("exists");
        assert!(
            u.balance >= 0 && u.held >= 0,
            "negative after {after:?}: {u:?}"
        );
        let held: i64 = store
            .jobs_of_user(user, 100)
            .await
            .expect("jobs")
            .iter()
            .filter(|j| !j.state.is_finished())
            .map(|j| j.held_seconds)
            .sum();
        assert_eq!(
            u.held, held,
            "held seconds belong to unfinished jobs, after {after:?}"
        );
        assert!(
            (0..=u.held).contains(&u.refund_pending),
            "refund debt is owed only from holds, after {after:?}: {u:?}"
        );
    }
}

async fn run(url: &str, ops: &[Op]) {
    let store = Store::connect(&Secret::new(url.to_owned()), 2)
        .await
        .expect("connect");
    store.migrate().await.expect("migrate");
    for user in 1..=3 {
        store.touch_user(user, "P", None, None).await.expect("user");
    }
    for op in ops {
        apply(&store, op).await;
        check(&store, op).await;
    }
    store.close().await;
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 24, ..ProptestConfig::default() })]

    #[test]
    fn balances_always_equal_the_ledger_on_sqlite(ops in proptest::collection::vec(op(), 1..60)) {
        let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("runtime");
        runtime.block_on(async {
            let db = TestDatabase::sqlite();
            run(&db.url, &ops).await;
        });
    }
}

/// The same property on PostgreSQL, over one long random sequence (fixed seed, so a failure
/// reproduces).
#[tokio::test]
async fn balances_always_equal_the_ledger_on_postgres() {
    let mut runner = proptest::test_runner::TestRunner::deterministic();
    let ops = proptest::collection::vec(op(), 300)
        .new_tree(&mut runner)
        .expect("ops")
        .current();
    let db = TestDatabase::postgres().await;
    run(&db.url, &ops).await;
    db.drop_database().await;
}
