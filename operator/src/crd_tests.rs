//! The generated CRD: committed manifest in sync, schema constraints present, CEL rules that
//! accept good objects and reject bad ones (evaluated offline with kube's CEL validator).

use kube::core::cel::Validator;
use scribe_core::config::settings;
use serde_json::{Value, json};

use super::*;

const MANIFEST: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../manifests/crd.yaml");

fn schema() -> Value {
    let crd = TranscriptionBot::crd();
    serde_json::to_value(
        crd.spec.versions[0]
            .schema
            .as_ref()
            .and_then(|s| s.open_api_v3_schema.as_ref())
            .expect("the CRD has a schema"),
    )
    .expect("schema is JSON")
}

fn at<'a>(schema: &'a Value, path: &[&str]) -> &'a Value {
    path.iter().fold(schema, |s, key| {
        let next = &s["properties"][*key];
        assert!(!next.is_null(), "no property {key} in {path:?}");
        next
    })
}

fn required(schema: &Value) -> Vec<&str> {
    schema["required"]
        .as_array()
        .map(|r| r.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default()
}

fn rules(schema: &Value) -> Vec<&str> {
    schema["x-kubernetes-validations"]
        .as_array()
        .map(|r| r.iter().filter_map(|v| v["rule"].as_str()).collect())
        .unwrap_or_default()
}

#[test]
fn committed_manifest_matches_the_generated_crd() {
    let generated = crd_yaml();
    if std::env::var_os("UPDATE_CRD").is_some() {
        std::fs::write(MANIFEST, &generated).expect("manifests/crd.yaml is writable");
    }
    let committed = std::fs::read_to_string(MANIFEST).unwrap_or_default();
    assert!(
        committed == generated,
        "manifests/crd.yaml differs from the CRD the code generates; regenerate it with \
         `UPDATE_CRD=1 cargo test -p scribe-operator committed_manifest` (or `scribe crd`)"
    );
}

#[test]
fn the_yaml_reads_back_as_the_same_crd() {
    let parsed: k8s_openapi::apiextensions_apiserver::pkg::apis::apiextensions::v1::CustomResourceDefinition =
        serde_saphyr::from_str(&crd_yaml()).expect("the YAML parses");
    assert_eq!(
        serde_json::to_value(parsed).expect("JSON"),
        serde_json::to_value(TranscriptionBot::crd()).expect("JSON")
    );
}

#[test]
fn names_columns_and_subresources() {
    let crd = TranscriptionBot::crd();
    assert_eq!(
        crd.metadata.name.as_deref(),
        Some("transcriptionbots.scribe.dev")
    );
    assert_eq!(crd.spec.scope, "Namespaced");
    assert_eq!(crd.spec.names.short_names, Some(vec!["tbot".to_owned()]));
    assert_eq!(crd.spec.names.categories, Some(vec!["scribe".to_owned()]));
    let version = &crd.spec.versions[0];
    assert_eq!(version.name, "v1alpha1");
    assert!(
        version
            .subresources
            .as_ref()
            .is_some_and(|s| s.status.is_some())
    );
    let columns: Vec<&str> = version
        .additional_printer_columns
        .iter()
        .flatten()
        .map(|c| c.name.as_str())
        .collect();
    assert_eq!(
        columns,
        ["Ready", "Reason", "Webhook", "Workers", "Age", "Message"]
    );
    // The message is for `-o wide` only.
    let wide: Vec<&str> = version
        .additional_printer_columns
        .iter()
        .flatten()
        .filter(|c| c.priority == Some(1))
        .map(|c| c.name.as_str())
        .collect();
    assert_eq!(wide, ["Message"]);
}

/// Every field of the spec has a description (`kubectl explain`), ours and the Kubernetes
/// types' alike.
#[test]
fn every_spec_field_is_described() {
    fn walk(schema: &Value, path: &str, missing: &mut Vec<String>) {
        let Some(properties) = schema["properties"].as_object() else {
            if let Some(items) = schema.get("items") {
                walk(items, &format!("{path}[]"), missing);
            }
            if let Some(values) = schema.get("additionalProperties").filter(|v| v.is_object()) {
                walk(values, &format!("{path}{{}}"), missing);
            }
            return;
        };
        for (name, field) in properties {
            let path = format!("{path}.{name}");
            let described = field["description"]
                .as_str()
                .is_some_and(|d| !d.trim().is_empty());
            if !described {
                missing.push(path.clone());
            }
            walk(field, &path, missing);
        }
    }
    let mut missing = Vec::new();
    walk(at(&schema(), &["spec"]), "spec", &mut missing);
    assert!(
        missing.is_empty(),
        "fields without a description: {missing:#?}"
    );
}

#[test]
fn credential_refs_are_required_and_non_empty() {
    let s = schema();
    let spec = at(&s, &["spec"]);
    for field in ["telegram", "rabbitmq", "database"] {
        assert!(
            required(spec).contains(&field),
            "spec.{field} must be required"
        );
    }
    // DashScope only while a slot uses it (a CEL rule says when).
    assert!(!required(spec).contains(&"dashscope"));
    assert!(required(at(&s, &["spec", "telegram"])).contains(&"tokenSecretRef"));
    assert!(required(at(&s, &["spec", "telegram"])).contains(&"publicUrl"));
    for path in [
        &["spec", "telegram", "tokenSecretRef"][..],
        &["spec", "dashscope", "apiKeySecretRef"],
        &["spec", "rabbitmq", "urlSecretRef"],
        &["spec", "database", "urlSecretRef"],
    ] {
        let r = at(&s, path);
        assert_eq!(required(r), ["key", "name"], "{path:?}");
        assert_eq!(r["properties"]["name"]["minLength"], json!(1));
        assert_eq!(r["properties"]["key"]["minLength"], json!(1));
    }
}

fn range(s: &Value, path: &[&str]) -> (f64, f64) {
    let f = at(s, path);
    (
        f["minimum"].as_f64().expect("minimum"),
        f["maximum"].as_f64().expect("maximum"),
    )
}

#[test]
fn ranges_defaults_and_enums() {
    let s = schema();
    assert_eq!(range(&s, &["spec", "webhook", "replicas"]), (1.0, 20.0));
    assert_eq!(
        at(&s, &["spec", "webhook", "replicas"])["default"],
        json!(2)
    );
    assert_eq!(range(&s, &["spec", "worker", "concurrency"]), (1.0, 64.0));
    assert_eq!(
        at(&s, &["spec", "worker", "concurrency"])["default"],
        json!(2)
    );
    assert_eq!(
        at(&s, &["spec", "worker", "shutdownGraceSeconds"])["default"],
        json!(60)
    );
    assert_eq!(
        range(&s, &["spec", "billing", "trialMinutes"]),
        (0.0, 600.0)
    );
    let auto = ["spec", "worker", "autoscaling"];
    assert_eq!(
        range(&s, &[&auto[..], &["minReplicas"]].concat()),
        (1.0, 100.0)
    );
    assert_eq!(
        range(&s, &[&auto[..], &["maxReplicas"]].concat()),
        (1.0, 100.0)
    );
    assert_eq!(
        range(&s, &[&auto[..], &["targetQueueLength"]].concat()),
        (1.0, 1000.0)
    );
    let region = at(&s, &["spec", "dashscope", "region"]);
    assert_eq!(region["enum"], json!(["intl", "cn", "us"]));
    assert_eq!(region["default"], json!("intl"));
    assert_eq!(
        at(&s, &["spec", "dashscope", "asrModel"])["default"],
        json!("qwen3-asr-flash")
    );
    assert_eq!(
        at(&s, &["spec", "dashscope", "llmModel"])["default"],
        json!("qwen-plus")
    );
    // The fallback model depends on its provider: the operator fills it in.
    assert!(at(&s, &["spec", "fallback", "model"])["default"].is_null());
    assert_eq!(
        at(&s, &["spec", "worker", "tempStorage"])["default"],
        json!("2Gi")
    );
    assert_eq!(at(&s, &["spec", "suspend"])["default"], json!(false));
    assert_eq!(
        at(&s, &["spec", "billing", "trialMode"])["enum"],
        json!(["auto", "review", "off"])
    );
    assert_eq!(
        at(&s, &["spec", "reports", "enabled"])["default"],
        json!(true)
    );
    assert_eq!(
        at(&s, &["spec", "reports", "dailySchedule"])["default"],
        json!("0 8 * * *")
    );
    assert_eq!(
        at(&s, &["spec", "botName"])["pattern"],
        json!("^[a-z0-9-]{1,40}$")
    );
}

/// No floats and no unsigned integers anywhere in the spec (API conventions).
#[test]
fn spec_has_no_floats_or_unsigned_integers() {
    fn walk(v: &Value, path: &str) {
        match v {
            Value::Object(map) => {
                if map.get("type") == Some(&json!("number")) {
                    panic!("{path} is a float");
                }
                if let Some(format) = map.get("format").and_then(Value::as_str) {
                    assert!(!format.starts_with("uint"), "{path} is unsigned ({format})");
                }
                for (k, child) in map {
                    walk(child, &format!("{path}.{k}"));
                }
            }
            Value::Array(items) => items.iter().for_each(|i| walk(i, path)),
            _ => {}
        }
    }
    walk(at(&schema(), &["spec"]), "spec");
}

#[test]
fn cel_rules_are_in_the_schema() {
    let s = schema();
    assert!(rules(at(&s, &["spec", "botName"])).contains(&"self == oldSelf"));
    assert!(rules(at(&s, &["spec"])).contains(&"has(self.botName) == has(oldSelf.botName)"));
    assert!(
        rules(at(&s, &["spec", "worker", "autoscaling"]))
            .contains(&"self.minReplicas <= self.maxReplicas")
    );
    assert!(rules(at(&s, &["spec", "telegram", "publicUrl"])).contains(&"isURL(self)"));
    assert_eq!(rules(&s).len(), 2, "root rules: bot name and name length");
    assert_eq!(
        rules(at(&s, &["spec"])).len(),
        4,
        "botName, DashScope, Gemini, chat server"
    );
    let conditions = at(&s, &["status", "conditions"]);
    assert_eq!(conditions["x-kubernetes-list-type"], json!("map"));
    assert_eq!(conditions["x-kubernetes-list-map-keys"], json!(["type"]));
}

fn object(name: &str, spec_patch: Value) -> Value {
    let mut spec = json!({
        "telegram": {
            "tokenSecretRef": {"name": "bot", "key": "token"},
            "publicUrl": "https://bot.example.com",
        },
        "dashscope": {"apiKeySecretRef": {"name": "bot", "key": "dashscope"}},
        "rabbitmq": {"urlSecretRef": {"name": "bot", "key": "amqp"}},
        "database": {"urlSecretRef": {"name": "bot", "key": "database"}},
    });
    merge(&mut spec, spec_patch);
    json!({
        "apiVersion": "scribe.dev/v1alpha1",
        "kind": "TranscriptionBot",
        "metadata": {"name": name, "namespace": "bots"},
        "spec": spec,
    })
}

/// A JSON merge patch: `null` removes a field.
fn merge(target: &mut Value, patch: Value) {
    match (target, patch) {
        (Value::Object(t), Value::Object(p)) => {
            for (k, v) in p {
                if v.is_null() {
                    t.remove(&k);
                } else {
                    merge(t.entry(k).or_insert(Value::Null), v);
                }
            }
        }
        (t, p) => *t = p,
    }
}

fn rejects(spec_patch: Value, expected: &str) {
    let err = validate(&object("voice", spec_patch.clone()), None)
        .expect_err(&format!("{spec_patch} must be rejected"));
    assert!(err.contains(expected), "{spec_patch}: {err}");
}

fn accepts(spec_patch: Value) {
    validate(&object("voice", spec_patch.clone()), None)
        .unwrap_or_else(|e| panic!("{spec_patch} must be accepted: {e}"));
}

fn validate(new: &Value, old: Option<&Value>) -> Result<(), String> {
    Validator::new()
        .validate(&schema(), new, old)
        .map_err(|errors| {
            errors
                .iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>()
                .join("; ")
        })
}

#[test]
fn a_minimal_bot_is_valid_and_deserializes_with_defaults() {
    let bot = object("voice", json!({}));
    validate(&bot, None).expect("valid");
    validate(&bot, Some(&bot)).expect("valid update");
    let typed: TranscriptionBot = serde_json::from_value(bot).expect("typed");
    assert_eq!(typed.spec.webhook.replicas, 2);
    assert_eq!(typed.spec.worker.concurrency, 2);
    assert_eq!(
        typed.spec.dashscope.as_ref().map(|d| d.region),
        Some(Region::Intl)
    );
    assert!(typed.spec.reports.enabled);
    assert_eq!(typed.bot_name(), "voice");
}

#[test]
fn autoscaling_min_above_max_is_rejected() {
    let bad = object(
        "voice",
        json!({"worker": {"autoscaling": {"enabled": true, "minReplicas": 5, "maxReplicas": 2}}}),
    );
    let err = validate(&bad, None).expect_err("min > max");
    assert!(
        err.contains("minReplicas must not exceed maxReplicas"),
        "{err}"
    );
    let good = object(
        "voice",
        json!({"worker": {"autoscaling": {"enabled": true, "minReplicas": 0, "maxReplicas": 2}}}),
    );
    validate(&good, None).expect("min <= max");
}

#[test]
fn bot_name_is_immutable() {
    let old = object("voice", json!({"botName": "voice-a"}));
    let changed = object("voice", json!({"botName": "voice-b"}));
    let err = validate(&changed, Some(&old)).expect_err("changed botName");
    assert!(err.contains("botName is immutable"), "{err}");

    let unset = object("voice", json!({}));
    let err = validate(&old, Some(&unset)).expect_err("added botName");
    assert!(err.contains("cannot be added or removed"), "{err}");
    validate(&old, Some(&old)).expect("unchanged botName");
}

#[test]
fn object_names_must_make_a_bot_name_or_set_one() {
    let err = validate(&object("Voice.Bot", json!({})), None).expect_err("bad name");
    assert!(err.contains("set spec.botName"), "{err}");
    validate(&object("voice.bot", json!({"botName": "voice"})), None).expect("botName set");
    let long = "a".repeat(46);
    let err = validate(&object(&long, json!({"botName": "voice"})), None).expect_err("long");
    assert!(err.contains("at most 45"), "{err}");
}

#[test]
fn public_url_must_be_a_url() {
    let err = validate(
        &object("voice", json!({"telegram": {"publicUrl": "https://"}})),
        None,
    )
    .expect_err("not a URL");
    assert!(err.contains("publicUrl must be an https URL"), "{err}");
}

/// A bot without DashScope: every slot on another provider.
fn self_hosted() -> Value {
    json!({
        "dashscope": null,
        "asr": {"provider": "openai", "model": "whisper-large-v3",
                "openai": {"baseUrl": "http://whisper.ai:8000"}},
        "llm": {"provider": "openai", "model": "qwen2.5",
                "openai": {"baseUrl": "http://vllm.ai:8000"}},
    })
}

#[test]
fn dashscope_is_required_only_while_a_slot_uses_it() {
    let mut spec = self_hosted();
    accepts(spec.clone());
    // The spec without DashScope where the recogniser defaults to it.
    rejects(json!({"dashscope": null}), "spec.dashscope is required");
    spec["asr"]["provider"] = json!("dashscope");
    rejects(spec.clone(), "spec.dashscope is required");
    let mut spec = self_hosted();
    spec["fallback"] = json!({"provider": "dashscope", "model": "qwen-max"});
    rejects(spec, "spec.dashscope is required");
    // Providers need their settings.
    rejects(
        json!({"asr": {"provider": "openai"}}),
        "provider openai needs openai.baseUrl and model",
    );
    rejects(
        json!({"llm": {"provider": "gemini"}}),
        "provider openai or gemini needs model",
    );
}

#[test]
fn gemini_and_the_chat_server_are_required_by_the_slots_that_use_them() {
    rejects(
        json!({"llm": {"provider": "gemini", "model": "gemini-2.5-pro"}}),
        "set spec.gemini.apiKeySecretRef",
    );
    accepts(json!({
        "llm": {"provider": "gemini", "model": "gemini-2.5-pro"},
        "gemini": {"apiKeySecretRef": {"name": "bot", "key": "gemini"}},
    }));
    // The old spelling of the Gemini key still counts.
    accepts(
        json!({"fallback": {"provider": "gemini", "apiKeySecretRef": {"name": "bot", "key": "gemini"}}}),
    );
    rejects(
        json!({"fallback": {"provider": "openai", "model": "qwen2.5"}}),
        "uses the chat server of spec.llm.openai",
    );
    rejects(json!({"fallback": {"provider": "openai"}}), "needs model");
}

#[test]
fn a_plain_http_bot_api_must_be_marked_as_a_local_server() {
    rejects(
        json!({"telegram": {"apiUrl": "http://attacker.example.com"}}),
        "apiUrl must be https unless localServer",
    );
    accepts(
        json!({"telegram": {"apiUrl": "http://telegram-bot-api.bots.svc:8081", "localServer": {}}}),
    );
    accepts(json!({"telegram": {"apiUrl": "https://tg-proxy.example.com"}}));
    rejects(json!({"telegram": {"localServer": {}}}), "set apiUrl");
    // The files root is absolute (a schema pattern: the API server checks it, not CEL).
    let s = schema();
    let root = at(&s, &["spec", "telegram", "localServer", "files", "root"]);
    assert_eq!(root["pattern"], json!("^/[-_.a-zA-Z0-9/]+$"));
}

#[test]
fn extra_env_cannot_redirect_the_token() {
    for component in ["webhook", "worker"] {
        rejects(
            json!({component: {"extraEnv": [{"name": settings::TELEGRAM_API_URL, "value": "http://attacker.example.com"}]}}),
            "extraEnv cannot set TELEGRAM_API_URL",
        );
    }
    accepts(json!({"worker": {"extraEnv": [{"name": "RUST_BACKTRACE", "value": "1"}]}}));
}

#[test]
fn a_webhook_budget_must_leave_a_pod_to_evict_and_routes_need_a_parent() {
    rejects(
        json!({"webhook": {"replicas": 2, "podDisruptionBudget": {"enabled": true, "minAvailable": 2}}}),
        "minAvailable must be below replicas",
    );
    // The default replicas (2) count too.
    rejects(
        json!({"webhook": {"podDisruptionBudget": {"enabled": true, "minAvailable": 2}}}),
        "minAvailable must be below replicas",
    );
    accepts(
        json!({"webhook": {"replicas": 3, "podDisruptionBudget": {"enabled": true, "minAvailable": 2}}}),
    );
    accepts(
        json!({"webhook": {"replicas": 1, "podDisruptionBudget": {"enabled": false, "minAvailable": 1}}}),
    );
    rejects(
        json!({"webhook": {"httpRoute": {"enabled": true}}}),
        "needs at least one parentRef",
    );
    rejects(
        json!({"webhook": {"httpRoute": {"enabled": true, "parentRefs": []}}}),
        "needs at least one parentRef",
    );
    accepts(
        json!({"webhook": {"httpRoute": {"enabled": true, "parentRefs": [{"name": "public"}]}}}),
    );
}

#[test]
fn fallback_replicas_lie_between_the_bounds_and_scratch_space_is_a_quantity() {
    rejects(
        json!({"worker": {"autoscaling": {"enabled": true, "minReplicas": 2, "maxReplicas": 4, "fallbackReplicas": 5}}}),
        "fallbackReplicas must lie between",
    );
    accepts(
        json!({"worker": {"autoscaling": {"enabled": true, "minReplicas": 2, "maxReplicas": 4, "fallbackReplicas": 3}}}),
    );
    // A quantity in bytes or binary units (a schema pattern, checked by the API server).
    let s = schema();
    let temp = at(&s, &["spec", "worker", "tempStorage"]);
    assert_eq!(temp["pattern"], json!("^[1-9][0-9]*(Ki|Mi|Gi|Ti)?$"));
    accepts(json!({"worker": {"tempStorage": "512Mi"}}));
}

#[test]
fn a_pause_is_spelled_by_spec_or_annotation() {
    let mut bot: TranscriptionBot =
        serde_json::from_value(object("voice", json!({}))).expect("typed");
    assert_eq!(bot.paused_by(), None);
    bot.metadata.annotations =
        Some([(RECONCILE_ANNOTATION.to_owned(), "enabled".to_owned())].into());
    assert_eq!(bot.paused_by(), None);
    bot.metadata.annotations = Some(
        [(
            RECONCILE_ANNOTATION.to_owned(),
            RECONCILE_DISABLED.to_owned(),
        )]
        .into(),
    );
    assert!(bot.paused_by().is_some_and(|w| w.contains("annotation")));
    bot.spec.suspend = true;
    assert!(bot.paused_by().is_some_and(|w| w.contains("spec.suspend")));
}

/// The committed examples pass the CRD's CEL rules (the schema itself: tests/chart.rs).
#[test]
fn the_example_manifests_pass_the_cel_rules() {
    for example in ["minimal", "production", "self-hosted"] {
        let path = format!(
            "{}/../manifests/examples/{example}.yaml",
            env!("CARGO_MANIFEST_DIR")
        );
        let text = std::fs::read_to_string(&path).expect("an example");
        let object: Value = serde_saphyr::from_str(&text).expect("YAML");
        validate(&object, None).unwrap_or_else(|e| panic!("{example}: {e}"));
        let _: TranscriptionBot = serde_json::from_value(object).expect("typed");
    }
}
