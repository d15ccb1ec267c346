//! Transcript actions end to end against `scribe run`: the button row under a transcript, the
//! answers from the formatter chain (fallback included), one answer and one charge per press,
//! the daily allowance then `ACTION_SECONDS`, long transcripts summarised and listed in pieces
//! and combined, or translated in pieces and joined, and buttons whose transcript is gone.

use scribe_fakes::dashscope::{ApiError, LlmCall, Reply};
use scribe_fakes::gemini::GeminiReply;
use scribe_fakes::telegram::{BotMessage, FileKind, TgUser, update};
use scribe_fakes::{wait_until, wait_until_async};
use scribe_store::Store;
use scribe_testkit::audio::{self, Format};
use scribe_testkit::bot::{Fakes, Scribe, WAIT, ledger_rows};

const BIN: &str = env!("CARGO_BIN_EXE_scribe");

const TRANSCRIPT: &str = "Tomorrow Anna sends the report to Bob before noon, and the team \
meets on Friday to plan the release of version two with the new billing page.";

const TRANSLATION: &str = "Завтра Анна отправит отчёт Бобу до полудня, а в пятницу команда \
встретится, чтобы спланировать выпуск второй версии с новой страницей оплаты.";

/// The DashScope formatter: echoes a transcript it formats, answers actions by their prompt.
fn llm(call: &LlmCall) -> Reply {
    let system = call.system.as_deref().unwrap_or_default();
    if system.starts_with("You format") {
        Reply::Text(call.user.clone())
    } else if system.contains("are given summaries") {
        Reply::Text("COMBINED SUMMARY".into())
    } else if system.contains("are given lists of action items") {
        Reply::Text("- MERGED ITEMS".into())
    } else if system.starts_with("You summarise") {
        Reply::Text(format!("SUMMARY of {} chars", call.user.chars().count()))
    } else if system.starts_with("You extract action items") {
        Reply::Text("- Anna: send the report to Bob".into())
    } else if system.starts_with("You translate") {
        Reply::Text(TRANSLATION.into())
    } else {
        Reply::Text("unexpected".into())
    }
}

async fn start(extra: &[(&str, &str)], transcript: &str) -> (Fakes, Scribe, Store) {
    let fakes = Fakes::start().await;
    let text = transcript.to_owned();
    fakes
        .dashscope
        .asr()
        .set_reply(move |_| Reply::Text(text.clone()));
    fakes.dashscope.llm().set_reply(llm);
    let mut env = vec![("TRIAL_MODE", "off")];
    env.extend_from_slice(extra);
    let scribe = Scribe::start(BIN, &fakes, &env).await;
    let store = scribe.store().await;
    (fakes, scribe, store)
}

async fn credit(store: &Store, user: &TgUser, seconds: i64) {
    store
        .touch_user(user.id, &user.first_name, None, Some("en"))
        .await
        .expect("user");
    store
        .adjust_balance(
            user.id,
            scribe_core::billing::Reason::AdminCredit,
            &format!("seed:{}", user.id),
            seconds,
            None,
        )
        .await
        .expect("credit");
}

/// Sends a voice note and returns the transcript's message (the one with the action row).
async fn transcript_message(fakes: &Fakes, user: &TgUser) -> BotMessage {
    let bytes = audio::encode(&audio::say("a short note", "en"), Format::VoiceNote);
    let file = fakes.telegram.add_file(FileKind::Voice, bytes);
    fakes
        .telegram
        .push_update(update::voice(user, user, &file, 2));
    fakes
        .wait_message(user.id, "the transcript with its buttons", |m| {
            m.buttons.iter().any(|b| b.text.contains("Summary"))
        })
        .await
}

fn data(message: &BotMessage, label: &str) -> String {
    message
        .buttons
        .iter()
        .find(|b| b.text.contains(label))
        .and_then(|b| b.callback_data.clone())
        .unwrap_or_else(|| panic!("no {label} button in {:?}", message.buttons))
}

