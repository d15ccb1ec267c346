//! Test-only builders and a mock apiserver (tower-test) that checks each request of a scenario
//! in order — method, path, query, body — and answers as the apiserver would.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use http::{Method, Request, Response};
use k8s_openapi::ByteString;
use k8s_openapi::api::core::v1::Secret as K8sSecret;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{ObjectMeta, Time};
use k8s_openapi::jiff::Timestamp;
use kube::client::Body;
use kube::{Client, Resource};
use serde_json::{Value, json};
use tower_test::mock::{self, Handle, SendResponse};

use crate::controller::{Context, FINALIZER};
use crate::crd::{TranscriptionBot, TranscriptionBotStatus};
use crate::desired::{Apis, FIELD_MANAGER};
use crate::discovery::Discovery;
use crate::metrics::Metrics;

pub const NS: &str = "bots";
pub const NAME: &str = "voice";
pub const SECRETS: &str = "voice-secrets";
pub const IMAGE: &str = "registry.test/scribe:1";
pub const PUBLIC_URL: &str = "https://voice.example.com";
pub const TIMEOUT: Duration = Duration::from_secs(10);
/// The fake Telegram, as a local Bot API server Service of namespace NS (the test HTTP client
/// resolves this name to the fake).
pub const LOCAL_API_HOST: &str = "telegram-bot-api.bots.svc";

/// The fake's URL under [`LOCAL_API_HOST`].
pub fn local_api(fake: &scribe_fakes::telegram::FakeTelegram) -> String {
    fake.api_url().replace("127.0.0.1", LOCAL_API_HOST)
}

impl TranscriptionBot {
    /// A bot as the apiserver returns it: namespace, uid, generation 1, every credential in
    /// one Secret, Telegram at `api_url` (marked as a local Bot API server when it is http).
    pub fn test(api_url: &str) -> Self {
        let object = json!({
            "apiVersion": "scribe.dev/v1alpha1",
            "kind": "TranscriptionBot",
            "metadata": {
                "name": NAME,
                "namespace": NS,
                "uid": "6b1c3f5e-0000-4000-8000-000000000001",
                "generation": 1,
                "resourceVersion": "100",
            },
            "spec": {
                "telegram": {
                    "tokenSecretRef": {"name": SECRETS, "key": "token"},
                    "publicUrl": PUBLIC_URL,
                    "apiUrl": api_url,
                },
                "dashscope": {"apiKeySecretRef": {"name": SECRETS, "key": "dashscope"}},
                "rabbitmq": {
                    "urlSecretRef": {"name": SECRETS, "key": "amqp"},
                    "managementUrlSecretRef": {"name": SECRETS, "key": "management"},
                },
                "database": {"urlSecretRef": {"name": SECRETS, "key": "database"}},
                "admins": [42, 43],
            },
        });
        let mut bot: TranscriptionBot =
            serde_json::from_value(object).expect("a valid TranscriptionBot");
        if api_url.starts_with("http://") {
            bot.spec.telegram.local_server = Some(crate::crd::LocalServerSpec::default());
        }
        bot
    }

    pub fn finalized(mut self) -> Self {
        self.meta_mut().finalizers = Some(vec![FINALIZER.to_owned()]);
        self
    }

    pub fn deleting(mut self) -> Self {
        self.meta_mut().deletion_timestamp = Some(Time(Timestamp::now()));
        self
    }

    pub fn autoscaled(mut self) -> Self {
        self.spec.worker.autoscaling = Some(crate::crd::AutoscalingSpec {
            enabled: true,
            min_replicas: 1,
            max_replicas: 8,
            target_queue_length: 3,
            cooldown_seconds: 120,
            fallback_replicas: None,
        });
        self
    }

    pub fn with_status(mut self, status: TranscriptionBotStatus) -> Self {
        self.status = Some(status);
        self
    }
}

