//! Transcript actions on both backends: one run per job and action, the daily allowance then a
//! ledger charge keyed by the press, answers that go with their transcript, glossary edits
//! that do not overwrite each other.

use scribe_store::{ActionAnswer, ActionPrice, Cost, Press, TranscriptOwner};
use scribe_testkit::database::each_backend;
use scribe_testkit::seed::{kept_job, user_with};

const PRICE: ActionPrice = ActionPrice {
    per_day: 2,
    seconds: 30,
};

#[tokio::test]
async fn a_press_runs_once_and_costs_only_beyond_the_daily_allowance() {
    each_backend(|store| async move {
        user_with(&store, 40, 100).await;
        let owner = TranscriptOwner::User(40);
        let now = scribe_core::time::now_secs();
        let mut jobs = Vec::new();
        for update in 1..=4 {
            jobs.push(kept_job(&store, update, 40, owner, 7, "text").await);
        }
        let balance = |store: scribe_store::Store| async move {
            store.user(40).await.expect("user").expect("exists").balance
        };
        let before = balance(store.clone()).await;

        // A double tap: the second press finds the first one running, then done.
        assert_eq!(
            store
                .claim_press(jobs[0], "summary", 40, now, 600)
                .await
                .expect("claim"),
            Press::Claimed
        );
        assert_eq!(
            store
                .claim_press(jobs[0], "summary", 40, now, 600)
                .await
                .expect("claim"),
            Press::Running
        );
        assert_eq!(
            store
                .finish_press(jobs[0], "summary", PRICE, now)
                .await
                .expect("finish"),
            Cost::Free
        );
        assert_eq!(
            store
                .claim_press(jobs[0], "summary", 40, now, 600)
                .await
                .expect("claim"),
            Press::Done
        );
        // Finishing twice (a redelivered message) changes nothing.
        assert_eq!(
            store
                .finish_press(jobs[0], "summary", PRICE, now)
                .await
                .expect("finish"),
            Cost::Free
        );

        // The second press of the day is free, the third costs.
        assert_eq!(
            store
                .claim_press(jobs[1], "items", 40, now, 600)
                .await
                .expect("claim"),
            Press::Claimed
        );
        assert_eq!(
            store
                .finish_press(jobs[1], "items", PRICE, now)
                .await
                .expect("finish"),
            Cost::Free
        );
        assert_eq!(
            store.next_press_cost(40, PRICE, now).await.expect("cost"),
            (Cost::Charged(30), true)
        );
        assert_eq!(
            store
                .claim_press(jobs[2], "tr-en", 40, now, 600)
                .await
                .expect("claim"),
            Press::Claimed
        );
        assert_eq!(
            store
                .finish_press(jobs[2], "tr-en", PRICE, now)
                .await
                .expect("finish"),
            Cost::Charged(30)
        );
        assert_eq!(
            store
                .finish_press(jobs[2], "tr-en", PRICE, now)
                .await
                .expect("finish"),
            Cost::Charged(30)
        );
        assert_eq!(balance(store.clone()).await, before - 30, "charged once");
        let ledger = store.ledger_of(40).await.expect("ledger");
        let charges: Vec<_> = ledger.iter().filter(|r| r.reason == "action").collect();
        assert_eq!(charges.len(), 1);
        assert_eq!(charges[0].idem_key, format!("action:{}:tr-en", jobs[2]));
        assert_eq!(charges[0].job_id, Some(jobs[2]));
        assert!(store.ledger_mismatches().await.expect("audit").is_empty());

        // The next day the allowance starts again.
        let tomorrow = now + 86_400;
        assert_eq!(
            store
                .next_press_cost(40, PRICE, tomorrow)
                .await
                .expect("cost"),
            (Cost::Free, true)
        );

        // Beyond the allowance with too little balance: refused before and at the charge.
        store
            .adjust_balance(
                40,
                scribe_core::billing::Reason::AdminCredit,
                "drain",
                -(before - 30 - 10),
                None,
            )
            .await
            .expect("drain");
        assert_eq!(
            store.next_press_cost(40, PRICE, now).await.expect("cost"),
            (Cost::Charged(30), false)
        );
        assert_eq!(
            store
                .claim_press(jobs[3], "summary", 40, now, 600)
                .await
                .expect("claim"),
            Press::Claimed
        );
        let refused = store.finish_press(jobs[3], "summary", PRICE, now).await;
        assert!(
            matches!(refused, Err(scribe_store::Error::Insufficient { .. })),
            "{refused:?}"
        );
        assert_eq!(balance(store.clone()).await, 10);
        // Released, it can be pressed again.
        store
            .release_press(jobs[3], "summary")
            .await
            .expect("release");
        assert_eq!(
            store
                .claim_press(jobs[3], "summary", 40, now, 600)
                .await
                .expect("claim"),
            Press::Claimed
        );
        assert!(store.ledger_mismatches().await.expect("audit").is_empty());
    })
    .await;
}

