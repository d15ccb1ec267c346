//! Builder unit tests: pure functions, no server.

use std::collections::BTreeMap;

use k8s_openapi::api::apps::v1::Deployment;
use k8s_openapi::api::core::v1::{
    Container, EnvVar, PodSpec, PodTemplateSpec, Probe, SecretKeySelector, Toleration,
};
use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;
use scribe_core::config::settings;
use serde_json::json;

use super::*;
use crate::crd::{
    AsrProvider, AsrSpec, GeminiSpec, HttpRouteSpec, IngressSpec, LimitsSpec, LlmProvider, LlmSpec,
    LocalFilesSpec, LocalServerSpec, OpenAiServerSpec, Package, ParentRef, PrivacySpec,
    SecretKeyRef, TranscriptionBot, WebhookDisruptionBudget, WorkerDisruptionBudget,
};
use crate::fixtures::{IMAGE, NAME, NS, SECRETS};

fn bot() -> TranscriptionBot {
    TranscriptionBot::test("https://api.telegram.org")
}

fn providers(bot: &TranscriptionBot) -> Providers<'_> {
    resolve(&bot.spec).expect("usable providers")
}

fn inputs(apis: Apis) -> Inputs {
    let digests = ["token", "dashscope", "amqp", "management", "database"]
        .into_iter()
        .map(|k| ((SECRETS.to_owned(), k.to_owned()), format!("digest-{k}")))
        .chain([(
            (format!("{NAME}-webhook-token"), TOKEN_KEY.to_owned()),
            "digest-webhook".to_owned(),
        )])
        .collect();
    Inputs {
        image: IMAGE.to_owned(),
        secret_digests: digests,
        vhost: "/".to_owned(),
        apis,
    }
}

fn keda() -> Apis {
    Apis {
        keda: true,
        gateway: false,
    }
}

fn webhook(bot: &TranscriptionBot) -> Deployment {
    webhook_deployment(bot, &inputs(Apis::default()), &providers(bot))
}

fn worker(bot: &TranscriptionBot) -> Deployment {
    worker_deployment(bot, &inputs(Apis::default()), &providers(bot))
}

fn config(bot: &TranscriptionBot) -> BTreeMap<String, String> {
    config_map(bot, &providers(bot)).data.expect("data")
}

fn key_ref(name: &str, key: &str) -> SecretKeyRef {
    SecretKeyRef {
        name: name.into(),
        key: key.into(),
    }
}

fn pod(template: &PodTemplateSpec) -> &PodSpec {
    template.spec.as_ref().expect("pod spec")
}

fn env_names(container: &Container) -> Vec<&str> {
    container
        .env
        .iter()
        .flatten()
        .map(|e| e.name.as_str())
        .collect()
}

fn secret_ref<'a>(container: &'a Container, name: &str) -> Option<&'a SecretKeySelector> {
    container
        .env
        .iter()
        .flatten()
        .find(|e| e.name == name)
        .and_then(|e| e.value_from.as_ref())
        .and_then(|v| v.secret_key_ref.as_ref())
}

fn assert_restricted(template: &PodTemplateSpec) {
    let pod = pod(template);
    let psc = pod.security_context.as_ref().expect("pod security context");
    assert_eq!(psc.run_as_non_root, Some(true));
    // No fixed UID: the image's, or the platform's (OpenShift's restricted SCC assigns one).
    assert_eq!(
        (psc.run_as_user, psc.run_as_group, psc.fs_group),
        (None, None, None)
    );
    assert_eq!(
        psc.seccomp_profile.as_ref().map(|s| s.type_.as_str()),
        Some("RuntimeDefault")
    );
    assert_eq!(pod.automount_service_account_token, Some(false));
    let tmp = pod.volumes.iter().flatten().find(|v| v.name == "tmp");
    let size = tmp
        .and_then(|v| v.empty_dir.as_ref())
        .and_then(|e| e.size_limit.as_ref())
        .map(|q| q.0.clone())
        .expect("a size-limited emptyDir at /tmp");
    for c in &pod.containers {
        let sc = c
            .security_context
            .as_ref()
            .expect("container security context");
        assert_eq!(sc.allow_privilege_escalation, Some(false));
        assert_eq!(sc.run_as_user, None);
        assert_eq!(sc.read_only_root_filesystem, Some(true));
        assert_eq!(
            sc.capabilities.as_ref().and_then(|c| c.drop.clone()),
            Some(vec!["ALL".to_owned()])
        );
        assert!(
            c.volume_mounts
                .iter()
                .flatten()
                .any(|m| m.mount_path == "/tmp")
        );
        let temp = c
            .env
            .iter()
            .flatten()
            .find(|e| e.name == settings::TEMP_DIR);
        assert_eq!(temp.and_then(|e| e.value.as_deref()), Some("/tmp"));
        let resources = c.resources.as_ref().expect("resources");
        let request = resources
            .requests
            .as_ref()
            .and_then(|r| r.get("ephemeral-storage"))
            .map(|q| q.0.clone());
        assert_eq!(
            request,
            Some(size.clone()),
            "ephemeral request = scratch space"
        );
        let limit = resources
            .limits
            .as_ref()
            .and_then(|r| r.get("ephemeral-storage"))
            .and_then(|q| bytes(&q.0))
            .expect("an ephemeral-storage limit");
        assert!(limit > bytes(&size).expect("a quantity"));
        assert_eq!(c.image.as_deref(), Some(IMAGE));
        let from = c
            .env_from
            .as_ref()
            .and_then(|f| f[0].config_map_ref.as_ref());
        assert_eq!(from.map(|r| r.name.as_str()), Some("voice-config"));
    }
}

