//! Reconcile scenarios against a mock apiserver (every request asserted in order) and the fake
//! Telegram Bot API.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use k8s_openapi::ByteString;
use k8s_openapi::api::core::v1::Secret as K8sSecret;
use kube::core::PartialObjectMeta;
use kube::runtime::controller::Action;
use kube::runtime::reflector;
use kube::runtime::watcher;
use scribe_core::Secret;
use scribe_core::config::settings;
use scribe_fakes::telegram::FakeTelegram;
use scribe_telegram::Telegram;
use serde_json::{Value, json};
use tokio::task::JoinHandle;

use super::*;
use crate::conditions::find;
use crate::crd::{HttpRouteSpec, ParentRef, TranscriptionBotStatus};
use crate::desired::{self, Apis};
use crate::digest::sha256_hex;
use crate::fixtures::{
    self, ApiServerVerifier, DEFAULT_CHILDREN, NAME, NS, PUBLIC_URL, SECRETS, TIMEOUT, local_api,
    secrets,
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

fn message<'a>(status: &'a TranscriptionBotStatus, type_: &str) -> &'a str {
    &find(&status.conditions, type_)
        .unwrap_or_else(|| panic!("no {type_} condition"))
        .message
}

fn annotation<'a>(deployment: &'a Value, key: &str) -> &'a str {
    deployment["spec"]["template"]["metadata"]["annotations"][key]
        .as_str()
        .unwrap_or_else(|| panic!("no {key} annotation"))
}

fn keda() -> Apis {
    Apis {
        keda: true,
        gateway: false,
    }
}

struct Created {
    api: ApiServerVerifier,
    bot: TranscriptionBot,
    token: String,
    applied: BTreeMap<String, Value>,
    status: TranscriptionBotStatus,
}

