//! Whether Telegram delivers the bot's updates, from `getWebhookInfo`: a delivery error in the
//! last minutes (`last_error_date`, `last_error_message`) or updates piling up at Telegram
//! (`pending_update_count`) make the `WebhookHealthy` condition false, and with it `Ready`.
//! Also tells whether the registered URL is still ours (someone may have called `setWebhook`
//! with the same token).

use k8s_openapi::jiff::Timestamp;
use scribe_core::retry::{Classify, Retry};
use scribe_telegram::Telegram;
use serde::Deserialize;
use serde_json::json;

use crate::conditions::{Observed, State, WEBHOOK_HEALTHY, reason};

/// An error this recent makes the webhook unhealthy.
pub const RECENT_ERROR_SECONDS: i64 = 900;
/// This many updates waiting at Telegram make the webhook unhealthy.
pub const PENDING_LIMIT: i64 = 100;

/// The fields of `WebhookInfo` the operator reads.
#[derive(Debug, Clone, Default, Deserialize, PartialEq, Eq)]
pub struct WebhookInfo {
    #[serde(default)]
    pub url: String,
    #[serde(default)]
    pub pending_update_count: i64,
    #[serde(default)]
    pub last_error_date: Option<i64>,
    #[serde(default)]
    pub last_error_message: Option<String>,
}

/// What `getWebhookInfo` answered.
#[derive(Debug)]
pub enum Fetched {
    Info(WebhookInfo),
    /// The Bot API server has no such method (some emulators).
    Unsupported,
    /// Telegram did not answer usefully; health stays unknown.
    Failed(scribe_telegram::Error),
}

/// Calls `getWebhookInfo`.
pub async fn fetch(telegram: &Telegram) -> Fetched {
    match telegram
        .call::<_, WebhookInfo>("getWebhookInfo", &json!({}))
        .await
    {
        Ok(info) => Fetched::Info(info),
        Err(scribe_telegram::Error::Api { code: 404, .. }) => Fetched::Unsupported,
        Err(e) => Fetched::Failed(e),
    }
}

/// The `WebhookHealthy` condition for what Telegram answered at `now` (Unix seconds).
pub fn assess(fetched: &Fetched, now: i64) -> Observed {
    let new =
        |state, reason, message: String| Observed::new(WEBHOOK_HEALTHY, state, reason, message);
    let info = match fetched {
        Fetched::Info(info) => info,
        Fetched::Unsupported => {
            return new(
                State::Unknown,
                reason::WEBHOOK_INFO_UNSUPPORTED,
                "the Bot API server does not offer getWebhookInfo".to_owned(),
            );
        }
        Fetched::Failed(e) => {
            let why = match e.retry() {
                Retry::Transient { .. } => reason::TELEGRAM_UNAVAILABLE,
                Retry::Permanent => reason::TELEGRAM_REJECTED,
            };
            return new(State::Unknown, why, format!("getWebhookInfo failed: {e}"));
        }
    };
    let pending = info.pending_update_count;
    if let (Some(at), Some(message)) = (info.last_error_date, &info.last_error_message)
        && now - at < RECENT_ERROR_SECONDS
    {
        // The time of the error, not its age: the message stays the same from one reconcile
        // to the next, so the status is not rewritten every time.
        let when = Timestamp::from_second(at).map_or_else(|_| at.to_string(), |t| t.to_string());
        return new(
            State::False,
            reason::DELIVERY_FAILING,
            format!("Telegram could not deliver an update at {when}: {message}"),
        );
    }
    if pending >= PENDING_LIMIT {
        return new(
            State::False,
            reason::UPDATES_PILING_UP,
            format!("{pending} updates wait at Telegram for the webhook"),
        );
    }
    new(
        State::True,
        reason::DELIVERING,
        "Telegram delivers updates".to_owned(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn info(pending: i64, error: Option<(i64, &str)>) -> Fetched {
        Fetched::Info(WebhookInfo {
            url: "https://a/telegram".into(),
            pending_update_count: pending,
            last_error_date: error.map(|(at, _)| at),
            last_error_message: error.map(|(_, m)| m.to_owned()),
        })
    }

    #[test]
    fn recent_errors_and_backlogs_are_unhealthy_old_errors_are_not() {
        let now = 1_000_000;
        let healthy = assess(&info(3, None), now);
        assert_eq!((healthy.state, healthy.reason), (State::True, "Delivering"));
        let failing = assess(&info(7, Some((now - 120, "Connection timed out"))), now);
        assert_eq!(
            (failing.state, failing.reason),
            (State::False, "DeliveryFailing")
        );
        assert_eq!(
            failing.message,
            "Telegram could not deliver an update at 1970-01-12T13:44:40Z: Connection timed out"
        );
        let old = assess(&info(0, Some((now - 3600, "Connection timed out"))), now);
        assert_eq!(old.state, State::True);
        let piling = assess(&info(PENDING_LIMIT, None), now);
        assert_eq!(
            (piling.state, piling.reason),
            (State::False, "UpdatesPilingUp")
        );
        let unsupported = assess(&Fetched::Unsupported, now);
        assert_eq!(unsupported.state, State::Unknown);
    }
}