#[test]
fn config_map_holds_the_settings_under_the_bots_names() {
    let mut bot = bot();
    bot.spec.billing.packages = vec![
        Package {
            id: "start".into(),
            minutes: 50,
            stars: 35,
            per_user_limit: None,
        },
        Package {
            id: "micro".into(),
            minutes: 10,
            stars: 5,
            per_user_limit: Some(3),
        },
    ];
    bot.spec.telegram.max_file_mb = Some(200);
    let data = config(&bot);
    let expect = [
        (settings::BOT_NAME, "voice"),
        (settings::TELEGRAM_API_URL, "https://api.telegram.org"),
        (settings::TELEGRAM_MAX_FILE_MB, "200"),
        (settings::DASHSCOPE_REGION, "intl"),
        (settings::ASR_PROVIDER, "dashscope"),
        (settings::ASR_MODEL, "qwen3-asr-flash"),
        (settings::LLM_PROVIDER, "dashscope"),
        (settings::LLM_MODEL, "qwen-plus"),
        // No Gemini key: no fallback formatter.
        (settings::LLM_FALLBACK_PROVIDER, "none"),
        (settings::LLM_FALLBACK_MODEL, ""),
        (settings::ADMIN_IDS, "42,43"),
        (settings::TRIAL_MODE, "auto"),
        (settings::TRIAL_MINUTES, "15"),
        (settings::PACKAGES, "start:50:35,micro:10:5:3"),
        (settings::WORKER_CONCURRENCY, "2"),
        (settings::SHUTDOWN_GRACE_SECONDS, "60"),
        (settings::LOG_FORMAT, "json"),
    ];
    for (k, v) in expect {
        assert_eq!(data.get(k).map(String::as_str), Some(v), "{k}");
    }
    assert_eq!(data.len(), expect.len(), "{data:?}");
    // Credentials are never in the ConfigMap.
    let text = serde_json::to_string(&data).expect("JSON");
    assert!(!text.contains(SECRETS));
    // Every key is a setting the bot reads.
    for key in data.keys() {
        assert!(
            settings::SETTINGS.iter().any(|s| s.name == key),
            "{key} is no setting of scribe_core::config::settings"
        );
    }
}

#[test]
fn limits_privacy_actions_and_the_asr_budget_reach_the_config() {
    let mut bot = bot();
    bot.spec.limits = LimitsSpec {
        max_active_jobs_per_user: Some(2),
        user_updates_per_minute: Some(20),
        max_audio_seconds: Some(7200),
    };
    bot.spec.privacy = PrivacySpec {
        retention_days: Some(3),
    };
    bot.spec.billing.actions_per_day = Some(0);
    bot.spec.billing.action_seconds = Some(45);
    bot.spec.asr = Some(AsrSpec {
        requests_per_minute: Some(1000),
        max_inflight: Some(16),
        ..AsrSpec::default()
    });
    bot.spec.worker.replicas = 3;
    let data = config(&bot);
    for (k, v) in [
        (settings::MAX_ACTIVE_JOBS_PER_USER, "2"),
        (settings::USER_UPDATES_PER_MINUTE, "20"),
        (settings::MAX_AUDIO_SECONDS, "7200"),
        (settings::RETENTION_DAYS, "3"),
        (settings::ACTIONS_PER_DAY, "0"),
        (settings::ACTION_SECONDS, "45"),
        // 1000 per minute shared by at most 3 workers.
        (settings::ASR_REQUESTS_PER_MINUTE, "333"),
        (settings::ASR_MAX_INFLIGHT, "16"),
    ] {
        assert_eq!(data.get(k).map(String::as_str), Some(v), "{k}");
    }
    // Autoscaling: the share is of the most workers there can be, never below 1.
    let mut scaled = bot.clone().autoscaled();
    assert_eq!(max_workers(&scaled), 8);
    assert_eq!(config(&scaled)[settings::ASR_REQUESTS_PER_MINUTE], "125");
    if let Some(asr) = scaled.spec.asr.as_mut() {
        asr.requests_per_minute = Some(3);
    }
    assert_eq!(config(&scaled)[settings::ASR_REQUESTS_PER_MINUTE], "1");
}