/// First apply of a finalized bot: every child applied, the webhook registered. A ScaledObject
/// or HTTPRoute the bot has under `apis` is read (absent) before the apply.
async fn create(
    ctx: &Arc<Context>,
    api: ApiServerVerifier,
    bot: TranscriptionBot,
    children: &'static [(&'static str, &'static str, bool)],
    apis: Apis,
) -> Created {
    let keda = desired::scaling(&bot, apis) == desired::Scaling::Keda;
    let route = apis.gateway
        && bot
            .spec
            .webhook
            .http_route
            .as_ref()
            .is_some_and(|r| r.enabled);
    let reply_bot = bot.clone();
    let scenario = tokio::spawn(async move {
        let mut api = api;
        api.get_secrets(Some(&secrets(TOKEN))).await;
        let token = api.webhook_token(None).await;
        assert_eq!(api.event().await, "WebhookSecretGenerated");
        api.get_deployment("webhook", None).await;
        api.get_deployment("worker", None).await;
        if keda {
            api.get_scaled_object(None).await;
        }
        if route {
            api.get_route(None).await;
        }
        let applied = api.children(children).await;
        assert_eq!(api.event().await, "ChildrenApplied");
        assert_eq!(api.event().await, "WebhookRegistered");
        let status = api.status(&reply_bot).await;
        (api, token, applied, status)
    });
    let (result, (api, token, applied, status)) = drive(ctx, &bot, scenario).await;
    assert_eq!(
        result.expect("reconciled"),
        Action::requeue(Duration::from_secs(300))
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
    let bot = TranscriptionBot::test(&local_api(&fake));
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
    let bot = TranscriptionBot::test(&local_api(&fake)).finalized();
    let created = create(&ctx, api, bot, &DEFAULT_CHILDREN, Apis::default()).await;

    // Children: field manager, force and owner references were asserted per request.
    let config = &created.applied["configmaps/config"]["data"];
    assert_eq!(config[settings::BOT_NAME], json!(NAME));
    assert_eq!(config[settings::ADMIN_IDS], json!("42,43"));
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
    assert_eq!(fake.commands().len(), 16);
    assert_eq!(
        fake.commands_for(&json!({"type": "default"}), "ru").len(),
        16
    );
    let groups = fake.commands_for(&json!({"type": "all_group_chats"}), "");
    assert_eq!(groups.len(), 8);
    assert_eq!(groups[0]["command"], "transcribe");
    assert_eq!(
        fake.commands_for(&json!({"type": "all_group_chats"}), "ru")
            .len(),
        8
    );

    // Status: Ready, with the registration and the applied set fingerprinted.
    let status = &created.status;
    assert_eq!(status.observed_generation, Some(1));
    assert_eq!(condition(status, "Ready"), ("True", "Ready"));
    assert_eq!(condition(status, "Reconciled"), ("True", "Applied"));
    assert_eq!(
        condition(status, "WebhookRegistered"),
        ("True", "Registered")
    );
    assert_eq!(condition(status, "WebhookHealthy"), ("True", "Delivering"));
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
    assert_eq!(ctx.metrics.ready_of(NS, NAME, State::True), 1);
}

#[tokio::test]
async fn an_unchanged_bot_makes_no_writes_and_only_asks_telegram_how_delivery_goes() {
    let (ctx, api) = fixtures::context(Apis::default());
    let fake = FakeTelegram::start(TOKEN).await;
    let bot = TranscriptionBot::test(&local_api(&fake)).finalized();
    let created = create(&ctx, api, bot, &DEFAULT_CHILDREN, Apis::default()).await;
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
        Action::requeue(Duration::from_secs(300))
    );
    let new_calls: Vec<String> = fake.calls()[calls..]
        .iter()
        .map(|c| c.method.clone())
        .collect();
    assert_eq!(new_calls, ["getWebhookInfo"], "one Telegram read, no write");
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
    let bot = TranscriptionBot::test(&local_api(&fake)).finalized();

    // What an earlier reconcile applied and registered with the old token.
    let old_inputs = Inputs {
        image: fixtures::IMAGE.to_owned(),
        secret_digests: digests(OLD, webhook_token),
        vhost: "/".to_owned(),
        apis: Apis::default(),
    };
    let providers = desired::resolve(&bot.spec).expect("providers");
    let mut old = desired::children(&bot, &old_inputs, &providers).expect("children");
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
        &local_api(&fake),
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
    let bot = TranscriptionBot::test(&local_api(&fake))
        .finalized()
        .autoscaled();
    let created = create(&ctx, api, bot, &AUTOSCALED_WITHOUT_KEDA, Apis::default()).await;

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
        hpa["behavior"]["scaleDown"]["stabilizationWindowSeconds"],
        json!(120)
    );
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
    let (ctx, api) = fixtures::context(keda());
    let fake = FakeTelegram::start(TOKEN).await;
    let bot = TranscriptionBot::test(&local_api(&fake))
        .finalized()
        .autoscaled();
    let created = create(&ctx, api, bot, &AUTOSCALED_WITH_KEDA, keda()).await;

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
    assert_eq!(trigger["metadata"]["vhostName"], json!("/"));
    assert_eq!(trigger["metadata"]["value"], json!("3"));
    let auth = &created.applied["triggerauthentications/worker"]["spec"]["secretTargetRef"][0];
    assert_eq!(
        auth,
        &json!({"parameter": "host", "name": SECRETS, "key": "management"})
    );
    // Applied, not yet reported ready by KEDA: not claimed.
    assert_eq!(
        condition(&created.status, "Autoscaling"),
        ("Unknown", "Pending")
    );
}

