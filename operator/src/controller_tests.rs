//! Reconcile scenarios against a mock apiserver (every request asserted in order) and the fake
//! Telegram Bot API.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use k8s_openapi::api::core::v1::Secret as K8sSecret;
use kube::core::PartialObjectMeta;
use kube::runtime::controller::Action;
use kube::runtime::reflector;
use kube::runtime::watcher;
use scribe_core::Secret;
use scribe_fakes::telegram::FakeTelegram;
use serde_json::{Value, json};
use tokio::task::JoinHandle;

use super::*;
use crate::conditions::find;
use crate::crd::TranscriptionBotStatus;
use crate::desired::{self, Apis};
use crate::digest::sha256_hex;
use crate::fixtures::{
    self, ApiServerVerifier, DEFAULT_CHILDREN, NAME, NS, PUBLIC_URL, SECRETS, TIMEOUT, secrets,
};
use crate::metrics::Outcome;

const TOKEN: &str = "123456:AAH-test-token";

/// Runs one reconcile against a scenario; the scenario's own assertion failures surface first.
async fn drive<T>(
    ctx: &Arc<Context>,
    bot: &TranscriptionBot,
    scenario: JoinHandle<T>,
) -> (Result<Action>, T) {
    let (result, scenario) = tokio::time::timeout(TIMEOUT, async {
        tokio::join!(reconcile(Arc::new(bot.clone()), Arc::clone(ctx)), scenario)
    })
    .await
    .expect("reconcile and scenario finish in time");
    let scenario = scenario.unwrap_or_else(|e| std::panic::resume_unwind(e.into_panic()));
    (result, scenario)
}

fn condition<'a>(status: &'a TranscriptionBotStatus, type_: &str) -> (&'a str, &'a str) {
    let c = find(&status.conditions, type_).unwrap_or_else(|| panic!("no {type_} condition"));
    (c.status.as_str(), c.reason.as_str())
}

fn annotation<'a>(deployment: &'a Value, key: &str) -> &'a str {
    deployment["spec"]["template"]["metadata"]["annotations"][key]
        .as_str()
        .unwrap_or_else(|| panic!("no {key} annotation"))
}

struct Created {
    api: ApiServerVerifier,
    bot: TranscriptionBot,
    token: String,
    applied: BTreeMap<String, Value>,
    status: TranscriptionBotStatus,
}

/// First apply of a finalized bot: every child applied, the webhook registered.
async fn create(
    ctx: &Arc<Context>,
    api: ApiServerVerifier,
    bot: TranscriptionBot,
    children: &'static [(&'static str, &'static str, bool)],
) -> Created {
    let reply_bot = bot.clone();
    let scenario = tokio::spawn(async move {
        let mut api = api;
        api.get_secrets(Some(&secrets(TOKEN))).await;
        let token = api.webhook_token(None).await;
        assert_eq!(api.event().await, "WebhookSecretGenerated");
        api.get_deployment("webhook", None).await;
        api.get_deployment("worker", None).await;
        let applied = api.children(children).await;
        assert_eq!(api.event().await, "ChildrenApplied");
        assert_eq!(api.event().await, "WebhookRegistered");
        let status = api.status(&reply_bot).await;
        (api, token, applied, status)
    });
    let (result, (api, token, applied, status)) = drive(ctx, &bot, scenario).await;
    assert_eq!(
        result.expect("reconciled"),
        Action::requeue(Duration::from_secs(3600))
    );
    let bot = bot.with_status(status.clone());
    Created {
        api,
        bot,
        token,
        applied,
        status,
    }
}

#[tokio::test]
async fn a_new_bot_gets_the_finalizer_first_and_nothing_else() {
    let (ctx, api) = fixtures::context(Apis::default());
    let fake = FakeTelegram::start(TOKEN).await;
    let bot = TranscriptionBot::test(&fake.api_url());
    let reply = bot.clone();
    let scenario = tokio::spawn(async move {
        let mut api = api;
        api.add_finalizer(&reply).await;
        api
    });
    let (result, _api) = drive(&ctx, &bot, scenario).await;
    assert_eq!(result.expect("reconciled"), Action::await_change());
    assert!(fake.calls().is_empty());
}

