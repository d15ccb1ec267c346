//! A queue consumer with its own concurrency budget: take a delivery only when a slot is free,
//! handle each in its own task, and on shutdown stop taking, let in-flight work finish within the
//! grace period, then tell the rest to hand their deliveries back.

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use futures::StreamExt;
use scribe_core::retry::Backoff;
use scribe_core::telemetry::chain;
use scribe_queue::{Delivery, Queue, QueueName};
use tokio::sync::Semaphore;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;
use tracing::Instrument;

/// Time given to handlers to hand deliveries back once the grace period is over.
const HAND_BACK: Duration = Duration::from_secs(5);
/// Waits before consuming again after the queue failed.
const RECONNECT: Backoff = Backoff {
    attempts: u32::MAX,
    base: Duration::from_millis(500),
    cap: Duration::from_secs(15),
};

pub struct Budget {
    pub queue: QueueName,
    pub concurrency: usize,
    pub prefetch: u16,
}

/// Consumes `budget.queue` until `shutdown`, running `handler` for each delivery.
pub async fn consume<H, Fut>(
    queue: Arc<dyn Queue>,
    budget: Budget,
    shutdown: CancellationToken,
    grace: Duration,
    handler: H,
) where
    H: Fn(Delivery, CancellationToken) -> Fut + Clone + Send + Sync + 'static,
    Fut: Future<Output = ()> + Send + 'static,
{
    let name = budget.queue.as_str();
    let hard_stop = CancellationToken::new();
    let tasks = TaskTracker::new();
    let slots = Arc::new(Semaphore::new(budget.concurrency.max(1)));
    let mut failures = 0;
    'consumer: loop {
        let mut deliveries = match queue.consume(budget.queue, budget.prefetch).await {
            Ok(d) => d,
            Err(error) => {
                failures += 1;
                tracing::warn!(error = %chain(&error), queue = name, attempt = failures, "cannot consume; retrying");
                if !RECONNECT.pause(failures, None, &shutdown).await {
                    break 'consumer;
                }
                continue 'consumer;
            }
        };
        failures = 0;
        tracing::info!(queue = name, concurrency = budget.concurrency, "consuming");
        loop {
            let slot = tokio::select! {
                biased;
                () = shutdown.cancelled() => break 'consumer,
                slot = slots.clone().acquire_owned() => match slot {
                    Ok(s) => s,
                    Err(_) => break 'consumer,
                },
            };
            let next = tokio::select! {
                biased;
                () = shutdown.cancelled() => break 'consumer,
                next = deliveries.next() => next,
            };
            match next {
                Some(Ok(delivery)) => {
                    let handler = handler.clone();
                    let hard_stop = hard_stop.clone();
                    let span =
                        tracing::info_span!("delivery", queue = name, attempt = delivery.attempt);
                    tasks.spawn(
                        async move {
                            handler(delivery, hard_stop).await;
                            drop(slot);
                        }
                        .instrument(span),
                    );
                }
                Some(Err(error)) => {
                    // A broken consumer (lost connection, failed store read) is replaced whole:
                    // nothing of it is reused, and what it left unacknowledged is redelivered.
                    failures += 1;
                    tracing::warn!(error = %chain(&error), queue = name, "consumer failed; consuming again");
                    if !RECONNECT.pause(failures, None, &shutdown).await {
                        break 'consumer;
                    }
                    continue 'consumer;
                }
                None => {
                    tracing::warn!(queue = name, "consumer stream ended; consuming again");
                    continue 'consumer;
                }
            }
        }
    }
    tasks.close();
    tracing::info!(
        queue = name,
        in_flight = tasks.len(),
        "stopped taking deliveries; draining"
    );
    if tokio::time::timeout(grace, tasks.wait()).await.is_err() {
        tracing::warn!(
            queue = name,
            in_flight = tasks.len(),
            "grace period over; handing work back"
        );
        hard_stop.cancel();
        if tokio::time::timeout(HAND_BACK, tasks.wait()).await.is_err() {
            tracing::warn!(
                queue = name,
                in_flight = tasks.len(),
                "handlers did not hand back in time; the broker redelivers what they held"
            );
        }
    }
}
