//! Getting updates: `getMe`, long polling, webhooks.

use std::time::Duration;

use serde_json::{Value, json};
use tokio::time::Instant;

use super::WebhookState;
use super::error::TgError;
use super::method::Answer;
use super::params::Params;
use super::state::Shared;

/// Longest long poll the Bot API honours, in seconds.
const MAX_POLL_TIMEOUT: i64 = 50;

const WEBHOOK_CONFLICT: &str = "can't use getUpdates method while webhook is active; use deleteWebhook to delete the webhook first";
const POLLER_CONFLICT: &str =
    "terminated by other getUpdates request; make sure that only one bot instance is running";

/// `getMe`: the bot's `User` with the capability flags only `getMe` returns, in the order the
/// Bot API server writes them.
pub(crate) fn get_me(shared: &Shared) -> Answer {
    let book = shared.book();
    let mut me = shared.bot.clone();
    me["can_join_groups"] = json!(book.can_join_groups);
    me["can_read_all_group_messages"] = json!(!book.privacy_mode);
    me["supports_inline_queries"] = json!(false);
    me["supports_guest_queries"] = json!(false);
    me["can_connect_to_business"] = json!(false);
    me["has_main_web_app"] = json!(false);
    me["has_topics_enabled"] = json!(false);
    me["allows_users_to_create_topics"] = json!(false);
    me["can_manage_bots"] = json!(false);
    me.into()
}

fn allowed_updates(params: &Params) -> Result<Option<Vec<String>>, TgError> {
    let Some(value) = params.get("allowed_updates") else {
        return Ok(None);
    };
    let Some(items) = value.as_array() else {
        return Err(TgError::bad_request(
            "can't parse allowed_updates JSON object",
        ));
    };
    Ok(Some(
        items
            .iter()
            .filter_map(Value::as_str)
            .map(str::to_owned)
            .collect(),
    ))
}

/// `getUpdates`: confirms below `offset`, then answers at once when updates are pending or
/// `timeout` is 0, else waits up to `timeout` seconds for one to arrive. A newer `getUpdates`
/// ends an older waiting one with 409, as the real server does.
pub(crate) async fn get_updates(shared: &Shared, params: &Params) -> Result<Answer, TgError> {
    let limit = params.integer("limit").unwrap_or(100).clamp(1, 100);
    let limit = usize::try_from(limit).unwrap_or(100);
    let timeout = params
        .integer("timeout")
        .unwrap_or(0)
        .clamp(0, MAX_POLL_TIMEOUT);
    let allowed = allowed_updates(params)?;
    let generation = {
        let mut book = shared.book();
        if book.webhook.is_some() {
            return Err(TgError::conflict(WEBHOOK_CONFLICT));
        }
        if let Some(offset) = params.integer("offset") {
            book.confirm(offset);
        }
        if allowed.is_some() {
            book.allowed_updates = allowed;
        }
        book.poll_generation += 1;
        book.poll_generation
    };
    // Ends any older poll still waiting.
    shared.changed.notify_waiters();

    let deadline = Instant::now() + Duration::from_secs(timeout.unsigned_abs());
    loop {
        let changed = shared.changed.notified();
        tokio::pin!(changed);
        changed.as_mut().enable();
        {
            let mut book = shared.book();
            if book.poll_generation != generation {
                return Err(TgError::conflict(POLLER_CONFLICT));
            }
            if book.webhook.is_some() {
                return Err(TgError::conflict(WEBHOOK_CONFLICT));
            }
            let batch = book.batch(limit);
            if !batch.is_empty() || Instant::now() >= deadline {
                return Ok(Value::Array(batch).into());
            }
        }
        tokio::select! {
            () = &mut changed => {}
            () = tokio::time::sleep_until(deadline) => {}
        }
    }
}

