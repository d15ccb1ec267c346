//! Gemini response bodies: success (§3.2) and Google RPC errors (§3.3).

use serde_json::{Value, json};

use super::{GeminiCall, GeminiReply};
use crate::id;

/// Rough token count of a text (the fake has no tokenizer).
fn tokens(text: &str) -> u64 {
    (text.chars().count() as u64).div_ceil(4).max(1)
}

/// `{"error":{"code","message","status"[,"details"]}}`.
pub(crate) fn error(code: u16, status: &str, message: &str, details: Option<Value>) -> Value {
    let mut error = json!({"code": code, "message": message, "status": status});
    if let Some(details) = details {
        error["details"] = details;
    }
    json!({ "error": error })
}

pub(crate) fn invalid_argument(message: &str) -> (u16, Value) {
    (400, error(400, "INVALID_ARGUMENT", message, None))
}

pub(crate) fn invalid_key() -> (u16, Value) {
    let message = "API key not valid. Please pass a valid API key.";
    let details = json!([
        {
            "@type": "type.googleapis.com/google.rpc.ErrorInfo",
            "reason": "API_KEY_INVALID",
            "domain": "googleapis.com",
            "metadata": {"service": "generativelanguage.googleapis.com"},
        },
        {
            "@type": "type.googleapis.com/google.rpc.LocalizedMessage",
            "locale": "en-US",
            "message": message,
        },
    ]);
    (400, error(400, "INVALID_ARGUMENT", message, Some(details)))
}

pub(crate) fn missing_key() -> (u16, Value) {
    let message = "Method doesn't allow unregistered callers (callers without established identity). Please use API Key or other form of API consumer identity to call this API.";
    (403, error(403, "PERMISSION_DENIED", message, None))
}

pub(crate) fn model_not_found(model: &str) -> (u16, Value) {
    let message = format!(
        "models/{model} is not found for API version v1beta, or is not supported for generateContent. Call ListModels to see the list of available models and their supported methods."
    );
    (404, error(404, "NOT_FOUND", &message, None))
}

fn usage(prompt: u64, candidates: Option<u64>, thoughts: u64) -> Value {
    let mut usage = json!({
        "promptTokenCount": prompt,
        "totalTokenCount": prompt + candidates.unwrap_or(0) + thoughts,
        "promptTokensDetails": [{"modality": "TEXT", "tokenCount": prompt}],
    });
    if let Some(candidates) = candidates {
        usage["candidatesTokenCount"] = json!(candidates);
    }
    if thoughts > 0 {
        usage["thoughtsTokenCount"] = json!(thoughts);
    }
    usage
}

/// Thinking tokens the call would spend: none with `thinkingBudget: 0`.
fn thoughts(call: &GeminiCall) -> u64 {
    match call.thinking_budget {
        Some(0) => 0,
        Some(budget) if budget > 0 => budget.unsigned_abs().min(128),
        _ => 128,
    }
}

fn success(call: &GeminiCall, candidates: Option<Value>, usage: Value) -> Value {
    let mut body = json!({
        "usageMetadata": usage,
        "modelVersion": call.model,
        "responseId": id::url_safe(22),
    });
    match candidates {
        Some(candidates) => body["candidates"] = candidates,
        None => {
            body["promptFeedback"] = json!({
                "blockReason": "SAFETY",
                "safetyRatings": [{
                    "category": "HARM_CATEGORY_DANGEROUS_CONTENT",
                    "probability": "HIGH",
                    "blocked": true,
                }],
            });
        }
    }
    body
}

/// Status and body for `reply` to `call`.
pub(crate) fn reply(call: &GeminiCall, reply: &GeminiReply) -> (u16, Value) {
    let prompt = tokens(&call.user) + call.system.as_deref().map_or(0, tokens);
    match reply {
        GeminiReply::Text(text) | GeminiReply::MaxTokens(text) => {
            let finish = if matches!(reply, GeminiReply::Text(_)) {
                "STOP"
            } else {
                "MAX_TOKENS"
            };
            let candidates = json!([{
                "content": {"role": "model", "parts": [{"text": text}]},
                "finishReason": finish,
                "index": 0,
            }]);
            let usage = usage(prompt, Some(tokens(text)), thoughts(call));
            (200, success(call, Some(candidates), usage))
        }
        GeminiReply::MaxTokensNoParts => {
            let candidates = json!([{
                "content": {"role": "model"},
                "finishReason": "MAX_TOKENS",
                "index": 0,
            }]);
            let spent = call.max_output_tokens.unwrap_or(1024).max(1);
            (
                200,
                success(call, Some(candidates), usage(prompt, None, spent)),
            )
        }
        GeminiReply::Blocked => (200, success(call, None, usage(prompt, None, 0))),
        GeminiReply::ModelGone => {
            let message = format!(
                "This model models/{} is no longer available to new users. Please update your code to use a newer model for the latest features and improvements.",
                call.model
            );
            (404, error(404, "NOT_FOUND", &message, None))
        }
        GeminiReply::Exhausted { retry_delay_secs } => {
            let message = format!(
                "You exceeded your current quota, please check your plan and billing details. For more information on this error, head to: https://ai.google.dev/gemini-api/docs/rate-limits. To monitor your current usage, head to: https://ai.dev/usage?tab=rate-limit. \n* Quota exceeded for metric: generativelanguage.googleapis.com/generate_content_free_tier_requests, limit: 10, model: {}\nPlease retry in {retry_delay_secs}.0s.",
                call.model
            );
            let details = json!([
                {
                    "@type": "type.googleapis.com/google.rpc.QuotaFailure",
                    "violations": [{
                        "quotaMetric": "generativelanguage.googleapis.com/generate_content_free_tier_requests",
                        "quotaId": "GenerateRequestsPerMinutePerProjectPerModel-FreeTier",
                        "quotaDimensions": {"location": "global", "model": call.model},
                        "quotaValue": "10",
                    }],
                },
                {
                    "@type": "type.googleapis.com/google.rpc.Help",
                    "links": [{
                        "description": "Learn more about Gemini API quotas",
                        "url": "https://ai.google.dev/gemini-api/docs/rate-limits",
                    }],
                },
                {
                    "@type": "type.googleapis.com/google.rpc.RetryInfo",
                    "retryDelay": format!("{retry_delay_secs}s"),
                },
            ]);
            (
                429,
                error(429, "RESOURCE_EXHAUSTED", &message, Some(details)),
            )
        }
        GeminiReply::Overloaded => (
            503,
            error(
                503,
                "UNAVAILABLE",
                "The model is overloaded. Please try again later.",
                None,
            ),
        ),
        GeminiReply::Internal => (
            500,
            error(
                500,
                "INTERNAL",
                "An internal error has occurred. Please retry or report in https://developers.generativeai.google/guide/troubleshooting",
                None,
            ),
        ),
    }
}
