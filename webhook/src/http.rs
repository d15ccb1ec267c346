//! The HTTP webhook Telegram posts updates to. Stateless: no database, no outbound call but
//! RabbitMQ. An update is answered 200 only after the broker confirmed it durably; anything
//! that prevents that is a 503, so Telegram retries.

use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::Router;
use axum::body::Body;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use scribe_core::Secret;
use scribe_core::metrics::Metrics;
use scribe_core::telemetry::{chain, new_trace_id};
use scribe_queue::{Message, Queue, QueueName};
use subtle::ConstantTimeEq;
use tracing::Instrument;

pub const SECRET_HEADER: &str = "x-telegram-bot-api-secret-token";
/// Where Telegram posts updates.
pub const PATH: &str = "/telegram";

#[derive(Clone)]
pub struct Webhook {
    pub queue: Arc<dyn Queue>,
    pub secret: Secret,
    pub max_body_bytes: usize,
    pub confirm_timeout: Duration,
    pub metrics: Metrics,
}

/// Why an update was not accepted; each has one status.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("missing or wrong secret token")]
    Secret,
    #[error("body larger than {0} bytes")]
    TooLarge(usize),
    #[error("body is not an update: {0}")]
    Malformed(&'static str),
    #[error("the update could not be queued")]
    Unavailable(#[source] scribe_queue::Error),
    #[error("the broker did not confirm in time")]
    Timeout,
}

impl Error {
    fn status(&self) -> StatusCode {
        match self {
            Error::Secret => StatusCode::UNAUTHORIZED,
            Error::TooLarge(_) => StatusCode::PAYLOAD_TOO_LARGE,
            Error::Malformed(_) => StatusCode::BAD_REQUEST,
            Error::Unavailable(_) | Error::Timeout => StatusCode::SERVICE_UNAVAILABLE,
        }
    }

    /// Metrics label.
    fn reason(&self) -> &'static str {
        match self {
            Error::Secret => "secret",
            Error::TooLarge(_) => "too_large",
            Error::Malformed(_) => "malformed",
            Error::Unavailable(_) => "broker",
            Error::Timeout => "confirm_timeout",
        }
    }
}

impl IntoResponse for Error {
    fn into_response(self) -> Response {
        let status = self.status();
        if status.is_server_error() {
            tracing::error!(error = %chain(&self), "update not accepted");
        } else {
            tracing::debug!(error = %chain(&self), "update refused");
        }
        // Clients learn the class of the problem, never internals.
        let description = match &self {
            Error::Unavailable(_) | Error::Timeout => "temporarily unavailable".to_owned(),
            other => other.to_string(),
        };
        (
            status,
            axum::Json(serde_json::json!({ "ok": false, "description": description })),
        )
            .into_response()
    }
}

pub fn router(webhook: Webhook) -> Router {
    Router::new().route(PATH, post(receive)).with_state(webhook)
}

async fn receive(State(hook): State<Webhook>, headers: HeaderMap, body: Body) -> Response {
    let trace_id = new_trace_id();
    let span =
        tracing::info_span!("webhook", trace_id = %trace_id, update_id = tracing::field::Empty);
    let result = accept(&hook, &headers, body, trace_id)
        .instrument(span)
        .await;
    match result {
        Ok(()) => StatusCode::OK.into_response(),
        Err(e) => {
            hook.metrics
                .updates_rejected
                .get_or_create(&[("reason", e.reason())])
                .inc();
            e.into_response()
        }
    }
}

async fn accept(
    hook: &Webhook,
    headers: &HeaderMap,
    body: Body,
    trace_id: String,
) -> Result<(), Error> {
    let given = headers
        .get(SECRET_HEADER)
        .map(|v| v.as_bytes())
        .unwrap_or_default();
    if !bool::from(given.ct_eq(hook.secret.expose().as_bytes())) {
        return Err(Error::Secret);
    }
    let bytes = axum::body::to_bytes(body, hook.max_body_bytes)
        .await
        .map_err(|_| Error::TooLarge(hook.max_body_bytes))?;
    let update: serde_json::Value =
        serde_json::from_slice(&bytes).map_err(|_| Error::Malformed("invalid JSON"))?;
    let update_id = update
        .get("update_id")
        .and_then(serde_json::Value::as_i64)
        .ok_or(Error::Malformed("no update_id"))?;
    tracing::Span::current().record("update_id", update_id);
    hook.metrics
        .updates_received
        .get_or_create(&[("kind", "webhook")])
        .inc();
    let started = Instant::now();
    let message = Message {
        payload: bytes.to_vec(),
        trace_id,
    };
    tokio::time::timeout(
        hook.confirm_timeout,
        hook.queue.publish(QueueName::Updates, message),
    )
    .await
    .map_err(|_| Error::Timeout)?
    .map_err(Error::Unavailable)?;
    hook.metrics
        .publish_confirm_seconds
        .get_or_create(&[("queue", "updates")])
        .observe(started.elapsed().as_secs_f64());
    Ok(())
}