#[test]
fn a_self_hosted_bot_needs_no_dashscope_or_gemini_key() {
    let mut bot = bot();
    bot.spec.dashscope = None;
    bot.spec.asr = Some(AsrSpec {
        provider: Some(AsrProvider::Openai),
        model: Some("Systran/faster-whisper-large-v3".into()),
        openai: Some(OpenAiServerSpec {
            base_url: "http://whisper.ai:8000".into(),
            api_key_secret_ref: None,
        }),
        ..AsrSpec::default()
    });
    bot.spec.llm = Some(LlmSpec {
        provider: Some(LlmProvider::Openai),
        model: Some("qwen2.5-7b-instruct".into()),
        openai: Some(OpenAiServerSpec {
            base_url: "http://vllm.ai:8000".into(),
            api_key_secret_ref: Some(key_ref("vllm", "key")),
        }),
    });
    bot.spec.fallback.provider = Some(LlmProvider::None);
    let data = config(&bot);
    for (k, v) in [
        (settings::ASR_PROVIDER, "openai"),
        (settings::ASR_MODEL, "Systran/faster-whisper-large-v3"),
        (settings::OPENAI_ASR_BASE_URL, "http://whisper.ai:8000"),
        (settings::LLM_PROVIDER, "openai"),
        (settings::LLM_MODEL, "qwen2.5-7b-instruct"),
        (settings::OPENAI_LLM_BASE_URL, "http://vllm.ai:8000"),
        (settings::LLM_FALLBACK_PROVIDER, "none"),
    ] {
        assert_eq!(data.get(k).map(String::as_str), Some(v), "{k}");
    }
    assert!(!data.contains_key(settings::DASHSCOPE_REGION));
    let d = worker(&bot);
    let spec = d.spec.expect("spec");
    let c = &pod(&spec.template).containers[0];
    assert_eq!(
        env_names(c),
        [
            settings::TEMP_DIR,
            settings::TELEGRAM_BOT_TOKEN,
            settings::OPENAI_LLM_API_KEY,
            settings::AMQP_URL,
            settings::DATABASE_URL
        ]
    );
    let key = secret_ref(c, settings::OPENAI_LLM_API_KEY).expect("chat key");
    assert_eq!((key.name.as_str(), key.key.as_str()), ("vllm", "key"));
}

#[test]
fn old_spellings_keep_their_meaning_and_gemini_can_format_first() {
    // spec.fallback.apiKeySecretRef alone (the old shape): Gemini falls back.
    let mut bot = bot();
    bot.spec.fallback.api_key_secret_ref = Some(key_ref("gemini", "key"));
    let p = providers(&bot);
    assert_eq!(p.fallback, LlmProvider::Gemini);
    assert_eq!(p.fallback_model.as_deref(), Some("gemini-2.5-flash"));
    assert_eq!(config(&bot)[settings::LLM_FALLBACK_PROVIDER], "gemini");

    // Gemini formats first, DashScope second, the key from spec.gemini.
    let mut bot = crate::desired::tests::bot();
    bot.spec.gemini = Some(GeminiSpec {
        api_key_secret_ref: key_ref("gemini", "key"),
        base_url: None,
    });
    bot.spec.llm = Some(LlmSpec {
        provider: Some(LlmProvider::Gemini),
        model: Some("gemini-2.5-pro".into()),
        openai: None,
    });
    bot.spec.fallback.provider = Some(LlmProvider::Dashscope);
    bot.spec.fallback.model = Some("qwen-max".into());
    let data = config(&bot);
    assert_eq!(data[settings::LLM_PROVIDER], "gemini");
    assert_eq!(data[settings::LLM_MODEL], "gemini-2.5-pro");
    assert_eq!(data[settings::LLM_FALLBACK_PROVIDER], "dashscope");
    assert_eq!(data[settings::LLM_FALLBACK_MODEL], "qwen-max");
    let fields: Vec<&str> = providers(&bot)
        .credentials()
        .iter()
        .map(|c| c.field)
        .collect();
    assert_eq!(
        fields,
        ["dashscope.apiKeySecretRef", "gemini.apiKeySecretRef"]
    );

    // A slot on a provider the spec does not configure cannot work.
    let mut broken = bot.clone();
    broken.spec.dashscope = None;
    assert!(resolve(&broken.spec).is_err());
}

