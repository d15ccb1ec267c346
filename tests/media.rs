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
use scribe_fakes::{wait_until, wait_until_async};
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

/// `chat`'s user sends `bytes` as a document named `name` of type `mime`.
fn send_document(fakes: &Fakes, chat: i64, name: &str, mime: &str, bytes: Vec<u8>) {
    let file = fakes
        .telegram
        .add_named_file(FileKind::Document, name, bytes);
    fakes
        .telegram
        .push_update(update::document(chat, &user(chat), &file, mime, name));
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
    let chat = 7502;
    send_document(&fakes, chat, "short.mp3", "audio/mpeg", lying);
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
    let chat = 7503;
    send_document(&fakes, chat, "hours.flac", "audio/flac", flac);
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
        send_document(&fakes, chat, name, "audio/mpeg", body.into_bytes());
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
/// The fakes with a local Bot API server keeping its files under `root`, the recogniser
/// hearing `heard`, and `scribe run` set up for that server, with `extra` settings.
async fn local_bot(root: &Path, heard: &'static str, extra: &[(&str, &str)]) -> (Fakes, Scribe) {
    let fakes = Fakes {
        telegram: FakeTelegram::start_local(TOKEN, root.to_path_buf()).await,
        dashscope: FakeDashScope::start(DASHSCOPE_KEY).await,
        gemini: FakeGemini::start(GEMINI_KEY).await,
    };
    fakes
        .dashscope
        .asr()
        .set_reply(move |_| Reply::Text(heard.into()));
    let root_setting = root.display().to_string();
    let mut env = vec![
        ("TELEGRAM_LOCAL_ROOT", root_setting.as_str()),
        ("TELEGRAM_MAX_FILE_MB", "2000"),
    ];
    env.extend_from_slice(extra);
    let scribe = Scribe::start(BIN, &fakes, &env).await;
    (fakes, scribe)
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
    let (fakes, scribe) = local_bot(&root, "read from the disk", &[]).await;
    let note = audio::encode(&audio::say("Escape.", "en"), Format::VoiceNote);
    let file = fakes.telegram.add_file(FileKind::Voice, note.clone());
    let chat = 7506;
    fakes
        .telegram
        .push_update(update::voice(chat, &user(chat), &file, 1));
    let job = newest_job(&scribe, chat, JobState::Failed).await;
    assert_eq!(job.error_kind.as_deref(), Some("local_path"));
    // A document kept inside the root is read.
    send_document(&fakes, 7507, "inside.ogg", "audio/ogg", note);
    let chat = 7507;
    fakes.wait_text(chat, "read from the disk").await;
    assert_eq!(fakes.dashscope.asr().calls().len(), 1);
}

/// How long the hanging tools sleep: a figure no other process on the machine uses, so the
/// test can tell whether they are still running.
const HANG_SECONDS: &str = "600.7508";

/// A WAV file of `bytes` at least (48 kHz stereo: 8 s of tone, 2 s of silence, repeated), made
/// by ffmpeg into `dir`.
fn big_wav(dir: &Path, bytes: u64) -> PathBuf {
    let pattern = dir.join("pattern.wav");
    let ffmpeg = |args: &[&str]| {
        let out = std::process::Command::new("ffmpeg")
            .args(["-hide_banner", "-loglevel", "error", "-y"])
            .args(args)
            .output()
            .expect("ffmpeg runs");
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    };
    ffmpeg(&[
        "-f",
        "lavfi",
        "-i",
        "aevalsrc=0.5*sin(440*2*PI*t)*lt(t\\,8):s=48000:c=stereo:d=10",
        "-c:a",
        "pcm_s16le",
        pattern.to_str().expect("utf-8 path"),
    ]);
    // 10 s of 48 kHz stereo 16-bit PCM is 1.92 MB.
    let repeats = (bytes / 1_920_000 + 1).to_string();
    let long = dir.join("long.wav");
    ffmpeg(&[
        "-stream_loop",
        &repeats,
        "-i",
        pattern.to_str().expect("utf-8 path"),
        "-c",
        "copy",
        long.to_str().expect("utf-8 path"),
    ]);
    long
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_300_mb_file_from_a_local_server_is_transcribed_in_bounded_memory() {
    let base = tempfile::tempdir().expect("temp dir");
    let root = base.path().join("root");
    std::fs::create_dir_all(&root).expect("root");
    let wav = std::fs::read(big_wav(base.path(), 300_000_000)).expect("the wav");
    assert!(wav.len() > 300_000_000);
    let (fakes, scribe) = local_bot(&root, "long and steady", &[("TRIAL_MINUTES", "60")]).await;
    let chat = 7513;
    send_document(&fakes, chat, "meeting.wav", "audio/wav", wav);
    fakes.wait_containing(chat, "long and steady").await;
    let job = newest_job(&scribe, chat, JobState::Done).await;
    let seconds = job.audio_seconds.expect("measured");
    assert!((1560..=1620).contains(&seconds), "billed {seconds} s");
    assert!(fakes.dashscope.asr().calls().len() >= 9);
    // The whole file went through the bot, none of it held in memory at once: streamed to disk,
    // decoded by ffmpeg, each chunk streamed from disk into its request.
    let peak = scribe_testkit::process::peak_rss_kib(scribe.pid().expect("running"))
        .expect("the process's status");
    eprintln!(
        "peak RSS of scribe run for a 300 MB file: {} MiB",
        peak / 1024
    );
    assert!(
        peak < 150 * 1024,
        "peak RSS {} MiB for a 300 MB file",
        peak / 1024
    );
}

/// A directory with `ffmpeg` and `ffprobe` that never finish.
fn hanging_tools() -> (tempfile::TempDir, String) {
    let dir = tempfile::tempdir().expect("temp dir");
    for tool in ["ffmpeg", "ffprobe"] {
        let path: PathBuf = dir.path().join(tool);
        std::fs::write(&path, format!("#!/bin/sh\nexec sleep {HANG_SECONDS}\n")).expect("script");
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
    let work = tempfile::tempdir().expect("temp dir");
    let work_setting = work.path().display().to_string();
    let scribe = Scribe::start(
        BIN,
        &fakes,
        &[
            ("PATH", path.as_str()),
            ("WORKER_CONCURRENCY", "1"),
            ("JOB_TIMEOUT_SECONDS", "2"),
            ("TEMP_DIR", work_setting.as_str()),
        ],
    )
    .await;
    let mp3 = audio::encode(&audio::say("Hang.", "en"), Format::Mp3);
    let chat = 7508;
    send_document(&fakes, chat, "hang.mp3", "audio/mpeg", mp3);
    let job = newest_job(&scribe, chat, JobState::Failed).await;
    assert_eq!(job.error_kind.as_deref(), Some("deadline"));
    fakes.wait_containing(chat, "Something went wrong").await;
    let store = scribe.store().await;
    let u = store.user(chat).await.expect("user").expect("exists");
    assert_eq!((u.balance, u.held), (900, 0), "hold released");
    store.close().await;
    // The hung tool was killed with the job, and the job's directory went with it.
    wait_until("the hung tool to be killed", WAIT, || {
        (hung_tools() == 0).then_some(())
    })
    .await;
    assert!(job_directories(work.path()).is_empty());
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

/// Processes running the hanging tools' sleep.
fn hung_tools() -> usize {
    std::fs::read_dir("/proc")
        .expect("/proc")
        .filter_map(|e| std::fs::read(e.ok()?.path().join("cmdline")).ok())
        .filter(|cmdline| {
            let args: Vec<&[u8]> = cmdline.split(|b| *b == 0).collect();
            args.get(1) == Some(&HANG_SECONDS.as_bytes())
        })
        .count()
}

/// The job directories (`scribe-job-*`) in a temporary directory.
fn job_directories(dir: &Path) -> Vec<String> {
    std::fs::read_dir(dir)
        .expect("temp dir")
        .filter_map(|e| e.ok()?.file_name().into_string().ok())
        .filter(|name| name.starts_with("scribe-job-"))
        .collect()
}

/// Sets a directory's modification time `age` in the past.
fn age_directory(dir: &Path, age: std::time::Duration) {
    let when = std::time::SystemTime::now() - age;
    std::fs::File::open(dir)
        .expect("open dir")
        .set_modified(when)
        .expect("set mtime");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn job_directories_a_killed_process_left_are_removed_and_a_job_leaves_none() {
    let fakes = Fakes::start().await;
    fakes
        .dashscope
        .asr()
        .set_reply(|_| Reply::Text("nothing left behind".into()));
    let work = tempfile::tempdir().expect("temp dir");
    // What a SIGKILLed process left two days ago, a live job's directory, and a stranger's.
    let left = work.path().join("scribe-job-left-by-a-kill");
    let live = work.path().join("scribe-job-in-use");
    let foreign = work.path().join("someone-elses");
    for dir in [&left, &live, &foreign] {
        std::fs::create_dir_all(dir.join("chunks")).expect("dir");
        std::fs::write(dir.join("chunks/000.mp3"), b"audio").expect("chunk");
    }
    let two_days = std::time::Duration::from_secs(2 * 24 * 3600);
    age_directory(&left, two_days);
    age_directory(&foreign, two_days);
    let work_setting = work.path().display().to_string();
    let _scribe = Scribe::start(
        BIN,
        &fakes,
        &[
            ("TEMP_DIR", work_setting.as_str()),
            ("JOB_MAX_AGE_HOURS", "24"),
        ],
    )
    .await;
    wait_until("the left directory to be removed", WAIT, || {
        (!left.exists()).then_some(())
    })
    .await;
    assert!(live.exists(), "a young job directory may be a live job's");
    assert!(foreign.exists(), "only job directories are removed");
    // A document (downloaded, analysed and cut in its job directory) leaves nothing behind.
    let mp3 = audio::encode(&speech(20.0), Format::Mp3);
    let chat = 7512;
    send_document(&fakes, chat, "talk.mp3", "audio/mpeg", mp3);
    fakes.wait_text(chat, "nothing left behind").await;
    assert_eq!(job_directories(work.path()), vec!["scribe-job-in-use"]);
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
    let chat = 7510;
    send_document(&fakes, chat, "talk.m4a", "audio/mp4", m4a);
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
