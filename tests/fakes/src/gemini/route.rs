//! The `generateContent` handler.

use std::collections::HashMap;
use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::HeaderMap;
use axum::response::Response;
use serde_json::Value;

use super::fake::Shared;
use super::{body, request};
use crate::server;

pub(crate) async fn generate(
    State(shared): State<Arc<Shared>>,
    Path(model_action): Path<String>,
    Query(query): Query<HashMap<String, String>>,
    headers: HeaderMap,
    raw: Bytes,
) -> Response {
    let (status, json) = answer(&shared, &model_action, &query, &headers, &raw).await;
    server::json(status, &json)
}

async fn answer(
    shared: &Shared,
    model_action: &str,
    query: &HashMap<String, String>,
    headers: &HeaderMap,
    raw: &[u8],
) -> (u16, Value) {
    let key = headers
        .get("x-goog-api-key")
        .and_then(|value| value.to_str().ok())
        .map(str::to_owned)
        .or_else(|| query.get("key").cloned());
    match key {
        None => return body::missing_key(),
        Some(key) if key != shared.api_key => return body::invalid_key(),
        Some(_) => {}
    }
    let Some((model, "generateContent")) = model_action.split_once(':') else {
        let message = format!("Method not found: {model_action}.");
        return (404, body::error(404, "NOT_FOUND", &message, None));
    };
    let Ok(Value::Object(json)) = serde_json::from_slice::<Value>(raw) else {
        return body::invalid_argument("Invalid JSON payload received. Unexpected token.");
    };
    if !shared.generate.knows(model) {
        return body::model_not_found(model);
    }
    let call = match request::parse(model, &json) {
        Ok(call) => call,
        Err(request::InvalidArgument(message)) => return body::invalid_argument(&message),
    };
    shared
        .generate
        .answer(call, |call, reply| body::reply(call, &reply))
        .await
}
