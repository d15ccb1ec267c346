//! Builder unit tests: pure functions, no server.

use std::collections::BTreeMap;

use k8s_openapi::api::core::v1::{EnvVar, PodSpec, Toleration};
use serde_json::json;

use super::*;
use crate::crd::{
    HttpRouteSpec, IngressSpec, Package, ParentRef, WebhookDisruptionBudget, WorkerDisruptionBudget,
};
use crate::fixtures::{IMAGE, NAME, NS, SECRETS};

fn bot() -> TranscriptionBot {
    TranscriptionBot::test("https://api.telegram.org")
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
        apis,
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
    assert_eq!(psc.run_as_user, Some(65532));
    assert_eq!(
        psc.seccomp_profile.as_ref().map(|s| s.type_.as_str()),
        Some("RuntimeDefault")
    );
    assert_eq!(pod.automount_service_account_token, Some(false));
    let tmp = pod.volumes.iter().flatten().find(|v| v.name == "tmp");
    assert!(tmp.is_some_and(|v| v.empty_dir.is_some()));
    for c in &pod.containers {
        let sc = c
            .security_context
            .as_ref()
            .expect("container security context");
        assert_eq!(sc.allow_privilege_escalation, Some(false));
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
        let temp = c.env.iter().flatten().find(|e| e.name == "TEMP_DIR");
        assert_eq!(temp.and_then(|e| e.value.as_deref()), Some("/tmp"));
        assert!(c.resources.as_ref().is_some_and(|r| r.requests.is_some()));
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
    let data = config_map(&bot).data.expect("data");
    let expect = [
        ("BOT_NAME", "voice"),
        ("TELEGRAM_API_URL", "https://api.telegram.org"),
        ("TELEGRAM_MAX_FILE_MB", "200"),
        ("DASHSCOPE_REGION", "intl"),
        ("ASR_MODEL", "qwen3-asr-flash"),
        ("LLM_MODEL", "qwen-plus"),
        ("LLM_FALLBACK_MODEL", "gemini-2.5-flash"),
        ("ADMIN_IDS", "42,43"),
        ("TRIAL_MODE", "auto"),
        ("TRIAL_MINUTES", "15"),
        ("PACKAGES", "start:50:35,micro:10:5:3"),
        ("WORKER_CONCURRENCY", "2"),
        ("SHUTDOWN_GRACE_SECONDS", "60"),
        ("LOG_FORMAT", "json"),
    ];
    for (k, v) in expect {
        assert_eq!(data.get(k).map(String::as_str), Some(v), "{k}");
    }
    assert_eq!(data.len(), expect.len(), "{data:?}");
    // Credentials are never in the ConfigMap.
    let text = serde_json::to_string(&data).expect("JSON");
    assert!(!text.contains(SECRETS));
}

#[test]
fn webhook_deployment_serves_http_with_probes_a_pre_stop_sleep_and_only_its_credentials() {
    let bot = bot();
    let d = webhook_deployment(&bot, &inputs(Apis::default()));
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
            "TEMP_DIR",
            "SHUTDOWN_GRACE_SECONDS",
            "WEBHOOK_SECRET_TOKEN",
            "AMQP_URL"
        ]
    );
    let token = secret_ref(c, "WEBHOOK_SECRET_TOKEN").expect("token ref");
    assert_eq!(
        (token.name.as_str(), token.key.as_str()),
        ("voice-webhook-token", "token")
    );
    let amqp = secret_ref(c, "AMQP_URL").expect("amqp ref");
    assert_eq!((amqp.name.as_str(), amqp.key.as_str()), (SECRETS, "amqp"));
    assert!(secret_ref(c, "TELEGRAM_BOT_TOKEN").is_none());
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
    bot.spec.fallback.api_key_secret_ref = Some(SecretKeyRef {
        name: "gemini".into(),
        key: "key".into(),
    });
    bot.spec.worker.replicas = 3;
    let d = worker_deployment(&bot, &inputs(Apis::default()));
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
            "TEMP_DIR",
            "TELEGRAM_BOT_TOKEN",
            "DASHSCOPE_API_KEY",
            "GEMINI_API_KEY",
            "AMQP_URL",
            "DATABASE_URL"
        ]
    );
    assert!(c.readiness_probe.is_some() && c.liveness_probe.is_some());
}