#[tokio::test]
async fn a_press_whose_worker_died_is_taken_over_once_stale() {
    each_backend(|store| async move {
        user_with(&store, 41, 100).await;
        let job = kept_job(&store, 1, 41, TranscriptOwner::User(41), 7, "text").await;
        let now = scribe_core::time::now_secs();
        assert_eq!(
            store
                .claim_press(job, "summary", 41, now, 600)
                .await
                .expect("claim"),
            Press::Claimed
        );
        assert_eq!(
            store
                .claim_press(job, "summary", 41, now + 599, 600)
                .await
                .expect("claim"),
            Press::Running
        );
        assert_eq!(
            store
                .claim_press(job, "summary", 41, now + 601, 600)
                .await
                .expect("claim"),
            Press::Claimed
        );
        assert_eq!(
            store
                .claim_press(job, "summary", 41, now + 602, 600)
                .await
                .expect("claim"),
            Press::Running
        );
    })
    .await;
}

#[tokio::test]
async fn answers_are_kept_with_their_transcript_and_go_with_it() {
    each_backend(|store| async move {
        user_with(&store, 42, 100).await;
        let owner = TranscriptOwner::User(42);
        let now = scribe_core::time::now_secs();
        let job = kept_job(&store, 1, 42, owner, 7, "the transcript").await;
        let transcript = store
            .transcript_of_job(job, now)
            .await
            .expect("read")
            .expect("kept");
        assert_eq!(transcript.text, "the transcript");
        let answer = ActionAnswer {
            text: "a summary".into(),
            model: "qwen-plus".into(),
        };
        store
            .keep_action_answer(transcript.id, "summary", &answer, now)
            .await
            .expect("keep");
        let other = ActionAnswer {
            text: "another".into(),
            model: "gemini".into(),
        };
        store
            .keep_action_answer(transcript.id, "summary", &other, now)
            .await
            .expect("keep");
        assert_eq!(
            store
                .action_answer(transcript.id, "summary")
                .await
                .expect("read"),
            Some(answer)
        );
        assert_eq!(
            store
                .action_answer(transcript.id, "items")
                .await
                .expect("read"),
            None
        );
        // /forget takes the transcript, and its answers with it.
        store.forget_user(42).await.expect("forget");
        assert!(
            store
                .transcript_of_job(job, now)
                .await
                .expect("read")
                .is_none()
        );
        assert_eq!(
            store
                .action_answer(transcript.id, "summary")
                .await
                .expect("read"),
            None
        );
    })
    .await;
}

#[tokio::test]
async fn glossary_edits_do_not_overwrite_each_other() {
    each_backend(|store| async move {
        user_with(&store, 43, 0).await;
        let owner = TranscriptOwner::User(43);
        assert!(
            store
                .replace_glossary(owner, "", "Anna")
                .await
                .expect("first")
        );
        // A second edit that read the glossary before the first one landed is refused.
        assert!(
            !store
                .replace_glossary(owner, "", "Bob")
                .await
                .expect("stale")
        );
        assert!(
            store
                .replace_glossary(owner, "Anna", "Anna\nBob")
                .await
                .expect("retry")
        );
        assert_eq!(
            store
                .user(43)
                .await
                .expect("user")
                .expect("exists")
                .glossary,
            "Anna\nBob"
        );
        let group = TranscriptOwner::Chat(-500);
        assert!(
            store
                .replace_glossary(group, "", "Kubernetes")
                .await
                .expect("group")
        );
        assert_eq!(
            store.group(-500).await.expect("group").glossary,
            "Kubernetes"
        );
        store.forget_user(43).await.expect("forget");
        assert_eq!(
            store
                .user(43)
                .await
                .expect("user")
                .expect("exists")
                .glossary,
            ""
        );
    })
    .await;
}
