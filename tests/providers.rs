//! Provider failures end to end (`scribe run`): formatter fallback and its guards, recogniser
//! retries, and a recogniser that stays down.

use scribe_fakes::dashscope::{ApiError, Reply};
use scribe_fakes::gemini::GeminiReply;
use scribe_fakes::telegram::{FileKind, update};
use scribe_fakes::wait_until_async;
use scribe_store::JobState;
use scribe_testkit::audio::{self, Format};
use scribe_testkit::bot::{Fakes, Scribe, WAIT, user};

const SPOKEN: &str = "so the plan for tomorrow is simple we meet at nine go through the budget and then decide who calls the supplier";

async fn send_voice(fakes: &Fakes, chat: i64) {
    let bytes = audio::encode(
        &audio::say("The plan for tomorrow is simple.", "en"),
        Format::VoiceNote,
    );
    let file = fakes.telegram.add_file(FileKind::Voice, bytes);
    fakes
        .telegram
        .push_update(update::voice(chat, &user(chat), &file, 2));
}

fn recognise_as_spoken(fakes: &Fakes) {
    fakes
        .dashscope
        .asr()
        .set_reply(|_| Reply::Text(SPOKEN.into()));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn qwen_failing_falls_back_to_gemini() {
    let fakes = Fakes::start().await;
    recognise_as_spoken(&fakes);
    fakes.dashscope.llm().set_down(true);
    fakes
        .gemini
        .generate_content()
        .set_reply(|call| GeminiReply::Text(format!("Gemini: {}", call.user)));
    let scribe = Scribe::start(env!("CARGO_BIN_EXE_scribe"), &fakes, &[]).await;
    send_voice(&fakes, 2001).await;
    fakes.wait_text(2001, &format!("Gemini: {SPOKEN}")).await;
    assert!(
        fakes
            .dashscope
            .llm()
            .calls()
            .iter()
            .all(|c| c.status == 500)
    );
    let gemini = fakes.gemini.generate_content().calls();
    assert_eq!(gemini.len(), 1);
    assert_eq!(gemini[0].call.model, "gemini-2.5-flash");
    assert_eq!(
        gemini[0].call.thinking_budget,
        Some(0),
        "thinking off for formatting"
    );
    let job = wait_until_async("job done", WAIT, || async {
        let store = scribe.store().await;
        store
            .jobs_of_user(2001, 1)
            .await
            .ok()?
            .into_iter()
            .find(|j| j.state == JobState::Done)
    })
    .await;
    assert_eq!(job.formatter.as_deref(), Some("gemini-2.5-flash"));
    assert_eq!(
        scribe
            .ledger(2001)
            .await
            .iter()
            .filter(|(r, _, _)| r == "settle")
            .count(),
        1,
        "charged once despite the fallback"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn qwen_failing_falls_back_to_an_openai_compatible_chat_server() {
    use scribe_fakes::openai::{ChatReply, FakeOpenAiChat};
    let fakes = Fakes::start().await;
    recognise_as_spoken(&fakes);
    fakes.dashscope.llm().set_down(true);
    let chat = FakeOpenAiChat::start("qwen2.5-7b-instruct", Some("sk-local")).await;
    chat.completions()
        .set_reply(|call| ChatReply::Text(format!("Local: {}", call.user)));
    let chat_url = chat.base_url();
    let scribe = Scribe::start(
        env!("CARGO_BIN_EXE_scribe"),
        &fakes,
        &[
            ("LLM_FALLBACK_PROVIDER", "openai"),
            ("LLM_FALLBACK_MODEL", "qwen2.5-7b-instruct"),
            ("OPENAI_LLM_BASE_URL", chat_url.as_str()),
            ("OPENAI_LLM_API_KEY", "sk-local"),
        ],
    )
    .await;
    send_voice(&fakes, 2006).await;
    fakes.wait_text(2006, &format!("Local: {SPOKEN}")).await;
    assert!(
        !fakes.dashscope.llm().calls().is_empty(),
        "qwen was asked first"
    );
    assert!(
        fakes.gemini.generate_content().calls().is_empty(),
        "the configured fallback, not Gemini"
    );
    let asked = chat.completions().calls();
    assert_eq!(asked.len(), 1);
    assert_eq!(asked[0].call.model, "qwen2.5-7b-instruct");
    let job = wait_until_async("job done", WAIT, || async {
        let store = scribe.store().await;
        store
            .jobs_of_user(2006, 1)
            .await
            .ok()?
            .into_iter()
            .find(|j| j.state == JobState::Done)
    })
    .await;
    assert_eq!(job.formatter.as_deref(), Some("qwen2.5-7b-instruct"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn both_formatters_failing_deliver_the_raw_transcript() {
    let fakes = Fakes::start().await;
    recognise_as_spoken(&fakes);
    fakes
        .dashscope
        .llm()
        .set_reply(|_| Reply::Error(ApiError::Internal));
    fakes
        .gemini
        .generate_content()
        .set_reply(|_| GeminiReply::Overloaded);
    let scribe = Scribe::start(env!("CARGO_BIN_EXE_scribe"), &fakes, &[]).await;
    send_voice(&fakes, 2002).await;
    fakes.wait_text(2002, SPOKEN).await;
    let job = wait_until_async("job done", WAIT, || async {
        scribe
            .store()
            .await
            .jobs_of_user(2002, 1)
            .await
            .ok()?
            .into_iter()
            .find(|j| j.state == JobState::Done)
    })
    .await;
    assert_eq!(job.formatter.as_deref(), Some("raw"));
    assert!(
        job.charged_seconds > 0,
        "a raw transcript is still a delivered result"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn gemini_max_tokens_without_parts_and_bad_answers_are_not_used() {
    let fakes = Fakes::start().await;
    recognise_as_spoken(&fakes);
    // Primary: truncated answer. Fallback: thinking ate the budget, no parts.
    fakes
        .dashscope
        .llm()
        .set_reply(|call| Reply::Truncated(call.user[..20].to_owned()));
    fakes
        .gemini
        .generate_content()
        .set_reply(|_| GeminiReply::MaxTokensNoParts);
    let _scribe = Scribe::start(env!("CARGO_BIN_EXE_scribe"), &fakes, &[]).await;
    send_voice(&fakes, 2003).await;
    fakes.wait_text(2003, SPOKEN).await;
    assert_eq!(
        fakes.gemini.generate_content().calls().len(),
        1,
        "MAX_TOKENS is not retried"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn shrunken_or_thinking_answers_fall_back() {
    let fakes = Fakes::start().await;
    recognise_as_spoken(&fakes);
    fakes
        .dashscope
        .llm()
        .set_reply(|_| Reply::Text("<think>the user wants</think> ok".into()));
    fakes
        .gemini
        .generate_content()
        .set_reply(|_| GeminiReply::Text("Too short.".into()));
    let _scribe = Scribe::start(env!("CARGO_BIN_EXE_scribe"), &fakes, &[]).await;
    send_voice(&fakes, 2004).await;
    fakes.wait_text(2004, SPOKEN).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn dashscope_throttling_is_retried_until_it_succeeds() {
    let fakes = Fakes::start().await;
    recognise_as_spoken(&fakes);
    fakes
        .dashscope
        .asr()
        .fail_next(2, Reply::Error(ApiError::Throttling));
    let scribe = Scribe::start(env!("CARGO_BIN_EXE_scribe"), &fakes, &[]).await;
    send_voice(&fakes, 2005).await;
    fakes.wait_text(2005, SPOKEN).await;
    let statuses: Vec<u16> = fakes
        .dashscope
        .asr()
        .calls()
        .iter()
        .map(|c| c.status)
        .collect();
    assert_eq!(statuses, vec![429, 429, 200]);
    let ledger = scribe.ledger(2005).await;
    assert_eq!(ledger.iter().filter(|(r, _, _)| r == "settle").count(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn dashscope_down_tells_the_user_and_releases_everything() {
    let fakes = Fakes::start().await;
    fakes.dashscope.asr().set_down(true);
    let scribe = Scribe::start(
        env!("CARGO_BIN_EXE_scribe"),
        &fakes,
        &[
            ("PROVIDER_ATTEMPTS", "2"),
            ("JOB_MAX_ATTEMPTS", "2"),
            ("ADMIN_IDS", "9999"),
        ],
    )
    .await;
    send_voice(&fakes, 2006).await;
    fakes
        .wait_containing(2006, "recognition service is unavailable")
        .await;
    // Two job attempts of two requests each.
    assert_eq!(fakes.dashscope.asr().calls().len(), 4);
    let ledger = scribe.ledger(2006).await;
    let held: i64 = ledger
        .iter()
        .filter(|(r, _, _)| r == "hold")
        .map(|(_, _, h)| h)
        .sum();
    let released: i64 = ledger
        .iter()
        .filter(|(r, _, _)| r == "release")
        .map(|(_, d, _)| d)
        .sum();
    assert!(held > 0);
    assert_eq!(released, held, "the whole hold is released");
    let store = scribe.store().await;
    let u = store.user(2006).await.expect("user").expect("exists");
    assert_eq!((u.balance, u.held), (900, 0));
    let job = store.jobs_of_user(2006, 1).await.expect("jobs").remove(0);
    assert_eq!(
        (job.state.as_str(), job.error_kind.as_deref()),
        ("failed", Some("provider"))
    );
    // The message moves to the dead letters after the user and the admins are told.
    scribe_fakes::wait_until_async("the job message dead-lettered", WAIT, || async {
        (store.queue_depth("dead").await.ok()? == 1).then_some(())
    })
    .await;
    fakes.wait_containing(9999, "dead-letter").await;
}
