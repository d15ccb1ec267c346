//! The socket side shared by every fake: bind `127.0.0.1:0`, serve a router, stop on drop.

use std::net::{Ipv4Addr, SocketAddr};

use axum::Router;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::Value;
use tokio::net::TcpListener;
use tokio::task::JoinHandle;

/// A running fake server. Dropping it aborts the accept loop.
#[derive(Debug)]
pub(crate) struct Server {
    addr: SocketAddr,
    task: JoinHandle<()>,
}

impl Server {
    /// Binds a random local port and serves `app` on it.
    ///
    /// # Panics
    /// If the port cannot be bound or read back. A fake that cannot listen is useless to the test
    /// that started it, and that test is the only caller there is to report to.
    pub(crate) async fn start(name: &str, app: Router) -> Self {
        let listener = match TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).await {
            Ok(listener) => listener,
            Err(error) => panic!("{name}: cannot bind 127.0.0.1:0: {error}"),
        };
        let addr = match listener.local_addr() {
            Ok(addr) => addr,
            Err(error) => panic!("{name}: cannot read the bound address: {error}"),
        };
        let task = tokio::spawn(async move {
            // `serve` only returns on a listener error; the fake then simply stops answering,
            // which the test observes as refused connections.
            let _stopped = axum::serve(listener, app).await;
        });
        Self { addr, task }
    }

    /// `http://127.0.0.1:PORT`, without a trailing slash.
    pub(crate) fn url(&self) -> String {
        format!("http://{}", self.addr)
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// A JSON response with an explicit status; an out-of-range status becomes 500.
pub(crate) fn json(status: u16, body: &Value) -> Response {
    let status = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    (
        status,
        [(axum::http::header::CONTENT_TYPE, "application/json")],
        body.to_string(),
    )
        .into_response()
}

/// A plain-text (or other non-JSON) response.
pub(crate) fn text(status: u16, content_type: &'static str, body: String) -> Response {
    let status = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    (
        status,
        [(axum::http::header::CONTENT_TYPE, content_type)],
        body,
    )
        .into_response()
}

/// The bearer token of an `Authorization` header, if any (`None` when the header is absent).
pub(crate) fn bearer(headers: &axum::http::HeaderMap) -> Option<String> {
    let value = headers.get(axum::http::header::AUTHORIZATION)?;
    let value = value.to_str().ok()?.trim();
    let token = match value.split_once(' ') {
        Some((scheme, token)) if scheme.eq_ignore_ascii_case("bearer") => token.trim(),
        _ => value,
    };
    Some(token.to_owned())
}