#[test]
fn webhook_deployment_serves_http_with_probes_a_pre_stop_sleep_and_only_its_credentials() {
    let bot = bot();
    let d = webhook(&bot);
    assert_eq!(d.metadata.name.as_deref(), Some("voice-webhook"));
    assert_eq!(d.metadata.namespace.as_deref(), Some(NS));
    let owner = &d.metadata.owner_references.as_ref().expect("owner")[0];
    assert_eq!(
        (owner.kind.as_str(), owner.controller),
        ("TranscriptionBot", Some(true))
    );
    let spec = d.spec.as_ref().expect("spec");
    assert_eq!(spec.replicas, Some(2));
    assert_restricted(&spec.template);
    let c = &pod(&spec.template).containers[0];
    assert_eq!(c.args, Some(vec!["webhook".to_owned()]));
    let port = &c.ports.as_ref().expect("ports")[0];
    assert_eq!(
        (port.name.as_deref(), port.container_port),
        (Some("http"), 8080)
    );
    let path = |p: &Option<Probe>| {
        p.as_ref()
            .and_then(|p| p.http_get.as_ref())
            .and_then(|h| h.path.clone())
    };
    assert_eq!(path(&c.readiness_probe).as_deref(), Some("/readyz"));
    assert_eq!(path(&c.liveness_probe).as_deref(), Some("/healthz"));
    assert_eq!(path(&c.startup_probe).as_deref(), Some("/healthz"));
    let sleep = c
        .lifecycle
        .as_ref()
        .and_then(|l| l.pre_stop.as_ref())
        .and_then(|h| h.sleep.as_ref())
        .map(|s| s.seconds);
    assert_eq!(sleep, Some(5));
    assert_eq!(
        env_names(c),
        [
            settings::TEMP_DIR,
            settings::SHUTDOWN_GRACE_SECONDS,
            settings::WEBHOOK_SECRET_TOKEN,
            settings::AMQP_URL
        ]
    );
    let token = secret_ref(c, settings::WEBHOOK_SECRET_TOKEN).expect("token ref");
    assert_eq!(
        (token.name.as_str(), token.key.as_str()),
        ("voice-webhook-token", "token")
    );
    let amqp = secret_ref(c, settings::AMQP_URL).expect("amqp ref");
    assert_eq!((amqp.name.as_str(), amqp.key.as_str()), (SECRETS, "amqp"));
    assert!(secret_ref(c, settings::TELEGRAM_BOT_TOKEN).is_none());
    // The selector matches the pod labels.
    let selector = spec.selector.match_labels.clone().expect("selector");
    let labels = spec
        .template
        .metadata
        .as_ref()
        .and_then(|m| m.labels.clone())
        .expect("labels");
    assert!(selector.iter().all(|(k, v)| labels.get(k) == Some(v)));
}

#[test]
fn worker_deployment_gets_its_credentials_and_a_longer_grace_than_its_shutdown() {
    let mut bot = bot();
    bot.spec.fallback.api_key_secret_ref = Some(key_ref("gemini", "key"));
    bot.spec.worker.replicas = 3;
    let d = worker(&bot);
    let spec = d.spec.as_ref().expect("spec");
    assert_eq!(spec.replicas, Some(3));
    assert_restricted(&spec.template);
    let pod = pod(&spec.template);
    assert_eq!(pod.termination_grace_period_seconds, Some(90));
    let c = &pod.containers[0];
    assert_eq!(c.args, Some(vec!["worker".to_owned()]));
    assert_eq!(
        env_names(c),
        [
            settings::TEMP_DIR,
            settings::TELEGRAM_BOT_TOKEN,
            settings::DASHSCOPE_API_KEY,
            settings::GEMINI_API_KEY,
            settings::AMQP_URL,
            settings::DATABASE_URL
        ]
    );
    assert!(c.readiness_probe.is_some() && c.liveness_probe.is_some());
    assert!(c.startup_probe.is_some());
    // The default scratch space is 2Gi.
    let tmp = pod.volumes.iter().flatten().find(|v| v.name == "tmp");
    let size = tmp
        .and_then(|v| v.empty_dir.as_ref())
        .and_then(|e| e.size_limit.clone());
    assert_eq!(size.map(|q| q.0), Some("2Gi".to_owned()));
    // Pods carry the bot's name, for metrics joins; the selector does not.
    let labels = d
        .spec
        .as_ref()
        .and_then(|s| s.template.metadata.as_ref())
        .and_then(|m| m.labels.clone())
        .expect("labels");
    assert_eq!(labels.get(BOT_LABEL).map(String::as_str), Some("voice"));
    let selector = d
        .spec
        .as_ref()
        .and_then(|s| s.selector.match_labels.clone())
        .expect("selector");
    assert!(!selector.contains_key(BOT_LABEL));
}

