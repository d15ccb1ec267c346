//! Groups, the result cache, forwarded batches and privacy, end to end against `scribe run`
//! (SQLite) and, for the batch, the cluster (RabbitMQ and PostgreSQL): fake group chats with
//! members and an admin, what the bot says where, who pays, and what the database keeps.

use std::collections::HashMap;
use std::sync::Arc;

use scribe_core::billing::Reason;
use scribe_fakes::dashscope::Reply;
use scribe_fakes::telegram::{
    FileKind, FileRef, ForwardedVoice, MemberStatus, Origin, TgGroup, TgUser, update,
};
use scribe_fakes::{wait_until, wait_until_async};
use scribe_store::{JobSource, JobState, Store, TranscriptOwner};
use scribe_testkit::audio::{self, Format};
use scribe_testkit::bot::{Fakes, Scribe, WAIT, ledger_rows};
use scribe_testkit::cluster::Cluster;
use scribe_testkit::rabbit;

const BIN: &str = env!("CARGO_BIN_EXE_scribe");

fn member(id: i64, name: &str) -> TgUser {
    TgUser::new(id, name).lang("en")
}

/// A voice note saying `text`, and its length in whole seconds.
fn note(fakes: &Fakes, text: &str) -> (FileRef, u32) {
    let bytes = audio::encode(&audio::say(text, "en"), Format::VoiceNote);
    let seconds = scribe_testkit::bot::probe_seconds(&bytes).round() as u32;
    (
        fakes.telegram.add_file(FileKind::Voice, bytes),
        seconds.max(1),
    )
}

async fn credit(store: &Store, user: &TgUser, seconds: i64) {
    store
        .touch_user(user.id, &user.first_name, None, Some("en"))
        .await
        .expect("user");
    store
        .adjust_balance(
            user.id,
            Reason::AdminCredit,
            &format!("seed:{}", user.id),
            seconds,
            None,
        )
        .await
        .expect("credit");
}

