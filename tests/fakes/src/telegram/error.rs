//! The Bot API failure envelope: `{"ok":false,"error_code":N,"description":"…"[,"parameters":{…}]}`
//! with HTTP status N.

use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use crate::server;

/// A Bot API error as the server reports it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct TgError {
    pub(crate) code: u16,
    pub(crate) description: String,
    pub(crate) retry_after: Option<u32>,
    pub(crate) migrate_to_chat_id: Option<i64>,
}

/// The stale-or-unknown wording shared by callback and pre-checkout queries.
pub(crate) const QUERY_TOO_OLD: &str =
    "query is too old and response timeout expired or query ID is invalid";

impl TgError {
    pub(crate) fn new(code: u16, description: impl Into<String>) -> Self {
        Self {
            code,
            description: description.into(),
            retry_after: None,
            migrate_to_chat_id: None,
        }
    }

    /// 400 `Bad Request: <reason>`.
    pub(crate) fn bad_request(reason: impl std::fmt::Display) -> Self {
        Self::new(400, format!("Bad Request: {reason}"))
    }

    pub(crate) fn unauthorized() -> Self {
        Self::new(401, "Unauthorized")
    }

    pub(crate) fn forbidden(reason: &str) -> Self {
        Self::new(403, format!("Forbidden: {reason}"))
    }

    /// What the server answers for a path that is no Bot API method, and what third-party
    /// emulators answer for methods they lack.
    pub(crate) fn not_found() -> Self {
        Self::new(404, "Not Found")
    }

    /// What the Bot API server answers for a method name it does not know.
    pub(crate) fn method_not_found() -> Self {
        Self::new(404, "Not Found: method not found")
    }

    /// 400 for any write to a basic group that became the supergroup `supergroup_id`.
    pub(crate) fn migrated(supergroup_id: i64) -> Self {
        Self {
            migrate_to_chat_id: Some(supergroup_id),
            ..Self::bad_request("group chat was upgraded to a supergroup chat")
        }
    }

    pub(crate) fn conflict(reason: &str) -> Self {
        Self::new(409, format!("Conflict: {reason}"))
    }

    pub(crate) fn too_large() -> Self {
        Self::new(413, "Request Entity Too Large")
    }

    pub(crate) fn too_many_requests(retry_after: u32) -> Self {
        Self {
            retry_after: Some(retry_after),
            ..Self::new(429, format!("Too Many Requests: retry after {retry_after}"))
        }
    }

    pub(crate) fn internal(reason: impl std::fmt::Display) -> Self {
        Self::new(500, format!("Internal Server Error: {reason}"))
    }

    pub(crate) fn body(&self) -> Value {
        let mut body = json!({
            "ok": false,
            "error_code": self.code,
            "description": self.description,
        });
        if let Some(retry_after) = self.retry_after {
            body["parameters"]["retry_after"] = json!(retry_after);
        }
        if let Some(chat_id) = self.migrate_to_chat_id {
            body["parameters"]["migrate_to_chat_id"] = json!(chat_id);
        }
        body
    }
}

impl IntoResponse for TgError {
    fn into_response(self) -> Response {
        server::json(self.code, &self.body())
    }
}
