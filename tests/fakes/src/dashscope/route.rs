//! DashScope HTTP handlers: authenticate, validate, then answer through the endpoint's script.

use std::sync::Arc;
use std::sync::atomic::Ordering;

use axum::body::Bytes;
use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::Response;
use serde_json::{Map, Value};

use super::fake::Shared;
use super::fault::Fault;
use super::{Reply, body, request};
use crate::{id, server};

fn fail(fault: &Fault, request_id: &str) -> Response {
    server::json(fault.status(), &fault.body(request_id))
}

/// The JSON object of an authenticated request, or why it is refused.
fn admit(shared: &Shared, headers: &HeaderMap, raw: &[u8]) -> Result<Map<String, Value>, Fault> {
    match server::bearer(headers) {
        None => return Err(Fault::missing_key()),
        Some(key) if key != shared.api_key => return Err(Fault::invalid_key()),
        Some(_) => {}
    }
    match serde_json::from_slice::<Value>(raw) {
        Ok(Value::Object(json)) => Ok(json),
        _ => Err(Fault::invalid_parameter(
            "Required body invalid, please check the request body format.",
        )),
    }
}

/// Status and body of a reply; `render` draws a success with its `finish_reason`.
fn reply(reply: Reply, request_id: &str, render: impl FnOnce(&str, &str) -> Value) -> (u16, Value) {
    match reply {
        Reply::Text(text) => (200, render(&text, "stop")),
        Reply::Truncated(text) => (200, render(&text, "length")),
        Reply::Error(error) => {
            let fault = Fault::from(&error);
            (fault.status(), fault.body(request_id))
        }
    }
}

pub(crate) async fn asr(
    State(shared): State<Arc<Shared>>,
    headers: HeaderMap,
    raw: Bytes,
) -> Response {
    let request_id = id::uuid();
    let json = match admit(&shared, &headers, &raw) {
        Ok(json) => json,
        Err(fault) => return fail(&fault, &request_id),
    };
    let max_bytes = shared.max_audio_bytes.load(Ordering::SeqCst);
    let call = match request::asr(&json, max_bytes) {
        Ok(call) => call,
        Err(fault) => return fail(&fault, &request_id),
    };
    if !shared.asr.knows(&call.model) {
        return fail(&Fault::model_not_found(), &request_id);
    }
    let (status, json) = shared
        .asr
        .answer(call, |call, answer| {
            let language = call.language.as_deref().unwrap_or("ru");
            let seconds = body::seconds(&call.audio);
            reply(answer, &request_id, |text, finish| {
                body::asr(text, finish, language, seconds, &request_id)
            })
        })
        .await;
    server::json(status, &json)
}

pub(crate) async fn llm(
    State(shared): State<Arc<Shared>>,
    headers: HeaderMap,
    raw: Bytes,
) -> Response {
    let request_id = id::uuid();
    let json = match admit(&shared, &headers, &raw) {
        Ok(json) => json,
        Err(fault) => return fail(&fault, &request_id),
    };
    let (call, format) = match request::llm(&json) {
        Ok(parsed) => parsed,
        Err(fault) => return fail(&fault, &request_id),
    };
    if !shared.llm.knows(&call.model) {
        return fail(&Fault::model_not_found(), &request_id);
    }
    let (status, json) = shared
        .llm
        .answer(call, |call, answer| {
            let prompt_tokens =
                body::tokens(&call.user) + call.system.as_deref().map_or(0, body::tokens);
            reply(answer, &request_id, |text, finish| {
                body::llm(text, finish, format, prompt_tokens, &request_id)
            })
        })
        .await;
    server::json(status, &json)
}