/// The referenced credentials Secret.
pub fn secrets(token: &str) -> K8sSecret {
    let data = [
        ("token", token),
        ("dashscope", "sk-dashscope"),
        ("amqp", "amqp://scribe:pw@rabbit:5672/%2f"),
        ("management", "http://keda:pw@rabbit:15672"),
        ("database", "postgres://scribe:pw@db/scribe"),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), ByteString(v.as_bytes().to_vec())))
    .collect();
    K8sSecret {
        metadata: ObjectMeta {
            name: Some(SECRETS.to_owned()),
            namespace: Some(NS.to_owned()),
            ..ObjectMeta::default()
        },
        data: Some(data),
        ..K8sSecret::default()
    }
}

/// A context whose client talks to the returned verifier.
pub fn context(apis: Apis) -> (Arc<Context>, ApiServerVerifier) {
    let (service, handle) = mock::pair::<Request<Body>, Response<Body>>();
    let client = Client::new(service, "default");
    scribe_core::http::install_crypto_provider();
    let http = reqwest::Client::builder()
        .timeout(Duration::from_secs(5))
        .resolve(LOCAL_API_HOST, ([127, 0, 0, 1], 0).into())
        .build()
        .expect("an HTTP client");
    let (metrics, _registry) = Metrics::new();
    let ctx = Context::new(
        client,
        http,
        metrics,
        IMAGE.to_owned(),
        Discovery::seeded(Duration::from_secs(3600), apis),
    );
    (Arc::new(ctx), ApiServerVerifier { handle })
}

/// One request, decoded.
pub struct Exchange {
    pub method: Method,
    pub path: String,
    pub query: BTreeMap<String, String>,
    pub content_type: String,
    pub body: Value,
    respond: SendResponse<Response<Body>>,
}

impl Exchange {
    pub fn reply(self, status: u16, body: &Value) {
        let bytes = serde_json::to_vec(body).expect("JSON");
        self.respond.send_response(
            Response::builder()
                .status(status)
                .header("content-type", "application/json")
                .body(Body::from(bytes))
                .expect("a response"),
        );
    }

    pub fn not_found(self) {
        let body = json!({
            "kind": "Status", "apiVersion": "v1", "metadata": {},
            "status": "Failure", "reason": "NotFound", "code": 404,
            "message": format!("{} not found", self.path),
        });
        self.reply(404, &body);
    }

    /// Asserts the single field manager (and `force` for server-side apply).
    pub fn assert_manager(&self, force: bool) {
        assert_eq!(
            self.query.get("fieldManager").map(String::as_str),
            Some(FIELD_MANAGER),
            "{} {} without the field manager",
            self.method,
            self.path
        );
        if force {
            assert_eq!(
                self.query.get("force").map(String::as_str),
                Some("true"),
                "{} is not forced",
                self.path
            );
        }
    }
}

/// The apiserver's refusal of one child's apply.
#[derive(Debug, Clone, Copy)]
pub struct Rejection<'a> {
    /// Path segment of the kind (`cronjobs`).
    pub resource: &'a str,
    /// Name suffix of the child (`daily`).
    pub suffix: &'a str,
    pub code: u16,
    /// The Status reason (`Invalid`).
    pub reason: &'a str,
    pub message: &'a str,
}

pub struct ApiServerVerifier {
    handle: Handle<Request<Body>, Response<Body>>,
}

fn bots_path() -> String {
    format!("/apis/scribe.dev/v1alpha1/namespaces/{NS}/transcriptionbots/{NAME}")
}

impl ApiServerVerifier {
    /// The next request, which operator/rbac.yaml must allow; panics if none comes in time.
    pub async fn next(&mut self) -> Exchange {
        let exchange = self.next_unchecked().await;
        assert_granted(&exchange);
        exchange
    }

    async fn next_unchecked(&mut self) -> Exchange {
        let (request, respond) = tokio::time::timeout(TIMEOUT, self.handle.next_request())
            .await
            .expect("the reconciler made no further request")
            .expect("the client is gone");
        let (parts, body) = request.into_parts();
        let bytes = body.collect_bytes().await.expect("a request body");
        let body = if bytes.is_empty() {
            Value::Null
        } else {
            serde_json::from_slice(&bytes).expect("a JSON body")
        };
        let query = parts
            .uri
            .query()
            .unwrap_or_default()
            .split('&')
            .filter(|p| !p.is_empty())
            .filter_map(|p| p.split_once('='))
            .map(|(k, v)| (k.to_owned(), v.to_owned()))
            .collect();
        Exchange {
            method: parts.method,
            path: parts.uri.path().to_owned(),
            query,
            content_type: parts
                .headers
                .get("content-type")
                .and_then(|v| v.to_str().ok())
                .unwrap_or_default()
                .to_owned(),
            body,
            respond,
        }
    }