#[tokio::test]
async fn create_applies_owned_children_registers_the_webhook_and_reports_ready() {
    let (ctx, api) = fixtures::context(Apis::default());
    let fake = FakeTelegram::start(TOKEN).await;
    let bot = TranscriptionBot::test(&fake.api_url()).finalized();
    let created = create(&ctx, api, bot, &DEFAULT_CHILDREN).await;

    // Children: field manager, force and owner references were asserted per request.
    let config = &created.applied["configmaps/config"]["data"];
    assert_eq!(config["BOT_NAME"], json!(NAME));
    assert_eq!(config["ADMIN_IDS"], json!("42,43"));
    let worker = &created.applied["deployments/worker"];
    assert_eq!(worker["spec"]["replicas"], json!(1));
    let webhook = &created.applied["deployments/webhook"];
    assert_eq!(webhook["spec"]["replicas"], json!(2));

    // Telegram: the fake holds the webhook with the generated secret and both menus.
    let hook = fake.webhook().expect("a webhook");
    assert_eq!(hook.url, format!("{PUBLIC_URL}/telegram"));
    assert_eq!(hook.secret_token.as_deref(), Some(created.token.as_str()));
    assert_eq!(
        hook.allowed_updates,
        Some(vec![
            "message".to_owned(),
            "callback_query".to_owned(),
            "pre_checkout_query".to_owned()
        ])
    );
    assert_eq!(fake.commands().len(), 11);
    assert_eq!(
        fake.commands_for(&json!({"type": "default"}), "ru").len(),
        11
    );

    // Status: Ready, with the registration and the applied set fingerprinted.
    let status = &created.status;
    assert_eq!(status.observed_generation, Some(1));
    assert_eq!(condition(status, "Ready"), ("True", "Ready"));
    assert_eq!(
        condition(status, "WebhookRegistered"),
        ("True", "Registered")
    );
    assert_eq!(condition(status, "WorkersAvailable"), ("True", "Available"));
    assert_eq!(condition(status, "Autoscaling"), ("False", "Disabled"));
    assert!(
        status
            .conditions
            .iter()
            .all(|c| c.observed_generation == Some(1))
    );
    assert_eq!(
        status.webhook_url.as_deref(),
        Some("https://voice.example.com/telegram")
    );
    assert_eq!(status.workers.as_deref(), Some("1/1"));
    assert_eq!(
        status.replicas,
        Some(crate::crd::ReplicaCounts {
            webhook: 2,
            worker: 1
        })
    );
    let registration = status.registration.as_deref().expect("a registration hash");
    assert_eq!(registration.len(), 64);
    assert!(!registration.contains(TOKEN) && !registration.contains(&created.token));
    let applied = status.applied.as_deref().expect("an applied hash");
    assert_eq!(
        webhook["metadata"]["annotations"]["scribe.dev/applied"],
        json!(applied)
    );
    // No credential in status.
    let status_json = serde_json::to_string(status).expect("JSON");
    assert!(!status_json.contains(TOKEN) && !status_json.contains(&created.token));
    assert_eq!(ctx.metrics.reconciles_of(Outcome::Changed), 1);
}

#[tokio::test]
async fn an_unchanged_bot_makes_no_writes_and_no_telegram_calls() {
    let (ctx, api) = fixtures::context(Apis::default());
    let fake = FakeTelegram::start(TOKEN).await;
    let bot = TranscriptionBot::test(&fake.api_url()).finalized();
    let created = create(&ctx, api, bot, &DEFAULT_CHILDREN).await;
    let calls = fake.calls().len();

    // Only reads: no apply, no delete, no event, no status patch.
    let token = created.token.clone();
    let applied = created.applied.clone();
    let scenario = tokio::spawn(async move {
        let mut api = created.api;
        api.get_secrets(Some(&secrets(TOKEN))).await;
        api.webhook_token(Some(&token)).await;
        api.get_deployment("webhook", Some(&applied["deployments/webhook"]))
            .await;
        api.get_deployment("worker", Some(&applied["deployments/worker"]))
            .await;
        api
    });
    let (result, _api) = drive(&ctx, &created.bot, scenario).await;
    assert_eq!(
        result.expect("reconciled"),
        Action::requeue(Duration::from_secs(3600))
    );
    assert_eq!(fake.calls().len(), calls, "no Telegram call");
    assert_eq!(ctx.metrics.reconciles_of(Outcome::Unchanged), 1);
}

