//! DashScope errors as the native protocol renders them: flat `{"code","message","request_id"}`
//! with the class in the HTTP status (`reference/apis.md` §1.8).

use serde_json::{Value, json};

use super::ApiError;

/// One error answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Fault {
    status: u16,
    code: &'static str,
    message: String,
}

impl Fault {
    /// A 400 with `code`.
    pub(crate) fn bad_request(code: &'static str, message: impl Into<String>) -> Self {
        Self {
            status: 400,
            code,
            message: message.into(),
        }
    }

    /// 400 `InvalidParameter`.
    pub(crate) fn invalid_parameter(message: impl Into<String>) -> Self {
        Self::bad_request("InvalidParameter", message)
    }

    /// 401 for a request without any key.
    pub(crate) fn missing_key() -> Self {
        Self {
            message: "No API-key provided.".to_owned(),
            ..Self::invalid_key()
        }
    }

    /// 401 for a wrong key.
    pub(crate) fn invalid_key() -> Self {
        Self {
            status: 401,
            code: "InvalidApiKey",
            message: "Invalid API-key provided.".to_owned(),
        }
    }

    /// An unknown model: 400 "Model not exist." (wording unconfirmed).
    pub(crate) fn model_not_found() -> Self {
        Self::invalid_parameter("Model not exist.")
    }

    pub(crate) fn status(&self) -> u16 {
        self.status
    }

    pub(crate) fn body(&self, request_id: &str) -> Value {
        json!({
            "code": self.code,
            "message": self.message,
            "request_id": request_id,
        })
    }
}

impl From<&ApiError> for Fault {
    fn from(error: &ApiError) -> Self {
        let (status, code, message) = match error {
            ApiError::Throttling => (429, "Throttling", "Requests throttling triggered."),
            ApiError::RateQuota => (
                429,
                "Throttling.RateQuota",
                "Requests rate limit exceeded, please try again later.",
            ),
            ApiError::BurstRate => (
                429,
                "Throttling.BurstRate",
                "Request rate increased too quickly.",
            ),
            ApiError::AllocationQuota => (
                429,
                "Throttling.AllocationQuota",
                "Allocated quota exceeded, please increase your quota limit.",
            ),
            ApiError::Internal => (
                500,
                "InternalError",
                "An internal error has occured, please try again later or contact service support.",
            ),
            ApiError::InvalidParameter(message) => {
                return Self::invalid_parameter(message.clone());
            }
            ApiError::Arrearage => (
                400,
                "Arrearage",
                "Access denied, plesase make sure your account is in good standing.",
            ),
            ApiError::DataInspectionFailed => (
                400,
                "DataInspectionFailed",
                "Input data may contain inappropriate content.",
            ),
            ApiError::Unavailable => (
                503,
                "ModelUnavailable",
                "The model is temporarily unavailable, please try again later.",
            ),
        };
        Self {
            status,
            code,
            message: message.to_owned(),
        }
    }
}
