//! The `/v1/chat/completions` handler.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::Response;
use serde_json::Value;

use super::ChatReply;
use super::fake::Shared;
use super::{body, request};
use crate::openai::auth;
use crate::openai::error::{self, invalid_request};
use crate::server;

pub(crate) async fn complete(
    State(shared): State<Arc<Shared>>,
    headers: HeaderMap,
    raw: Bytes,
) -> Response {
    let (status, json) = match answer(&shared, &headers, &raw).await {
        Ok(answer) | Err(answer) => answer,
    };
    server::json(status, &json)
}

async fn answer(
    shared: &Shared,
    headers: &HeaderMap,
    raw: &[u8],
) -> Result<(u16, Value), (u16, Value)> {
    auth::check(shared.api_key.as_deref(), headers)?;
    let Ok(Value::Object(json)) = serde_json::from_slice::<Value>(raw) else {
        return Err((
            400,
            invalid_request(
                "We could not parse the JSON body of your request. (HINT: This likely means you aren't using your HTTP library correctly. The OpenAI API expects a JSON payload, but what was sent was not valid JSON. If you have trouble figuring out how to fix this, please contact us through our help center at help.openai.com.)",
                None,
                None,
            ),
        ));
    };
    let call = request::parse(&json)?;
    if !shared.completions.knows(&call.model) {
        return Err(error::model_not_found(&call.model));
    }
    Ok(shared
        .completions
        .answer(call, |call, reply| match reply {
            ChatReply::Text(text) => (200, body::completion(call, &text, "stop")),
            ChatReply::Truncated(text) => (200, body::completion(call, &text, "length")),
            ChatReply::Error(error) => error.render(&call.model),
        })
        .await)
}