/// Digests the way `credentials::load` computes them.
fn digests(token: &str, webhook_token: &str) -> BTreeMap<(String, String), String> {
    let secret = secrets(token);
    let mut out: BTreeMap<(String, String), String> = secret
        .data
        .iter()
        .flatten()
        .map(|(k, v)| ((SECRETS.to_owned(), k.clone()), sha256_hex([&v.0])))
        .collect();
    out.insert(
        (format!("{NAME}-webhook-token"), "token".to_owned()),
        sha256_hex([webhook_token]),
    );
    out
}

#[tokio::test]
async fn a_rotated_token_rolls_the_workers_and_registers_again() {
    const OLD: &str = "123456:AAH-old-token";
    let webhook_token = "AbCdEfGhIjKlMnOpQrStUvWxYz012345";
    let (ctx, api) = fixtures::context(Apis::default());
    let fake = FakeTelegram::start(TOKEN).await;
    let bot = TranscriptionBot::test(&fake.api_url()).finalized();

    // What an earlier reconcile applied and registered with the old token.
    let old_inputs = Inputs {
        image: fixtures::IMAGE.to_owned(),
        secret_digests: digests(OLD, webhook_token),
        apis: Apis::default(),
    };
    let mut old = desired::children(&bot, &old_inputs).expect("children");
    let old_fingerprint = desired::fingerprint(&old);
    desired::stamp(&mut old, &old_fingerprint);
    let deployment = |suffix: &str| {
        let mut d = old
            .iter()
            .find(|c| c.kind == Kind::Deployment && c.name == format!("{NAME}-{suffix}"))
            .and_then(|c| c.object.clone())
            .expect("a deployment");
        d["status"] = fixtures::available(&d);
        d
    };
    let (old_webhook, old_worker) = (deployment("webhook"), deployment("worker"));
    let old_registration = registration::fingerprint(
        &fake.api_url(),
        &format!("{PUBLIC_URL}/telegram"),
        &Secret::new(OLD),
        &Secret::new(webhook_token),
    );
    let bot = bot.with_status(TranscriptionBotStatus {
        observed_generation: Some(1),
        applied: Some(old_fingerprint.clone()),
        registration: Some(old_registration.clone()),
        webhook_url: Some(format!("{PUBLIC_URL}/telegram")),
        ..TranscriptionBotStatus::default()
    });

    let reply = bot.clone();
    let (w, k) = (old_webhook.clone(), old_worker.clone());
    let scenario = tokio::spawn(async move {
        let mut api = api;
        api.get_secrets(Some(&secrets(TOKEN))).await;
        api.webhook_token(Some(webhook_token)).await;
        api.get_deployment("webhook", Some(&w)).await;
        api.get_deployment("worker", Some(&k)).await;
        let applied = api.children(&DEFAULT_CHILDREN).await;
        assert_eq!(api.event().await, "ChildrenApplied");
        assert_eq!(api.event().await, "WebhookRegistered");
        let status = api.status(&reply).await;
        (applied, status)
    });
    let (result, (applied, status)) = drive(&ctx, &bot, scenario).await;
    result.expect("reconciled");

    // The workers hold the token: their pod template changes; the webhook's does not.
    let hash = desired::SECRETS_HASH;
    assert_ne!(
        annotation(&applied["deployments/worker"], hash),
        annotation(&old_worker, hash)
    );
    assert_eq!(
        annotation(&applied["deployments/webhook"], hash),
        annotation(&old_webhook, hash)
    );
    assert_ne!(
        annotation(&applied["cronjobs/daily"]["spec"]["jobTemplate"], hash),
        ""
    );
    // Registered again with the new token and the same generated secret.
    assert_eq!(fake.calls_of("setWebhook").len(), 1);
    assert_eq!(
        fake.webhook().and_then(|w| w.secret_token).as_deref(),
        Some(webhook_token)
    );
    assert_ne!(
        status.registration.as_deref(),
        Some(old_registration.as_str())
    );
    assert_ne!(status.applied.as_deref(), Some(old_fingerprint.as_str()));
}