    /// The next request, which must be `method path`.
    pub async fn expect(&mut self, method: Method, path: &str) -> Exchange {
        let exchange = self.next().await;
        assert_eq!(
            (&exchange.method, exchange.path.as_str()),
            (&method, path),
            "unexpected request"
        );
        exchange
    }

    pub async fn get_secrets(&mut self, secret: Option<&K8sSecret>) {
        let e = self
            .expect(
                Method::GET,
                &format!("/api/v1/namespaces/{NS}/secrets/{SECRETS}"),
            )
            .await;
        match secret {
            Some(s) => e.reply(200, &json!(s)),
            None => e.not_found(),
        }
    }

    /// GET of the generated token Secret: missing → answers the POST that creates it and
    /// returns the token; present → answers with it.
    pub async fn webhook_token(&mut self, existing: Option<&str>) -> String {
        let path = format!("/api/v1/namespaces/{NS}/secrets/{NAME}-webhook-token");
        let e = self.expect(Method::GET, &path).await;
        if let Some(token) = existing {
            let secret = json!({
                "apiVersion": "v1", "kind": "Secret",
                "metadata": {"name": format!("{NAME}-webhook-token"), "namespace": NS},
                "data": {"token": ByteString(token.as_bytes().to_vec())},
            });
            e.reply(200, &secret);
            return token.to_owned();
        }
        e.not_found();
        let create = self
            .expect(Method::POST, &format!("/api/v1/namespaces/{NS}/secrets"))
            .await;
        create.assert_manager(false);
        let secret: K8sSecret = serde_json::from_value(create.body.clone()).expect("a Secret");
        assert_eq!(secret.immutable, Some(true));
        assert_owned(&create.body);
        let token = secret
            .data
            .as_ref()
            .and_then(|d| d.get("token"))
            .map(|b| String::from_utf8(b.0.clone()).expect("UTF-8"))
            .expect("a token");
        let body = create.body.clone();
        create.reply(201, &body);
        token
    }

    /// An event about the bot; returns its reason. A repeat of a recent event is a PATCH of
    /// the same Event (an EventSeries).
    pub async fn event(&mut self) -> String {
        self.typed_event().await.1
    }

    /// An event about the bot, as its type (`Normal` or `Warning`) and its reason.
    pub async fn typed_event(&mut self) -> (String, String) {
        let e = self.next().await;
        let events = format!("/apis/events.k8s.io/v1/namespaces/{NS}/events");
        assert!(
            (e.method == Method::POST && e.path == events)
                || (e.method == Method::PATCH && e.path.starts_with(&events)),
            "expected an event, got {} {}",
            e.method,
            e.path
        );
        assert_eq!(e.body["regarding"]["name"], json!(NAME));
        let type_ = e.body["type"].as_str().unwrap_or_default().to_owned();
        let reason = e.body["reason"].as_str().unwrap_or_default().to_owned();
        let body = e.body.clone();
        e.reply(200, &body);
        (type_, reason)
    }

    pub async fn get_deployment(&mut self, suffix: &str, deployment: Option<&Value>) {
        let e = self
            .expect(
                Method::GET,
                &format!("/apis/apps/v1/namespaces/{NS}/deployments/{NAME}-{suffix}"),
            )
            .await;
        match deployment {
            Some(d) => e.reply(200, d),
            None => e.not_found(),
        }
    }

    /// GET of the worker ScaledObject.
    pub async fn get_scaled_object(&mut self, object: Option<&Value>) {
        let e = self
            .expect(
                Method::GET,
                &format!("/apis/keda.sh/v1alpha1/namespaces/{NS}/scaledobjects/{NAME}-worker"),
            )
            .await;
        match object {
            Some(o) => e.reply(200, o),
            None => e.not_found(),
        }
    }

