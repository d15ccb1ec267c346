//! Error bodies of OpenAI-compatible servers, which differ by server: OpenAI's
//! `{"error":{"message","type","param","code"}}` (code a string, a number or null), Ollama's
//! `{"error":"..."}`, vLLM's flat `{"object":"error","message","type","code"}`, FastAPI's
//! `{"detail":...}` (speaches).

use serde::Deserialize;
use serde_json::Value;

use crate::Refusal;
use crate::http::ErrorBody;

#[derive(Deserialize)]
struct Body {
    #[serde(default)]
    error: Option<Value>,
    #[serde(default)]
    detail: Option<Value>,
    #[serde(default)]
    message: Option<String>,
    #[serde(default, rename = "type")]
    kind: Option<String>,
}

#[derive(Deserialize)]
struct Inner {
    #[serde(default)]
    message: String,
    #[serde(default)]
    code: Option<Value>,
    #[serde(default, rename = "type")]
    kind: Option<String>,
}

/// A string code as is; otherwise the error type (a number code only repeats the status).
fn code(code: Option<Value>, kind: Option<String>) -> String {
    match code {
        Some(Value::String(code)) => code,
        _ => kind.unwrap_or_default(),
    }
}

/// What an OpenAI error code means.
fn refusal(status: u16, code: &str) -> Refusal {
    match code {
        "insufficient_quota" => Refusal::QuotaExhausted,
        "rate_limit_exceeded" => Refusal::Throttled,
        "model_not_found" => Refusal::NotFound,
        "unsupported_value" | "invalid_parameter_error" if status == 400 => Refusal::InvalidInput,
        _ => Refusal::from_status(status),
    }
}

pub(crate) fn parse(status: u16, body: &[u8]) -> ErrorBody {
    let Ok(parsed) = serde_json::from_slice::<Body>(body) else {
        return ErrorBody::unparsed(status, body);
    };
    let (code, message) = match parsed {
        Body {
            error: Some(Value::String(message)),
            ..
        } => (String::new(), message),
        Body {
            error: Some(error @ Value::Object(_)),
            ..
        } => match serde_json::from_value::<Inner>(error) {
            Ok(inner) => (code(inner.code, inner.kind), inner.message),
            Err(_) => return ErrorBody::unparsed(status, body),
        },
        Body {
            detail: Some(detail),
            ..
        } => (String::new(), detail.to_string()),
        Body {
            message: Some(message),
            kind,
            ..
        } => (kind.unwrap_or_default(), message),
        _ => return ErrorBody::unparsed(status, body),
    };
    ErrorBody {
        refusal: refusal(status, &code),
        code,
        message,
        retry_after: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_server_shape_is_read() {
        let openai = parse(
            429,
            br#"{"error":{"message":"You exceeded your current quota","type":"insufficient_quota","param":null,"code":"insufficient_quota"}}"#,
        );
        assert_eq!(
            (openai.refusal, openai.code.as_str()),
            (Refusal::QuotaExhausted, "insufficient_quota")
        );
        let ollama = parse(
            404,
            br#"{"error":"model \"llama9\" not found, try pulling it first"}"#,
        );
        assert_eq!(ollama.refusal, Refusal::NotFound);
        assert!(ollama.message.starts_with("model \"llama9\""));
        let vllm = parse(
            404,
            br#"{"object":"error","message":"The model `x` does not exist.","type":"NotFoundError","param":null,"code":404}"#,
        );
        assert_eq!(
            (vllm.refusal, vllm.code.as_str()),
            (Refusal::NotFound, "NotFoundError")
        );
        let speaches = parse(404, br#"{"detail":"Model 'x' is not installed locally."}"#);
        assert_eq!(speaches.refusal, Refusal::NotFound);
        assert!(speaches.message.contains("not installed"));
        let proxy = parse(502, b"<html>Bad Gateway</html>");
        assert_eq!(proxy.refusal, Refusal::Unavailable);
        assert_eq!(proxy.message, "<html>Bad Gateway</html>");
        let oga = parse(
            400,
            br#"{"error":{"message":"Unsupported file format oga","type":"invalid_request_error","param":"file","code":"unsupported_value"}}"#,
        );
        assert_eq!(oga.refusal, Refusal::InvalidInput);
    }
}