#[tokio::test]
async fn the_keda_trigger_reads_the_queue_in_the_bots_own_vhost() {
    let (ctx, api) = fixtures::context(keda());
    let fake = FakeTelegram::start(TOKEN).await;
    let bot = TranscriptionBot::test(&local_api(&fake))
        .finalized()
        .autoscaled();
    let mut secret = secrets(TOKEN);
    if let Some(data) = secret.data.as_mut() {
        data.insert(
            "amqp".to_owned(),
            ByteString(b"amqp://voice:pw@rabbit:5672/bots%2Fvoice".to_vec()),
        );
    }
    let reply = bot.clone();
    let scenario = tokio::spawn(async move {
        let mut api = api;
        api.get_secrets(Some(&secret)).await;
        api.webhook_token(None).await;
        assert_eq!(api.event().await, "WebhookSecretGenerated");
        api.get_deployment("webhook", None).await;
        api.get_deployment("worker", None).await;
        api.get_scaled_object(None).await;
        let applied = api.children(&AUTOSCALED_WITH_KEDA).await;
        assert_eq!(api.event().await, "ChildrenApplied");
        assert_eq!(api.event().await, "WebhookRegistered");
        api.status(&reply).await;
        applied
    });
    let (result, applied) = drive(&ctx, &bot, scenario).await;
    result.expect("reconciled");
    let scaled = &applied["scaledobjects/worker"]["spec"];
    assert_eq!(
        scaled["triggers"][0]["metadata"]["vhostName"],
        json!("bots/voice")
    );
    // cooldownSeconds is the HPA's scale-down window (KEDA's cooldownPeriod only governs
    // scaling to zero, which minReplicas ≥ 1 rules out); a fallback covers a dead scaler.
    assert_eq!(
        scaled["advanced"]["horizontalPodAutoscalerConfig"]["behavior"]["scaleDown"]["stabilizationWindowSeconds"],
        json!(120)
    );
    assert_eq!(
        scaled["fallback"],
        json!({"failureThreshold": 3, "replicas": 1, "behavior": "currentReplicasIfHigher"})
    );
}

/// The ScaledObject as KEDA reports it.
fn scaled_object(ready: &str, fallback: &str, message: &str) -> Value {
    json!({
        "apiVersion": "keda.sh/v1alpha1", "kind": "ScaledObject",
        "metadata": {"name": format!("{NAME}-worker"), "namespace": NS},
        "status": {"conditions": [
            {"type": "Ready", "status": ready, "reason": "ScaledObjectReady", "message": message},
            {"type": "Active", "status": "False"},
            {"type": "Fallback", "status": fallback, "message": message},
        ]},
    })
}

#[tokio::test]
async fn autoscaling_is_true_only_while_keda_reports_the_scaled_object_ready() {
    let (ctx, api) = fixtures::context(keda());
    let fake = FakeTelegram::start(TOKEN).await;
    let bot = TranscriptionBot::test(&local_api(&fake))
        .finalized()
        .autoscaled();
    let created = create(&ctx, api, bot, &AUTOSCALED_WITH_KEDA, keda()).await;
    // Applied, but KEDA has not reported on the ScaledObject yet: Ready waits for it.
    assert_eq!(
        condition(&created.status, "Ready"),
        ("False", "AutoscalingPending")
    );
    let mut api = created.api;
    let mut bot = created.bot;

    let mut unreported = scaled_object("True", "False", "");
    unreported
        .as_object_mut()
        .expect("an object")
        .remove("status");
    let ready_object = scaled_object(
        "True",
        "False",
        "ScaledObject is defined correctly and is ready for scaling",
    );
    // Each step changes the status written by the one before.
    for (object, expected, ready) in [
        (ready_object, ("True", "Keda"), ("True", "Ready")),
        // Reported ready before, now without a status (recreated): Ready waits again.
        (
            unreported,
            ("Unknown", "Pending"),
            ("False", "AutoscalingPending"),
        ),
        (
            scaled_object("False", "True", "error getting queue info: 404 Not Found"),
            ("False", "KedaFailing"),
            ("False", "AutoscalerNotReady"),
        ),
        // KEDA's own Ready is Unknown: not ready yet either.
        (
            scaled_object("Unknown", "False", "ScaledObject is being checked"),
            ("Unknown", "Pending"),
            ("False", "AutoscalingPending"),
        ),
    ] {
        let (token, applied) = (created.token.clone(), created.applied.clone());
        let reply = bot.clone();
        let scenario = tokio::spawn(async move {
            let mut api = api;
            api.get_secrets(Some(&secrets(TOKEN))).await;
            api.webhook_token(Some(&token)).await;
            api.get_deployment("webhook", Some(&applied["deployments/webhook"]))
                .await;
            api.get_deployment("worker", Some(&applied["deployments/worker"]))
                .await;
            api.get_scaled_object(Some(&object)).await;
            let status = api.status(&reply).await;
            (api, status)
        });
        let (result, (next, status)) = drive(&ctx, &bot, scenario).await;
        result.expect("reconciled");
        api = next;
        bot = bot.with_status(status.clone());
        assert_eq!(condition(&status, "Autoscaling"), expected);
        assert_eq!(condition(&status, "Ready"), ready);
        if expected.0 == "Unknown" {
            assert!(
                message(&status, "Ready").contains(&format!("ScaledObject {NAME}-worker")),
                "{}",
                message(&status, "Ready")
            );
            assert_eq!(ctx.metrics.ready_of(NS, NAME, State::False), 1);
        }
        if expected.0 == "False" {
            assert!(
                message(&status, "Autoscaling").contains("404 Not Found"),
                "{}",
                message(&status, "Autoscaling")
            );
            assert_eq!(ctx.metrics.ready_of(NS, NAME, State::False), 1);
        }
    }
}