#[test]
fn autoscaled_workers_have_no_replicas_field_at_all() {
    let bot = bot().autoscaled();
    for apis in [
        Apis::default(),
        Apis {
            keda: true,
            gateway: false,
        },
    ] {
        let d = worker_deployment(&bot, &inputs(apis));
        let value = serde_json::to_value(&d).expect("JSON");
        assert!(value["spec"].get("replicas").is_none(), "{apis:?}");
    }
}

#[test]
fn scaling_follows_discovery_and_the_management_url() {
    let bot = bot();
    assert_eq!(scaling(&bot, Apis::default()), Scaling::Fixed);
    let bot = bot.autoscaled();
    let keda = Apis {
        keda: true,
        gateway: false,
    };
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
fn keda_objects_target_the_jobs_queue_over_the_management_api() {
    let bot = bot().autoscaled();
    let keda = inputs(Apis {
        keda: true,
        gateway: false,
    });
    let so = serde_json::to_value(scaled_object(&bot, &keda).expect("ScaledObject")).expect("JSON");
    assert_eq!(so["kind"], json!("ScaledObject"));
    assert_eq!(so["spec"]["scaleTargetRef"]["name"], json!("voice-worker"));
    assert_eq!(so["spec"]["minReplicaCount"], json!(1));
    assert_eq!(so["spec"]["maxReplicaCount"], json!(8));
    assert_eq!(so["spec"]["cooldownPeriod"], json!(120));
    assert_eq!(
        so["spec"]["triggers"][0]["metadata"],
        json!({"protocol": "http", "mode": "QueueLength", "queueName": "scribe.voice.jobs", "value": "3"})
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
    assert_eq!(config_map(&bot).data.expect("data")["BOT_NAME"], "alias");
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
    assert_ne!(
        hash(&worker_deployment(&bot, &before)),
        hash(&worker_deployment(&bot, &after))
    );
    assert_eq!(
        hash(&webhook_deployment(&bot, &before)),
        hash(&webhook_deployment(&bot, &after))
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
        config(&webhook_deployment(&bot, &before)),
        config(&webhook_deployment(&changed, &before))
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
            name: "SHUTDOWN_GRACE_SECONDS".into(),
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
    let d = webhook_deployment(&bot, &inputs(Apis::default()));
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
            .filter(|n| **n == "SHUTDOWN_GRACE_SECONDS")
            .count(),
        1
    );
    let grace = c
        .env
        .iter()
        .flatten()
        .find(|e| e.name == "SHUTDOWN_GRACE_SECONDS")
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
    for (report, schedule, arg) in [
        (Report::Daily, "0 8 * * *", "daily"),
        (Report::Weekly, "0 8 * * 1", "weekly"),
    ] {
        let cj = report_cronjob(&bot, &inputs, report).expect("cronjob");
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
            ["TEMP_DIR", "TELEGRAM_BOT_TOKEN", "DATABASE_URL"]
        );
    }
    bot.spec.reports.enabled = false;
    assert!(report_cronjob(&bot, &inputs, Report::Daily).is_none());
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
    let plain = children(&bot, &inputs(Apis::default())).expect("children");
    assert!(plain.iter().all(|c| c.kind.served(Apis::default())));
    assert!(!plain.iter().any(|c| c.kind == Kind::ScaledObject));
    let all = Apis {
        keda: true,
        gateway: true,
    };
    let full = children(&bot, &inputs(all)).expect("children");
    assert!(
        full.iter()
            .any(|c| c.kind == Kind::HttpRoute && c.object.is_none())
    );
    assert_eq!(
        fingerprint(&plain),
        fingerprint(&children(&bot, &inputs(Apis::default())).expect("children"))
    );
    let mut more = bot.clone();
    more.spec.webhook.replicas = 3;
    assert_ne!(
        fingerprint(&plain),
        fingerprint(&children(&more, &inputs(Apis::default())).expect("children"))
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
