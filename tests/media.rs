//! Hostile media against `scribe run`, each attack as it would arrive: files that lie about
//! their length, hours of near-silence in a few hundred KB, playlists and concat scripts named
//! `.mp3` that point at other files, local Bot API paths that escape their root, a tool that
//! hangs, and a provider that throttles. Each test asserts what the user received and what the
//! ledger holds.

use std::path::{Path, PathBuf};

use scribe_core::billing::billable_seconds;
use scribe_fakes::RateLimit;
use scribe_fakes::dashscope::{FakeDashScope, Reply};
use scribe_fakes::gemini::FakeGemini;
use scribe_fakes::telegram::{FakeTelegram, FileKind, update};
use scribe_fakes::wait_until_async;
use scribe_store::JobState;
use scribe_testkit::audio::{self, Format};
use scribe_testkit::bot::{
    DASHSCOPE_KEY, Fakes, GEMINI_KEY, Scribe, TOKEN, WAIT, ledger_rows, user,
};

const BIN: &str = env!("CARGO_BIN_EXE_scribe");

/// Speech of at least `seconds`, sentences with pauses between them.
fn speech(seconds: f64) -> Vec<i16> {
    let sentence = audio::say("This recording is longer than it claims to be.", "en");
    let each = audio::seconds(&sentence) + 0.6;
    let count = (seconds / each).ceil() as usize;
    audio::recording(&vec![(sentence, 0.6); count]).0
}