#[tokio::test]
async fn a_rejected_child_is_a_condition_and_a_warning_event_and_the_others_still_apply() {
    let (ctx, api) = fixtures::context(Apis::default());
    let fake = FakeTelegram::start(TOKEN).await;
    let mut bot = TranscriptionBot::test(&local_api(&fake)).finalized();
    bot.spec.reports.time_zone = Some("Mars/Olympus_Mons".to_owned());
    let reply = bot.clone();
    let invalid = "cronjobs.batch \"voice-daily\" is invalid: spec.timeZone: Invalid value: \"Mars/Olympus_Mons\": unknown time zone Mars/Olympus_Mons";
    let scenario = tokio::spawn(async move {
        let mut api = api;
        api.get_secrets(Some(&secrets(TOKEN))).await;
        api.webhook_token(None).await;
        assert_eq!(api.event().await, "WebhookSecretGenerated");
        api.get_deployment("webhook", None).await;
        api.get_deployment("worker", None).await;
        // The daily CronJob is refused; the weekly one after it is still applied.
        let applied = api
            .children_rejecting(
                &DEFAULT_CHILDREN,
                Some(fixtures::Rejection {
                    resource: "cronjobs",
                    suffix: "daily",
                    code: 422,
                    reason: "Invalid",
                    message: invalid,
                }),
            )
            .await;
        assert!(applied.contains_key("cronjobs/weekly"));
        assert_eq!(
            api.typed_event().await,
            ("Warning".to_owned(), "ApplyFailed".to_owned())
        );
        let status = api.status(&reply).await;
        (api, status)
    });
    let (result, (_api, status)) = drive(&ctx, &bot, scenario).await;
    let error = result.expect_err("a child was rejected");
    assert_eq!(error.reason(), "KubernetesApiError");
    assert_eq!(condition(&status, "Reconciled"), ("False", "Invalid"));
    assert!(
        message(&status, "Reconciled").starts_with("CronJob voice-daily: ")
            && message(&status, "Reconciled").contains("unknown time zone"),
        "{}",
        message(&status, "Reconciled")
    );
    assert_eq!(condition(&status, "Ready"), ("False", "Invalid"));
    // Not recorded as applied, so the next reconcile applies again; Telegram waits.
    assert!(status.applied.is_none());
    assert!(fake.calls_of("setWebhook").is_empty());
    assert_eq!(ctx.metrics.failures_of("KubernetesApiError"), 1);
}

