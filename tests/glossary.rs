//! Glossaries end to end: `/glossary` per user and per group (its admins), the limits, and
//! where the words go — qwen3-asr-flash's system message, the formatter's "spell these
//! exactly", an OpenAI-compatible recogniser's `prompt`. And a fully self-hosted deployment
//! (OpenAI-compatible recogniser and chat, no DashScope or Gemini key) in both modes.

use scribe_fakes::dashscope::Reply;
use scribe_fakes::openai::{ChatReply, FakeOpenAiAsr, FakeOpenAiChat, TranscriptionReply};
use scribe_fakes::telegram::{FileKind, MemberStatus, TgGroup, TgUser, update};
use scribe_fakes::{wait_until, wait_until_async};
use scribe_store::Store;
use scribe_testkit::audio::{self, Format};
use scribe_testkit::bot::{Fakes, Scribe, WAIT};
use scribe_testkit::cluster::Cluster;
use scribe_testkit::rabbit;

const BIN: &str = env!("CARGO_BIN_EXE_scribe");

/// Long enough (over 100 characters, ten words) for the formatter to be asked.
const HEARD: &str = "We deployed the new cluster on kubernetes yesterday and anna lee checked \
the dashboards twice before the release went out to everyone.";

async fn credit(store: &Store, user: &TgUser) {
    store
        .touch_user(user.id, &user.first_name, None, Some("en"))
        .await
        .expect("user");
    store
        .adjust_balance(
            user.id,
            scribe_core::billing::Reason::AdminCredit,
            "seed",
            3600,
            None,
        )
        .await
        .expect("credit");
}

