//! Operational HTTP endpoints every process serves: `/metrics`, `/healthz` (alive) and
//! `/readyz` (dependencies reachable and not shutting down).

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use axum::Router;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::IntoResponse;
use axum::routing::get;
use prometheus_client::registry::Registry;
use serde_json::json;
use tokio_util::sync::CancellationToken;

type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// A dependency `/readyz` checks: its name and a probe that answers whether it is reachable.
#[derive(Clone)]
pub struct Check {
    name: &'static str,
    probe: Arc<dyn Fn() -> BoxFuture<'static, bool> + Send + Sync>,
}

impl Check {
    /// `probe` is called on every `/readyz` request.
    pub fn new<F, Fut>(name: &'static str, probe: F) -> Self
    where
        F: Fn() -> Fut + Send + Sync + 'static,
        Fut: Future<Output = bool> + Send + 'static,
    {
        Self {
            name,
            probe: Arc::new(move || Box::pin(probe())),
        }
    }
}

#[derive(Clone)]
pub struct Ops {
    registry: Arc<Registry>,
    checks: Arc<Vec<Check>>,
    shutdown: CancellationToken,
}

impl Ops {
    pub fn new(registry: Registry, checks: Vec<Check>, shutdown: CancellationToken) -> Self {
        Self {
            registry: Arc::new(registry),
            checks: Arc::new(checks),
            shutdown,
        }
    }
}

/// Routes of the operational endpoints, to merge into a process's router.
pub fn router(ops: Ops) -> Router {
    Router::new()
        .route("/metrics", get(metrics))
        .route("/healthz", get(|| async { "ok" }))
        .route("/readyz", get(readyz))
        .with_state(ops)
}

async fn metrics(State(ops): State<Ops>) -> impl IntoResponse {
    (
        [(
            header::CONTENT_TYPE,
            "application/openmetrics-text; version=1.0.0; charset=utf-8",
        )],
        crate::metrics::render(&ops.registry),
    )
}

async fn readyz(State(ops): State<Ops>) -> impl IntoResponse {
    let mut body = serde_json::Map::new();
    let mut ready = !ops.shutdown.is_cancelled();
    body.insert("shutting_down".into(), json!(ops.shutdown.is_cancelled()));
    for check in ops.checks.iter() {
        let ok = (check.probe)().await;
        ready &= ok;
        body.insert(
            check.name.into(),
            json!(if ok { "ok" } else { "unavailable" }),
        );
    }
    let status = if ready {
        StatusCode::OK
    } else {
        StatusCode::SERVICE_UNAVAILABLE
    };
    (status, axum::Json(serde_json::Value::Object(body)))
}

/// Serves `router` on `listener` until `shutdown`, then drains open requests.
pub async fn serve(
    listener: tokio::net::TcpListener,
    router: Router,
    shutdown: CancellationToken,
) -> std::io::Result<()> {
    axum::serve(listener, router)
        .with_graceful_shutdown(shutdown.cancelled_owned())
        .await
}