    /// GET of the webhook HTTPRoute.
    pub async fn get_route(&mut self, object: Option<&Value>) {
        let e = self
            .expect(
                Method::GET,
                &format!(
                    "/apis/gateway.networking.k8s.io/v1/namespaces/{NS}/httproutes/{NAME}-webhook"
                ),
            )
            .await;
        match object {
            Some(o) => e.reply(200, o),
            None => e.not_found(),
        }
    }

    /// Server-side applies and deletes of the children, in order: `(path segment, name
    /// suffix, present)`. Returns the applied bodies by path segment and name.
    pub async fn children(&mut self, expected: &[(&str, &str, bool)]) -> BTreeMap<String, Value> {
        self.children_rejecting(expected, None).await
    }

    /// Like [`children`](Self::children), but the apiserver refuses the apply of
    /// `(path segment, name suffix)` with `(code, reason, message)`.
    pub async fn children_rejecting(
        &mut self,
        expected: &[(&str, &str, bool)],
        reject: Option<Rejection<'_>>,
    ) -> BTreeMap<String, Value> {
        let mut applied = BTreeMap::new();
        for (resource, suffix, present) in expected {
            let e = self.next().await;
            assert!(
                e.path
                    .ends_with(&format!("/namespaces/{NS}/{resource}/{NAME}-{suffix}")),
                "expected {resource}/{NAME}-{suffix}, got {} {}",
                e.method,
                e.path
            );
            if !*present {
                assert_eq!(e.method, Method::DELETE, "{}", e.path);
                e.not_found();
                continue;
            }
            assert_eq!(e.method, Method::PATCH, "{}", e.path);
            assert_eq!(e.content_type, "application/apply-patch+yaml");
            e.assert_manager(true);
            assert_owned(&e.body);
            if let Some(r) = reject.filter(|r| r.resource == *resource && r.suffix == *suffix) {
                let status = json!({
                    "kind": "Status", "apiVersion": "v1", "metadata": {},
                    "status": "Failure", "reason": r.reason, "code": r.code, "message": r.message,
                });
                e.reply(r.code, &status);
                continue;
            }
            let mut reply = e.body.clone();
            if *resource == "deployments" {
                reply["status"] = available(&reply);
            }
            applied.insert(format!("{resource}/{suffix}"), reply.clone());
            e.reply(200, &reply);
        }
        applied
    }

    /// The status patch; answers with the bot carrying it and returns the status.
    pub async fn status(&mut self, bot: &TranscriptionBot) -> TranscriptionBotStatus {
        let e = self
            .expect(Method::PATCH, &format!("{}/status", bots_path()))
            .await;
        e.assert_manager(true);
        assert_eq!(e.content_type, "application/apply-patch+yaml");
        assert_eq!(e.body["apiVersion"], json!("scribe.dev/v1alpha1"));
        assert_eq!(e.body["kind"], json!("TranscriptionBot"));
        let status: TranscriptionBotStatus =
            serde_json::from_value(e.body["status"].clone()).expect("a status");
        let reply = bot.clone().with_status(status.clone());
        e.reply(200, &json!(reply));
        status
    }

    /// The JSON patch adding the finalizer.
    pub async fn add_finalizer(&mut self, bot: &TranscriptionBot) {
        let e = self.expect(Method::PATCH, &bots_path()).await;
        e.assert_manager(false);
        assert_eq!(e.content_type, "application/json-patch+json");
        assert_eq!(
            e.body,
            json!([
                {"op": "test", "path": "/metadata/finalizers", "value": null},
                {"op": "add", "path": "/metadata/finalizers", "value": [FINALIZER]},
            ])
        );
        e.reply(200, &json!(bot.clone().finalized()));
    }

    /// The JSON patch removing the finalizer (at index 0).
    pub async fn remove_finalizer(&mut self, bot: &TranscriptionBot) {
        let e = self.expect(Method::PATCH, &bots_path()).await;
        e.assert_manager(false);
        assert_eq!(
            e.body,
            json!([
                {"op": "test", "path": "/metadata/finalizers/0", "value": FINALIZER},
                {"op": "remove", "path": "/metadata/finalizers/0"},
            ])
        );
        let mut gone = bot.clone();
        gone.meta_mut().finalizers = None;
        e.reply(200, &json!(gone));
    }
}