#[tokio::test]
async fn ready_follows_telegrams_delivery_of_updates() {
    let (ctx, api) = fixtures::context(Apis::default());
    let fake = FakeTelegram::start(TOKEN).await;
    let bot = TranscriptionBot::test(&local_api(&fake)).finalized();
    let created = create(&ctx, api, bot, &DEFAULT_CHILDREN, Apis::default()).await;
    let mut api = created.api;
    let now = k8s_openapi::jiff::Timestamp::now().as_second();

    // A delivery failed a minute ago: not ready, with Telegram's words.
    fake.fail_delivery(now - 60, "Wrong response from the webhook: 502 Bad Gateway");
    let (token, applied) = (created.token.clone(), created.applied.clone());
    let reply = created.bot.clone();
    let scenario = tokio::spawn(async move {
        let mut api = api;
        api.get_secrets(Some(&secrets(TOKEN))).await;
        api.webhook_token(Some(&token)).await;
        api.get_deployment("webhook", Some(&applied["deployments/webhook"]))
            .await;
        api.get_deployment("worker", Some(&applied["deployments/worker"]))
            .await;
        let status = api.status(&reply).await;
        (api, status)
    });
    let (result, (next, status)) = drive(&ctx, &created.bot, scenario).await;
    result.expect("reconciled");
    api = next;
    assert_eq!(
        condition(&status, "WebhookHealthy"),
        ("False", "DeliveryFailing")
    );
    assert_eq!(condition(&status, "Ready"), ("False", "DeliveryFailing"));
    assert!(message(&status, "Ready").contains("502 Bad Gateway"));
    // Registered as before: no setWebhook for a delivery problem.
    assert_eq!(fake.calls_of("setWebhook").len(), 1);

    // An old error and a pile of pending updates: piling up.
    fake.fail_delivery(now - 7200, "Connection timed out");
    for i in 0..crate::webhook_health::PENDING_LIMIT {
        fake.push_update(json!({"message": {"message_id": i, "date": now, "chat": {"id": 1, "type": "private"}, "text": "hi"}}));
    }
    let (token, applied) = (created.token.clone(), created.applied.clone());
    let reply = created.bot.clone();
    let scenario = tokio::spawn(async move {
        let mut api = api;
        api.get_secrets(Some(&secrets(TOKEN))).await;
        api.webhook_token(Some(&token)).await;
        api.get_deployment("webhook", Some(&applied["deployments/webhook"]))
            .await;
        api.get_deployment("worker", Some(&applied["deployments/worker"]))
            .await;
        api.status(&reply).await
    });
    let (result, status) = drive(&ctx, &created.bot, scenario).await;
    result.expect("reconciled");
    assert_eq!(condition(&status, "Ready"), ("False", "UpdatesPilingUp"));
}

#[tokio::test]
async fn a_webhook_set_elsewhere_is_registered_again() {
    let (ctx, api) = fixtures::context(Apis::default());
    let fake = FakeTelegram::start(TOKEN).await;
    let bot = TranscriptionBot::test(&local_api(&fake)).finalized();
    let created = create(&ctx, api, bot, &DEFAULT_CHILDREN, Apis::default()).await;
    // Someone registers another URL with the same token.
    let telegram = Telegram::new(
        scribe_core::http::client(Duration::from_secs(5)).expect("client"),
        fake.api_url().parse().expect("URL"),
        Secret::new(TOKEN),
    );
    telegram
        .set_webhook(
            "https://elsewhere.example.com/hook",
            &Secret::new("other"),
            &registration::ALLOWED_UPDATES,
        )
        .await
        .expect("webhook set");
    let (token, applied) = (created.token.clone(), created.applied.clone());
    let scenario = tokio::spawn(async move {
        let mut api = created.api;
        api.get_secrets(Some(&secrets(TOKEN))).await;
        api.webhook_token(Some(&token)).await;
        api.get_deployment("webhook", Some(&applied["deployments/webhook"]))
            .await;
        api.get_deployment("worker", Some(&applied["deployments/worker"]))
            .await;
        assert_eq!(api.event().await, "WebhookMoved");
        assert_eq!(api.event().await, "WebhookRegistered");
        api
    });
    let (result, _api) = drive(&ctx, &created.bot, scenario).await;
    result.expect("reconciled");
    let hook = fake.webhook().expect("a webhook");
    assert_eq!(hook.url, format!("{PUBLIC_URL}/telegram"));
    assert_eq!(hook.secret_token.as_deref(), Some(created.token.as_str()));
}

