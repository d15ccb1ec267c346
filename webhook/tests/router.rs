//! The webhook's status contract, in process: requests go through `http::router` with
//! `oneshot` (no socket), against a queue that records what it is given and can be told to fail
//! or never confirm. Each status has its reason in `updates_rejected`; only a 200 publishes.
//! The same contract end to end, over real RabbitMQ, is in the workspace's `tests/cluster.rs`.

use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use async_trait::async_trait;
use axum::body::Body;
use axum::http::{Request, StatusCode};
use scribe_core::Secret;
use scribe_core::metrics::Metrics;
use scribe_queue::{Deliveries, Message, Queue, QueueName};
use scribe_webhook::http::{PATH, SECRET_HEADER, Webhook, router};
use tower::ServiceExt;

const SECRET: &str = "s3cret-Token_1";
const MAX_BODY: usize = 256;
const CONFIRM_TIMEOUT: Duration = Duration::from_secs(5);
/// What the broker's error says in the failing case: internals a client must never see.
const BROKER_DETAIL: &str = "amqp://scribe:hunter2@rabbitmq.internal:5672 connection reset";

/// What the queue does with a publish.
#[derive(Debug, Clone, Copy)]
enum Broker {
    Confirms,
    Fails,
    NeverConfirms,
}

/// A queue that records every publish it is asked for.
struct RecordingQueue {
    broker: Broker,
    published: Mutex<Vec<(QueueName, Message)>>,
}

impl RecordingQueue {
    fn published(&self) -> Vec<(QueueName, Message)> {
        self.published
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }
}

#[async_trait]
impl Queue for RecordingQueue {
    async fn publish(&self, queue: QueueName, message: Message) -> scribe_queue::Result<()> {
        self.published
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .push((queue, message));
        match self.broker {
            Broker::Confirms => Ok(()),
            Broker::Fails => Err(scribe_queue::Error::Broker(Box::new(
                std::io::Error::other(BROKER_DETAIL),
            ))),
            Broker::NeverConfirms => std::future::pending().await,
        }
    }

    async fn publish_after(
        &self,
        _queue: QueueName,
        _message: Message,
        _delay: Duration,
    ) -> scribe_queue::Result<()> {
        panic!("the webhook publishes updates at once, never delayed")
    }

    async fn consume(&self, _queue: QueueName, _prefetch: u16) -> scribe_queue::Result<Deliveries> {
        Ok(Box::pin(futures::stream::empty()))
    }

    async fn depth(&self, _queue: QueueName) -> scribe_queue::Result<u64> {
        Ok(0)
    }

    async fn dead_letters(&self) -> scribe_queue::Result<u64> {
        Ok(0)
    }

    async fn ready(&self) -> bool {
        true
    }
}

/// A webhook over a recording queue, with its metrics.
struct Harness {
    queue: Arc<RecordingQueue>,
    metrics: Metrics,
    webhook: Webhook,
}

impl Harness {
    fn new(broker: Broker) -> Harness {
        let queue = Arc::new(RecordingQueue {
            broker,
            published: Mutex::new(Vec::new()),
        });
        let (metrics, _registry) = Metrics::new("test_bot");
        let webhook = Webhook {
            queue: queue.clone(),
            secret: Secret::new(SECRET),
            max_body_bytes: MAX_BODY,
            confirm_timeout: CONFIRM_TIMEOUT,
            metrics: metrics.clone(),
        };
        Harness {
            queue,
            metrics,
            webhook,
        }
    }

    /// Posts `body` with `secret` (none: no header) and returns the status and body.
    async fn post(&self, secret: Option<&str>, body: impl Into<Body>) -> (StatusCode, Vec<u8>) {
        let mut request = Request::post(PATH).header("content-type", "application/json");
        if let Some(secret) = secret {
            request = request.header(SECRET_HEADER, secret);
        }
        let request = request.body(body.into()).expect("a valid request");
        self.send(request).await
    }

    async fn send(&self, request: Request<Body>) -> (StatusCode, Vec<u8>) {
        let response = router(self.webhook.clone())
            .oneshot(request)
            .await
            .expect("the router is infallible");
        let status = response.status();
        let body = axum::body::to_bytes(response.into_body(), usize::MAX)
            .await
            .expect("a readable response body");
        (status, body.to_vec())
    }

    fn rejected(&self, reason: &'static str) -> u64 {
        self.metrics
            .updates_rejected
            .get_or_create(&[("reason", reason)])
            .get()
    }