#[test]
fn a_local_bot_api_server_shares_its_files_read_only_with_the_workers() {
    let mut bot = TranscriptionBot::test("http://telegram-bot-api.bots.svc:8081");
    bot.spec.telegram.local_server = Some(LocalServerSpec {
        files: Some(LocalFilesSpec {
            root: "/var/lib/telegram-bot-api".into(),
            claim_name: "telegram-bot-api-data".into(),
        }),
    });
    bot.spec.worker.temp_storage = "10Gi".into();
    assert_eq!(
        config(&bot)[settings::TELEGRAM_LOCAL_ROOT],
        "/var/lib/telegram-bot-api"
    );
    let d = worker(&bot);
    let template = &d.spec.expect("spec").template;
    assert_restricted(template);
    let pod = pod(template);
    let volume = pod
        .volumes
        .iter()
        .flatten()
        .find_map(|v| v.persistent_volume_claim.as_ref())
        .expect("the files volume");
    assert_eq!(
        (volume.claim_name.as_str(), volume.read_only),
        ("telegram-bot-api-data", Some(true))
    );
    let mount = pod.containers[0]
        .volume_mounts
        .iter()
        .flatten()
        .find(|m| m.mount_path == "/var/lib/telegram-bot-api")
        .expect("mounted at the root");
    assert_eq!(mount.read_only, Some(true));
    // Only the workers read local files.
    let webhook = webhook(&bot);
    let webhook_pod = self::pod(&webhook.spec.as_ref().expect("spec").template);
    assert!(
        webhook_pod
            .volumes
            .iter()
            .flatten()
            .all(|v| v.persistent_volume_claim.is_none())
    );
    // A quantity the CRD admits, in bytes.
    assert_eq!(bytes("10Gi"), Some(10 << 30));
    assert_eq!(bytes("512"), Some(512));
    assert_eq!(bytes("1Ei"), None);
}

#[test]
fn autoscaled_workers_have_no_replicas_field_at_all() {
    let bot = bot().autoscaled();
    for apis in [Apis::default(), keda()] {
        let d = worker_deployment(&bot, &inputs(apis), &providers(&bot));
        let value = serde_json::to_value(&d).expect("JSON");
        assert!(value["spec"].get("replicas").is_none(), "{apis:?}");
    }
}

#[test]
fn scaling_follows_discovery_and_the_management_url() {
    let bot = bot();
    assert_eq!(scaling(&bot, Apis::default()), Scaling::Fixed);
    let bot = bot.autoscaled();
    let keda = keda();
    assert_eq!(scaling(&bot, Apis::default()), Scaling::HpaKedaMissing);
    assert_eq!(scaling(&bot, keda), Scaling::Keda);
    let mut no_url = bot.clone();
    no_url.spec.rabbitmq.management_url_secret_ref = None;
    assert_eq!(scaling(&no_url, keda), Scaling::HpaNoManagementUrl);
    assert!(worker_hpa(&no_url, &inputs(keda)).is_some());
    assert!(scaled_object(&no_url, &inputs(keda)).is_none());
    assert!(worker_hpa(&bot, &inputs(keda)).is_none());
}

#[test]
fn keda_objects_target_the_jobs_queue_in_the_bots_vhost_over_the_management_api() {
    let mut bot = bot().autoscaled();
    if let Some(a) = bot.spec.worker.autoscaling.as_mut() {
        a.cooldown_seconds = 7200;
        a.fallback_replicas = Some(4);
    }
    let mut keda = inputs(keda());
    keda.vhost = "team/voice".into();
    let so = serde_json::to_value(scaled_object(&bot, &keda).expect("ScaledObject")).expect("JSON");
    assert_eq!(so["kind"], json!("ScaledObject"));
    assert_eq!(so["spec"]["scaleTargetRef"]["name"], json!("voice-worker"));
    assert_eq!(so["spec"]["minReplicaCount"], json!(1));
    assert_eq!(so["spec"]["maxReplicaCount"], json!(8));
    assert!(
        so["spec"].get("cooldownPeriod").is_none(),
        "only for scaling to zero"
    );
    // The HPA's window is at most an hour.
    assert_eq!(
        so["spec"]["advanced"]["horizontalPodAutoscalerConfig"]["behavior"]["scaleDown"]["stabilizationWindowSeconds"],
        json!(3600)
    );
    assert_eq!(
        so["spec"]["fallback"],
        json!({"failureThreshold": 3, "replicas": 4, "behavior": "currentReplicasIfHigher"})
    );
    assert_eq!(
        so["spec"]["triggers"][0]["metadata"],
        json!({"protocol": "http", "mode": "QueueLength", "queueName": "scribe.voice.jobs", "vhostName": "team/voice", "value": "3"})
    );
    crate::fixtures::assert_owned(&so);
    let ta = serde_json::to_value(trigger_authentication(&bot, &keda).expect("TA")).expect("JSON");
    assert_eq!(ta["kind"], json!("TriggerAuthentication"));
    assert_eq!(
        ta["spec"]["secretTargetRef"],
        json!([{"parameter": "host", "name": SECRETS, "key": "management"}])
    );
}

#[test]
fn the_queue_name_follows_the_bot_name() {
    let mut bot = bot();
    bot.spec.bot_name = Some("alias".into());
    assert_eq!(jobs_queue(&bot), "scribe.alias.jobs");
    assert_eq!(config(&bot)[settings::BOT_NAME], "alias");
    // Child names stay on the object's name.
    assert_eq!(name(&bot, "worker"), "voice-worker");
}