const AUTOSCALED_WITHOUT_KEDA: [(&str, &str, bool); 10] = [
    ("configmaps", "config", true),
    ("services", "webhook", true),
    ("deployments", "webhook", true),
    ("ingresses", "webhook", false),
    ("poddisruptionbudgets", "webhook", false),
    ("deployments", "worker", true),
    ("horizontalpodautoscalers", "worker", true),
    ("poddisruptionbudgets", "worker", false),
    ("cronjobs", "daily", true),
    ("cronjobs", "weekly", true),
];

#[tokio::test]
async fn without_keda_autoscaling_falls_back_to_an_hpa_and_says_so() {
    let (ctx, api) = fixtures::context(Apis::default());
    let fake = FakeTelegram::start(TOKEN).await;
    let bot = TranscriptionBot::test(&fake.api_url())
        .finalized()
        .autoscaled();
    let created = create(&ctx, api, bot, &AUTOSCALED_WITHOUT_KEDA).await;

    let worker = &created.applied["deployments/worker"];
    assert!(
        worker["spec"].get("replicas").is_none(),
        "the worker apply must not carry replicas: {}",
        worker["spec"]
    );
    let hpa = &created.applied["horizontalpodautoscalers/worker"]["spec"];
    assert_eq!(hpa["scaleTargetRef"]["name"], json!("voice-worker"));
    assert_eq!(hpa["minReplicas"], json!(1));
    assert_eq!(hpa["maxReplicas"], json!(8));
    assert_eq!(
        condition(&created.status, "Autoscaling"),
        ("False", "KedaNotInstalled")
    );
}

const AUTOSCALED_WITH_KEDA: [(&str, &str, bool); 12] = [
    ("configmaps", "config", true),
    ("services", "webhook", true),
    ("deployments", "webhook", true),
    ("ingresses", "webhook", false),
    ("poddisruptionbudgets", "webhook", false),
    ("deployments", "worker", true),
    ("triggerauthentications", "worker", true),
    ("scaledobjects", "worker", true),
    ("horizontalpodautoscalers", "worker", false),
    ("poddisruptionbudgets", "worker", false),
    ("cronjobs", "daily", true),
    ("cronjobs", "weekly", true),
];

#[tokio::test]
async fn with_keda_the_workers_scale_on_the_jobs_queue_without_replicas() {
    let apis = Apis {
        keda: true,
        gateway: false,
    };
    let (ctx, api) = fixtures::context(apis);
    let fake = FakeTelegram::start(TOKEN).await;
    let bot = TranscriptionBot::test(&fake.api_url())
        .finalized()
        .autoscaled();
    let created = create(&ctx, api, bot, &AUTOSCALED_WITH_KEDA).await;

    assert!(
        created.applied["deployments/worker"]["spec"]
            .get("replicas")
            .is_none()
    );
    let scaled = &created.applied["scaledobjects/worker"];
    assert_eq!(scaled["apiVersion"], json!("keda.sh/v1alpha1"));
    let trigger = &scaled["spec"]["triggers"][0];
    assert_eq!(trigger["type"], json!("rabbitmq"));
    assert_eq!(trigger["metadata"]["protocol"], json!("http"));
    assert_eq!(trigger["metadata"]["mode"], json!("QueueLength"));
    assert_eq!(trigger["metadata"]["queueName"], json!("scribe.voice.jobs"));
    assert_eq!(trigger["metadata"]["value"], json!("3"));
    let auth = &created.applied["triggerauthentications/worker"]["spec"]["secretTargetRef"][0];
    assert_eq!(
        auth,
        &json!({"parameter": "host", "name": SECRETS, "key": "management"})
    );
    assert_eq!(condition(&created.status, "Autoscaling"), ("True", "Keda"));
}

#[tokio::test]
async fn deleting_a_bot_deletes_its_webhook_then_releases_the_finalizer() {
    let (ctx, api) = fixtures::context(Apis::default());
    let fake = FakeTelegram::start(TOKEN).await;
    // The webhook a previous reconcile registered.
    let telegram = Telegram::new(
        scribe_core::http::client(Duration::from_secs(5)).expect("client"),
        fake.api_url().parse().expect("URL"),
        Secret::new(TOKEN),
    );
    telegram
        .set_webhook(
            "https://voice.example.com/telegram",
            &Secret::new("secret"),
            &registration::ALLOWED_UPDATES,
        )
        .await
        .expect("webhook set");
    let bot = TranscriptionBot::test(&fake.api_url())
        .finalized()
        .deleting();
    let reply = bot.clone();
    let scenario = tokio::spawn(async move {
        let mut api = api;
        api.get_secrets(Some(&secrets(TOKEN))).await;
        assert_eq!(api.event().await, "WebhookDeleted");
        api.remove_finalizer(&reply).await;
        api
    });
    let (result, _api) = drive(&ctx, &bot, scenario).await;
    assert_eq!(result.expect("reconciled"), Action::await_change());
    assert_eq!(fake.calls_of("deleteWebhook").len(), 1);
    assert!(fake.webhook().is_none());
    assert_eq!(ctx.metrics.reconciles_of(Outcome::Cleanup), 1);
}