#[derive(serde::Deserialize)]
struct Rbac {
    rules: Vec<Rule>,
}

#[derive(serde::Deserialize)]
#[serde(rename_all = "camelCase")]
struct Rule {
    api_groups: Vec<String>,
    resources: Vec<String>,
    verbs: Vec<String>,
}

/// `(verb, API group, resource[/subresource])` of a request to the apiserver.
fn authorization(e: &Exchange) -> Option<(String, String, String)> {
    let parts: Vec<&str> = e.path.trim_start_matches('/').split('/').collect();
    let (group, rest) = match parts.as_slice() {
        ["api", _version, rest @ ..] => (String::new(), rest),
        ["apis", group, _version, rest @ ..] => ((*group).to_owned(), rest),
        _ => return None,
    };
    let rest = match rest {
        ["namespaces", _ns, rest @ ..] => rest,
        rest => rest,
    };
    let (resource, named) = match rest {
        [resource] => ((*resource).to_owned(), false),
        [resource, _name] => ((*resource).to_owned(), true),
        [resource, _name, sub] => (format!("{resource}/{sub}"), true),
        _ => return None,
    };
    let verb = match (&e.method, named) {
        (&Method::GET, true) => "get",
        (&Method::GET, false) if e.query.get("watch").is_some_and(|w| w == "true") => "watch",
        (&Method::GET, false) => "list",
        (&Method::POST, _) => "create",
        (&Method::PATCH, _) => "patch",
        (&Method::PUT, _) => "update",
        (&Method::DELETE, _) => "delete",
        _ => return None,
    };
    Some((verb.to_owned(), group, resource))
}

/// The operator's RBAC (operator/rbac.yaml) grants the request. The leader-election Lease is
/// granted by a Role of its own in the chart (templates/rbac.yaml), checked there.
fn assert_granted(e: &Exchange) {
    let Some((verb, group, resource)) = authorization(e) else {
        panic!("an unexpected request path: {} {}", e.method, e.path);
    };
    if group == "coordination.k8s.io" && resource == "leases" {
        return;
    }
    let text = include_str!("../rbac.yaml");
    let rbac: Rbac = serde_saphyr::from_str(text).expect("operator/rbac.yaml parses");
    let granted = rbac.rules.iter().any(|r| {
        r.api_groups.contains(&group) && r.resources.contains(&resource) && r.verbs.contains(&verb)
    });
    assert!(
        granted,
        "operator/rbac.yaml does not grant {verb} on {group}/{resource} ({} {})",
        e.method, e.path
    );
}

/// Every child carries exactly one controller owner reference: the bot.
pub fn assert_owned(body: &Value) {
    let refs = body["metadata"]["ownerReferences"]
        .as_array()
        .expect("owner references");
    assert_eq!(refs.len(), 1, "{body}");
    assert_eq!(refs[0]["kind"], json!("TranscriptionBot"));
    assert_eq!(refs[0]["name"], json!(NAME));
    assert_eq!(refs[0]["controller"], json!(true));
}

/// A Deployment status with every desired replica ready and the Available condition.
pub fn available(deployment: &Value) -> Value {
    let replicas = deployment["spec"]["replicas"].as_i64().unwrap_or(1);
    json!({
        "replicas": replicas,
        "readyReplicas": replicas,
        "availableReplicas": replicas,
        "conditions": [{"type": "Available", "status": "True"}],
    })
}

/// The children of a default bot (no KEDA, no Gateway API), in apply order.
pub const DEFAULT_CHILDREN: [(&str, &str, bool); 10] = [
    ("configmaps", "config", true),
    ("services", "webhook", true),
    ("deployments", "webhook", true),
    ("ingresses", "webhook", false),
    ("poddisruptionbudgets", "webhook", false),
    ("deployments", "worker", true),
    ("horizontalpodautoscalers", "worker", false),
    ("poddisruptionbudgets", "worker", false),
    ("cronjobs", "daily", true),
    ("cronjobs", "weekly", true),
];