#[test]
fn a_rotated_credential_changes_only_the_pods_that_use_it() {
    let bot = bot();
    let before = inputs(Apis::default());
    let mut after = before.clone();
    after.secret_digests.insert(
        (SECRETS.to_owned(), "dashscope".to_owned()),
        "digest-rotated".to_owned(),
    );
    let hash = |d: &Deployment| {
        d.spec
            .as_ref()
            .and_then(|s| s.template.metadata.as_ref())
            .and_then(|m| m.annotations.as_ref())
            .and_then(|a| a.get(SECRETS_HASH).cloned())
            .expect("hash")
    };
    let p = providers(&bot);
    assert_ne!(
        hash(&worker_deployment(&bot, &before, &p)),
        hash(&worker_deployment(&bot, &after, &p))
    );
    assert_eq!(
        hash(&webhook_deployment(&bot, &before, &p)),
        hash(&webhook_deployment(&bot, &after, &p))
    );
    // A config change rolls every pod through the config hash.
    let mut changed = bot.clone();
    changed.spec.worker.concurrency = 4;
    let config = |d: &Deployment| {
        d.spec
            .as_ref()
            .and_then(|s| s.template.metadata.as_ref())
            .and_then(|m| m.annotations.as_ref())
            .and_then(|a| a.get(CONFIG_HASH).cloned())
            .expect("config hash")
    };
    assert_ne!(
        config(&webhook_deployment(&bot, &before, &p)),
        config(&webhook_deployment(&changed, &before, &providers(&changed)))
    );
}

#[test]
fn pod_knobs_reach_the_pods_and_extra_env_replaces_by_name() {
    let mut bot = bot();
    let knobs = &mut bot.spec.webhook.pod;
    knobs.node_selector = BTreeMap::from([("pool".into(), "edge".into())]);
    knobs.tolerations = vec![Toleration {
        key: Some("edge".into()),
        operator: Some("Exists".into()),
        ..Toleration::default()
    }];
    knobs.priority_class_name = Some("high".into());
    knobs.pod_annotations = BTreeMap::from([("team".into(), "voice".into())]);
    knobs.pod_labels = BTreeMap::from([
        ("tier".into(), "edge".into()),
        ("app.kubernetes.io/component".into(), "hijack".into()),
    ]);
    knobs.extra_env = vec![
        EnvVar {
            name: settings::SHUTDOWN_GRACE_SECONDS.into(),
            value: Some("10".into()),
            ..EnvVar::default()
        },
        EnvVar {
            name: "RUST_BACKTRACE".into(),
            value: Some("1".into()),
            ..EnvVar::default()
        },
    ];
    bot.spec.image_pull_secrets = vec![k8s_openapi::api::core::v1::LocalObjectReference {
        name: "registry".into(),
    }];
    let d = webhook(&bot);
    let template = &d.spec.as_ref().expect("spec").template;
    let pod = pod(template);
    assert_eq!(
        pod.node_selector.as_ref().map(|n| n["pool"].as_str()),
        Some("edge")
    );
    assert_eq!(pod.tolerations.as_ref().map(Vec::len), Some(1));
    assert_eq!(pod.priority_class_name.as_deref(), Some("high"));
    assert_eq!(
        pod.image_pull_secrets.as_ref().map(|s| s[0].name.as_str()),
        Some("registry")
    );
    let meta = template.metadata.as_ref().expect("meta");
    assert_eq!(
        meta.annotations.as_ref().map(|a| a["team"].as_str()),
        Some("voice")
    );
    let labels = meta.labels.as_ref().expect("labels");
    assert_eq!(labels["tier"], "edge");
    assert_eq!(labels["app.kubernetes.io/component"], "webhook");
    let c = &pod.containers[0];
    let names = env_names(c);
    assert_eq!(
        names
            .iter()
            .filter(|n| **n == settings::SHUTDOWN_GRACE_SECONDS)
            .count(),
        1
    );
    let grace = c
        .env
        .iter()
        .flatten()
        .find(|e| e.name == settings::SHUTDOWN_GRACE_SECONDS)
        .and_then(|e| e.value.as_deref());
    assert_eq!(grace, Some("10"));
    assert!(names.contains(&"RUST_BACKTRACE"));
}

