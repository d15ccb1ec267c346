//! A queue consumer with its own concurrency budget: take a delivery only when a slot is free,
//! handle each in its own task, and on shutdown stop taking, let in-flight work finish within the
//! grace period, then tell the rest to hand their deliveries back.

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use futures::StreamExt;
use scribe_core::retry::Backoff;
use scribe_core::telemetry::chain;
use scribe_queue::{Deliveries, Delivery, Queue, QueueName};
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
    let handlers = Handlers {
        handler,
        queue: name,
        slots: Arc::new(Semaphore::new(budget.concurrency.max(1))),
        tasks: TaskTracker::new(),
        hard_stop: CancellationToken::new(),
    };
    let mut failures = 0;
    loop {
        match queue.consume(budget.queue, budget.prefetch).await {
            Ok(deliveries) => {
                failures = 0;
                tracing::info!(queue = name, concurrency = budget.concurrency, "consuming");
                match handlers.take(deliveries, &shutdown).await {
                    Taken::Stop => break,
                    Taken::Ended => {
                        tracing::warn!(queue = name, "consumer stream ended; consuming again");
                        continue;
                    }
                    Taken::Failed(error) => {
                        // A broken consumer (lost connection, failed store read) is replaced
                        // whole: nothing of it is reused, and what it left unacknowledged is
                        // redelivered.
                        failures += 1;
                        tracing::warn!(error = %chain(&error), queue = name, "consumer failed; consuming again");
                    }
                }
            }
            Err(error) => {
                failures += 1;
                tracing::warn!(error = %chain(&error), queue = name, attempt = failures, "cannot consume; retrying");
            }
        }
        if !RECONNECT.pause(failures, None, &shutdown).await {
            break;
        }
    }
    handlers.drain(grace).await;
}

/// How taking from one consumer stream ended.
enum Taken {
    /// Shutdown: take nothing more.
    Stop,
    /// The consumer failed: replace it after a pause.
    Failed(scribe_queue::Error),
    /// The broker ended the stream: replace it now.
    Ended,
}

/// The handlers of one queue: the budget they run in, the tasks running, and the token that
/// tells them to hand their deliveries back.
struct Handlers<H> {
    handler: H,
    queue: &'static str,
    slots: Arc<Semaphore>,
    tasks: TaskTracker,
    hard_stop: CancellationToken,
}

impl<H, Fut> Handlers<H>
where
    H: Fn(Delivery, CancellationToken) -> Fut + Clone + Send + Sync + 'static,
    Fut: Future<Output = ()> + Send + 'static,
{
    /// Takes deliveries while a slot is free, each handled in its own task, until shutdown or
    /// the stream's end.
    async fn take(&self, mut deliveries: Deliveries, shutdown: &CancellationToken) -> Taken {
        loop {
            let slot = tokio::select! {
                biased;
                () = shutdown.cancelled() => return Taken::Stop,
                slot = self.slots.clone().acquire_owned() => match slot {
                    Ok(s) => s,
                    Err(_) => return Taken::Stop,
                },
            };
            let next = tokio::select! {
                biased;
                () = shutdown.cancelled() => return Taken::Stop,
                next = deliveries.next() => next,
            };
            let delivery = match next {
                Some(Ok(delivery)) => delivery,
                Some(Err(error)) => return Taken::Failed(error),
                None => return Taken::Ended,
            };
            let handler = self.handler.clone();
            let hard_stop = self.hard_stop.clone();
            let span =
                tracing::info_span!("delivery", queue = self.queue, attempt = delivery.attempt);
            self.tasks.spawn(
                async move {
                    handler(delivery, hard_stop).await;
                    drop(slot);
                }
                .instrument(span),
            );
        }
    }

    /// Lets in-flight handlers finish within `grace`, then tells them to hand back.
    async fn drain(self, grace: Duration) {
        let Handlers {
            queue,
            tasks,
            hard_stop,
            ..
        } = self;
        tasks.close();
        tracing::info!(
            queue,
            in_flight = tasks.len(),
            "stopped taking deliveries; draining"
        );
        if tokio::time::timeout(grace, tasks.wait()).await.is_ok() {
            return;
        }
        tracing::warn!(
            queue,
            in_flight = tasks.len(),
            "grace period over; handing work back"
        );
        hard_stop.cancel();
        if tokio::time::timeout(HAND_BACK, tasks.wait()).await.is_err() {
            tracing::warn!(
                queue,
                in_flight = tasks.len(),
                "handlers did not hand back in time; the broker redelivers what they held"
            );
        }
    }
}
