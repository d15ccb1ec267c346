//! `docs/configuration.md` is generated from the code — every environment setting of every
//! process and every field of the TranscriptionBot CRD — and this test fails when the committed
//! file differs. `SCRIBE_BLESS=1 cargo test --test docs` rewrites it.

use std::fmt::Write as _;

use serde_json::Value;

const PATH: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/docs/configuration.md");

/// Fields whose insides are standard Kubernetes types (documented upstream), not ours.
const UPSTREAM: &[&str] = &[
    "resources",
    "affinity",
    "tolerations",
    "topologySpreadConstraints",
    "imagePullSecrets",
    "extraEnv",
    "parentRefs",
    "nodeSelector",
    "podAnnotations",
    "podLabels",
    "annotations",
];

fn cell(text: &str) -> String {
    text.replace('|', "\\|").replace('\n', " ")
}

fn fields(out: &mut Vec<(String, String, String)>, path: &str, schema: &Value) {
    let Some(properties) = schema.get("properties").and_then(Value::as_object) else {
        return;
    };
    let required: Vec<&str> = schema
        .get("required")
        .and_then(Value::as_array)
        .map(|r| r.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default();
    for (name, field) in properties {
        let full = if path.is_empty() {
            name.clone()
        } else {
            format!("{path}.{name}")
        };
        let mut kind = field
            .get("type")
            .and_then(Value::as_str)
            .unwrap_or("object")
            .to_owned();
        if let Some(values) = field.get("enum").and_then(Value::as_array) {
            let names: Vec<String> = values
                .iter()
                .filter_map(Value::as_str)
                .map(|v| format!("`{v}`"))
                .collect();
            kind = format!("{kind}: {}", names.join(", "));
        }
        if let Some(default) = field.get("default") {
            kind = format!("{kind} (default `{default}`)");
        }
        if required.contains(&name.as_str()) {
            kind = format!("{kind}, required");
        }
        let doc = field
            .get("description")
            .and_then(Value::as_str)
            .unwrap_or_default();
        out.push((full.clone(), kind, cell(doc)));
        if UPSTREAM.contains(&name.as_str()) {
            continue;
        }
        fields(out, &full, field);
        if let Some(items) = field.get("items") {
            fields(out, &format!("{full}[]"), items);
        }
    }
}

fn generate() -> String {
    let mut md = String::from(
        "# Configuration\n\n\
         Generated from the code by `tests/docs.rs` (`SCRIBE_BLESS=1 cargo test --test docs` rewrites it);\n\
         the test fails when this file and the code disagree.\n\n\
         ## Environment\n\n\
         Every process reads its settings from the environment. At start-up each missing or invalid\n\
         setting is reported on its own line and the process exits with status 2. Secrets (tokens,\n\
         keys, URLs with passwords) are never logged.\n\n\
         | variable | default | read by | meaning |\n|---|---|---|---|\n",
    );
    for s in scribe_core::config::SETTINGS
        .iter()
        .chain(scribe_operator::SETTINGS)
    {
        let default = if s.default.is_empty() {
            "—".to_owned()
        } else {
            format!("`{}`", s.default)
        };
        let _ = writeln!(
            md,
            "| `{}` | {default} | {} | {} |",
            s.name,
            s.used_by,
            cell(s.doc)
        );
    }
    let crd: Value = serde_saphyr::from_str(&scribe_operator::crd_yaml()).expect("the CRD is YAML");
    let schema = &crd["spec"]["versions"][0]["schema"]["openAPIV3Schema"]["properties"]["spec"];
    let mut rows = Vec::new();
    fields(&mut rows, "spec", schema);
    md.push_str(
        "\n## TranscriptionBot (`scribe.dev/v1alpha1`)\n\n\
         The operator turns these fields into the settings above for the bot's pods. Credentials are\n\
         only ever references to Secrets (`…SecretRef`: `name` and `key` in the bot's namespace).\n\
         Fields of standard Kubernetes types (resources, affinity, tolerations, …) follow the\n\
         Kubernetes API reference.\n\n\
         | field | type | meaning |\n|---|---|---|\n",
    );
    for (path, kind, doc) in rows {
        let _ = writeln!(md, "| `{path}` | {kind} | {doc} |");
    }
    md
}

#[test]
fn the_configuration_reference_matches_the_code() {
    let generated = generate();
    if std::env::var_os("SCRIBE_BLESS").is_some() {
        std::fs::write(PATH, &generated).expect("write docs/configuration.md");
    }
    let committed = std::fs::read_to_string(PATH).unwrap_or_default();
    assert!(
        committed == generated,
        "docs/configuration.md is stale: run `SCRIBE_BLESS=1 cargo test --test docs` and commit it"
    );
    for must in [
        "`TELEGRAM_BOT_TOKEN`",
        "`WATCH_NAMESPACES`",
        "`spec.telegram.tokenSecretRef`",
        "`spec.worker.autoscaling.maxReplicas`",
    ] {
        assert!(generated.contains(must), "{must} is documented");
    }
}
