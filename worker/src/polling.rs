//! Long-polling ingress for the all-in-one mode: `getUpdates` → publish each raw update to the
//! updates queue → persist the offset. An update is confirmed to Telegram (by the next offset)
//! only after the queue has it; a crash in between repeats it, and deduplication absorbs that.

use std::sync::Arc;
use std::time::Duration;

use scribe_core::retry::{Backoff, Classify, Retry};
use scribe_core::telemetry::{chain, new_trace_id};
use scribe_queue::{Message, Queue, QueueName};
use scribe_store::Store;
use scribe_telegram::Telegram;
use tokio_util::sync::CancellationToken;

/// Update kinds the bot handles.
pub const ALLOWED_UPDATES: &[&str] = &["message", "callback_query", "pre_checkout_query"];

const OFFSET_KEY: &str = "poll_offset";

pub struct Poller {
    pub telegram: Telegram,
    pub store: Store,
    pub queue: Arc<dyn Queue>,
    pub bot: String,
    pub timeout: Duration,
    /// Remove a webhook that blocks polling.
    pub delete_webhook: bool,
}

impl Poller {
    /// Polls until `shutdown`. Errors are retried with backoff (Telegram's `retry_after`
    /// honoured); only shutdown ends the loop. A webhook set for the bot makes `getUpdates`
    /// answer 409 Conflict: with `delete_webhook` it is removed, otherwise the log says how.
    pub async fn run(self, shutdown: CancellationToken) {
        let backoff = Backoff::new(u32::MAX, Duration::from_secs(1));
        let mut failures = 0;
        let mut offset = match self.store.bot_state(&self.bot, OFFSET_KEY).await {
            Ok(v) => v.and_then(|v| v.parse::<i64>().ok()),
            Err(error) => {
                tracing::warn!(error = %chain(&error), "could not read the saved offset; starting from Telegram's");
                None
            }
        };
        tracing::info!(?offset, "long polling started");
        loop {
            let polled = tokio::select! {
                () = shutdown.cancelled() => break,
                polled = self.telegram.get_updates(offset, self.timeout, ALLOWED_UPDATES) => polled,
            };
            let updates = match polled {
                Ok(u) => {
                    failures = 0;
                    u
                }
                Err(error) if error.is_webhook_conflict() && self.delete_webhook => {
                    match self.telegram.delete_webhook().await {
                        Ok(()) => tracing::warn!("the bot's webhook was removed; polling instead"),
                        Err(e) => tracing::warn!(error = %chain(&e), "deleteWebhook failed"),
                    }
                    failures += 1;
                    if !backoff.pause(failures, None, &shutdown).await {
                        break;
                    }
                    continue;
                }
                Err(error) => {
                    failures += 1;
                    let hint = match error.retry() {
                        Retry::Transient { after } => after,
                        Retry::Permanent => None,
                    };
                    if error.is_webhook_conflict() {
                        tracing::error!(
                            "this bot has a webhook set, so Telegram refuses to let it poll (409 Conflict); \
                             stop the webhook deployment, or run `scribe run --delete-webhook` to remove it"
                        );
                    } else {
                        tracing::warn!(error = %chain(&error), attempt = failures, "getUpdates failed");
                    }
                    if !backoff.pause(failures, hint, &shutdown).await {
                        break;
                    }
                    continue;
                }
            };
            for update in updates {
                let Some(id) = update.get("update_id").and_then(serde_json::Value::as_i64) else {
                    tracing::warn!("update without update_id skipped");
                    continue;
                };
                let message = Message {
                    payload: update.to_string().into_bytes(),
                    trace_id: new_trace_id(),
                };
                if !self.publish(message, &shutdown).await {
                    return;
                }
                offset = Some(id + 1);
            }
            if let Some(next) = offset
                && let Err(error) = self
                    .store
                    .set_bot_state(&self.bot, OFFSET_KEY, &next.to_string())
                    .await
            {
                tracing::warn!(error = %chain(&error), "could not save the offset; updates may repeat after a restart");
            }
        }
        tracing::info!("long polling stopped");
    }

    /// Publishes until it works; false when shutdown came first.
    async fn publish(&self, message: Message, shutdown: &CancellationToken) -> bool {
        let backoff = Backoff {
            attempts: u32::MAX,
            base: Duration::from_millis(200),
            cap: Duration::from_secs(10),
        };
        let mut failures = 0;
        loop {
            match self
                .queue
                .publish(QueueName::Updates, message.clone())
                .await
            {
                Ok(()) => return true,
                Err(error) => {
                    failures += 1;
                    tracing::warn!(error = %chain(&error), "could not queue an update; retrying");
                    if !backoff.pause(failures, None, shutdown).await {
                        return false;
                    }
                }
            }
        }
    }
}