const WITH_ROUTE: [(&str, &str, bool); 11] = [
    ("configmaps", "config", true),
    ("services", "webhook", true),
    ("deployments", "webhook", true),
    ("ingresses", "webhook", false),
    ("httproutes", "webhook", true),
    ("poddisruptionbudgets", "webhook", false),
    ("deployments", "worker", true),
    ("horizontalpodautoscalers", "worker", false),
    ("poddisruptionbudgets", "worker", false),
    ("cronjobs", "daily", true),
    ("cronjobs", "weekly", true),
];

#[tokio::test]
async fn an_http_route_its_gateway_refuses_makes_the_bot_unready() {
    let apis = Apis {
        keda: false,
        gateway: true,
    };
    let (ctx, api) = fixtures::context(apis);
    let fake = FakeTelegram::start(TOKEN).await;
    let mut bot = TranscriptionBot::test(&local_api(&fake)).finalized();
    bot.spec.webhook.http_route = Some(HttpRouteSpec {
        enabled: true,
        parent_refs: vec![ParentRef {
            name: "public".into(),
            namespace: Some("gateways".into()),
            section_name: None,
            group: None,
            kind: None,
        }],
        hostnames: vec![],
    });
    let created = create(&ctx, api, bot, &WITH_ROUTE, apis).await;
    // Just applied, no Gateway has answered: not claimed either way.
    assert_eq!(
        condition(&created.status, "RouteAccepted"),
        ("Unknown", "Pending")
    );
    assert_eq!(condition(&created.status, "Ready"), ("True", "Ready"));

    let mut route = created.applied["httproutes/webhook"].clone();
    route["status"] = json!({"parents": [{
        "parentRef": {"name": "public", "namespace": "gateways"},
        "controllerName": "example.com/gateway",
        "conditions": [{"type": "Accepted", "status": "False", "reason": "NotAllowedByListeners",
                        "message": "no listener allows routes from namespace bots"}],
    }]});
    let (token, applied) = (created.token.clone(), created.applied.clone());
    let reply = created.bot.clone();
    let scenario = tokio::spawn(async move {
        let mut api = created.api;
        api.get_secrets(Some(&secrets(TOKEN))).await;
        api.webhook_token(Some(&token)).await;
        api.get_deployment("webhook", Some(&applied["deployments/webhook"]))
            .await;
        api.get_deployment("worker", Some(&applied["deployments/worker"]))
            .await;
        api.get_route(Some(&route)).await;
        api.status(&reply).await
    });
    let (result, status) = drive(&ctx, &created.bot, scenario).await;
    result.expect("reconciled");
    assert_eq!(
        condition(&status, "RouteAccepted"),
        ("False", "NotAccepted")
    );
    assert_eq!(condition(&status, "Ready"), ("False", "RouteNotAccepted"));
    assert!(
        message(&status, "Ready").contains("Gateway public: no listener allows routes"),
        "{}",
        message(&status, "Ready")
    );
}

