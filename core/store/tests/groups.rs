//! Groups, kept transcripts, batches and the daily cap on both backends.

use scribe_store::{BatchPart, DailyCap, Intake, JobSource, Keep, TranscriptOwner, epoch_day};
use scribe_testkit::database::each_backend;
use scribe_testkit::seed::{kept_job, new_job, user_with, voice};

fn part(chat: i64, message: i64) -> BatchPart {
    BatchPart {
        bot: "b".into(),
        chat_id: chat,
        message_id: message,
        user_id: chat,
        update_id: message,
        media_kind: "voice".into(),
        file_id: format!("f{message}"),
        file_unique_id: format!("u{message}"),
        file_size: None,
        reported_seconds: 5,
        sender: "Ann".into(),
        sent_at: 1_790_000_000,
        trace_id: "t".into(),
    }
}

#[tokio::test]
async fn a_batch_is_taken_only_by_the_closer_that_saw_all_of_it() {
    each_backend(|store| async move {
        assert_eq!(store.add_batch_part(&part(1, 10)).await.expect("add"), 1);
        assert_eq!(store.add_batch_part(&part(1, 11)).await.expect("add"), 2);
        // A redelivered update adds nothing.
        assert_eq!(store.add_batch_part(&part(1, 11)).await.expect("add"), 2);
        assert_eq!(
            store
                .add_batch_part(&part(2, 12))
                .await
                .expect("other chat"),
            1
        );
        assert!(
            store.take_batch("b", 1, 1).await.expect("take").is_none(),
            "a stale closer"
        );
        let parts = store
            .take_batch("b", 1, 2)
            .await
            .expect("take")
            .expect("parts");
        assert_eq!(
            parts.iter().map(|p| p.message_id).collect::<Vec<_>>(),
            vec![10, 11]
        );
        assert!(
            store.take_batch("b", 1, 2).await.expect("take").is_none(),
            "taken once"
        );
    })
    .await;
}

#[tokio::test]
async fn auto_mode_stays_within_its_daily_cap_and_notices_once_a_day() {
    each_backend(|store| async move {
        user_with(&store, 20, 3600).await;
        let chat = -100;
        store.set_auto(chat, Some((20, 60))).await.expect("auto");
        let since = epoch_day(scribe_core::time::now_secs()) * 86_400;
        let auto = |update: i64, seconds: i64| {
            let mut new = new_job(update, 20, voice(seconds));
            new.chat_id = chat;
            new.source = JobSource::Auto;
            new.daily_cap = Some(DailyCap {
                chat_id: chat,
                seconds: 60,
                since,
            });
            new
        };
        assert!(matches!(
            store.create_job(&auto(1, 40)).await.expect("intake"),
            Intake::Created(_)
        ));
        assert!(matches!(
            store.create_job(&auto(2, 30)).await.expect("intake"),
            Intake::OverCap { used: 40 }
        ));
        assert!(matches!(
            store.create_job(&auto(3, 20)).await.expect("intake"),
            Intake::Created(_)
        ));
        assert_eq!(store.auto_used_since(chat, since).await.expect("used"), 60);
        let day = epoch_day(scribe_core::time::now_secs());
        assert!(store.claim_auto_notice(chat, day).await.expect("notice"));
        assert!(!store.claim_auto_notice(chat, day).await.expect("notice"));
        assert!(
            store
                .claim_auto_notice(chat, day + 1)
                .await
                .expect("next day")
        );
        let user = store.user(20).await.expect("user").expect("exists");
        assert_eq!(user.held, 60, "nothing held for the refused job");
    })
    .await;
}

#[tokio::test]
async fn kept_transcripts_answer_the_cache_until_they_expire_or_are_forgotten() {
    each_backend(|store| async move {
        user_with(&store, 30, 600).await;
        let owner = TranscriptOwner::User(30);
        kept_job(&store, 1, 30, owner, 7, "kept text").await;
        let now = scribe_core::time::now_secs();
        let hit = store
            .cached_transcript("uniq", "lang=auto", now)
            .await
            .expect("cache")
            .expect("a hit");
        assert_eq!(hit.text, "kept text");
        assert!(
            store
                .cached_transcript("uniq", "lang=ru", now)
                .await
                .expect("cache")
                .is_none(),
            "other settings"
        );
        // A shorter retention re-dates what is kept; the sweep takes the clock as a parameter.
        store
            .set_retention(owner, Some(1), 7)
            .await
            .expect("retention");
        assert_eq!(
            store
                .delete_expired_transcripts(now + 3600)
                .await
                .expect("sweep"),
            0
        );
        assert_eq!(
            store
                .delete_expired_transcripts(now + 2 * 86_400)
                .await
                .expect("sweep"),
            1
        );
        assert!(
            store
                .cached_transcript("uniq", "lang=auto", now)
                .await
                .expect("cache")
                .is_none()
        );
        // Retention off keeps nothing, and deletes what was kept.
        kept_job(&store, 2, 30, owner, 7, "kept text").await;
        store.set_retention(owner, Some(0), 7).await.expect("off");
        assert!(store.transcripts_of(owner).await.expect("kept").is_empty());
        // Forget deletes the user's transcripts and job content, keeps the money.
        kept_job(&store, 3, 30, owner, 7, "kept text").await;
        let forgotten = store.forget_user(30).await.expect("forget");
        assert_eq!(forgotten.transcripts, 1);
        assert!(store.transcripts_of(owner).await.expect("kept").is_empty());
        for job in store.jobs_of_user(30, 10).await.expect("jobs") {
            assert_eq!((job.file_unique_id.as_str(), job.file_name), ("", None));
        }
        assert_eq!(store.ledger_of(30).await.expect("ledger").len(), 1 + 3 * 2);
    })
    .await;
}

#[tokio::test]
async fn a_group_that_becomes_a_supergroup_keeps_its_settings_and_transcripts() {
    each_backend(|store| async move {
        user_with(&store, 40, 600).await;
        store.set_auto(-1, Some((40, 600))).await.expect("auto");
        store
            .set_retention(TranscriptOwner::Chat(-1), Some(30), 7)
            .await
            .expect("retention");
        let mut new = new_job(1, 40, voice(10));
        new.chat_id = -1;
        let Intake::Created(job) = store.create_job(&new).await.expect("intake") else {
            panic!("created")
        };
        store.claim_job(job.id, "w", 0).await.expect("claim");
        assert!(
            store
                .begin_delivery(job.id, "w", "group text", None)
                .await
                .expect("deliver")
        );
        store
            .complete_job(
                job.id,
                "w",
                &Default::default(),
                Some(Keep {
                    owner: TranscriptOwner::Chat(-1),
                    days: 30,
                }),
            )
            .await
            .expect("complete");
        // A message in the supergroup was seen before the move: its row exists already.
        store.group(-1001).await.expect("seen");
        store.migrate_group(-1, -1001).await.expect("move");
        store
            .migrate_group(-1, -1001)
            .await
            .expect("the second service message");
        let group = store.group(-1001).await.expect("group");
        assert_eq!(
            (group.auto_sponsor, group.retention_days),
            (Some(40), Some(30))
        );
        assert_eq!(
            store
                .transcripts_of(TranscriptOwner::Chat(-1001))
                .await
                .expect("kept")
                .len(),
            1
        );
        assert!(
            store
                .transcripts_of(TranscriptOwner::Chat(-1))
                .await
                .expect("kept")
                .is_empty()
        );
    })
    .await;
}