#[tokio::test]
async fn telegram_down_is_a_condition_and_the_requeue_delay_grows() {
    let (ctx, api) = fixtures::context(Apis::default());
    let fake = FakeTelegram::start(TOKEN).await;
    fake.set_down(true);
    let bot = TranscriptionBot::test(&fake.api_url()).finalized();

    // First failure: children applied, condition set, error returned.
    let reply = bot.clone();
    let scenario = tokio::spawn(async move {
        let mut api = api;
        api.get_secrets(Some(&secrets(TOKEN))).await;
        let token = api.webhook_token(None).await;
        assert_eq!(api.event().await, "WebhookSecretGenerated");
        api.get_deployment("webhook", None).await;
        api.get_deployment("worker", None).await;
        let applied = api.children(&DEFAULT_CHILDREN).await;
        assert_eq!(api.event().await, "ChildrenApplied");
        assert_eq!(api.event().await, "WebhookRegistrationFailed");
        let status = api.status(&reply).await;
        (api, token, applied, status)
    });
    let (result, (api, token, applied, status)) = drive(&ctx, &bot, scenario).await;
    let error = result.expect_err("Telegram is down");
    assert_eq!(error.reason(), "TelegramUnavailable");
    assert_eq!(
        condition(&status, "WebhookRegistered"),
        ("False", "TelegramUnavailable")
    );
    assert_eq!(
        condition(&status, "Ready"),
        ("False", "WebhookNotRegistered")
    );
    assert!(status.registration.is_none());
    let bot = Arc::new(bot.with_status(status));
    let first = error_policy(Arc::clone(&bot), &error, Arc::clone(&ctx));

    // Second failure: nothing else changed, so only reads, the (repeated) event and the
    // retry; the status already says it all.
    let (t, a) = (token.clone(), applied.clone());
    let scenario = tokio::spawn(async move {
        let mut api = api;
        api.get_secrets(Some(&secrets(TOKEN))).await;
        api.webhook_token(Some(&t)).await;
        api.get_deployment("webhook", Some(&a["deployments/webhook"]))
            .await;
        api.get_deployment("worker", Some(&a["deployments/worker"]))
            .await;
        assert_eq!(api.event().await, "WebhookRegistrationFailed");
        api
    });
    let (result, api) = drive(&ctx, &bot, scenario).await;
    let error = result.expect_err("Telegram is still down");
    let second = error_policy(Arc::clone(&bot), &error, Arc::clone(&ctx));
    assert_eq!(first, Action::requeue(Duration::from_secs(5)));
    assert_eq!(second, Action::requeue(Duration::from_secs(10)));
    assert_eq!(ctx.metrics.failures_of("TelegramUnavailable"), 2);

    // Telegram is back: registered, Ready, and the backoff starts over.
    fake.set_down(false);
    let reply = (*bot).clone();
    let scenario = tokio::spawn(async move {
        let mut api = api;
        api.get_secrets(Some(&secrets(TOKEN))).await;
        api.webhook_token(Some(&token)).await;
        api.get_deployment("webhook", Some(&applied["deployments/webhook"]))
            .await;
        api.get_deployment("worker", Some(&applied["deployments/worker"]))
            .await;
        assert_eq!(api.event().await, "WebhookRegistered");
        api.status(&reply).await
    });
    let (result, status) = drive(&ctx, &bot, scenario).await;
    result.expect("registered");
    assert_eq!(condition(&status, "Ready"), ("True", "Ready"));
    assert!(fake.webhook().is_some());
    assert_eq!(
        error_policy(bot, &error, ctx),
        Action::requeue(Duration::from_secs(5))
    );
}