async fn newest_job(scribe: &Scribe, chat: i64, state: JobState) -> scribe_store::Job {
    let store = scribe.store().await;
    let job = wait_until_async(&format!("a {state} job"), WAIT, || async {
        store
            .jobs_of_user(chat, 1)
            .await
            .ok()?
            .into_iter()
            .find(|j| j.state == state)
    })
    .await;
    store.close().await;
    job
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_voice_note_that_claims_two_seconds_is_billed_for_what_it_holds() {
    let fakes = Fakes::start().await;
    fakes
        .dashscope
        .asr()
        .set_reply(|_| Reply::Text("the whole of it".into()));
    let scribe = Scribe::start(BIN, &fakes, &[]).await;
    let real = audio::encode(&speech(94.0), Format::VoiceNote);
    let lying = audio::with_ogg_claim(&real, 2.0);
    let file = fakes.telegram.add_file(FileKind::Voice, lying.clone());
    let chat = 7501;
    // Telegram, too, reports what the container claims.
    fakes
        .telegram
        .push_update(update::voice(chat, &user(chat), &file, 2));
    fakes.wait_text(chat, "the whole of it").await;
    let job = newest_job(&scribe, chat, JobState::Done).await;
    let decoded = job.audio_seconds.expect("measured");
    assert!((90..=100).contains(&decoded), "billed {decoded} s");
    assert_eq!(job.charged_seconds, decoded);
    // The recogniser got re-encoded audio of the decoded length, not the lying file.
    let sent: Vec<_> = fakes.dashscope.asr().calls();
    assert!(sent.iter().all(|c| c.call.audio != lying));
    let store = scribe.store().await;
    let holds: i64 = ledger_rows(&store, chat, "hold")
        .await
        .iter()
        .map(|r| -r.delta)
        .sum();
    assert_eq!(
        holds, decoded,
        "the hold was raised to the decoded length first"
    );
    store.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_lying_file_longer_than_the_balance_is_refused_before_recognition() {
    let fakes = Fakes::start().await;
    fakes
        .dashscope
        .asr()
        .set_reply(|_| Reply::Text("must not happen".into()));
    // 60 s of trial: the MP3 claims 1 s and holds about 200.
    let scribe = Scribe::start(BIN, &fakes, &[("TRIAL_MINUTES", "1")]).await;
    let real = audio::encode(&speech(200.0), Format::Mp3);
    let lying = audio::with_xing_claim(&real, 1.0);
    let file = fakes
        .telegram
        .add_named_file(FileKind::Document, "short.mp3", lying);
    let chat = 7502;
    fakes.telegram.push_update(update::document(
        chat,
        &user(chat),
        &file,
        "audio/mpeg",
        "short.mp3",
    ));
    fakes.wait_containing(chat, "Not enough minutes").await;
    let job = newest_job(&scribe, chat, JobState::Failed).await;
    assert_eq!(job.error_kind.as_deref(), Some("insufficient"));
    assert!(
        fakes.dashscope.asr().calls().is_empty(),
        "nothing recognised"
    );
    let store = scribe.store().await;
    let u = store.user(chat).await.expect("user").expect("exists");
    assert_eq!((u.balance, u.held), (60, 0), "nothing charged");
    store.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn hours_of_near_silence_in_a_small_file_stop_at_the_length_limit() {
    let fakes = Fakes::start().await;
    let scribe = Scribe::start(BIN, &fakes, &[("MAX_AUDIO_SECONDS", "3600")]).await;
    let flac = audio::silent_flac(5.0 * 3600.0);
    assert!(flac.len() < 1024 * 1024, "{} bytes", flac.len());
    let file = fakes
        .telegram
        .add_named_file(FileKind::Document, "hours.flac", flac);
    let chat = 7503;
    fakes.telegram.push_update(update::document(
        chat,
        &user(chat),
        &file,
        "audio/flac",
        "hours.flac",
    ));
    fakes
        .wait_containing(chat, "The recording is longer than")
        .await;
    let job = newest_job(&scribe, chat, JobState::Failed).await;
    assert_eq!(job.error_kind.as_deref(), Some("too_long"));
    assert!(fakes.dashscope.asr().calls().is_empty());
    let store = scribe.store().await;
    let u = store.user(chat).await.expect("user").expect("exists");
    assert_eq!((u.balance, u.held), (900, 0), "nothing charged");
    store.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn playlists_and_concat_scripts_named_mp3_read_nothing_and_cost_nothing() {
    let fakes = Fakes::start().await;
    fakes
        .dashscope
        .asr()
        .set_reply(|_| Reply::Text("a secret recording".into()));
    let scribe = Scribe::start(BIN, &fakes, &[]).await;
    // Another audio file on the worker's own disk: what the attack wants to read.
    let secrets = tempfile::tempdir().expect("temp dir");
    let secret = secrets.path().join("secret.mp3");
    std::fs::write(
        &secret,
        audio::encode(&audio::say("The secret.", "en"), Format::Mp3),
    )
    .expect("secret");
    for (chat, name, body) in [
        (7504, "playlist.mp3", audio::hls_playlist(&secret)),
        (7505, "concat.mp3", audio::ffconcat_script(&secret)),
    ] {
        let file = fakes
            .telegram
            .add_named_file(FileKind::Document, name, body.into_bytes());
        fakes.telegram.push_update(update::document(
            chat,
            &user(chat),
            &file,
            "audio/mpeg",
            name,
        ));
        fakes
            .wait_containing(chat, "Could not decode the file")
            .await;
        let job = newest_job(&scribe, chat, JobState::Failed).await;
        assert_eq!(job.error_kind.as_deref(), Some("undecodable"), "{name}");
        let store = scribe.store().await;
        let u = store.user(chat).await.expect("user").expect("exists");
        assert_eq!((u.balance, u.held), (900, 0), "{name}: nothing charged");
        store.close().await;
    }
    assert!(
        fakes.dashscope.asr().calls().is_empty(),
        "the secret never reached the recogniser"
    );
}

/// The fakes with a local Bot API server keeping its files in `dir`.
async fn local_fakes(dir: &Path) -> Fakes {
    Fakes {
        telegram: FakeTelegram::start_local(TOKEN, dir.to_path_buf()).await,
        dashscope: FakeDashScope::start(DASHSCOPE_KEY).await,
        gemini: FakeGemini::start(GEMINI_KEY).await,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn local_server_paths_outside_the_root_or_escaping_it_by_symlink_are_refused() {
    let base = tempfile::tempdir().expect("temp dir");
    let root = base.path().join("root");
    let elsewhere = base.path().join("elsewhere");
    std::fs::create_dir_all(&root).expect("root");
    std::fs::create_dir_all(&elsewhere).expect("elsewhere");
    // The server keeps voice notes under `root/voice`, which a symlink sends elsewhere.
    std::os::unix::fs::symlink(&elsewhere, root.join("voice")).expect("symlink");
    let fakes = local_fakes(&root).await;
    fakes
        .dashscope
        .asr()
        .set_reply(|_| Reply::Text("read from the disk".into()));
    let root_setting = root.display().to_string();
    let scribe = Scribe::start(
        BIN,
        &fakes,
        &[
            ("TELEGRAM_LOCAL_ROOT", root_setting.as_str()),
            ("TELEGRAM_MAX_FILE_MB", "2000"),
        ],
    )
    .await;
    let note = audio::encode(&audio::say("Escape.", "en"), Format::VoiceNote);
    let file = fakes.telegram.add_file(FileKind::Voice, note.clone());
    let chat = 7506;
    fakes
        .telegram
        .push_update(update::voice(chat, &user(chat), &file, 1));
    let job = newest_job(&scribe, chat, JobState::Failed).await;
    assert_eq!(job.error_kind.as_deref(), Some("local_path"));
    // A document kept inside the root is read.
    let doc = fakes
        .telegram
        .add_named_file(FileKind::Document, "inside.ogg", note);
    let chat = 7507;
    fakes.telegram.push_update(update::document(
        chat,
        &user(chat),
        &doc,
        "audio/ogg",
        "inside.ogg",
    ));
    fakes.wait_text(chat, "read from the disk").await;
    assert_eq!(fakes.dashscope.asr().calls().len(), 1);
}

/// A directory with `ffmpeg` and `ffprobe` that never finish.
fn hanging_tools() -> (tempfile::TempDir, String) {
    let dir = tempfile::tempdir().expect("temp dir");
    for tool in ["ffmpeg", "ffprobe"] {
        let path: PathBuf = dir.path().join(tool);
        std::fs::write(&path, "#!/bin/sh\nexec sleep 600\n").expect("script");
        let mut permissions = std::fs::metadata(&path).expect("meta").permissions();
        std::os::unix::fs::PermissionsExt::set_mode(&mut permissions, 0o755);
        std::fs::set_permissions(&path, permissions).expect("chmod");
    }
    let path = format!(
        "{}:{}",
        dir.path().display(),
        std::env::var("PATH").unwrap_or_default()
    );
    (dir, path)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_tool_that_hangs_fails_the_job_within_its_deadline_and_frees_the_slot() {
    let fakes = Fakes::start().await;
    fakes
        .dashscope
        .asr()
        .set_reply(|_| Reply::Text("the next one".into()));
    let (_tools, path) = hanging_tools();
    let scribe = Scribe::start(
        BIN,
        &fakes,
        &[
            ("PATH", path.as_str()),
            ("WORKER_CONCURRENCY", "1"),
            ("JOB_TIMEOUT_SECONDS", "2"),
        ],
    )
    .await;
    let mp3 = audio::encode(&audio::say("Hang.", "en"), Format::Mp3);
    let file = fakes
        .telegram
        .add_named_file(FileKind::Document, "hang.mp3", mp3);
    let chat = 7508;
    fakes.telegram.push_update(update::document(
        chat,
        &user(chat),
        &file,
        "audio/mpeg",
        "hang.mp3",
    ));
    let job = newest_job(&scribe, chat, JobState::Failed).await;
    assert_eq!(job.error_kind.as_deref(), Some("deadline"));
    fakes.wait_containing(chat, "Something went wrong").await;
    let store = scribe.store().await;
    let u = store.user(chat).await.expect("user").expect("exists");
    assert_eq!((u.balance, u.held), (900, 0), "hold released");
    store.close().await;
    // The only job slot is free again: a voice note (measured in process, sent as it is)
    // goes through.
    let note = audio::encode(&audio::say("Next.", "en"), Format::VoiceNote);
    let file = fakes.telegram.add_file(FileKind::Voice, note);
    let next = 7509;
    fakes
        .telegram
        .push_update(update::voice(next, &user(next), &file, 1));
    fakes.wait_text(next, "the next one").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_throttling_recogniser_sees_no_more_than_the_budget_and_every_chunk_succeeds() {
    let fakes = Fakes::start().await;
    fakes
        .dashscope
        .asr()
        .set_reply(|call| Reply::Text(format!("part of {} bytes", call.audio.len())));
    // The account allows three requests a second; the bot is configured for ten.
    fakes
        .dashscope
        .asr()
        .set_rate_limit(Some(RateLimit::per_second(3)));
    let scribe = Scribe::start(
        BIN,
        &fakes,
        &[
            ("ASR_CHUNK_SECONDS", "10"),
            ("ASR_REQUESTS_PER_MINUTE", "600"),
            ("ASR_MAX_INFLIGHT", "8"),
            ("PROVIDER_ATTEMPTS", "8"),
        ],
    )
    .await;
    let m4a = audio::encode(&speech(120.0), Format::M4a);
    let seconds = scribe_testkit::bot::probe_seconds(&m4a);
    let file = fakes
        .telegram
        .add_named_file(FileKind::Document, "talk.m4a", m4a);
    let chat = 7510;
    fakes.telegram.push_update(update::document(
        chat,
        &user(chat),
        &file,
        "audio/mp4",
        "talk.m4a",
    ));
    let job = newest_job(&scribe, chat, JobState::Done).await;
    let chunks = job.chunks.expect("chunks");
    assert!(chunks >= 12, "{chunks} chunks");
    assert_eq!(job.charged_seconds, billable_seconds(seconds));
    // Never more in flight than the budget, never more starts in a second than its rate and
    // the one second of it a bucket may hold.
    let traffic = fakes.dashscope.asr().traffic();
    assert!(traffic.max_in_flight <= 8, "{traffic:?}");
    assert!(traffic.max_per_second <= 20, "{traffic:?}");
    // Some requests were throttled, none failed for good: every chunk was answered once.
    let calls = fakes.dashscope.asr().calls();
    let answered = calls.iter().filter(|c| c.status == 200).count();
    let throttled = calls.iter().filter(|c| c.status == 429).count();
    assert_eq!(answered as i64, chunks);
    assert!(throttled > 0, "the account's limit was hit");
}
