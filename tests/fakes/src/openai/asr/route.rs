//! The `/v1/audio/transcriptions` handler.

use std::sync::Arc;

use axum::extract::{FromRequest, Multipart, Request, State};
use axum::http::header::CONTENT_TYPE;
use axum::response::Response;
use serde_json::Value;

use super::body::{self, is_gpt4o};
use super::fake::Shared;
use super::{OpenAiAsrCall, TranscriptionReply};
use crate::openai::auth;
use crate::openai::error::{self, invalid_request};
use crate::server;

/// Upload ceiling of the OpenAI transcription endpoint.
const MAX_UPLOAD: usize = 25 * 1024 * 1024;

/// Extensions accepted for `file` (judged by the filename, as OpenAI does).
const EXTENSIONS: &[&str] = &[
    "flac", "mp3", "mp4", "mpeg", "mpga", "m4a", "ogg", "wav", "webm",
];

const FORMATS: &[&str] = &["json", "text", "srt", "verbose_json", "vtt"];

/// Fields of the multipart form.
#[derive(Debug, Default)]
struct Form {
    file: Option<(String, Vec<u8>, Option<String>)>,
    model: Option<String>,
    language: Option<String>,
    prompt: Option<String>,
    response_format: Option<String>,
    temperature: Option<String>,
}

pub(crate) async fn transcribe(State(shared): State<Arc<Shared>>, request: Request) -> Response {
    match answer(&shared, request).await {
        Ok((content_type, text)) => server::text(200, content_type, text),
        Err((status, json)) => server::json(status, &json),
    }
}

async fn read_form(request: Request) -> Result<Form, (u16, Value)> {
    let malformed = || {
        (
            400,
            invalid_request("Could not parse multipart form", None, None),
        )
    };
    let mut multipart = Multipart::from_request(request, &())
        .await
        .map_err(|_| malformed())?;
    let mut form = Form::default();
    while let Some(field) = multipart.next_field().await.map_err(|_| malformed())? {
        let name = field.name().unwrap_or_default().to_owned();
        let file_name = field.file_name().map(str::to_owned);
        let content_type = field.content_type().map(str::to_owned);
        let bytes = field.bytes().await.map_err(|_| malformed())?;
        let text = || String::from_utf8_lossy(&bytes).into_owned();
        match name.as_str() {
            "file" => {
                form.file = Some((file_name.unwrap_or_default(), bytes.to_vec(), content_type))
            }
            "model" => form.model = Some(text()),
            "language" => form.language = Some(text()).filter(|value| !value.is_empty()),
            "prompt" => form.prompt = Some(text()).filter(|value| !value.is_empty()),
            "response_format" => form.response_format = Some(text()),
            "temperature" => form.temperature = Some(text()),
            _ => {}
        }
    }
    Ok(form)
}

async fn answer(shared: &Shared, request: Request) -> Result<(&'static str, String), (u16, Value)> {
    auth::check(Some(&shared.api_key), request.headers())?;
    let content_type = request
        .headers()
        .get(CONTENT_TYPE)
        .and_then(|value| value.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    if !content_type
        .to_ascii_lowercase()
        .starts_with("multipart/form-data")
    {
        let message = format!(
            "Invalid Content-Type header ({content_type}), expected multipart/form-data. (HINT: If you're using curl, you can pass -H 'Content-Type: multipart/form-data')"
        );
        return Err((400, invalid_request(&message, None, None)));
    }
    let form = read_form(request).await?;
    let Some((file_name, audio, file_type)) = form.file else {
        return Err((
            400,
            invalid_request(
                "you must provide a file",
                Some("file"),
                Some("missing_required_parameter"),
            ),
        ));
    };
    if audio.len() > MAX_UPLOAD {
        let message = format!(
            "Maximum content size limit ({MAX_UPLOAD}) exceeded ({} bytes read)",
            audio.len()
        );
        return Err((413, error::body(&message, "server_error", None, None)));
    }
    let Some(model) = form.model.filter(|model| !model.is_empty()) else {
        return Err((
            400,
            invalid_request("you must provide a model parameter", None, None),
        ));
    };
    if !shared.transcriptions.knows(&model) {
        return Err(error::model_not_found(&model));
    }
    let extension = file_name
        .rsplit_once('.')
        .map(|(_, ext)| ext.to_ascii_lowercase())
        .unwrap_or_default();
    if !EXTENSIONS.contains(&extension.as_str()) {
        let message = format!("Unsupported file format {extension}");
        return Err((
            400,
            invalid_request(&message, Some("file"), Some("unsupported_value")),
        ));
    }
    let response_format = form.response_format.unwrap_or_else(|| "json".to_owned());
    if !FORMATS.contains(&response_format.as_str()) {
        let message = format!(
            "'{response_format}' is not one of ['json', 'text', 'srt', 'verbose_json', 'vtt'] - 'response_format'"
        );
        return Err((
            400,
            invalid_request(&message, Some("response_format"), None),
        ));
    }
    if is_gpt4o(&model) && !matches!(response_format.as_str(), "json" | "text") {
        let message = format!(
            "response_format '{response_format}' is not compatible with model '{model}'. Use 'json' or 'text' instead."
        );
        return Err((
            400,
            invalid_request(&message, Some("response_format"), Some("unsupported_value")),
        ));
    }
    let temperature = match form.temperature.as_deref().map(str::trim) {
        None | Some("") => None,
        Some(raw) => match raw.parse::<f64>() {
            Ok(t) if (0.0..=1.0).contains(&t) => Some(t),
            _ => {
                let message = format!("Invalid temperature {raw}: must be between 0 and 1.");
                return Err((400, invalid_request(&message, Some("temperature"), None)));
            }
        },
    };
    let call = OpenAiAsrCall {
        model,
        file_name,
        audio,
        content_type: file_type,
        language: form.language,
        prompt: form.prompt,
        response_format,
        temperature,
    };

    let (_, outcome) = shared
        .transcriptions
        .answer(call, |call, reply| {
            let outcome = match reply {
                TranscriptionReply::Text(text) => Ok(body::transcript(call, &text, None)),
                TranscriptionReply::Segments(segments) => Ok(body::transcript(
                    call,
                    &body::joined(&segments),
                    Some(&segments),
                )),
                TranscriptionReply::Error(error) => Err(error.render(&call.model)),
            };
            (
                outcome.as_ref().map_or_else(|(status, _)| *status, |_| 200),
                outcome,
            )
        })
        .await;
    outcome
}
