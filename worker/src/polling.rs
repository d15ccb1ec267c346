//! Long-polling ingress for the all-in-one mode: `getUpdates` → publish each raw update to the
//! updates queue → persist the offset. An update is confirmed to Telegram (by the next offset)
//! only after the queue has it; a crash in between repeats it, and deduplication absorbs that.

use std::sync::Arc;
use std::time::Duration;

use scribe_core::retry::{Backoff, Classify, Retry};
use scribe_core::telemetry::new_trace_id;
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
}

impl Poller {
    /// Polls until `shutdown`. Errors are retried with backoff (Telegram's `retry_after`
    /// honoured); only shutdown ends the loop.
    pub async fn run(self, shutdown: CancellationToken) {
        let backoff = Backoff::new(u32::MAX, Duration::from_secs(1));
        let mut failures = 0;
        let mut offset = match self.store.bot_state(&self.bot, OFFSET_KEY).await {
            Ok(v) => v.and_then(|v| v.parse::<i64>().ok()),
            Err(error) => {
                tracing::warn!(%error, "could not read the saved offset; starting from Telegram's");
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
                Err(error) => {
                    failures += 1;
                    let hint = match error.retry() {
                        Retry::Transient { after } => after,
                        Retry::Permanent => None,
                    };
                    let wait = backoff.delay(failures, hint);
                    tracing::warn!(%error, wait_ms = wait.as_millis() as u64, "getUpdates failed");
                    tokio::select! {
                        () = shutdown.cancelled() => break,
                        () = tokio::time::sleep(wait) => continue,
                    }
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
                tracing::warn!(%error, "could not save the offset; updates may repeat after a restart");
            }
        }
        tracing::info!("long polling stopped");
    }

    /// Publishes until it works; false when shutdown came first.
    async fn publish(&self, message: Message, shutdown: &CancellationToken) -> bool {
        let mut wait = Duration::from_millis(200);
        loop {
            match self
                .queue
                .publish(QueueName::Updates, message.clone())
                .await
            {
                Ok(()) => return true,
                Err(error) => {
                    tracing::warn!(%error, "could not queue an update; retrying");
                    tokio::select! {
                        () = shutdown.cancelled() => return false,
                        () = tokio::time::sleep(wait) => {}
                    }
                    wait = (wait * 2).min(Duration::from_secs(10));
                }
            }
        }
    }
}
