//! User commands through `scribe run`: replies, settings in the store, `@BotName` suffixes,
//! bad arguments, hints, and long polling that neither loses nor repeats updates over a restart.

use scribe_fakes::telegram::{TgUser, update};
use scribe_testkit::bot::{Fakes, Scribe, WAIT, user};

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn commands_answer_and_change_settings() {
    let fakes = Fakes::start().await;
    let mut scribe = Scribe::start(env!("CARGO_BIN_EXE_scribe"), &fakes, &[]).await;
    let chat = 7001;
    let ann = user(chat);
    let say = |text: &str| {
        fakes.telegram.push_update(update::text(chat, &ann, text));
    };

    say("/start");
    let greeting = fakes.wait_containing(chat, "Hi, Tester!").await;
    let text = greeting.rendered_text.expect("text");
    assert!(text.contains("You got 15 min free"), "{text}");
    assert!(text.contains("Balance: 15 min"), "{text}");

    say("/help");
    fakes
        .wait_containing(chat, "/language — recognition language")
        .await;
    // `scribe run` sets the menus itself: private chats and groups, both languages.
    assert!(
        fakes
            .telegram
            .commands()
            .iter()
            .any(|c| c["command"] == "glossary")
    );
    let group_menu = fakes
        .telegram
        .commands_for(&serde_json::json!({"type": "all_group_chats"}), "ru");
    assert_eq!(group_menu[0]["command"], "transcribe");
    say("/balance");
    fakes
        .wait_containing(chat, "Last 30 days: 0 recordings, 0 s.")
        .await;
    say("/balance extra");
    fakes.wait_text(chat, "Usage: /balance").await;
    say("/history");
    fakes.wait_text(chat, "No recordings yet.").await;

    say("/language ru");
    fakes.wait_text(chat, "Recognition language: ru.").await;
    say("/language xx");
    fakes.wait_containing(chat, "Unknown language «xx»").await;
    say("/language ru en");
    fakes.wait_text(chat, "Usage: /language [code|auto]").await;
    say("/code");
    fakes.wait_text(chat, "Text will come in monospace.").await;
    say("/yo replace");
    fakes
        .wait_text(chat, "The letter «ё» is replaced with «е».")
        .await;
    say("/yo sometimes");
    fakes.wait_text(chat, "Usage: /yo [keep|replace]").await;
    say("/output file");
    fakes.wait_text(chat, "Long text: file.").await;
    say("/output");
    fakes
        .wait_containing(chat, "Usage: /output auto | split | file")
        .await;
    say("/settings@scribe_fake_bot");
    let settings = fakes
        .wait_containing(chat, "Settings:")
        .await
        .rendered_text
        .expect("text");
    assert!(settings.contains("Recognition language: ru"), "{settings}");
    assert!(settings.contains("Monospace output: on"), "{settings}");
    assert!(settings.contains("Long text: file"), "{settings}");
    say("/frobnicate");
    fakes
        .wait_text(chat, "I don't know that command. /help lists them.")
        .await;
    let photo_update = fakes
        .telegram
        .push_update(update::photo(chat, &ann))
        .update_id
        .expect("a private message is delivered");
    fakes
        .wait_text(
            chat,
            "Send me a voice message or an audio/video file and I'll turn the speech into text.",
        )
        .await;

    let store = scribe.store().await;
    let saved = store
        .user(chat)
        .await
        .expect("user")
        .expect("exists")
        .settings();
    assert_eq!(saved.asr_language.as_deref(), Some("ru"));
    assert!(saved.code_output && !saved.keep_yo);
    assert_eq!(saved.long_output.as_str(), "file");

    // A command for another bot is not ours; a stop and start neither loses nor repeats.
    let before = fakes.telegram.messages(chat).len();
    say("/start@some_other_bot");
    assert_eq!(
        scribe.terminate().await.code(),
        Some(0),
        "clean exit on SIGTERM"
    );
    let handled = fakes.telegram.messages(chat).len();
    assert!(handled == before, "the other bot's command got no reply");
    let polls_before = fakes.telegram.calls_of("getUpdates").len();
    scribe.restart();
    say("/balance");
    let after = scribe_fakes::wait_until("the reply after restart", WAIT, || {
        let messages = fakes.telegram.messages(chat);
        (messages.len() > before).then_some(messages)
    })
    .await;
    let last = after
        .last()
        .and_then(|m| m.rendered_text.clone())
        .unwrap_or_default();
    assert!(last.starts_with("Balance: 15 min."), "{last}");
    scribe.terminate().await;
    assert_eq!(
        fakes.telegram.messages(chat).len(),
        before + 1,
        "nothing handled twice, nothing lost"
    );
    let resumed = &fakes.telegram.calls_of("getUpdates")[polls_before];
    let offset = resumed.params["offset"]
        .as_i64()
        .expect("the saved offset is sent");
    assert!(
        offset > photo_update,
        "polling resumed after the handled updates (offset {offset})"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn russian_users_get_russian_replies() {
    let fakes = Fakes::start().await;
    let _scribe = Scribe::start(env!("CARGO_BIN_EXE_scribe"), &fakes, &[]).await;
    let ivan = TgUser::new(7002, "Иван").lang("ru");
    fakes
        .telegram
        .push_update(update::text(7002, &ivan, "/balance@Scribe_Fake_Bot"));
    fakes.wait_containing(7002, "Баланс: 15 мин.").await;
    fakes
        .telegram
        .push_update(update::text(7002, &ivan, "привет"));
    fakes
        .wait_containing(7002, "Пришлите мне голосовое сообщение")
        .await;
}