#[test]
fn service_ingress_and_route_send_slash_telegram_to_the_http_port() {
    let mut bot = bot();
    let svc = webhook_service(&bot);
    let port = &svc
        .spec
        .as_ref()
        .and_then(|s| s.ports.clone())
        .expect("ports")[0];
    assert_eq!(port.port, 80);
    assert_eq!(port.target_port, Some(IntOrString::String("http".into())));
    assert!(webhook_ingress(&bot).is_none());
    assert!(webhook_http_route(&bot).is_none());

    bot.spec.webhook.ingress = Some(IngressSpec {
        enabled: true,
        class_name: Some("traefik".into()),
        host: Some("voice.example.com".into()),
        annotations: BTreeMap::new(),
        tls_secret_name: Some("voice-tls".into()),
    });
    bot.spec.webhook.http_route = Some(HttpRouteSpec {
        enabled: true,
        parent_refs: vec![ParentRef {
            name: "public".into(),
            namespace: Some("gateways".into()),
            section_name: None,
            group: None,
            kind: None,
        }],
        hostnames: vec!["voice.example.com".into()],
    });
    let ingress = serde_json::to_value(webhook_ingress(&bot).expect("ingress")).expect("JSON");
    assert_eq!(ingress["spec"]["ingressClassName"], json!("traefik"));
    assert!(ingress["metadata"].get("annotations").is_none());
    let path = &ingress["spec"]["rules"][0]["http"]["paths"][0];
    assert_eq!(path["path"], json!("/telegram"));
    assert_eq!(path["backend"]["service"]["name"], json!("voice-webhook"));
    assert_eq!(ingress["spec"]["tls"][0]["secretName"], json!("voice-tls"));

    let route = serde_json::to_value(webhook_http_route(&bot).expect("route")).expect("JSON");
    assert_eq!(route["apiVersion"], json!("gateway.networking.k8s.io/v1"));
    assert_eq!(route["kind"], json!("HTTPRoute"));
    assert_eq!(
        route["spec"]["parentRefs"],
        json!([{"name": "public", "namespace": "gateways"}])
    );
    assert_eq!(route["spec"]["hostnames"], json!(["voice.example.com"]));
    assert_eq!(
        route["spec"]["rules"][0]["backendRefs"][0],
        json!({"name": "voice-webhook", "port": 80})
    );
    crate::fixtures::assert_owned(&route);
}

#[test]
fn disruption_budgets_when_enabled() {
    let mut bot = bot();
    assert!(webhook_pdb(&bot).is_none() && worker_pdb(&bot).is_none());
    bot.spec.webhook.pod_disruption_budget = Some(WebhookDisruptionBudget {
        enabled: true,
        min_available: 1,
    });
    bot.spec.worker.pod_disruption_budget = Some(WorkerDisruptionBudget {
        enabled: true,
        max_unavailable: 2,
    });
    let webhook = webhook_pdb(&bot).and_then(|p| p.spec).expect("webhook PDB");
    assert_eq!(webhook.min_available, Some(IntOrString::Int(1)));
    assert!(webhook.max_unavailable.is_none());
    let worker = worker_pdb(&bot).and_then(|p| p.spec).expect("worker PDB");
    assert_eq!(worker.max_unavailable, Some(IntOrString::Int(2)));
    assert!(worker.min_available.is_none());
}

#[test]
fn report_cronjobs_never_overlap_and_follow_the_schedules() {
    let mut bot = bot();
    bot.spec.reports.time_zone = Some("Europe/Berlin".into());
    let inputs = inputs(Apis::default());
    let p = providers(&bot);
    for (report, schedule, arg) in [
        (Report::Daily, "0 8 * * *", "daily"),
        (Report::Weekly, "0 8 * * 1", "weekly"),
    ] {
        let cj = report_cronjob(&bot, &inputs, &p, report).expect("cronjob");
        assert_eq!(cj.metadata.name, Some(format!("voice-{arg}")));
        let spec = cj.spec.expect("spec");
        assert_eq!(spec.schedule, schedule);
        assert_eq!(spec.concurrency_policy.as_deref(), Some("Forbid"));
        assert_eq!(spec.time_zone.as_deref(), Some("Europe/Berlin"));
        let template = &spec.job_template.spec.expect("job").template;
        assert_restricted(template);
        let pod = pod(template);
        assert_eq!(pod.restart_policy.as_deref(), Some("Never"));
        let c = &pod.containers[0];
        assert_eq!(c.args, Some(vec!["report".to_owned(), arg.to_owned()]));
        assert_eq!(
            env_names(c),
            [
                settings::TEMP_DIR,
                settings::TELEGRAM_BOT_TOKEN,
                settings::DATABASE_URL
            ]
        );
    }
    let mut off = bot.clone();
    off.spec.reports.enabled = false;
    assert!(report_cronjob(&off, &inputs, &providers(&off), Report::Daily).is_none());
}

#[test]
fn the_generated_token_secret_is_owned_and_immutable() {
    let s = webhook_token_secret(&bot(), "AbC");
    assert_eq!(s.metadata.name.as_deref(), Some("voice-webhook-token"));
    assert_eq!(s.immutable, Some(true));
    assert_eq!(
        s.data
            .as_ref()
            .and_then(|d| d.get("token"))
            .map(|b| b.0.as_slice()),
        Some(b"AbC".as_slice())
    );
    crate::fixtures::assert_owned(&serde_json::to_value(&s).expect("JSON"));
}