/// Presses `button` on `message`; returns the callback query id.
fn press(fakes: &Fakes, user: &TgUser, message: &BotMessage, button: &str) -> String {
    let (update, query) = update::callback(user, user, message.message_id, &data(message, button));
    fakes.telegram.push_update(update);
    query
}

/// The notice a callback query was answered with (waits for the answer).
async fn toast(fakes: &Fakes, query: &str) -> Option<String> {
    wait_until("the button answered", WAIT, || {
        fakes
            .telegram
            .calls_of("answerCallbackQuery")
            .into_iter()
            .find(|c| c.params["callback_query_id"] == query)
            .map(|c| c.params["text"].as_str().map(str::to_owned))
    })
    .await
}

fn llm_calls_with(fakes: &Fakes, prefix: &str) -> usize {
    fakes
        .dashscope
        .llm()
        .calls()
        .iter()
        .filter(|c| {
            c.call
                .system
                .as_deref()
                .is_some_and(|s| s.starts_with(prefix))
        })
        .count()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn actions_answer_once_per_press_free_within_the_allowance_then_charged() {
    let (fakes, _scribe, store) = start(
        &[("ACTIONS_PER_DAY", "2"), ("ACTION_SECONDS", "30")],
        TRANSCRIPT,
    )
    .await;
    let user = TgUser::new(7101, "Ann").lang("de");
    credit(&store, &user, 600).await;
    let message = transcript_message(&fakes, &user).await;
    let labels: Vec<&str> = message.buttons.iter().map(|b| b.text.as_str()).collect();
    assert_eq!(labels.len(), 3, "{labels:?}");

    // Summary: the answer replies to the transcript, in the chat.
    let first = press(&fakes, &user, &message, "Summary");
    let summary = fakes.wait_containing(user.id, "SUMMARY of").await;
    assert_eq!(summary.reply_to_message_id, Some(message.message_id));
    assert_eq!(llm_calls_with(&fakes, "You summarise"), 1);
    let system = fakes.dashscope.llm().calls().into_iter().find(|c| {
        c.call
            .system
            .as_deref()
            .is_some_and(|s| s.starts_with("You summarise"))
    });
    let system = system.expect("a summary call").call;
    assert!(
        system
            .system
            .unwrap_or_default()
            .contains("same language as the text")
    );
    assert!(system.user.contains("Anna sends the report"));
    assert!(toast(&fakes, &first).await.is_some());

    // The same button again: one answer, no second model call, no charge.
    let again = press(&fakes, &user, &message, "Summary");
    let notice = toast(&fakes, &again).await.expect("a notice");
    assert!(notice.contains("answered"), "{notice}");
    assert_eq!(llm_calls_with(&fakes, "You summarise"), 1);
    assert_eq!(
        fakes
            .shown(user.id)
            .iter()
            .filter(|t| t.contains("SUMMARY of"))
            .count(),
        1
    );

    // Action items: the second free one.
    press(&fakes, &user, &message, "Action items");
    fakes
        .wait_containing(user.id, "Anna: send the report")
        .await;

    // Translate: the row turns into languages (English, Russian, and the user's German).
    press(&fakes, &user, &message, "Translate");
    let languages = fakes
        .wait_message(user.id, "the language buttons", |m| {
            m.message_id == message.message_id
                && m.buttons.iter().any(|b| b.text.contains("Deutsch"))
        })
        .await;
    assert!(languages.buttons.iter().any(|b| b.text.contains("English")));
    assert!(languages.buttons.iter().any(|b| b.text.contains("Русский")));
    let (update, _) = update::callback(
        &user,
        &user,
        message.message_id,
        &data(&languages, "Русский"),
    );
    fakes.telegram.push_update(update);
    fakes
        .wait_containing(user.id, "Завтра Анна отправит отчёт")
        .await;
    let translate = fakes
        .dashscope
        .llm()
        .calls()
        .into_iter()
        .find(|c| {
            c.call
                .system
                .as_deref()
                .is_some_and(|s| s.starts_with("You translate"))
        })
        .expect("a translation call")
        .call;
    assert!(translate.system.unwrap_or_default().contains("Russian"));
    // The third action of the day cost ACTION_SECONDS, once, through the ledger.
    let charges = wait_until_async("the charge", WAIT, || async {
        let rows = ledger_rows(&store, user.id, "action").await;
        (!rows.is_empty()).then_some(rows)
    })
    .await;
    assert_eq!(charges.len(), 1);
    assert_eq!(charges[0].delta, -30);
    fakes.wait_containing(user.id, "30 s").await;
    assert!(store.ledger_mismatches().await.expect("audit").is_empty());
    // The action row is back on the transcript.
    wait_until("the row restored", WAIT, || {
        fakes
            .telegram
            .messages(user.id)
            .into_iter()
            .find(|m| m.message_id == message.message_id)
            .filter(|m| m.buttons.iter().any(|b| b.text.contains("Summary")))
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_failing_primary_falls_back_and_no_model_at_all_costs_nothing() {
    let (fakes, _scribe, store) = start(
        &[("ACTIONS_PER_DAY", "0"), ("ACTION_SECONDS", "30")],
        TRANSCRIPT,
    )
    .await;
    let user = TgUser::new(7102, "Bo").lang("en");
    credit(&store, &user, 600).await;
    let message = transcript_message(&fakes, &user).await;
    // The primary fails for actions; Gemini answers.
    fakes.dashscope.llm().set_reply(|call| {
        if call
            .system
            .as_deref()
            .is_some_and(|s| s.starts_with("You format"))
        {
            Reply::Text(call.user.clone())
        } else {
            Reply::Error(ApiError::Internal)
        }
    });
    fakes
        .gemini
        .generate_content()
        .set_reply(|_| GeminiReply::Text("GEMINI SUMMARY".into()));
    press(&fakes, &user, &message, "Summary");
    fakes.wait_containing(user.id, "GEMINI SUMMARY").await;
    wait_until_async("charged once", WAIT, || async {
        (ledger_rows(&store, user.id, "action").await.len() == 1).then_some(())
    })
    .await;

    // Neither answers (Gemini's answer is cut off): "not available now", nothing charged, and
    // the button works again later.
    fakes
        .gemini
        .generate_content()
        .set_reply(|_| GeminiReply::MaxTokens("ITEMS cut".into()));
    press(&fakes, &user, &message, "Action items");
    let unavailable = fakes.wait_containing(user.id, "not available").await;
    assert!(
        !unavailable
            .rendered_text
            .unwrap_or_default()
            .contains("ITEMS cut")
    );
    assert_eq!(ledger_rows(&store, user.id, "action").await.len(), 1);
    fakes
        .gemini
        .generate_content()
        .set_reply(|_| GeminiReply::Text("- ITEM from Gemini".into()));
    press(&fakes, &user, &message, "Action items");
    fakes.wait_containing(user.id, "ITEM from Gemini").await;
    wait_until_async("charged for the answered press only", WAIT, || async {
        (ledger_rows(&store, user.id, "action").await.len() == 2).then_some(())
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_long_transcript_is_summarised_listed_and_translated_in_pieces() {
    let paragraph = "Anna explained the quarterly numbers in detail and the team asked \
                     many questions about the budget for the next release. ";
    let long = (0..40)
        .map(|i| format!("{i}. {}", paragraph.repeat(2)))
        .collect::<Vec<_>>()
        .join("\n\n");
    let (fakes, _scribe, store) = start(&[("FORMAT_CHUNK_CHARS", "1000")], &long).await;
    let user = TgUser::new(7103, "Cy").lang("en");
    credit(&store, &user, 600).await;
    let message = transcript_message(&fakes, &user).await;
    press(&fakes, &user, &message, "Summary");
    fakes.wait_containing(user.id, "COMBINED SUMMARY").await;
    let pieces = llm_calls_with(&fakes, "You summarise");
    // ~12 000 characters in pieces of at most 4 000: at least three, then one combining call.
    assert!(pieces >= 3, "{pieces} pieces");
    assert_eq!(llm_calls_with(&fakes, "You are given summaries"), 1);
    for call in fakes.dashscope.llm().calls() {
        if call
            .call
            .system
            .as_deref()
            .is_some_and(|s| s.starts_with("You summarise"))
        {
            assert!(call.call.user.chars().count() <= 4000);
        }
    }
    // Action items: listed piece by piece, then merged into one list.
    press(&fakes, &user, &message, "Action items");
    fakes.wait_containing(user.id, "MERGED ITEMS").await;
    assert_eq!(llm_calls_with(&fakes, "You extract action items"), pieces);
    assert_eq!(
        llm_calls_with(&fakes, "You are given lists of action items"),
        1
    );
    // Translate: piece by piece, joined in order (nothing to combine). A translation keeps
    // its piece's length (a much shorter one is refused as cut short).
    fakes.dashscope.llm().set_reply(|call| {
        if call
            .system
            .as_deref()
            .is_some_and(|s| s.starts_with("You translate"))
        {
            Reply::Text(format!("ПЕРЕВОД. {}", call.user))
        } else {
            llm(call)
        }
    });
    press(&fakes, &user, &message, "Translate");
    let languages = fakes
        .wait_message(user.id, "the language buttons", |m| {
            m.message_id == message.message_id
                && m.buttons.iter().any(|b| b.text.contains("Русский"))
        })
        .await;
    let (update, _) = update::callback(
        &user,
        &user,
        message.message_id,
        &data(&languages, "Русский"),
    );
    fakes.telegram.push_update(update);
    // Long, so it arrives as a text file, like the transcript it translates.
    let translated = wait_until("the translation", WAIT, || {
        fakes
            .telegram
            .messages(user.id)
            .into_iter()
            .filter_map(|m| m.document.and_then(|d| d.text().map(str::to_owned)))
            .find(|text| text.contains("ПЕРЕВОД."))
    })
    .await;
    // A translation is as long as its piece, so its pieces are the formatter's, not 4× them.
    let translations = llm_calls_with(&fakes, "You translate");
    assert!(translations > pieces, "{translations} translated pieces");
    assert_eq!(
        translated.matches("ПЕРЕВОД.").count(),
        translations,
        "every piece's translation, joined"
    );
    let first = translated
        .find("ПЕРЕВОД. 0.")
        .expect("the first piece first");
    assert!(first < translated.find("39. ").expect("the last paragraph"));
    for call in fakes.dashscope.llm().calls() {
        let system = call.call.system.as_deref().unwrap_or_default();
        if system.starts_with("You extract action items") || system.starts_with("You translate") {
            assert!(call.call.user.chars().count() <= 4000);
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_button_after_forget_says_the_transcript_is_gone() {
    let (fakes, _scribe, store) = start(&[], TRANSCRIPT).await;
    let user = TgUser::new(7104, "Di").lang("en");
    credit(&store, &user, 600).await;
    let message = transcript_message(&fakes, &user).await;
    fakes
        .telegram
        .push_update(update::text(&user, &user, "/forget"));
    let confirm = fakes
        .wait_message(user.id, "the confirm buttons", |m| {
            m.buttons.len() == 2 && m.message_id != message.message_id
        })
        .await;
    let yes = confirm.buttons[0].callback_data.clone().expect("data");
    let (update, _) = update::callback(&user, &user, confirm.message_id, &yes);
    fakes.telegram.push_update(update);
    wait_until_async("forgotten", WAIT, || async {
        store
            .transcripts_of(scribe_store::TranscriptOwner::User(user.id))
            .await
            .ok()
            .filter(Vec::is_empty)
    })
    .await;
    let query = press(&fakes, &user, &message, "Summary");
    let notice = toast(&fakes, &query).await.expect("a notice");
    assert!(notice.contains("no longer kept"), "{notice}");
    assert_eq!(llm_calls_with(&fakes, "You summarise"), 0);
    assert!(ledger_rows(&store, user.id, "action").await.is_empty());
    // A forged button for someone else's job changes nothing either.
    let other = TgUser::new(7105, "Eve").lang("en");
    let forged = data(&message, "Summary");
    let (update, query) = update::callback(&other, &other, message.message_id, &forged);
    fakes.telegram.push_update(update);
    let notice = toast(&fakes, &query).await.expect("a notice");
    assert!(notice.contains("who asked"), "{notice}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn in_a_group_the_buttons_are_for_the_member_who_asked_and_balances_stay_private() {
    use scribe_fakes::telegram::{MemberStatus, TgGroup};
    let (fakes, _scribe, store) = start(
        &[("ACTIONS_PER_DAY", "0"), ("ACTION_SECONDS", "30")],
        TRANSCRIPT,
    )
    .await;
    let group = TgGroup::supergroup(-100_771, "Team");
    let (asker, other) = (
        TgUser::new(7111, "Asker").lang("en"),
        TgUser::new(7112, "Other").lang("en"),
    );
    for who in [&asker, &other] {
        fakes.telegram.set_member(&group, who, MemberStatus::Member);
    }
    credit(&store, &asker, 20).await;
    let bytes = audio::encode(&audio::say("a group note", "en"), Format::VoiceNote);
    let file = fakes.telegram.add_file(FileKind::Voice, bytes);
    let posted = fakes
        .telegram
        .push_update(update::voice(&group, &other, &file, 2));
    fakes.telegram.push_update(update::replying_to(
        update::text(&group, &asker, "/t"),
        posted.message_id.expect("a message"),
    ));
    let message = fakes
        .wait_message(group.id, "the transcript with its buttons", |m| {
            m.buttons.iter().any(|b| b.text.contains("Summary"))
        })
        .await;
    let data = data(&message, "Summary");
    // Another member: a notice only they see; nothing runs.
    let (update, query) = update::callback(&group, &other, message.message_id, &data);
    fakes.telegram.push_update(update);
    let notice = toast(&fakes, &query).await.expect("a notice");
    assert!(notice.contains("who asked"), "{notice}");
    // The asker has too little left for a paid action: told in the notice, not in the group.
    let (update, query) = update::callback(&group, &asker, message.message_id, &data);
    fakes.telegram.push_update(update);
    let notice = toast(&fakes, &query).await.expect("a notice");
    assert!(notice.contains("free actions"), "{notice}");
    assert!(
        !fakes
            .shown(group.id)
            .iter()
            .any(|t| t.contains("free actions")),
        "no balance in the group"
    );
    assert_eq!(llm_calls_with(&fakes, "You summarise"), 0);
    // With minutes, the answer goes to the group as a reply, and the charge is not announced.
    store
        .adjust_balance(
            asker.id,
            scribe_core::billing::Reason::AdminCredit,
            "more",
            600,
            None,
        )
        .await
        .expect("credit");
    let (update, _) = update::callback(&group, &asker, message.message_id, &data);
    fakes.telegram.push_update(update);
    let summary = fakes.wait_containing(group.id, "SUMMARY of").await;
    assert_eq!(summary.reply_to_message_id, Some(message.message_id));
    wait_until_async("charged", WAIT, || async {
        (ledger_rows(&store, asker.id, "action").await.len() == 1).then_some(())
    })
    .await;
    assert!(
        !fakes
            .shown(group.id)
            .iter()
            .any(|t| t.contains("of balance used"))
    );
}