/// Validates a webhook URL: HTTPS on an allowed port (a local server takes any HTTP(S) URL).
fn check_webhook_url(url: &str, local: bool) -> Result<(), TgError> {
    let rest = if let Some(rest) = url.strip_prefix("https://") {
        rest
    } else if local && let Some(rest) = url.strip_prefix("http://") {
        rest
    } else {
        return Err(TgError::bad_request(
            "bad webhook: An HTTPS URL must be provided for webhook",
        ));
    };
    let authority = rest.split(['/', '?', '#']).next().unwrap_or_default();
    let host_port = authority.rsplit('@').next().unwrap_or_default();
    if host_port.is_empty() {
        return Err(TgError::bad_request("bad webhook: Wrong HTTP URL"));
    }
    if !local
        && let Some((_, port)) = host_port.rsplit_once(':')
        && !host_port.ends_with(']')
        && !["443", "80", "88", "8443"].contains(&port)
    {
        return Err(TgError::bad_request(
            "bad webhook: Webhook can be set up only on ports 80, 88, 443 or 8443",
        ));
    }
    Ok(())
}

fn check_secret_token(secret: &str) -> Result<(), TgError> {
    if secret.len() > 256 {
        return Err(TgError::bad_request(
            "bad webhook: secret token is too long",
        ));
    }
    let valid = secret
        .bytes()
        .all(|byte| byte.is_ascii_alphanumeric() || byte == b'_' || byte == b'-');
    if !valid {
        return Err(TgError::bad_request(
            "bad webhook: secret token contains unallowed characters",
        ));
    }
    Ok(())
}

pub(crate) fn set_webhook(shared: &Shared, params: &Params) -> Result<Answer, TgError> {
    let url = params.text("url").unwrap_or_default();
    let local = shared.local_dir.is_some();
    if url.is_empty() {
        return Ok(delete_webhook(shared, params));
    }
    check_webhook_url(&url, local)?;
    // An empty secret is taken as "no secret", as the Bot API does.
    let secret_token = params
        .text("secret_token")
        .filter(|secret| !secret.is_empty());
    if let Some(secret) = &secret_token {
        check_secret_token(secret)?;
    }
    let max_connections = params.integer("max_connections").map(|requested| {
        let ceiling = if local { 100_000 } else { 100 };
        u32::try_from(requested.clamp(1, ceiling)).unwrap_or(40)
    });
    let allowed = allowed_updates(params)?;
    {
        let mut book = shared.book();
        if params.boolean("drop_pending_updates") == Some(true) {
            book.queue.clear();
        }
        let previous_allowed = book.allowed_updates.clone();
        let allowed_updates = allowed.or(previous_allowed);
        book.allowed_updates.clone_from(&allowed_updates);
        book.webhook = Some(WebhookState {
            url,
            secret_token,
            allowed_updates,
            max_connections,
        });
    }
    shared.changed.notify_waiters();
    Ok(Answer {
        result: json!(true),
        description: Some("Webhook was set"),
    })
}

pub(crate) fn delete_webhook(shared: &Shared, params: &Params) -> Answer {
    let mut book = shared.book();
    if params.boolean("drop_pending_updates") == Some(true) {
        book.queue.clear();
    }
    let description = if book.webhook.take().is_some() {
        "Webhook was deleted"
    } else {
        "Webhook is already deleted"
    };
    Answer {
        result: json!(true),
        description: Some(description),
    }
}

pub(crate) fn get_webhook_info(shared: &Shared) -> Answer {
    let book = shared.book();
    let pending = book.queue.len();
    let Some(webhook) = &book.webhook else {
        return json!({"url": "", "has_custom_certificate": false, "pending_update_count": pending})
            .into();
    };
    let mut info = json!({
        "url": webhook.url,
        "has_custom_certificate": false,
        "pending_update_count": pending,
        "max_connections": webhook.max_connections.unwrap_or(40),
    });
    if let Some(allowed) = &webhook.allowed_updates {
        info["allowed_updates"] = json!(allowed);
    }
    if let Some((date, message)) = &book.delivery_error {
        info["last_error_date"] = json!(date);
        info["last_error_message"] = json!(message);
    }
    info.into()
}
