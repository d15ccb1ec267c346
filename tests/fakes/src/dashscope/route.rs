//! DashScope HTTP handlers: authenticate, validate, then answer as scripted.

use std::sync::Arc;
use std::time::Instant;

use axum::body::Bytes;
use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::Response;
use serde_json::Value;

use super::body;
use super::fake::{Behaviour, Shared};
use super::fault::Fault;
use super::request::{self, Parsed, ResultFormat};
use super::{ApiError, AsrCall, Endpoint, LlmCall, Protocol, Reply};
use crate::recording::Recorded;
use crate::{id, server};

/// Which path a request came in on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Path {
    NativeAsr,
    NativeLlm,
    Compatible,
}

pub(crate) async fn native_asr(
    State(shared): State<Arc<Shared>>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    serve(&shared, Path::NativeAsr, &headers, &body).await
}

pub(crate) async fn native_llm(
    State(shared): State<Arc<Shared>>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    serve(&shared, Path::NativeLlm, &headers, &body).await
}

pub(crate) async fn compatible(
    State(shared): State<Arc<Shared>>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    serve(&shared, Path::Compatible, &headers, &body).await
}

fn fail(fault: &Fault, protocol: Protocol, request_id: &str) -> Response {
    server::json(fault.status(protocol), &fault.body(protocol, request_id))
}

async fn serve(shared: &Shared, path: Path, headers: &HeaderMap, body: &[u8]) -> Response {
    let protocol = match path {
        Path::NativeAsr | Path::NativeLlm => Protocol::Native,
        Path::Compatible => Protocol::Compatible,
    };
    let request_id = id::uuid();
    match server::bearer(headers) {
        None => return fail(&Fault::missing_key(), protocol, &request_id),
        Some(key) if key != shared.api_key => {
            return fail(&Fault::invalid_key(), protocol, &request_id);
        }
        Some(_) => {}
    }
    let Ok(Value::Object(json)) = serde_json::from_slice::<Value>(body) else {
        let fault = Fault::invalid_parameter(
            "Required body invalid, please check the request body format.",
        );
        return fail(&fault, protocol, &request_id);
    };
    let max_bytes = shared.book().max_audio_bytes;
    let parsed = match path {
        Path::NativeAsr => request::native_asr(&json, max_bytes).map(Parsed::Asr),
        Path::NativeLlm => {
            request::native_llm(&json).map(|(call, format)| Parsed::Llm(call, format))
        }
        Path::Compatible => request::compatible(&json, max_bytes),
    };
    match parsed {
        Err(fault) => fail(&fault, protocol, &request_id),
        Ok(Parsed::Asr(call)) => answer_asr(shared, call, &request_id).await,
        Ok(Parsed::Llm(call, format)) => answer_llm(shared, call, format, &request_id).await,
    }
}

/// What to do with a valid call: the endpoint's behaviour, consuming one queued failure.
fn plan(shared: &Shared, endpoint: Endpoint) -> (Behaviour, Option<ApiError>) {
    let mut book = shared.book();
    let behaviour = book.behaviour(endpoint);
    let failure = behaviour.failures.pop_front();
    (behaviour.clone(), failure)
}

/// The reply to a valid call after the configured latency: down, queued failure, or script.
async fn decide<C>(
    behaviour: &Behaviour,
    failure: Option<ApiError>,
    call: &C,
    script: impl FnOnce(&C) -> Reply,
) -> Reply {
    if !behaviour.latency.is_zero() {
        tokio::time::sleep(behaviour.latency).await;
    }
    if behaviour.down {
        Reply::Error(ApiError::Internal)
    } else if let Some(error) = failure {
        Reply::Error(error)
    } else {
        script(call)
    }
}

async fn answer_asr(shared: &Shared, call: AsrCall, request_id: &str) -> Response {
    let protocol = call.protocol;
    if !shared
        .book()
        .behaviour(Endpoint::Asr)
        .models
        .contains(&call.model)
    {
        return fail(&Fault::model_not_found(&call.model), protocol, request_id);
    }
    let (behaviour, failure) = plan(shared, Endpoint::Asr);
    let _in_flight = shared.flight(Endpoint::Asr).enter();
    let started = Instant::now();
    let script = Arc::clone(&shared.book().asr_script);
    let reply = decide(&behaviour, failure, &call, |call| script(call)).await;
    let language = call.language.clone().unwrap_or_else(|| "ru".to_owned());
    let seconds = body::seconds(&call.audio);
    let render = |text: &str, finish: &str| match protocol {
        Protocol::Native => body::asr_native(text, finish, &language, seconds, request_id),
        Protocol::Compatible => body::asr_compatible(&call.model, text, finish, &language, seconds),
    };
    let (status, json) = match &reply {
        Reply::Text(text) => (200, render(text, "stop")),
        Reply::Truncated(text) => (200, render(text, "length")),
        Reply::Error(error) => {
            let fault = Fault::from(error);
            (fault.status(protocol), fault.body(protocol, request_id))
        }
    };
    shared.book().asr_calls.push(Recorded {
        call,
        started,
        finished: Instant::now(),
        status,
    });
    server::json(status, &json)
}

async fn answer_llm(
    shared: &Shared,
    call: LlmCall,
    format: ResultFormat,
    request_id: &str,
) -> Response {
    let protocol = call.protocol;
    if !shared
        .book()
        .behaviour(Endpoint::Llm)
        .models
        .contains(&call.model)
    {
        return fail(&Fault::model_not_found(&call.model), protocol, request_id);
    }
    let (behaviour, failure) = plan(shared, Endpoint::Llm);
    let _in_flight = shared.flight(Endpoint::Llm).enter();
    let started = Instant::now();
    let script = Arc::clone(&shared.book().llm_script);
    let reply = decide(&behaviour, failure, &call, |call| script(call)).await;
    let prompt_tokens = body::tokens(&call.user) + call.system.as_deref().map_or(0, body::tokens);
    let render = |text: &str, finish: &str| match protocol {
        Protocol::Native => body::llm_native(text, finish, format, prompt_tokens, request_id),
        Protocol::Compatible => body::llm_compatible(&call.model, text, finish, prompt_tokens),
    };
    let (status, json) = match &reply {
        Reply::Text(text) => (200, render(text, "stop")),
        Reply::Truncated(text) => (200, render(text, "length")),
        Reply::Error(error) => {
            let fault = Fault::from(error);
            (fault.status(protocol), fault.body(protocol, request_id))
        }
    };
    shared.book().llm_calls.push(Recorded {
        call,
        started,
        finished: Instant::now(),
        status,
    });
    server::json(status, &json)
}