#[test]
fn the_set_lists_served_kinds_and_fingerprints_stably() {
    let bot = bot();
    let p = providers(&bot);
    let plain = children(&bot, &inputs(Apis::default()), &p).expect("children");
    assert!(plain.iter().all(|c| c.kind.served(Apis::default())));
    assert!(!plain.iter().any(|c| c.kind == Kind::ScaledObject));
    let all = Apis {
        keda: true,
        gateway: true,
    };
    let full = children(&bot, &inputs(all), &p).expect("children");
    assert!(
        full.iter()
            .any(|c| c.kind == Kind::HttpRoute && c.object.is_none())
    );
    assert_eq!(
        fingerprint(&plain),
        fingerprint(&children(&bot, &inputs(Apis::default()), &p).expect("children"))
    );
    let mut more = bot.clone();
    more.spec.webhook.replicas = 3;
    assert_ne!(
        fingerprint(&plain),
        fingerprint(
            &children(&more, &inputs(Apis::default()), &providers(&more)).expect("children")
        )
    );

    let mut stamped = plain.clone();
    stamp(&mut stamped, "abc");
    for c in &stamped {
        let mark = c
            .object
            .as_ref()
            .map(|o| o["metadata"]["annotations"][APPLIED].clone());
        match c.kind {
            Kind::Deployment => assert_eq!(mark, Some(json!("abc"))),
            _ => assert!(mark.is_none_or(|m| m.is_null())),
        }
    }
}

/// What a worker container sees: the ConfigMap, its plain env, and a stand-in for each
/// credential it references.
fn worker_environment(bot: &TranscriptionBot) -> Vec<(String, String)> {
    let mut vars: Vec<(String, String)> = config(bot).into_iter().collect();
    let d = worker(bot);
    let spec = d.spec.expect("spec");
    for e in pod(&spec.template).containers[0].env.iter().flatten() {
        let value = match (&e.value, &e.value_from) {
            (Some(v), _) => v.clone(),
            (None, Some(_)) if e.name == settings::AMQP_URL => "amqp://u:p@rabbit:5672/%2f".into(),
            (None, Some(_)) if e.name == settings::DATABASE_URL => {
                "postgres://u:p@db/scribe".into()
            }
            (None, Some(_)) if e.name == settings::TELEGRAM_BOT_TOKEN => "123456:AAH-token".into(),
            (None, Some(_)) => "a-credential".into(),
            (None, None) => String::new(),
        };
        vars.retain(|(k, _)| *k != e.name);
        vars.push((e.name.clone(), value));
    }
    vars
}

/// The settings the operator renders are the ones the bot reads, with values it accepts.
#[test]
fn rendered_settings_pass_the_bots_own_configuration_reader() {
    use scribe_core::config::{
        AlertsConfig, BillingConfig, BotConfig, BrokerConfig, Env, JobsConfig, LimitsConfig,
        PipelineConfig, ProcessConfig, ProviderConfig, StoreConfig, TelegramConfig,
    };
    let mut full = bot();
    full.spec.limits = LimitsSpec {
        max_active_jobs_per_user: Some(2),
        user_updates_per_minute: Some(20),
        max_audio_seconds: Some(7200),
    };
    full.spec.privacy.retention_days = Some(3);
    full.spec.asr = Some(AsrSpec {
        requests_per_minute: Some(600),
        max_inflight: Some(8),
        ..AsrSpec::default()
    });
    full.spec.gemini = Some(GeminiSpec {
        api_key_secret_ref: key_ref("gemini", "key"),
        base_url: None,
    });
    let mut self_hosted = bot();
    self_hosted.spec.dashscope = None;
    self_hosted.spec.asr = Some(AsrSpec {
        provider: Some(AsrProvider::Openai),
        model: Some("whisper".into()),
        openai: Some(OpenAiServerSpec {
            base_url: "http://whisper.ai:8000".into(),
            api_key_secret_ref: None,
        }),
        ..AsrSpec::default()
    });
    self_hosted.spec.llm = Some(LlmSpec {
        provider: Some(LlmProvider::None),
        model: None,
        openai: None,
    });
    for (what, bot) in [
        ("default", bot()),
        ("every option", full),
        ("self-hosted", self_hosted),
    ] {
        let mut env = Env::from_pairs(worker_environment(&bot));
        let _ = (
            ProcessConfig::from_env(&mut env),
            BotConfig::from_env(&mut env),
            TelegramConfig::from_env(&mut env),
            StoreConfig::from_env(&mut env),
            BrokerConfig::from_env(&mut env),
            ProviderConfig::from_env(&mut env),
            PipelineConfig::from_env(&mut env),
            BillingConfig::from_env(&mut env),
            AlertsConfig::from_env(&mut env),
            LimitsConfig::from_env(&mut env),
            JobsConfig::from_env(&mut env),
        );
        if let Err(errors) = env.finish() {
            panic!("{what}: the bot refuses what the operator renders:\n{errors}");
        }
    }
}
