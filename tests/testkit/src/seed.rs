//! Rows for store tests: users with a balance, voice media, new jobs, delivered jobs with a
//! kept transcript.

use scribe_core::billing::Reason;
use scribe_core::media::{Media, MediaKind};
use scribe_store::{Intake, JobSource, Keep, NewJob, Store, TranscriptOwner};

/// A voice note of `duration` seconds.
pub fn voice(duration: i64) -> Media {
    Media {
        kind: MediaKind::Voice,
        file_id: "file".into(),
        file_unique_id: "uniq".into(),
        file_size: Some(1000),
        duration: Some(duration),
        mime_type: Some("audio/ogg".into()),
        file_name: None,
    }
}

/// A job for update (and message) `update_id` of `user_id` in their private chat, no per-user
/// limit.
pub fn new_job(update_id: i64, user_id: i64, media: Media) -> NewJob {
    NewJob {
        bot: "test".into(),
        update_id,
        user_id,
        chat_id: user_id,
        message_id: update_id,
        media,
        trace_id: "t".into(),
        unknown_duration_cap: 4 * 3600,
        max_active: None,
        source: JobSource::Private,
        requested_by: None,
        reply_to: None,
        settings_key: "lang=auto".into(),
        daily_cap: None,
        parts: Vec::new(),
    }
}

/// Creates user `id` with `seconds` of balance (an admin credit).
pub async fn user_with(store: &Store, id: i64, seconds: i64) {
    let (_, created) = store
        .touch_user(id, "Ann", Some("ann"), Some("ru"))
        .await
        .expect("touch");
    assert!(created);
    if seconds > 0 {
        store
            .adjust_balance(
                id,
                Reason::AdminCredit,
                &format!("seed:{id}"),
                seconds,
                None,
            )
            .await
            .expect("credit");
    }
}

/// A 10-second voice job of `user` (update `update`) run by worker `w` and delivered with the
/// text `text`, kept for `owner` for `days`. Returns the job's id.
pub async fn kept_job(
    store: &Store,
    update: i64,
    user: i64,
    owner: TranscriptOwner,
    days: i64,
    text: &str,
) -> i64 {
    let Intake::Created(job) = store
        .create_job(&new_job(update, user, voice(10)))
        .await
        .expect("intake")
    else {
        panic!("created")
    };
    store.claim_job(job.id, "w", 0).await.expect("claim");
    assert!(
        store
            .begin_delivery(job.id, "w", text, None)
            .await
            .expect("deliver")
    );
    store
        .complete_job(job.id, "w", &Default::default(), Some(Keep { owner, days }))
        .await
        .expect("complete");
    job.id
}