#[tokio::test]
async fn a_paused_bot_gets_no_writes_and_its_status_says_so() {
    let (ctx, api) = fixtures::context(Apis::default());
    let fake = FakeTelegram::start(TOKEN).await;
    let bot = TranscriptionBot::test(&local_api(&fake)).finalized();
    let created = create(&ctx, api, bot, &DEFAULT_CHILDREN, Apis::default()).await;
    let calls = fake.calls().len();

    let mut paused = created.bot.clone();
    paused
        .metadata
        .annotations
        .get_or_insert_with(Default::default)
        .insert("scribe.dev/reconcile".to_owned(), "disabled".to_owned());
    // Even a changed spec and a deletion are left alone.
    paused.spec.webhook.replicas = 5;
    paused.metadata.generation = Some(2);
    let reply = paused.clone();
    let scenario = tokio::spawn(async move {
        let mut api = created.api;
        let status = api.status(&reply).await;
        (api, status)
    });
    let (result, (api, status)) = drive(&ctx, &paused, scenario).await;
    assert_eq!(result.expect("reconciled"), Action::await_change());
    assert_eq!(condition(&status, "Reconciled"), ("False", "Paused"));
    assert_eq!(condition(&status, "Ready"), ("True", "Paused"));
    assert!(message(&status, "Ready").contains("scribe.dev/reconcile"));

    // Paused and already saying so: not one request, deletion included.
    let paused = paused.with_status(status).deleting();
    let scenario = tokio::spawn(async move { api });
    let (result, _api) = drive(&ctx, &paused, scenario).await;
    assert_eq!(result.expect("reconciled"), Action::await_change());
    assert_eq!(fake.calls().len(), calls, "no Telegram call while paused");

    // spec.suspend pauses the same way.
    let (ctx, api) = fixtures::context(Apis::default());
    let mut suspended = TranscriptionBot::test(&local_api(&fake));
    suspended.spec.suspend = true;
    let reply = suspended.clone();
    let scenario = tokio::spawn(async move {
        let mut api = api;
        api.status(&reply).await
    });
    let (result, status) = drive(&ctx, &suspended, scenario).await;
    result.expect("reconciled");
    assert_eq!(condition(&status, "Ready"), ("Unknown", "Paused"));
    assert!(message(&status, "Ready").contains("spec.suspend"));
}

#[tokio::test]
async fn a_plain_http_api_url_is_refused_before_any_secret_is_read() {
    let (ctx, api) = fixtures::context(Apis::default());
    let fake = FakeTelegram::start(TOKEN).await;
    // The fake answers on plain http; without the local-server mark it must not get the token.
    let mut bot = TranscriptionBot::test(&local_api(&fake)).finalized();
    bot.spec.telegram.local_server = None;
    let reply = bot.clone();
    let scenario = tokio::spawn(async move {
        let mut api = api;
        assert_eq!(api.event().await, "InsecureApiUrl");
        api.status(&reply).await
    });
    let (result, status) = drive(&ctx, &bot, scenario).await;
    assert_eq!(result.expect("reconciled"), Action::await_change());
    assert_eq!(
        condition(&status, "Reconciled"),
        ("False", "InsecureApiUrl")
    );
    assert_eq!(condition(&status, "Ready"), ("False", "InsecureApiUrl"));
    assert!(fake.calls().is_empty(), "the token went nowhere");

    // Deleting such a bot does not send the token either.
    let (ctx, api) = fixtures::context(Apis::default());
    let deleting = bot.deleting();
    let reply = deleting.clone();
    let scenario = tokio::spawn(async move {
        let mut api = api;
        assert_eq!(api.event().await, "WebhookNotDeleted");
        api.remove_finalizer(&reply).await;
    });
    let (result, ()) = drive(&ctx, &deleting, scenario).await;
    result.expect("reconciled");
    assert!(fake.calls().is_empty());
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
    let bot = TranscriptionBot::test(&local_api(&fake))
        .finalized()
        .deleting();
    ctx.metrics.bot_ready(NS, NAME, State::True);
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
    let bot = TranscriptionBot::test(&local_api(&fake)).finalized();

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
    let uid = bot.metadata.uid.clone().unwrap_or_default();
    error_policy(Arc::clone(&bot), &error, Arc::clone(&ctx));
    assert_eq!(ctx.failures.count(&uid), 1);

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
    error_policy(Arc::clone(&bot), &error, Arc::clone(&ctx));
    // The bot's own count grows (its wait with it: backoff.rs), and a success resets it.
    assert_eq!(ctx.failures.count(&uid), 2);
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
    assert_eq!(ctx.failures.count(&uid), 0);
}

#[tokio::test]
async fn a_missing_token_leaves_children_and_telegram_alone() {
    let (ctx, api) = fixtures::context(Apis::default());
    let fake = FakeTelegram::start(TOKEN).await;
    let bot = TranscriptionBot::test(&local_api(&fake)).finalized();
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
    let bot = TranscriptionBot::test(&local_api(&fake)).finalized();
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