/// The bot's messages in `chat` that show `part`.
fn shown_with(fakes: &Fakes, chat: i64, part: &str) -> usize {
    fakes
        .shown(chat)
        .iter()
        .filter(|t| t.contains(part))
        .count()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn t_in_a_group_is_charged_to_who_asked_and_a_member_without_minutes_is_sent_to_the_bot() {
    let fakes = Fakes::start().await;
    fakes
        .dashscope
        .asr()
        .set_reply(|_| Reply::Text("the meeting starts at noon".into()));
    let scribe = Scribe::start(BIN, &fakes, &[("TRIAL_MODE", "off")]).await;
    let store = scribe.store().await;
    let group = TgGroup::supergroup(-100_501, "Team");
    let (alice, bob, carol) = (
        member(5011, "Alice"),
        member(5012, "Bob"),
        member(5013, "Carol"),
    );
    for who in [&alice, &bob, &carol] {
        fakes.telegram.set_member(&group, who, MemberStatus::Member);
    }
    credit(&store, &alice, 600).await;
    // Carol posts a voice note; Alice asks for it.
    let (file, seconds) = note(&fakes, "The meeting starts at noon.");
    let posted = fakes
        .telegram
        .push_update(update::voice(&group, &carol, &file, seconds));
    let media_id = posted.message_id.expect("a message");
    fakes.telegram.push_update(update::replying_to(
        update::text(&group, &alice, "/t@scribe_fake_bot"),
        media_id,
    ));
    let result = fakes
        .wait_message(group.id, "the transcript", |m| {
            m.rendered_text.as_deref() == Some("the meeting starts at noon")
        })
        .await;
    assert_eq!(
        result.reply_to_message_id,
        Some(media_id),
        "a reply to the media"
    );
    let job = wait_until_async("the job done", WAIT, || async {
        store
            .jobs_of_user(alice.id, 1)
            .await
            .ok()?
            .into_iter()
            .find(|j| j.state == JobState::Done)
    })
    .await;
    assert_eq!(job.source, JobSource::Command);
    assert_eq!(job.chat_id, group.id);
    assert!(job.charged_seconds > 0);
    assert!(
        ledger_rows(&store, carol.id, "hold").await.is_empty(),
        "the poster pays nothing"
    );

    // Bob asking for the same note gets the kept transcript, free.
    fakes.telegram.push_update(update::replying_to(
        update::text(&group, &bob, "/transcribe"),
        media_id,
    ));
    wait_until("the answer from the cache", WAIT, || {
        (shown_with(&fakes, group.id, "the meeting starts at noon") == 2).then_some(())
    })
    .await;
    // Bob has no minutes for a new note: a short reply, a button to the bot, no amounts,
    // nothing held.
    let (other, seconds) = note(&fakes, "Another topic entirely.");
    let other_id = fakes
        .telegram
        .push_update(update::voice(&group, &carol, &other, seconds))
        .message_id
        .expect("a message");
    fakes.telegram.push_update(update::replying_to(
        update::text(&group, &bob, "/transcribe"),
        other_id,
    ));
    let refusal = fakes
        .wait_message(group.id, "the top-up reply", |m| {
            m.rendered_text
                .as_deref()
                .is_some_and(|t| t.contains("doesn't cover"))
        })
        .await;
    let text = refusal.rendered_text.expect("text");
    assert!(
        !text.chars().any(|c| c.is_ascii_digit()),
        "no balance in a group: {text}"
    );
    let link = refusal
        .buttons
        .iter()
        .find_map(|b| b.start_payload())
        .expect("a button that opens the bot");
    assert_eq!(link, "topup");
    assert!(store.ledger_of(bob.id).await.expect("ledger").is_empty());
    assert_eq!(fakes.dashscope.asr().calls().len(), 1);
    store.close().await;
}

/// A bot without trials whose recogniser hears `heard`, and a supergroup where `admin`
/// administers and `member` is a member; the admin has an hour of balance.
async fn group_with_admin(
    heard: &'static str,
    group: TgGroup,
    admin: &TgUser,
    member: &TgUser,
) -> (Fakes, Scribe, Store, TgGroup) {
    let fakes = Fakes::start().await;
    fakes
        .dashscope
        .asr()
        .set_reply(move |_| Reply::Text(heard.into()));
    let scribe = Scribe::start(BIN, &fakes, &[("TRIAL_MODE", "off")]).await;
    let store = scribe.store().await;
    fakes
        .telegram
        .set_member(&group, admin, MemberStatus::Administrator);
    fakes
        .telegram
        .set_member(&group, member, MemberStatus::Member);
    credit(&store, admin, 3600).await;
    (fakes, scribe, store, group)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn auto_mode_pays_from_the_sponsor_within_the_cap_and_says_so_once() {
    let (admin, member_1) = (member(5021, "Ada"), member(5022, "Max"));
    let (fakes, _scribe, store, group) = group_with_admin(
        "noted automatically",
        TgGroup::supergroup(-100_502, "Auto"),
        &admin,
        &member_1,
    )
    .await;
    // The bot is a group admin: it sees every message.
    fakes
        .telegram
        .set_bot_member(&group, MemberStatus::Administrator);
    credit(&store, &member_1, 3600).await;

    // A member may not switch auto mode on.
    fakes
        .telegram
        .push_update(update::text(&group, &member_1, "/auto on 1"));
    fakes.wait_containing(group.id, "Only group admins").await;
    fakes
        .telegram
        .push_update(update::text(&group, &admin, "/auto on 1"));
    fakes
        .wait_containing(group.id, "I'll transcribe every voice")
        .await;
    assert_eq!(shown_with(&fakes, group.id, "can't see every message"), 0);

    // About 18 s each: three fit in the minute a day, the fourth does not.
    let sentence = "Automatic notes for the whole team, recorded one after another, every single day of the week. "
        .repeat(3);
    let sentence = sentence.as_str();
    for i in 1..=3 {
        let (file, seconds) = note(&fakes, sentence);
        fakes
            .telegram
            .push_update(update::voice(&group, &member_1, &file, seconds));
        wait_until("the note transcribed", WAIT, || {
            (shown_with(&fakes, group.id, "noted automatically") == i).then_some(())
        })
        .await;
        // Let the job settle before the next one is counted against the cap.
        wait_until_async("settled", WAIT, || async {
            let jobs = store.jobs_of_user(admin.id, 10).await.ok()?;
            (jobs.iter().filter(|j| j.state == JobState::Done).count() == i).then_some(())
        })
        .await;
    }
    for _ in 0..2 {
        let (file, seconds) = note(&fakes, sentence);
        fakes
            .telegram
            .push_update(update::voice(&group, &member_1, &file, seconds));
    }
    fakes.wait_containing(group.id, "paused for today").await;
    // Both notes past the cap are answered by that one notice.
    let marker = fakes
        .telegram
        .push_update(update::text(&group, &admin, "/auto"));
    assert!(marker.update_id.is_some());
    fakes.wait_containing(group.id, "used today").await;
    assert_eq!(shown_with(&fakes, group.id, "paused for today"), 1);
    assert_eq!(fakes.dashscope.asr().calls().len(), 3);
    let charged: i64 = ledger_rows(&store, admin.id, "settle")
        .await
        .iter()
        .map(|r| -r.held_delta)
        .sum();
    assert!(
        charged > 0 && charged <= 60,
        "the sponsor paid {charged} s within the cap"
    );
    assert!(
        ledger_rows(&store, member_1.id, "hold").await.is_empty(),
        "members pay nothing"
    );
    let sponsor = store.user(admin.id).await.expect("user").expect("exists");
    assert_eq!(sponsor.held, 0);
    store.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn auto_mode_warns_a_bot_that_cannot_see_the_group_and_turns_off() {
    let (admin, other) = (member(5041, "Rita"), member(5042, "Leo"));
    let (fakes, _scribe, store, group) = group_with_admin(
        "must not happen",
        TgGroup::supergroup(-100_504, "Quiet"),
        &admin,
        &other,
    )
    .await;
    // Privacy mode on (the default) and the bot a plain member: commands reach it, voice
    // notes do not.
    fakes
        .telegram
        .push_update(update::text(&group, &admin, "/auto on 5"));
    fakes
        .wait_containing(group.id, "can't see every message")
        .await;
    assert_eq!(
        store.group(group.id).await.expect("group").auto_sponsor,
        Some(admin.id)
    );
    // Another member may not switch it off; its admin may.
    fakes
        .telegram
        .push_update(update::text(&group, &other, "/auto off"));
    fakes.wait_containing(group.id, "Only group admins").await;
    fakes
        .telegram
        .push_update(update::text(&group, &admin, "/auto off"));
    fakes
        .wait_containing(group.id, "Automatic transcription is off")
        .await;
    assert_eq!(
        store.group(group.id).await.expect("group").auto_sponsor,
        None
    );
    // Off: a voice note in the group starts nothing and holds nothing.
    fakes.telegram.set_privacy_mode(false);
    let (file, seconds) = note(&fakes, "Nobody asked for this one.");
    fakes
        .telegram
        .push_update(update::voice(&group, &other, &file, seconds));
    let marker = fakes
        .telegram
        .push_update(update::text(&group, &admin, "/auto"));
    assert!(marker.update_id.is_some());
    fakes
        .wait_containing(group.id, "turns it on with /auto on")
        .await;
    assert!(fakes.dashscope.asr().calls().is_empty());
    assert!(ledger_rows(&store, admin.id, "hold").await.is_empty());
    store.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn group_settings_are_for_admins_and_survive_the_move_to_a_supergroup() {
    let fakes = Fakes::start().await;
    fakes
        .dashscope
        .asr()
        .set_reply(|_| Reply::Text("still automatic".into()));
    let scribe = Scribe::start(BIN, &fakes, &[]).await;
    let store = scribe.store().await;
    let group = TgGroup::group(-5031, "Small");
    let (admin, other) = (member(5031, "Olga"), member(5032, "Ivan"));
    fakes
        .telegram
        .set_member(&group, &admin, MemberStatus::Creator);
    fakes
        .telegram
        .set_member(&group, &other, MemberStatus::Member);
    fakes.telegram.set_privacy_mode(false);
    fakes
        .telegram
        .push_update(update::text(&group, &other, "/language ru"));
    fakes.wait_containing(group.id, "Only group admins").await;
    fakes
        .telegram
        .push_update(update::text(&group, &admin, "/auto on 30"));
    fakes
        .wait_containing(group.id, "I'll transcribe every voice")
        .await;
    let supergroup = fakes.telegram.migrate_group(&group, -100_503, &admin);
    wait_until_async("the settings moved", WAIT, || async {
        (store.group(supergroup.id).await.ok()?.auto_sponsor == Some(admin.id)).then_some(())
    })
    .await;
    let (file, seconds) = note(&fakes, "Now we are a supergroup.");
    fakes
        .telegram
        .push_update(update::voice(&supergroup, &other, &file, seconds));
    fakes.wait_text(supergroup.id, "still automatic").await;
    store.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_forwarded_copy_is_answered_from_the_cache_until_retention_deletes_it() {
    let fakes = Fakes::start().await;
    fakes
        .dashscope
        .asr()
        .set_reply(|_| Reply::Text("said once, read twice".into()));
    let scribe = Scribe::start(BIN, &fakes, &[]).await;
    let store = scribe.store().await;
    let (anna, boris) = (member(5041, "Anna"), member(5042, "Boris"));
    let (file, seconds) = note(&fakes, "Said once, read twice.");
    fakes
        .telegram
        .push_update(update::voice(anna.id, &anna, &file, seconds));
    fakes.wait_text(anna.id, "said once, read twice").await;
    // Anna keeps transcripts for a day.
    fakes
        .telegram
        .push_update(update::text(anna.id, &anna, "/retention 1d"));
    fakes.wait_containing(anna.id, "kept for 1 days").await;
    wait_until_async("the transcript kept", WAIT, || async {
        (store
            .transcripts_of(TranscriptOwner::User(anna.id))
            .await
            .ok()?
            .len()
            == 1)
            .then_some(())
    })
    .await;

    // Boris keeps his for a day too (his answer from the cache becomes his own kept copy).
    fakes
        .telegram
        .push_update(update::text(boris.id, &boris, "/retention 1d"));
    fakes.wait_containing(boris.id, "kept for 1 days").await;

    // Boris forwards the same voice note: answered at once, no provider call, no charge.
    let forward = update::forwarded(
        update::voice(boris.id, &boris, &file, seconds),
        &Origin::User {
            user: anna.clone(),
            date: 1_790_000_000,
        },
    );
    fakes.telegram.push_update(forward.clone());
    fakes.wait_text(boris.id, "said once, read twice").await;
    assert_eq!(
        fakes.dashscope.asr().calls().len(),
        1,
        "no second recognition"
    );
    let job = wait_until_async("the cached job", WAIT, || async {
        store
            .jobs_of_user(boris.id, 1)
            .await
            .ok()?
            .into_iter()
            .next()
    })
    .await;
    assert_eq!(
        (job.source, job.state, job.charged_seconds),
        (JobSource::Cache, JobState::Done, 0)
    );
    assert!(ledger_rows(&store, boris.id, "hold").await.is_empty());
    // /history says so.
    fakes
        .telegram
        .push_update(update::text(boris.id, &boris, "/history"));
    fakes
        .wait_containing(boris.id, "from the cache, free")
        .await;

    assert_eq!(
        store
            .transcripts_of(TranscriptOwner::User(boris.id))
            .await
            .expect("kept")
            .len(),
        1,
        "Boris's own copy, with the action buttons"
    );
    // Two days later the sweep deletes both: the same file is recognised again.
    let later = scribe_core::time::now_secs() + 2 * 86_400;
    assert_eq!(
        store
            .delete_expired_transcripts(later)
            .await
            .expect("sweep"),
        2
    );
    assert!(
        store
            .cached_transcript(&file.file_unique_id, "lang=auto", later)
            .await
            .expect("cache")
            .is_none()
    );
    fakes.telegram.push_update(forward);
    wait_until("a second recognition", WAIT, || {
        (fakes.dashscope.asr().calls().len() == 2).then_some(())
    })
    .await;
    store.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_failed_batch_releases_its_one_hold_in_full() {
    let fakes = Fakes::start().await;
    let scribe = Scribe::start(BIN, &fakes, &[("BATCH_WINDOW_SECONDS", "1")]).await;
    let (alice, bob, carol) = batch_texts();
    let (parts, said) = burst(
        &fakes,
        &[
            (&alice, "First we plan."),
            (&bob, "Then we build."),
            (&carol, "Then we test."),
        ],
    );
    let said = Arc::new(said);
    // The recogniser refuses one part for good: the batch is one job, so it fails whole.
    fakes.dashscope.asr().set_reply(
        move |call| match said.get(&call.audio).map(String::as_str) {
            Some("then we build.") | None => {
                Reply::Error(scribe_fakes::dashscope::ApiError::InvalidParameter(
                    "The audio is unreadable.".into(),
                ))
            }
            Some(text) => Reply::Text(text.to_owned()),
        },
    );
    let me = member(5052, "Forwarder");
    for update in update::forward_burst(me.id, &me, &parts) {
        fakes.telegram.push_update(update);
    }
    let store = scribe.store().await;
    let job = wait_until_async("the batch job to fail", WAIT, || async {
        store
            .jobs_of_user(me.id, 10)
            .await
            .ok()?
            .into_iter()
            .find(|j| j.state == JobState::Failed)
    })
    .await;
    assert_eq!(job.source, JobSource::Batch);
    assert_eq!(store.jobs_of_user(me.id, 10).await.expect("jobs").len(), 1);
    let held: i64 = ledger_rows(&store, me.id, "hold")
        .await
        .iter()
        .map(|r| -r.delta)
        .sum();
    let released = wait_until_async("the release", WAIT, || async {
        let rows = ledger_rows(&store, me.id, "release").await;
        (!rows.is_empty()).then(|| rows.iter().map(|r| r.delta).sum::<i64>())
    })
    .await;
    assert!(held > 0, "the batch held its length");
    assert_eq!(released, held, "every held second came back");
    assert!(ledger_rows(&store, me.id, "settle").await.is_empty());
    let user = store.user(me.id).await.expect("user").expect("exists");
    assert_eq!(user.held, 0);
    assert!(store.ledger_mismatches().await.expect("ledger").is_empty());
    // One status message, and it says what happened.
    assert_eq!(fakes.shown(me.id).len(), 1, "{:?}", fakes.shown(me.id));
    store.close().await;
}

/// Voice notes saying `texts`, each forwarded from its sender, and what each one says.
fn burst(
    fakes: &Fakes,
    texts: &[(&TgUser, &str)],
) -> (Vec<ForwardedVoice>, HashMap<Vec<u8>, String>) {
    let mut said = HashMap::new();
    let parts = texts
        .iter()
        .enumerate()
        .map(|(i, (who, text))| {
            let bytes = audio::encode(&audio::say(text, "en"), Format::VoiceNote);
            said.insert(bytes.clone(), (*text).to_lowercase());
            let seconds = scribe_testkit::bot::probe_seconds(&bytes).round() as u32;
            ForwardedVoice {
                origin: Origin::User {
                    user: (*who).clone(),
                    date: 1_790_000_000 + 60 * i as i64,
                },
                file: fakes.telegram.add_file(FileKind::Voice, bytes),
                duration: seconds.max(1),
            }
        })
        .collect();
    (parts, said)
}

fn batch_texts() -> (TgUser, TgUser, TgUser) {
    (
        member(7001, "Alice"),
        member(7002, "Bob"),
        member(7003, "Carol"),
    )
}

fn expect_ordered(result: &str) {
    let order = [
        "Alice · ",
        "first we plan",
        "Bob · ",
        "then we build",
        "Carol · ",
        "then we test",
        "Alice · ",
        "then we ship",
        "Bob · ",
        "then we rest",
    ];
    let mut at = 0;
    for needle in order {
        let found = result[at..]
            .find(needle)
            .unwrap_or_else(|| panic!("{needle:?} in order in {result:?}"));
        at += found + needle.len();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn five_forwarded_voices_from_three_people_become_one_attributed_transcript() {
    let fakes = Fakes::start().await;
    let scribe = Scribe::start(BIN, &fakes, &[("BATCH_WINDOW_SECONDS", "1")]).await;
    let (alice, bob, carol) = batch_texts();
    let (parts, said) = burst(
        &fakes,
        &[
            (&alice, "First we plan."),
            (&bob, "Then we build."),
            (&carol, "Then we test."),
            (&alice, "Then we ship."),
            (&bob, "Then we rest."),
        ],
    );
    let said = Arc::new(said);
    fakes.dashscope.asr().set_reply(move |call| {
        Reply::Text(said.get(&call.audio).cloned().unwrap_or_else(|| "?".into()))
    });
    let me = member(5051, "Forwarder");
    for update in update::forward_burst(me.id, &me, &parts) {
        fakes.telegram.push_update(update);
    }
    let result = fakes
        .wait_message(me.id, "the batch transcript", |m| {
            m.rendered_text
                .as_deref()
                .is_some_and(|t| t.contains("then we rest"))
        })
        .await;
    expect_ordered(&result.rendered_text.expect("text"));
    assert_eq!(
        fakes.shown(me.id).len(),
        1,
        "one status message turned transcript"
    );
    let store = scribe.store().await;
    let jobs = store.jobs_of_user(me.id, 10).await.expect("jobs");
    assert_eq!(jobs.len(), 1, "one job");
    assert_eq!(jobs[0].source, JobSource::Batch);
    let settles = wait_until_async("the charge", WAIT, || async {
        let rows = ledger_rows(&store, me.id, "settle").await;
        (!rows.is_empty()).then_some(rows)
    })
    .await;
    assert_eq!(settles.len(), 1, "one charge for the sum");
    let job = store.job(jobs[0].id).await.expect("job").expect("exists");
    assert_eq!(-settles[0].held_delta, job.charged_seconds);
    assert_eq!(
        store.user(me.id).await.expect("user").expect("exists").held,
        0
    );
    assert_eq!(fakes.dashscope.asr().calls().len(), 5);
    store.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_forwarded_batch_is_collected_across_the_cluster() {
    let cluster = Cluster::start(BIN, "batch").await;
    let (alice, bob, carol) = batch_texts();
    let (parts, said) = burst(
        &cluster.fakes,
        &[
            (&alice, "First we plan."),
            (&bob, "Then we build."),
            (&carol, "Then we test."),
            (&alice, "Then we ship."),
            (&bob, "Then we rest."),
        ],
    );
    let said = Arc::new(said);
    cluster.fakes.dashscope.asr().set_reply(move |call| {
        Reply::Text(said.get(&call.audio).cloned().unwrap_or_else(|| "?".into()))
    });
    let amqp = rabbit::amqp_url();
    let env = [("BATCH_WINDOW_SECONDS", "1")];
    let webhook = cluster.webhook(&amqp, &env).await;
    let _worker = cluster.worker(&env).await;
    let me = member(5061, "Forwarder");
    for update in update::forward_burst(me.id, &me, &parts) {
        let registered = cluster.fakes.telegram.register_update(update);
        assert_eq!(cluster.post(&webhook, &registered).await, 200);
    }
    let result = cluster
        .fakes
        .wait_message(me.id, "the batch transcript", |m| {
            m.rendered_text
                .as_deref()
                .is_some_and(|t| t.contains("then we rest"))
        })
        .await;
    expect_ordered(&result.rendered_text.expect("text"));
    let store = cluster.store().await;
    assert_eq!(store.jobs_of_user(me.id, 10).await.expect("jobs").len(), 1);
    store.close().await;
    cluster.clean_up().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn forget_leaves_no_content_of_the_user_and_the_ledger_balances() {
    let fakes = Fakes::start().await;
    fakes
        .dashscope
        .asr()
        .set_reply(|_| Reply::Text("private thoughts".into()));
    let scribe = Scribe::start(BIN, &fakes, &[]).await;
    let store = scribe.store().await;
    let me = member(5071, "Vera");
    let (file, seconds) = note(&fakes, "Private thoughts.");
    fakes
        .telegram
        .push_update(update::voice(me.id, &me, &file, seconds));
    let transcript = fakes.wait_text(me.id, "private thoughts").await;
    // An action's answer and a glossary are content too.
    let summary = transcript
        .buttons
        .iter()
        .find(|b| b.text.contains("Summary"))
        .and_then(|b| b.callback_data.clone())
        .expect("a Summary button");
    fakes
        .telegram
        .push_update(update::callback(me.id, &me, transcript.message_id, &summary).0);
    wait_until("the summary", WAIT, || {
        (shown_with(&fakes, me.id, "private thoughts") >= 2).then_some(())
    })
    .await;
    fakes
        .telegram
        .push_update(update::text(me.id, &me, "/glossary add Zanzibarian"));
    fakes.wait_containing(me.id, "1 added").await;
    fakes
        .telegram
        .push_update(update::text(me.id, &me, "/language ru"));
    fakes.wait_containing(me.id, "ru").await;
    wait_until_async("the transcript kept", WAIT, || async {
        (store
            .transcripts_of(TranscriptOwner::User(me.id))
            .await
            .ok()?
            .len()
            == 1)
            .then_some(())
    })
    .await;
    fakes
        .telegram
        .push_update(update::text(me.id, &me, "/forget"));
    let question = fakes
        .wait_containing(me.id, "Delete all your transcripts")
        .await;
    let yes = question
        .buttons
        .iter()
        .find_map(|b| b.callback_data.clone().filter(|d| d == "forget:yes"))
        .expect("a confirm button");
    fakes
        .telegram
        .push_update(update::callback(me.id, &me, question.message_id, &yes).0);
    fakes.wait_containing(me.id, "transcripts deleted").await;
    assert!(
        store
            .transcripts_of(TranscriptOwner::User(me.id))
            .await
            .expect("transcripts")
            .is_empty()
    );
    let job = store.jobs_of_user(me.id, 1).await.expect("jobs").remove(0);
    assert_eq!(
        (
            job.file_id.as_str(),
            job.file_unique_id.as_str(),
            job.file_name,
            job.result_text
        ),
        ("", "", None, None)
    );
    let user = store.user(me.id).await.expect("user").expect("exists");
    assert_eq!(user.asr_language, None, "settings reset");
    assert!(store.ledger_mismatches().await.expect("check").is_empty());
    assert!(
        !store.ledger_of(me.id).await.expect("ledger").is_empty(),
        "money records stay"
    );
    store.close().await;
    // Every column of every table, read back as text: nothing the user said, named or sent.
    let content = [
        "private thoughts",
        "Zanzibarian",
        file.file_id.as_str(),
        file.file_unique_id.as_str(),
    ];
    for (table, row) in every_row(&scribe.database_url).await {
        for needle in content {
            assert!(
                !row.to_lowercase().contains(&needle.to_lowercase()),
                "{needle:?} is still in {table}: {row}"
            );
        }
    }
}

/// Every row of every table of a SQLite database, each as its columns' text (blobs as lossy
/// UTF-8) joined by `|`.
async fn every_row(database_url: &str) -> Vec<(String, String)> {
    use sqlx::{Connection, Row, SqliteConnection};
    let mut db = SqliteConnection::connect(database_url)
        .await
        .expect("open the database");
    let tables: Vec<String> = sqlx::query_scalar(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'",
    )
    .fetch_all(&mut db)
    .await
    .expect("tables");
    assert!(tables.len() > 10, "{tables:?}");
    let mut rows = Vec::new();
    for table in tables {
        let columns: Vec<String> = sqlx::query_scalar("SELECT name FROM pragma_table_info(?1)")
            .bind(&table)
            .fetch_all(&mut db)
            .await
            .expect("columns");
        let text = columns
            .iter()
            .map(|c| format!("COALESCE(CAST(\"{c}\" AS BLOB), '')"))
            .collect::<Vec<_>>()
            .join(" || '|' || ");
        // The names come from the database's own schema.
        let select = sqlx::AssertSqlSafe(format!("SELECT {text} FROM \"{table}\""));
        for row in sqlx::query(select).fetch_all(&mut db).await.expect("rows") {
            let bytes: Vec<u8> = row.get(0);
            rows.push((table.clone(), String::from_utf8_lossy(&bytes).into_owned()));
        }
    }
    rows
}
