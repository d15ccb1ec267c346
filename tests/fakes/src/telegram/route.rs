//! The HTTP side: path parsing, parameter extraction, recording, fault injection, envelopes.

use std::collections::VecDeque;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Instant;

use axum::body::Bytes;
use axum::extract::{FromRequest, Multipart, Request, State};
use axum::http::header::CONTENT_TYPE;
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use super::error::TgError;
use super::files;
use super::method::{self, Answer, Method};
use super::params::{Params, decode_form};
use super::state::Shared;
use super::{Call, Failure, Upload};
use crate::server;

/// What nginx answers when the upstream Bot API is unreachable.
const BAD_GATEWAY: &str = "<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n<center><h1>502 Bad Gateway</h1></center>\r\n<hr><center>nginx/1.18.0</center>\r\n</body>\r\n</html>\r\n";

/// Every request lands here: `/bot<token>/<method>` and `/file/bot<token>/<path>`.
pub(crate) async fn handle(State(shared): State<Arc<Shared>>, request: Request) -> Response {
    if shared.down.load(Ordering::SeqCst) {
        return server::text(502, "text/html", BAD_GATEWAY.to_owned());
    }
    let path = request.uri().path().to_owned();
    if let Some(rest) = path.strip_prefix("/file/bot") {
        return files::download(&shared, rest);
    }
    let Some((token, name)) = path
        .strip_prefix("/bot")
        .and_then(|rest| rest.split_once('/'))
    else {
        return TgError::not_found().into_response();
    };
    let at = Instant::now();
    let method = Method::parse(name);
    let (params, upload, malformed) = match read_params(request).await {
        Ok((params, upload)) => (params, upload, None),
        Err(error) => (Params::default(), None, Some(error)),
    };
    shared.book().calls.push(Call {
        method: method.map_or_else(|| name.to_owned(), |m| m.name().to_owned()),
        params: params.to_value(),
        at,
    });
    let outcome = if token != shared.token {
        Err(TgError::unauthorized())
    } else if let Some(error) = malformed {
        Err(error)
    } else {
        match (method, &shared.supported) {
            (Some(method), Some(supported)) if !supported.contains(&method) => {
                Err(TgError::not_found())
            }
            (Some(method), _) => run(&shared, method, &params, upload).await,
            (None, Some(_)) => Err(TgError::not_found()),
            (None, None) => Err(TgError::method_not_found()),
        }
    };
    match outcome {
        Ok(Answer {
            result,
            description,
        }) => {
            let mut body = json!({"ok": true, "result": result});
            if let Some(description) = description {
                body["description"] = json!(description);
            }
            server::json(200, &body)
        }
        Err(error) => error.into_response(),
    }
}

/// Runs `method`, first consuming one queued failure for it, if any.
async fn run(
    shared: &Shared,
    method: Method,
    params: &Params,
    upload: Option<Upload>,
) -> Result<Answer, TgError> {
    let failure = shared
        .book()
        .failures
        .get_mut(&method.key())
        .and_then(VecDeque::pop_front);
    match failure {
        None => method::execute(shared, method, params, upload).await,
        Some(Failure::TooManyRequests { retry_after }) => {
            Err(TgError::too_many_requests(retry_after))
        }
        Some(Failure::Status { code, description }) => Err(TgError::new(code, description)),
    }
}

/// Collects parameters from the query string and the body (JSON, urlencoded or multipart).
async fn read_params(request: Request) -> Result<(Params, Option<Upload>), TgError> {
    let mut params = Params::default();
    if let Some(query) = request.uri().query() {
        for (key, value) in decode_form(query) {
            params.insert_text(key, value);
        }
    }
    let content_type = request
        .headers()
        .get(CONTENT_TYPE)
        .and_then(|value| value.to_str().ok())
        .unwrap_or_default()
        .to_ascii_lowercase();
    let mut upload = None;
    if content_type.starts_with("multipart/form-data") {
        let mut multipart = Multipart::from_request(request, &())
            .await
            .map_err(|_| TgError::bad_request("can't parse multipart/form-data request"))?;
        while let Some(field) = multipart
            .next_field()
            .await
            .map_err(|_| TgError::bad_request("can't parse multipart/form-data request"))?
        {
            let name = field.name().unwrap_or_default().to_owned();
            let file_name = field.file_name().map(str::to_owned);
            let part_type = field.content_type().map(str::to_owned);
            let bytes = field
                .bytes()
                .await
                .map_err(|_| TgError::bad_request("can't parse multipart/form-data request"))?;
            match file_name {
                Some(file_name) if upload.is_none() => {
                    upload = Some(Upload {
                        file_name,
                        bytes: bytes.to_vec(),
                        content_type: part_type,
                    });
                }
                Some(_) => {}
                None => params.insert_text(name, String::from_utf8_lossy(&bytes).into_owned()),
            }
        }
    } else {
        let body = Bytes::from_request(request, &())
            .await
            .map_err(|_| TgError::bad_request("can't read the request body"))?;
        if content_type.starts_with("application/json") && !body.is_empty() {
            match serde_json::from_slice::<Value>(&body) {
                Ok(Value::Object(object)) => params.merge(object),
                _ => return Err(TgError::bad_request("can't parse JSON object")),
            }
        } else if content_type.starts_with("application/x-www-form-urlencoded") {
            for (key, value) in decode_form(&String::from_utf8_lossy(&body)) {
                params.insert_text(key, value);
            }
        }
    }
    params.decode_json_fields()?;
    Ok((params, upload))
}