fn voice(fakes: &Fakes, text: &str) -> scribe_fakes::telegram::FileRef {
    fakes.telegram.add_file(
        FileKind::Voice,
        audio::encode(&audio::say(text, "en"), Format::VoiceNote),
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_users_glossary_reaches_the_recogniser_and_the_formatter() {
    let fakes = Fakes::start().await;
    fakes
        .dashscope
        .asr()
        .set_reply(|_| Reply::Text(HEARD.into()));
    fakes
        .dashscope
        .llm()
        .set_reply(|call| Reply::Text(call.user.clone()));
    let scribe = Scribe::start(BIN, &fakes, &[("TRIAL_MODE", "off")]).await;
    let store = scribe.store().await;
    let user = TgUser::new(7301, "Gil").lang("en");
    credit(&store, &user).await;
    let say = |text: &str| {
        fakes.telegram.push_update(update::text(&user, &user, text));
    };
    say("/glossary add Kubernetes, Anna Lee");
    fakes.wait_containing(user.id, "2 added").await;
    say("/glossary");
    let list = fakes.wait_containing(user.id, "Anna Lee").await;
    assert!(
        list.rendered_text
            .unwrap_or_default()
            .contains("Kubernetes")
    );

    let file = voice(&fakes, "a note about the cluster");
    fakes
        .telegram
        .push_update(update::voice(&user, &user, &file, 2));
    fakes.wait_containing(user.id, "dashboards twice").await;
    let asr = fakes.dashscope.asr().calls();
    assert_eq!(asr[0].call.context.as_deref(), Some("Kubernetes, Anna Lee"));
    let formatter = fakes.dashscope.llm().calls();
    let system = formatter[0].call.system.clone().unwrap_or_default();
    assert!(
        system.contains("spell them exactly as given here: Kubernetes; Anna Lee"),
        "{system}"
    );

    // Another glossary, the same file: recognised anew, not answered from the cache.
    say("/glossary remove anna lee");
    fakes.wait_containing(user.id, "1 removed").await;
    let again = fakes
        .telegram
        .push_update(update::voice(&user, &user, &file, 2));
    wait_until("a second recognition", WAIT, || {
        (fakes.dashscope.asr().calls().len() == 2).then_some(())
    })
    .await;
    assert_eq!(
        fakes.dashscope.asr().calls()[1].call.context.as_deref(),
        Some("Kubernetes")
    );
    assert!(again.update_id.is_some());

    // Limits: a long entry, then the 101st.
    say(&format!("/glossary add {}", "x".repeat(101)));
    fakes.wait_containing(user.id, "100 characters").await;
    let many = (0..120)
        .map(|i| format!("term{i}"))
        .collect::<Vec<_>>()
        .join(", ");
    say(&format!("/glossary add {many}"));
    fakes.wait_containing(user.id, "100 entries").await;
    let kept = store
        .user(user.id)
        .await
        .expect("user")
        .expect("exists")
        .glossary;
    assert_eq!(kept.lines().count(), 100);
    say("/glossary clear");
    fakes.wait_containing(user.id, "cleared").await;
    wait_until_async("the glossary empty", WAIT, || async {
        store
            .user(user.id)
            .await
            .ok()??
            .glossary
            .is_empty()
            .then_some(())
    })
    .await;
    say("/glossary frobnicate");
    fakes.wait_containing(user.id, "/glossary [add").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_groups_glossary_is_kept_by_its_admins_and_used_for_its_transcripts() {
    let fakes = Fakes::start().await;
    fakes
        .dashscope
        .asr()
        .set_reply(|_| Reply::Text("the group heard this".into()));
    let scribe = Scribe::start(BIN, &fakes, &[("TRIAL_MODE", "off")]).await;
    let store = scribe.store().await;
    let group = TgGroup::supergroup(-100_731, "Spellers");
    let admin = TgUser::new(7311, "Ada").lang("en");
    let member = TgUser::new(7312, "Max").lang("en");
    fakes
        .telegram
        .set_member(&group, &admin, MemberStatus::Administrator);
    fakes
        .telegram
        .set_member(&group, &member, MemberStatus::Member);
    credit(&store, &member).await;
    fakes
        .telegram
        .push_update(update::text(&group, &member, "/glossary add Zed"));
    fakes.wait_containing(group.id, "admins").await;
    fakes
        .telegram
        .push_update(update::text(&group, &admin, "/glossary add Xylophone"));
    fakes.wait_containing(group.id, "1 added").await;
    let file = voice(&fakes, "play the xylophone");
    let posted = fakes
        .telegram
        .push_update(update::voice(&group, &member, &file, 2));
    fakes.telegram.push_update(update::replying_to(
        update::text(&group, &member, "/t"),
        posted.message_id.expect("a message"),
    ));
    fakes
        .wait_containing(group.id, "the group heard this")
        .await;
    assert_eq!(
        fakes.dashscope.asr().calls()[0].call.context.as_deref(),
        Some("Xylophone")
    );
    assert_eq!(
        store.group(group.id).await.expect("group").glossary,
        "Xylophone"
    );
}

/// Starts the OpenAI-compatible fakes; the chat fake formats by echoing and summarises on ask.
async fn self_hosted_fakes() -> (FakeOpenAiAsr, FakeOpenAiChat) {
    let whisper = FakeOpenAiAsr::start("sk-asr").await;
    whisper
        .transcriptions()
        .set_reply(|_| TranscriptionReply::Text(HEARD.into()));
    let chat = FakeOpenAiChat::start("llama-3.1-8b", None).await;
    chat.completions().set_reply(|call| {
        if call
            .system
            .as_deref()
            .is_some_and(|s| s.starts_with("You summarise"))
        {
            ChatReply::Text("SELF-HOSTED SUMMARY".into())
        } else {
            ChatReply::Text(call.user.clone())
        }
    });
    (whisper, chat)
}

fn self_hosted_env<'a>(whisper: &'a str, chat: &'a str) -> Vec<(&'a str, &'a str)> {
    vec![
        ("TRIAL_MODE", "off"),
        ("DASHSCOPE_API_KEY", ""),
        ("GEMINI_API_KEY", ""),
        ("ASR_PROVIDER", "openai"),
        ("OPENAI_ASR_BASE_URL", whisper),
        ("OPENAI_ASR_API_KEY", "sk-asr"),
        ("ASR_MODEL", "whisper-large-v3"),
        ("LLM_PROVIDER", "openai"),
        ("LLM_MODEL", "llama-3.1-8b"),
        ("OPENAI_LLM_BASE_URL", chat),
        ("LLM_FALLBACK_PROVIDER", "none"),
    ]
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_fully_self_hosted_bot_needs_no_cloud_key_in_one_process() {
    let fakes = Fakes::start().await;
    let (whisper, chat) = self_hosted_fakes().await;
    let (whisper_url, chat_url) = (whisper.base_url(), chat.base_url());
    let scribe = Scribe::start(BIN, &fakes, &self_hosted_env(&whisper_url, &chat_url)).await;
    let store = scribe.store().await;
    let user = TgUser::new(7321, "Sol").lang("en");
    credit(&store, &user).await;
    fakes
        .telegram
        .push_update(update::text(&user, &user, "/glossary add Kubernetes"));
    fakes.wait_containing(user.id, "1 added").await;
    let file = voice(&fakes, "self hosted");
    fakes
        .telegram
        .push_update(update::voice(&user, &user, &file, 2));
    let transcript = fakes
        .wait_message(user.id, "the transcript with its buttons", |m| {
            m.buttons.iter().any(|b| b.text.contains("Summary"))
        })
        .await;
    let asr = whisper.transcriptions().calls();
    assert_eq!(
        asr[0].call.prompt.as_deref(),
        Some("Kubernetes"),
        "the glossary as `prompt`"
    );
    let system = chat.completions().calls()[0]
        .call
        .system
        .clone()
        .unwrap_or_default();
    assert!(system.contains("Kubernetes"), "{system}");
    // An action through the self-hosted chat model too.
    let data = transcript
        .buttons
        .iter()
        .find(|b| b.text.contains("Summary"))
        .and_then(|b| b.callback_data.clone())
        .expect("a summary button");
    let (press, _) = update::callback(&user, &user, transcript.message_id, &data);
    fakes.telegram.push_update(press);
    fakes.wait_containing(user.id, "SELF-HOSTED SUMMARY").await;
    assert!(fakes.dashscope.asr().calls().is_empty());
    assert!(fakes.dashscope.llm().calls().is_empty());
    assert!(fakes.gemini.generate_content().calls().is_empty());
    assert!(
        !scribe.logs().contains("DASHSCOPE_API_KEY"),
        "no complaint about a missing key"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_fully_self_hosted_cluster_needs_no_cloud_key() {
    let cluster = Cluster::start(BIN, "selfhosted").await;
    let (whisper, chat) = self_hosted_fakes().await;
    let (whisper_url, chat_url) = (whisper.base_url(), chat.base_url());
    let env = self_hosted_env(&whisper_url, &chat_url);
    let amqp = rabbit::amqp_url();
    let webhook = cluster.webhook(&amqp, &env).await;
    let worker = cluster.worker(&env).await;
    wait_until_async("the worker ready (migrated)", WAIT, || async {
        cluster.ready(&worker).await.then_some(())
    })
    .await;
    let store = cluster.store().await;
    let user = TgUser::new(7331, "Clu").lang("en");
    credit(&store, &user).await;
    let file = voice(&cluster.fakes, "self hosted cluster");
    let posted = cluster
        .fakes
        .telegram
        .register_update(update::voice(&user, &user, &file, 2));
    assert_eq!(cluster.post(&webhook, &posted).await, 200);
    cluster
        .fakes
        .wait_containing(user.id, "dashboards twice")
        .await;
    assert_eq!(whisper.transcriptions().calls().len(), 1);
    assert!(!chat.completions().calls().is_empty());
    assert!(cluster.fakes.dashscope.asr().calls().is_empty());
    store.close().await;
    cluster.clean_up().await;
}