    /// Every `updates_rejected` count, by reason, in a fixed order.
    fn rejections(&self) -> [(&'static str, u64); 5] {
        REASONS.map(|reason| (reason, self.rejected(reason)))
    }
}

const REASONS: [&str; 5] = [
    "secret",
    "too_large",
    "malformed",
    "broker",
    "confirm_timeout",
];

/// The counts a harness should show after exactly one rejection for `reason`.
fn one_rejection(reason: &str) -> [(&'static str, u64); 5] {
    REASONS.map(|r| (r, u64::from(r == reason)))
}

fn json(body: &[u8]) -> serde_json::Value {
    serde_json::from_slice(body).expect("a JSON body")
}

fn update(update_id: i64) -> Vec<u8> {
    serde_json::to_vec(&serde_json::json!({
        "update_id": update_id,
        "message": {"message_id": 1, "chat": {"id": 5, "type": "private"}, "text": "hi"}
    }))
    .expect("serialisable")
}

/// A valid update of exactly `len` bytes.
fn update_of_len(len: usize) -> Vec<u8> {
    let shell = br#"{"update_id":1,"pad":""}"#.len();
    let body = format!(r#"{{"update_id":1,"pad":"{}"}}"#, "x".repeat(len - shell));
    assert_eq!(body.len(), len);
    body.into_bytes()
}

#[tokio::test]
async fn a_good_update_is_published_verbatim_with_a_trace_id_and_answered_200() {
    let hook = Harness::new(Broker::Confirms);
    let body = update(41);
    let (status, answer) = hook.post(Some(SECRET), body.clone()).await;
    assert_eq!(status, StatusCode::OK);
    assert!(answer.is_empty(), "{}", String::from_utf8_lossy(&answer));
    let published = hook.queue.published();
    assert_eq!(published.len(), 1);
    let (queue, message) = &published[0];
    assert_eq!(*queue, QueueName::Updates);
    assert_eq!(message.payload, body, "the body is forwarded byte for byte");
    assert_eq!(message.trace_id.len(), 32, "{}", message.trace_id);
    assert!(message.trace_id.bytes().all(|b| b.is_ascii_hexdigit()));
    assert_eq!(hook.rejections(), REASONS.map(|r| (r, 0)));
    assert_eq!(
        hook.metrics
            .updates_received
            .get_or_create(&[("kind", "webhook")])
            .get(),
        1
    );

    // Every update gets its own trace id.
    let (status, _) = hook.post(Some(SECRET), update(42)).await;
    assert_eq!(status, StatusCode::OK);
    let published = hook.queue.published();
    assert_eq!(published.len(), 2);
    assert_ne!(published[0].1.trace_id, published[1].1.trace_id);
}

#[tokio::test]
async fn a_missing_or_wrong_secret_is_401_and_publishes_nothing() {
    let longer = format!("{SECRET}x");
    let upper = SECRET.to_uppercase();
    let cases: [Option<&str>; 6] = [
        None,
        Some(""),
        Some("wrong"),
        Some(&SECRET[..SECRET.len() - 1]),
        Some(&longer),
        Some(&upper),
    ];
    for secret in cases {
        let hook = Harness::new(Broker::Confirms);
        let (status, body) = hook.post(secret, update(1)).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "{secret:?}");
        assert_eq!(
            json(&body),
            serde_json::json!({"ok": false, "description": "missing or wrong secret token"})
        );
        assert!(hook.queue.published().is_empty(), "{secret:?}");
        assert_eq!(hook.rejections(), one_rejection("secret"), "{secret:?}");
    }
}

#[tokio::test]
async fn the_secret_is_checked_before_the_body_is_read() {
    let hook = Harness::new(Broker::Confirms);
    let (status, _) = hook.post(Some("wrong"), vec![b'x'; MAX_BODY * 4]).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(hook.rejections(), one_rejection("secret"));
}

#[tokio::test]
async fn a_body_over_the_limit_is_413_and_one_at_the_limit_is_taken() {
    let hook = Harness::new(Broker::Confirms);
    let (status, body) = hook.post(Some(SECRET), update_of_len(MAX_BODY + 1)).await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(
        json(&body),
        serde_json::json!({"ok": false, "description": format!("body larger than {MAX_BODY} bytes")})
    );
    assert!(hook.queue.published().is_empty());
    assert_eq!(hook.rejections(), one_rejection("too_large"));

    let (status, _) = hook.post(Some(SECRET), update_of_len(MAX_BODY)).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(hook.queue.published().len(), 1);
}

#[tokio::test]
async fn a_streamed_body_over_the_limit_is_413() {
    // No Content-Length: the limit holds while the body is read, chunk by chunk.
    let hook = Harness::new(Broker::Confirms);
    let chunk = axum::body::Bytes::from_static(b"{\"a\":1}");
    let chunks =
        futures::stream::iter((0..MAX_BODY).map(move |_| Ok::<_, std::io::Error>(chunk.clone())));
    let (status, _) = hook.post(Some(SECRET), Body::from_stream(chunks)).await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE);
    assert!(hook.queue.published().is_empty());
    assert_eq!(hook.rejections(), one_rejection("too_large"));
}

#[tokio::test]
async fn a_body_that_is_not_an_update_is_400() {
    let cases: [(&[u8], &str); 8] = [
        (b"", "body is not an update: invalid JSON"),
        (b"{\"update_id\": 1", "body is not an update: invalid JSON"),
        (b"update_id=1", "body is not an update: invalid JSON"),
        (b"{}", "body is not an update: no update_id"),
        (b"[1, 2]", "body is not an update: no update_id"),
        (
            b"{\"update_id\": \"1\"}",
            "body is not an update: no update_id",
        ),
        (
            b"{\"update_id\": null}",
            "body is not an update: no update_id",
        ),
        (
            b"{\"update_id\": 1.5}",
            "body is not an update: no update_id",
        ),
    ];
    for (sent, description) in cases {
        let hook = Harness::new(Broker::Confirms);
        let (status, body) = hook.post(Some(SECRET), sent.to_vec()).await;
        let shown = String::from_utf8_lossy(sent);
        assert_eq!(status, StatusCode::BAD_REQUEST, "{shown}");
        assert_eq!(
            json(&body),
            serde_json::json!({"ok": false, "description": description}),
            "{shown}"
        );
        assert!(hook.queue.published().is_empty(), "{shown}");
        assert_eq!(hook.rejections(), one_rejection("malformed"), "{shown}");
    }
}

#[tokio::test]
async fn a_queue_error_is_503_without_the_brokers_words() {
    let hook = Harness::new(Broker::Fails);
    let (status, body) = hook.post(Some(SECRET), update(7)).await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(
        json(&body),
        serde_json::json!({"ok": false, "description": "temporarily unavailable"})
    );
    let text = String::from_utf8_lossy(&body);
    for internal in ["amqp", "hunter2", "rabbitmq", "reset", "broker"] {
        assert!(!text.contains(internal), "{text}");
    }
    assert_eq!(hook.queue.published().len(), 1, "the publish was attempted");
    assert_eq!(hook.rejections(), one_rejection("broker"));
}

#[tokio::test(start_paused = true)]
async fn a_queue_that_never_confirms_is_503_after_the_confirm_timeout() {
    let hook = Harness::new(Broker::NeverConfirms);
    let started = tokio::time::Instant::now();
    let (status, body) = hook.post(Some(SECRET), update(8)).await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
    assert!(
        started.elapsed() >= CONFIRM_TIMEOUT,
        "answered after {:?} of virtual time",
        started.elapsed()
    );
    assert_eq!(
        json(&body),
        serde_json::json!({"ok": false, "description": "temporarily unavailable"})
    );
    assert_eq!(hook.queue.published().len(), 1);
    assert_eq!(hook.rejections(), one_rejection("confirm_timeout"));
}

#[tokio::test]
async fn rejections_accumulate_by_reason() {
    let hook = Harness::new(Broker::Confirms);
    for _ in 0..3 {
        hook.post(None, update(1)).await;
    }
    for _ in 0..2 {
        hook.post(Some(SECRET), b"{}".to_vec()).await;
    }
    hook.post(Some(SECRET), update_of_len(MAX_BODY + 1)).await;
    hook.post(Some(SECRET), update(2)).await;
    assert_eq!(
        hook.rejections(),
        [
            ("secret", 3),
            ("too_large", 1),
            ("malformed", 2),
            ("broker", 0),
            ("confirm_timeout", 0)
        ]
    );
    assert_eq!(hook.queue.published().len(), 1);
}

#[tokio::test]
async fn only_a_post_to_the_webhook_path_is_served() {
    let hook = Harness::new(Broker::Confirms);
    let get = Request::get(PATH)
        .header(SECRET_HEADER, SECRET)
        .body(Body::empty())
        .expect("a valid request");
    assert_eq!(hook.send(get).await.0, StatusCode::METHOD_NOT_ALLOWED);
    let elsewhere = Request::post("/")
        .header(SECRET_HEADER, SECRET)
        .body(Body::from(update(1)))
        .expect("a valid request");
    assert_eq!(hook.send(elsewhere).await.0, StatusCode::NOT_FOUND);
    assert!(hook.queue.published().is_empty());
}
