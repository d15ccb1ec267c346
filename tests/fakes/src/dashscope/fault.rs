//! DashScope errors as each protocol renders them: flat `{"code","message","request_id"}` on
//! native paths, `{"error":{"message","type","param","code"},"request_id"}` on compatible-mode.

use serde_json::{Value, json};

use super::{ApiError, Protocol};

const API_KEY_HELP: &str = "Incorrect API key provided. For details, see: https://help.aliyun.com/zh/model-studio/error-code#apikey-error";
const RATE_LIMIT_HELP: &str = "You have exceeded your current request limit. For details, see: https://help.aliyun.com/zh/model-studio/error-code#rate-limit";

/// One error, with both renderings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Fault {
    status: u16,
    code: &'static str,
    message: String,
    compat_status: u16,
    compat_type: &'static str,
    compat_code: &'static str,
    compat_message: String,
}

impl Fault {
    /// A 400 whose compatible-mode form is `invalid_request_error`/`invalid_parameter_error`.
    pub(crate) fn bad_request(code: &'static str, message: impl Into<String>) -> Self {
        let message = message.into();
        Self {
            status: 400,
            code,
            compat_status: 400,
            compat_type: "invalid_request_error",
            compat_code: "invalid_parameter_error",
            compat_message: message.clone(),
            message,
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
            compat_status: 401,
            compat_type: "invalid_request_error",
            compat_code: "invalid_api_key",
            compat_message: API_KEY_HELP.to_owned(),
        }
    }

    /// An unknown model: native 400 "Model not exist." (unconfirmed wording), compatible-mode
    /// 404 `model_not_found`.
    pub(crate) fn model_not_found(model: &str) -> Self {
        Self {
            compat_status: 404,
            compat_code: "model_not_found",
            compat_message: format!(
                "The model `{model}` does not exist or you do not have access to it."
            ),
            ..Self::invalid_parameter("Model not exist.")
        }
    }

    pub(crate) fn status(&self, protocol: Protocol) -> u16 {
        match protocol {
            Protocol::Native => self.status,
            Protocol::Compatible => self.compat_status,
        }
    }

    pub(crate) fn body(&self, protocol: Protocol, request_id: &str) -> Value {
        match protocol {
            Protocol::Native => json!({
                "code": self.code,
                "message": self.message,
                "request_id": request_id,
            }),
            Protocol::Compatible => json!({
                "error": {
                    "message": self.compat_message,
                    "type": self.compat_type,
                    "param": null,
                    "code": self.compat_code,
                },
                "request_id": request_id,
            }),
        }
    }
}

impl From<&ApiError> for Fault {
    fn from(error: &ApiError) -> Self {
        let (status, code, message, compat_type, compat_code, compat_message) = match error {
            ApiError::Throttling => (
                429,
                "Throttling",
                "Requests throttling triggered.".to_owned(),
                "limit_requests",
                "limit_requests",
                RATE_LIMIT_HELP.to_owned(),
            ),
            ApiError::RateQuota => (
                429,
                "Throttling.RateQuota",
                "Requests rate limit exceeded, please try again later.".to_owned(),
                "limit_requests",
                "limit_requests",
                RATE_LIMIT_HELP.to_owned(),
            ),
            ApiError::AllocationQuota => (
                429,
                "Throttling.AllocationQuota",
                "Allocated quota exceeded, please increase your quota limit.".to_owned(),
                "insufficient_quota",
                "insufficient_quota",
                "You exceeded your current quota, please check your plan and billing details."
                    .to_owned(),
            ),
            ApiError::Internal => (
                500,
                "InternalError",
                "An internal error has occured, please try again later or contact service support."
                    .to_owned(),
                "internal_error",
                "internal_error",
                "An internal error has occured, please try again later or contact service support."
                    .to_owned(),
            ),
            ApiError::InvalidParameter(message) => (
                400,
                "InvalidParameter",
                message.clone(),
                "invalid_request_error",
                "invalid_parameter_error",
                message.clone(),
            ),
            ApiError::Arrearage => (
                400,
                "Arrearage",
                "Access denied, plesase make sure your account is in good standing.".to_owned(),
                "Arrearage",
                "Arrearage",
                "Access denied, plesase make sure your account is in good standing. For details, see: https://help.aliyun.com/zh/model-studio/error-code#overdue-payment".to_owned(),
            ),
            ApiError::DataInspectionFailed => (
                400,
                "DataInspectionFailed",
                "Input data may contain inappropriate content.".to_owned(),
                "data_inspection_failed",
                "data_inspection_failed",
                "Input data may contain inappropriate content.".to_owned(),
            ),
            ApiError::Unavailable => (
                503,
                "ModelUnavailable",
                "The model is temporarily unavailable, please try again later.".to_owned(),
                "service_unavailable_error",
                "ModelUnavailable",
                "The model is temporarily unavailable, please try again later.".to_owned(),
            ),
        };
        Self {
            status,
            code,
            message,
            compat_status: status,
            compat_type,
            compat_code,
            compat_message,
        }
    }
}
