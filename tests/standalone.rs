//! `scribe run` end to end: the real binary, long polling the fake Telegram, recognising with the
//! fake DashScope, formatting with the fake LLMs, on a SQLite file. Audio is generated.

use scribe_fakes::{wait_until, wait_until_async};
use scribe_testkit::bot::{Fakes, Scribe, WAIT, probe_seconds, user};

use scribe_core::billing::billable_seconds;
use scribe_fakes::dashscope::Reply;
use scribe_fakes::telegram::{FileKind, update};
use scribe_testkit::audio::{self, Format};

fn voice_note(text: &str) -> Vec<u8> {
    audio::encode(&audio::say(text, "en"), Format::VoiceNote)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_voice_note_becomes_formatted_text_and_is_charged_to_the_second() {
    let fakes = Fakes::start().await;
    const SPOKEN: &str = "hello this is a test of the scribe bot it should come back formatted in full with every word kept as it was said";
    fakes
        .dashscope
        .asr()
        .set_reply(|_| Reply::Text(SPOKEN.into()));
    fakes
        .dashscope
        .llm()
        .set_reply(|call| Reply::Text(call.user.to_uppercase()));
    let scribe = Scribe::start(env!("CARGO_BIN_EXE_scribe"), &fakes, &[]).await;

    let bytes = voice_note("Hello, this is a test of the scribe bot.");
    let seconds = probe_seconds(&bytes);
    let file = fakes.telegram.add_file(FileKind::Voice, bytes.clone());
    let ann = user(1001);
    fakes
        .telegram
        .push_update(update::voice(1001, &ann, &file, seconds.round() as u32));

    let expected = SPOKEN.to_uppercase();
    let result = fakes.wait_text(1001, &expected).await;
    assert!(
        result.edits >= 1,
        "the status message was edited into the result"
    );
    assert_eq!(
        fakes.shown(1001),
        vec![expected.clone()],
        "one message: the status turned result"
    );

    // The voice note went to ASR untouched, as an Ogg data URI.
    let asr = fakes.dashscope.asr().calls();
    assert_eq!(asr.len(), 1);
    assert_eq!(asr[0].call.mime, "audio/ogg");
    assert_eq!(asr[0].call.audio, bytes, "passthrough, no transcoding");
    assert_eq!(asr[0].call.model, "qwen3-asr-flash");
    assert_eq!(asr[0].call.enable_itn, Some(true));
    let llm = fakes.dashscope.llm().calls();
    assert_eq!(llm.len(), 1);
    assert_eq!(llm[0].call.model, "qwen-plus");

    // Trial credit, hold, probe adjustment, settle — and the balance right to the second.
    let charged = billable_seconds(seconds);
    let ledger = wait_until_async("the job to settle", WAIT, || async {
        let ledger = scribe.ledger(1001).await;
        ledger
            .iter()
            .any(|(r, _, _)| r == "settle")
            .then_some(ledger)
    })
    .await;
    assert_eq!(ledger[0], ("trial".into(), 900, 0));
    assert_eq!(ledger[1].0, "hold");
    assert_eq!(ledger.last(), Some(&("settle".into(), 0, -charged)));
    let store = scribe.store().await;
    let u = store.user(1001).await.expect("user").expect("exists");
    assert_eq!((u.balance, u.held), (900 - charged, 0));
    assert!(store.ledger_mismatches().await.expect("check").is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn video_notes_videos_and_audio_documents_are_transcoded_probed_and_settled() {
    let fakes = Fakes::start().await;
    fakes
        .dashscope
        .asr()
        .set_reply(|_| Reply::Text("a short clip".into()));
    let scribe = Scribe::start(env!("CARGO_BIN_EXE_scribe"), &fakes, &[]).await;
    let speech = audio::say("Testing one two three.", "en");
    let cases = [
        (3001, FileKind::VideoNote, Format::VideoNote, "video_note"),
        (3002, FileKind::Video, Format::Mp4Video, "video"),
        (3003, FileKind::Document, Format::M4a, "m4a"),
        (3004, FileKind::Document, Format::Mp3, "mp3"),
    ];
    for (chat, kind, format, name) in cases {
        let bytes = audio::encode(&speech, format);
        let seconds = probe_seconds(&bytes);
        let file = fakes
            .telegram
            .add_named_file(kind, &format!("clip.{name}"), bytes);
        let who = user(chat);
        let update = match name {
            "video_note" => update::video_note(chat, &who, &file, seconds.round() as u32),
            "video" => update::video(chat, &who, &file, seconds.round() as u32, "video/mp4"),
            "m4a" => update::document(chat, &who, &file, "audio/mp4", "talk.m4a"),
            _ => update::document(chat, &who, &file, "audio/mpeg", "talk.mp3"),
        };
        fakes.telegram.push_update(update);
        fakes.wait_text(chat, "a short clip").await;
        let ledger = wait_until_async("settled", WAIT, || async {
            let l = scribe.ledger(chat).await;
            l.iter().any(|(r, _, _)| r == "settle").then_some(l)
        })
        .await;
        let charged = billable_seconds(seconds);
        assert_eq!(
            ledger.last(),
            Some(&("settle".into(), 0, -charged)),
            "{name}: charged the probed duration"
        );
        if kind == FileKind::Document {
            // Unknown duration: the whole balance was held, then released down to the probe.
            assert_eq!(ledger[1], ("hold".into(), -900, 900), "{name}");
            assert_eq!(
                ledger[2],
                ("release".into(), 900 - charged, charged - 900),
                "{name}"
            );
        }
    }
    // Every request carries the audio alone, cut from the source without re-encoding (the
    // recogniser takes AAC and MP3 as they are), as long as the speech.
    let mimes: Vec<String> = fakes
        .dashscope
        .asr()
        .calls()
        .into_iter()
        .map(|call| {
            let pcm = audio::decode_pcm(&call.call.audio);
            assert!((audio::seconds(&pcm) - audio::seconds(&speech)).abs() < 0.2);
            call.call.mime
        })
        .collect();
    assert_eq!(mimes, ["audio/mp4", "audio/mp4", "audio/mp4", "audio/mpeg"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn silence_corrupt_files_and_oversized_files_cost_nothing() {
    let fakes = Fakes::start().await;
    let scribe = Scribe::start(env!("CARGO_BIN_EXE_scribe"), &fakes, &[]).await;

    let silent = fakes.telegram.add_file(
        FileKind::Voice,
        audio::encode(&audio::silence(4.0), Format::VoiceNote),
    );
    fakes
        .telegram
        .push_update(update::voice(4001, &user(4001), &silent, 4));
    fakes.wait_containing(4001, "No speech recognised").await;

    let garbage: Vec<u8> = (0..20_000u32)
        .map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8)
        .collect();
    let corrupt = fakes.telegram.add_file(FileKind::Voice, garbage);
    fakes
        .telegram
        .push_update(update::voice(4002, &user(4002), &corrupt, 5));
    fakes
        .wait_containing(4002, "Could not decode the file")
        .await;

    let big = fakes
        .telegram
        .add_file_of_size(FileKind::Audio, 25 * 1024 * 1024);
    fakes.telegram.push_update(update::audio(
        4003,
        &user(4003),
        &big,
        600,
        "audio/mpeg",
        "long.mp3",
    ));
    fakes.wait_containing(4003, "The file is too large").await;

    assert!(
        fakes.dashscope.asr().calls().is_empty(),
        "silence is detected locally; no provider call"
    );
    assert!(
        fakes
            .telegram
            .downloads()
            .iter()
            .all(|p| !p.contains(&big.file_id))
    );
    assert!(
        fakes
            .telegram
            .calls_of("getFile")
            .iter()
            .all(|c| c.params["file_id"] != big.file_id.as_str()),
        "no download attempt"
    );
    let store = scribe.store().await;
    for chat in [4001, 4002, 4003] {
        let u = store.user(chat).await.expect("user").expect("exists");
        assert_eq!((u.balance, u.held), (900, 0), "user {chat} charged nothing");
    }
    let mut kinds = Vec::new();
    for chat in [4001, 4002] {
        kinds.push(
            store
                .jobs_of_user(chat, 1)
                .await
                .expect("jobs")
                .remove(0)
                .error_kind,
        );
    }
    assert_eq!(
        kinds,
        vec![Some("no_speech".to_owned()), Some("undecodable".to_owned())]
    );
}

/// Paragraphs with characters HTML must escape.
fn long_text(paragraphs: usize) -> String {
    (0..paragraphs)
        .map(|p| {
            (0..8)
                .map(|s| format!("Paragraph {p} sentence {s} says a <b> & c > d, and then some more words to make it longer."))
                .collect::<Vec<_>>()
                .join(" ")
        })
        .collect::<Vec<_>>()
        .join("\n\n")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_long_transcript_arrives_as_a_text_file() {
    let fakes = Fakes::start().await;
    let text = long_text(14);
    assert!(text.chars().count() > 8000);
    let spoken = text.clone();
    fakes
        .dashscope
        .asr()
        .set_reply(move |_| Reply::Text(spoken.clone()));
    let _scribe = Scribe::start(env!("CARGO_BIN_EXE_scribe"), &fakes, &[]).await;
    let file = fakes
        .telegram
        .add_file(FileKind::Voice, voice_note("A long story."));
    fakes
        .telegram
        .push_update(update::voice(5001, &user(5001), &file, 2));
    let doc = fakes
        .wait_message(5001, "a .txt document", |m| m.document.is_some())
        .await;
    let upload = doc.document.expect("document");
    assert_eq!(upload.file_name, "transcript.txt");
    assert_eq!(
        String::from_utf8(upload.bytes).expect("utf-8"),
        text,
        "the file holds the text, unescaped"
    );
    assert!(
        doc.caption
            .as_deref()
            .is_some_and(|c| c.contains("Transcript"))
    );
    wait_until(
        "the status message to make way for the document",
        WAIT,
        || fakes.telegram.messages(5001)[0].deleted.then_some(()),
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn split_setting_sends_html_safe_messages_cut_at_paragraphs() {
    let fakes = Fakes::start().await;
    let text = long_text(14);
    let spoken = text.clone();
    fakes
        .dashscope
        .asr()
        .set_reply(move |_| Reply::Text(spoken.clone()));
    let _scribe = Scribe::start(env!("CARGO_BIN_EXE_scribe"), &fakes, &[]).await;
    fakes
        .telegram
        .push_update(update::text(5002, &user(5002), "/output split"));
    fakes.wait_containing(5002, "Long text: split").await;
    let file = fakes
        .telegram
        .add_file(FileKind::Voice, voice_note("A long story."));
    fakes
        .telegram
        .push_update(update::voice(5002, &user(5002), &file, 2));
    let paragraphs: Vec<&str> = text.split("\n\n").collect();
    let last = *paragraphs.last().expect("paragraphs");
    fakes
        .wait_message(5002, "the last part", |m| {
            m.rendered_text
                .as_deref()
                .is_some_and(|t| t.ends_with(last))
        })
        .await;
    let parts: Vec<String> = fakes.shown(5002).into_iter().skip(1).collect();
    assert!(parts.len() >= 3, "{} parts", parts.len());
    for part in &parts {
        assert!(part.chars().count() <= 4096);
        for paragraph in part.split("\n\n") {
            assert!(
                paragraphs.contains(&paragraph),
                "every message holds whole paragraphs"
            );
        }
    }
    assert_eq!(
        parts.join("\n\n"),
        text,
        "nothing lost, order kept, entities decoded back"
    );
    let sent = fakes.telegram.messages(5002);
    assert!(
        sent.iter()
            .skip(1)
            .all(|m| m.parse_mode.as_deref() == Some("HTML"))
    );
    assert!(
        sent[1]
            .text
            .as_deref()
            .is_some_and(|t| t.contains("&lt;b&gt; &amp; c &gt; d"))
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_job_killed_mid_way_completes_once_after_restart_and_is_charged_once() {
    let fakes = Fakes::start().await;
    fakes
        .dashscope
        .asr()
        .set_reply(|_| Reply::Text("recovered after a crash".into()));
    let gate = fakes.dashscope.asr().gate();
    let mut scribe = Scribe::start(env!("CARGO_BIN_EXE_scribe"), &fakes, &[]).await;
    let bytes = voice_note("Crash test.");
    let seconds = probe_seconds(&bytes);
    let file = fakes.telegram.add_file(FileKind::Voice, bytes);
    fakes
        .telegram
        .push_update(update::voice(6001, &user(6001), &file, 2));
    scribe_fakes::wait_until("ASR in flight", WAIT, || (gate.waiting() > 0).then_some(())).await;
    scribe.kill().await;
    gate.release_all();
    scribe.restart();
    fakes.wait_text(6001, "recovered after a crash").await;
    let ledger = wait_until_async("settled", WAIT, || async {
        let l = scribe.ledger(6001).await;
        l.iter().any(|(r, _, _)| r == "settle").then_some(l)
    })
    .await;
    // Let the restarted process settle anything else it might (wrongly) do, then check.
    scribe.terminate().await;
    let shown = fakes.shown(6001);
    assert_eq!(
        shown,
        vec!["recovered after a crash".to_owned()],
        "one reply"
    );
    assert_eq!(ledger.iter().filter(|(r, _, _)| r == "settle").count(), 1);
    let store = scribe.store().await;
    let u = store.user(6001).await.expect("user").expect("exists");
    assert_eq!((u.balance, u.held), (900 - billable_seconds(seconds), 0));
    let job = store.jobs_of_user(6001, 5).await.expect("jobs");
    assert_eq!(job.len(), 1);
    assert_eq!((job[0].state.as_str(), job[0].attempts), ("done", 2));
    assert_eq!(store.queue_depth("jobs").await.expect("depth"), 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_local_bot_api_server_hands_over_files_by_path_and_lifts_the_size_limit() {
    let files = tempfile::tempdir().expect("temp dir");
    let fakes = Fakes {
        telegram: scribe_fakes::telegram::FakeTelegram::start_local(
            scribe_testkit::bot::TOKEN,
            files.path().to_path_buf(),
        )
        .await,
        dashscope: scribe_fakes::dashscope::FakeDashScope::start(
            scribe_testkit::bot::DASHSCOPE_KEY,
        )
        .await,
        gemini: scribe_fakes::gemini::FakeGemini::start(scribe_testkit::bot::GEMINI_KEY).await,
    };
    fakes
        .dashscope
        .asr()
        .set_reply(|_| Reply::Text("read from the shared disk".into()));
    let root = files.path().display().to_string();
    let _scribe = Scribe::start(
        env!("CARGO_BIN_EXE_scribe"),
        &fakes,
        &[
            ("TELEGRAM_MAX_FILE_MB", "2000"),
            ("TELEGRAM_LOCAL_ROOT", root.as_str()),
        ],
    )
    .await;
    let bytes = voice_note("Local server.");
    let file = fakes.telegram.add_file(FileKind::Voice, bytes.clone());
    let mut u = update::voice(9001, &user(9001), &file, 2);
    // A 30 MB file size would be refused by the cloud API; the local server serves it.
    u["voice"]["file_size"] = (30 * 1024 * 1024).into();
    fakes.telegram.push_update(u);
    fakes.wait_text(9001, "read from the shared disk").await;
    // The only "download" is the local server writing the file to its disk (an absolute path);
    // the bot read it from there instead of fetching it over HTTP.
    let downloads = fakes.telegram.downloads();
    assert_eq!(downloads.len(), 1, "{downloads:?}");
    assert!(
        downloads[0].starts_with(&files.path().display().to_string()),
        "{downloads:?}"
    );
    assert_eq!(fakes.dashscope.asr().calls()[0].call.audio, bytes);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_voice_note_the_recogniser_refuses_as_is_is_transcoded_once() {
    let fakes = Fakes::start().await;
    let bytes = voice_note("Please transcode me.");
    let original = bytes.clone();
    fakes.dashscope.asr().set_reply(move |call| {
        if call.audio == original {
            Reply::Error(scribe_fakes::dashscope::ApiError::InvalidParameter(
                "The audio format is not supported.".into(),
            ))
        } else {
            Reply::Text("transcoded and recognised".into())
        }
    });
    let _scribe = Scribe::start(env!("CARGO_BIN_EXE_scribe"), &fakes, &[]).await;
    let file = fakes.telegram.add_file(FileKind::Voice, bytes.clone());
    fakes
        .telegram
        .push_update(update::voice(9002, &user(9002), &file, 2));
    fakes.wait_text(9002, "transcoded and recognised").await;
    let calls = fakes.dashscope.asr().calls();
    assert_eq!(
        calls.iter().map(|c| c.status).collect::<Vec<_>>(),
        vec![400, 200],
        "no retry of a 400; one transcoded try"
    );
    assert_ne!(calls[1].call.audio, bytes);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn an_openai_compatible_recogniser_can_replace_dashscope() {
    let fakes = Fakes::start().await;
    let whisper = scribe_fakes::openai::FakeOpenAiAsr::start("sk-whisper").await;
    whisper
        .transcriptions()
        .set_reply(|_| scribe_fakes::openai::TranscriptionReply::Text("whisper heard this".into()));
    let base = whisper.base_url();
    let _scribe = Scribe::start(
        env!("CARGO_BIN_EXE_scribe"),
        &fakes,
        &[
            ("ASR_PROVIDER", "openai"),
            ("OPENAI_ASR_BASE_URL", &base),
            ("OPENAI_ASR_API_KEY", "sk-whisper"),
            ("ASR_MODEL", "whisper-1"),
        ],
    )
    .await;
    let file = fakes
        .telegram
        .add_file(FileKind::Voice, voice_note("Whisper me."));
    fakes
        .telegram
        .push_update(update::voice(9003, &user(9003), &file, 2));
    fakes.wait_text(9003, "whisper heard this").await;
    let calls = whisper.transcriptions().calls();
    assert_eq!(calls.len(), 1);
    assert_eq!(calls[0].call.model, "whisper-1");
    assert!(
        calls[0].call.file_name.ends_with(".ogg"),
        "{}",
        calls[0].call.file_name
    );
    assert!(fakes.dashscope.asr().calls().is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_bot_api_emulator_without_webhook_info_or_menus_is_enough() {
    use scribe_fakes::dashscope::FakeDashScope;
    use scribe_fakes::gemini::FakeGemini;
    use scribe_fakes::telegram::{FakeTelegram, TEST_API_METHODS};
    use scribe_testkit::bot::{DASHSCOPE_KEY, GEMINI_KEY, TOKEN};
    let fakes = Fakes {
        telegram: FakeTelegram::start_emulator(TOKEN, TEST_API_METHODS).await,
        dashscope: FakeDashScope::start(DASHSCOPE_KEY).await,
        gemini: FakeGemini::start(GEMINI_KEY).await,
    };
    let scribe = Scribe::start(env!("CARGO_BIN_EXE_scribe"), &fakes, &[]).await;
    fakes
        .telegram
        .push_update(update::text(9101, &user(9101), "/start"));
    fakes.wait_containing(9101, "Hi, Tester!").await;
    let logs = scribe.logs();
    assert!(logs.contains("getWebhookInfo unavailable"), "{logs}");
    assert!(logs.contains("could not set the command menus"), "{logs}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_webhook_blocks_polling_until_delete_webhook_removes_it() {
    let fakes = Fakes::start().await;
    let http = scribe_core::http::client(std::time::Duration::from_secs(10)).expect("client");
    let set = http
        .post(format!(
            "{}/bot{}/setWebhook",
            fakes.telegram.api_url(),
            scribe_testkit::bot::TOKEN
        ))
        .json(&serde_json::json!({ "url": "https://bot.example.com/telegram" }))
        .send()
        .await
        .expect("setWebhook");
    assert!(set.status().is_success());
    // Without the flag: one line that says what to do, and no polling.
    let refused = Scribe::start(env!("CARGO_BIN_EXE_scribe"), &fakes, &[]).await;
    wait_until("the explanation", WAIT, || {
        refused
            .logs()
            .contains("scribe run --delete-webhook")
            .then_some(())
    })
    .await;
    assert!(fakes.telegram.webhook().is_some(), "left as it was");
    drop(refused);
    // With it: removed, and the bot answers.
    let dir = tempfile::tempdir().expect("dir");
    let _scribe = Scribe::start_role(
        env!("CARGO_BIN_EXE_scribe"),
        &["run", "--delete-webhook"],
        &fakes,
        &format!("sqlite:{}/scribe.db?mode=rwc", dir.path().display()),
        &[],
    )
    .await;
    fakes
        .telegram
        .push_update(update::text(9102, &user(9102), "/start"));
    fakes.wait_containing(9102, "Hi, Tester!").await;
    assert!(fakes.telegram.webhook().is_none());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn updates_numbered_anew_after_a_quiet_week_are_polled_and_answered() {
    let fakes = Fakes::start().await;
    fakes.telegram.reset_update_ids(5_000);
    let mut scribe = Scribe::start(env!("CARGO_BIN_EXE_scribe"), &fakes, &[]).await;
    let chat = 9103;
    fakes
        .telegram
        .push_update(update::text(chat, &user(chat), "/start"));
    fakes.wait_containing(chat, "Hi, Tester!").await;
    // Confirmed (the next poll's offset is past it), the queue is empty: a quiet week later
    // Telegram numbers the next update far below the offset the bot saved.
    wait_until("the update to be confirmed", WAIT, || {
        (fakes.telegram.pending_updates() == 0).then_some(())
    })
    .await;
    fakes.telegram.reset_update_ids(17);
    fakes
        .telegram
        .push_update(update::text(chat, &user(chat), "/balance"));
    fakes.wait_containing(chat, "Balance").await;
    // A restart polls from the offset saved in the store: still answered.
    wait_until("the update to be confirmed", WAIT, || {
        (fakes.telegram.pending_updates() == 0).then_some(())
    })
    .await;
    scribe.kill().await;
    fakes.telegram.reset_update_ids(3);
    scribe.restart();
    fakes
        .telegram
        .push_update(update::text(chat, &user(chat), "/help"));
    fakes.wait_containing(chat, "You pay per second").await;
}
