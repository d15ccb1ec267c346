//! Operational HTTP endpoints every process serves: `/metrics`, `/healthz` (alive) and
//! `/readyz` (dependencies reachable and not shutting down).

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::IntoResponse;
use axum::routing::get;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::server::graceful::GracefulShutdown;
use hyper_util::service::TowerToHyperService;
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

/// How long a client may take, so a slow one holds no connection forever.
#[derive(Debug, Clone, Copy)]
pub struct Timeouts {
    /// To send a request's headers once connected (or between requests on a kept-alive
    /// connection).
    pub header_read: Duration,
    /// For the whole request, body and handling included (answered 408 after that).
    pub request: Duration,
}

/// After shutdown, open connections get this long to finish their requests.
const DRAIN: Duration = Duration::from_secs(10);

/// Serves `router` on `listener` until `shutdown`, then drains open requests. Every connection
/// has a header-read timeout and every request an overall timeout.
pub async fn serve(
    listener: tokio::net::TcpListener,
    router: Router,
    timeouts: Timeouts,
    shutdown: CancellationToken,
) -> std::io::Result<()> {
    let router = router.layer(axum::middleware::from_fn(
        move |request: axum::extract::Request, next: axum::middleware::Next| async move {
            match tokio::time::timeout(timeouts.request, next.run(request)).await {
                Ok(response) => response,
                Err(_) => StatusCode::REQUEST_TIMEOUT.into_response(),
            }
        },
    ));
    let graceful = GracefulShutdown::new();
    let mut http = hyper::server::conn::http1::Builder::new();
    http.timer(TokioTimer::new())
        .header_read_timeout(timeouts.header_read);
    loop {
        let stream = tokio::select! {
            () = shutdown.cancelled() => break,
            accepted = listener.accept() => match accepted {
                Ok((stream, _)) => stream,
                Err(error) => {
                    // Out of file descriptors and the like: try again shortly.
                    tracing::warn!(%error, "accept failed");
                    tokio::time::sleep(Duration::from_millis(100)).await;
                    continue;
                }
            },
        };
        let service = TowerToHyperService::new(router.clone());
        let connection = graceful.watch(http.serve_connection(TokioIo::new(stream), service));
        // Owned by `graceful`, which waits for every connection at shutdown.
        tokio::spawn(async move {
            if let Err(error) = connection.await {
                tracing::debug!(%error, "connection ended with an error");
            }
        });
    }
    drop(listener);
    if tokio::time::timeout(DRAIN, graceful.shutdown())
        .await
        .is_err()
    {
        tracing::warn!("open connections did not finish in time; closing them");
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    use super::*;

    async fn server(timeouts: Timeouts) -> (std::net::SocketAddr, CancellationToken) {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let addr = listener.local_addr().expect("addr");
        let shutdown = CancellationToken::new();
        let router = Router::new().route("/fast", get(|| async { "ok" })).route(
            "/slow",
            get(|| async {
                std::future::pending::<()>().await;
                "never"
            }),
        );
        tokio::spawn(serve(listener, router, timeouts, shutdown.clone()));
        (addr, shutdown)
    }

    const SHORT: Timeouts = Timeouts {
        header_read: Duration::from_millis(200),
        request: Duration::from_millis(300),
    };

    #[tokio::test]
    async fn a_client_that_never_finishes_its_headers_is_disconnected() {
        let (addr, shutdown) = server(SHORT).await;
        let mut stream = tokio::net::TcpStream::connect(addr).await.expect("connect");
        stream
            .write_all(b"GET /fast HTTP/1.1\r\nHost: x\r\n")
            .await
            .expect("partial headers");
        let mut buf = Vec::new();
        // The server closes the connection; without a header timeout this read never ends.
        let read = tokio::time::timeout(Duration::from_secs(20), stream.read_to_end(&mut buf))
            .await
            .expect("the server hung up")
            .expect("read");
        assert!(!String::from_utf8_lossy(&buf[..read]).contains("200 OK"));
        shutdown.cancel();
    }

    #[tokio::test]
    async fn a_request_that_takes_too_long_is_answered_408() {
        let (addr, shutdown) = server(SHORT).await;
        let mut stream = tokio::net::TcpStream::connect(addr).await.expect("connect");
        stream
            .write_all(b"GET /slow HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
            .await
            .expect("request");
        let mut buf = Vec::new();
        tokio::time::timeout(Duration::from_secs(20), stream.read_to_end(&mut buf))
            .await
            .expect("answered")
            .expect("read");
        assert!(
            String::from_utf8_lossy(&buf).starts_with("HTTP/1.1 408"),
            "{}",
            String::from_utf8_lossy(&buf)
        );
        let mut stream = tokio::net::TcpStream::connect(addr).await.expect("connect");
        stream
            .write_all(b"GET /fast HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
            .await
            .expect("request");
        let mut buf = Vec::new();
        stream.read_to_end(&mut buf).await.expect("read");
        assert!(String::from_utf8_lossy(&buf).starts_with("HTTP/1.1 200"));
        shutdown.cancel();
    }
}