#[tokio::test]
async fn a_missing_token_leaves_children_and_telegram_alone() {
    let (ctx, api) = fixtures::context(Apis::default());
    let fake = FakeTelegram::start(TOKEN).await;
    let bot = TranscriptionBot::test(&fake.api_url()).finalized();
    let mut secret = secrets(TOKEN);
    if let Some(data) = secret.data.as_mut() {
        data.remove("token");
    }
    let reply = bot.clone();
    let scenario = tokio::spawn(async move {
        let mut api = api;
        api.get_secrets(Some(&secret)).await;
        api.webhook_token(None).await;
        assert_eq!(api.event().await, "WebhookSecretGenerated");
        api.get_deployment("webhook", None).await;
        api.get_deployment("worker", None).await;
        assert_eq!(api.event().await, "SecretMissing");
        api.status(&reply).await
    });
    let (result, status) = drive(&ctx, &bot, scenario).await;
    assert_eq!(
        result.expect("reconciled"),
        Action::requeue(Duration::from_secs(300))
    );
    assert_eq!(condition(&status, "Ready"), ("False", "SecretMissing"));
    assert_eq!(
        condition(&status, "WebhookRegistered"),
        ("False", "TokenMissing")
    );
    let ready = find(&status.conditions, "Ready").expect("Ready");
    assert!(
        ready.message.contains("telegram.tokenSecretRef"),
        "{}",
        ready.message
    );
    assert!(fake.calls().is_empty());
}

#[test]
fn a_secret_maps_to_the_bots_that_reference_it() {
    let (store, mut writer) = reflector::store::<TranscriptionBot>();
    let bot = TranscriptionBot::test("https://api.telegram.org");
    let mut other = bot.clone();
    other.metadata.namespace = Some("elsewhere".to_owned());
    other.metadata.name = Some("other".to_owned());
    writer.apply_watcher_event(&watcher::Event::Apply(bot));
    writer.apply_watcher_event(&watcher::Event::Apply(other));

    let secret = |ns: &str, name: &str| {
        let mut meta = PartialObjectMeta::<K8sSecret>::default();
        meta.metadata.namespace = Some(ns.to_owned());
        meta.metadata.name = Some(name.to_owned());
        meta
    };
    let hits = bots_referencing(&store, &secret(NS, SECRETS));
    assert_eq!(hits.len(), 1);
    assert_eq!(hits[0].name, NAME);
    assert!(bots_referencing(&store, &secret(NS, "unrelated")).is_empty());
    assert_eq!(
        bots_referencing(&store, &secret("elsewhere", SECRETS)).len(),
        1
    );
}

#[tokio::test]
async fn a_rejected_registration_is_reported_as_rejected() {
    let (ctx, api) = fixtures::context(Apis::default());
    let fake = FakeTelegram::start(TOKEN).await;
    fake.fail_next(
        "setWebhook",
        scribe_fakes::telegram::Failure::Status {
            code: 400,
            description: "Bad Request: bad webhook: HTTPS url must be provided for webhook"
                .to_owned(),
        },
    );
    let bot = TranscriptionBot::test(&fake.api_url()).finalized();
    let reply = bot.clone();
    let scenario = tokio::spawn(async move {
        let mut api = api;
        api.get_secrets(Some(&secrets(TOKEN))).await;
        api.webhook_token(None).await;
        assert_eq!(api.event().await, "WebhookSecretGenerated");
        api.get_deployment("webhook", None).await;
        api.get_deployment("worker", None).await;
        api.children(&DEFAULT_CHILDREN).await;
        assert_eq!(api.event().await, "ChildrenApplied");
        assert_eq!(api.event().await, "WebhookRegistrationFailed");
        api.status(&reply).await
    });
    let (result, status) = drive(&ctx, &bot, scenario).await;
    let error = result.expect_err("rejected");
    assert_eq!(error.reason(), "TelegramRejected");
    assert_eq!(
        condition(&status, "WebhookRegistered"),
        ("False", "TelegramRejected")
    );
    let message = &find(&status.conditions, "WebhookRegistered")
        .expect("condition")
        .message;
    assert!(message.contains("bad webhook"), "{message}");
    assert!(!message.contains(TOKEN), "no token in conditions");
    assert_eq!(ctx.metrics.failures_of("TelegramRejected"), 1);
}
