//! The all-in-one queue: messages are rows in the store, so a crash or Ctrl-C loses nothing and
//! the next start resumes them. Meant for one process (`scribe run`).

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use tokio::sync::{Notify, OwnedSemaphorePermit, Semaphore};

use crate::Store;
use scribe_queue::{Acker, Deliveries, Delivery, Error, Message, Queue, QueueName, Result};

const DEAD: &str = "dead";
/// A taken message stays locked this long; a restart unlocks everything anyway.
const LOCK_MS: i64 = 60 * 60 * 1000;
/// Longest sleep between two looks for delayed messages.
const IDLE_POLL: Duration = Duration::from_secs(1);

impl From<crate::Error> for Error {
    fn from(e: crate::Error) -> Self {
        Error::Store(Box::new(e))
    }
}

#[derive(Clone)]
pub struct StoreQueue {
    store: Store,
    wake: Arc<HashMap<&'static str, Arc<Notify>>>,
}

impl StoreQueue {
    /// Also unlocks messages a previous run left locked: in this mode nobody else consumes.
    pub async fn start(store: Store) -> Result<StoreQueue> {
        store.unlock_all_messages().await?;
        let wake = [QueueName::Updates, QueueName::Jobs]
            .into_iter()
            .map(|q| (q.as_str(), Arc::new(Notify::new())))
            .collect();
        Ok(StoreQueue {
            store,
            wake: Arc::new(wake),
        })
    }

    fn notify(&self, queue: &str) -> Arc<Notify> {
        self.wake
            .get(queue)
            .cloned()
            .unwrap_or_else(|| Arc::new(Notify::new()))
    }
}

struct StoreAcker {
    store: Store,
    wake: Arc<Notify>,
    id: i64,
    queue: &'static str,
    attempt: i64,
    _permit: OwnedSemaphorePermit,
}

#[async_trait]
impl Acker for StoreAcker {
    async fn ack(self: Box<Self>) -> Result<()> {
        Ok(self.store.delete_message(self.id).await?)
    }

    async fn retry_later(self: Box<Self>, delay: Duration) -> Result<()> {
        let delay_ms = i64::try_from(delay.as_millis()).unwrap_or(i64::MAX);
        self.store
            .return_message(self.id, self.queue, self.attempt + 1, delay_ms)
            .await?;
        self.wake.notify_one();
        Ok(())
    }

    async fn dead_letter(self: Box<Self>) -> Result<()> {
        Ok(self
            .store
            .return_message(self.id, DEAD, self.attempt, 0)
            .await?)
    }

    async fn requeue(self: Box<Self>) -> Result<()> {
        self.store
            .return_message(self.id, self.queue, self.attempt, 0)
            .await?;
        self.wake.notify_one();
        Ok(())
    }
}

#[async_trait]
impl Queue for StoreQueue {
    async fn publish(&self, queue: QueueName, message: Message) -> Result<()> {
        let payload = String::from_utf8_lossy(&message.payload);
        self.store
            .enqueue(queue.as_str(), &payload, &message.trace_id, 1, 0)
            .await?;
        self.notify(queue.as_str()).notify_one();
        Ok(())
    }

    async fn publish_after(
        &self,
        queue: QueueName,
        message: Message,
        delay: Duration,
    ) -> Result<()> {
        let payload = String::from_utf8_lossy(&message.payload);
        let delay_ms = i64::try_from(delay.as_millis()).unwrap_or(i64::MAX);
        self.store
            .enqueue(queue.as_str(), &payload, &message.trace_id, 1, delay_ms)
            .await?;
        // The consumer looks for due messages at least every second.
        Ok(())
    }

    async fn consume(&self, queue: QueueName, prefetch: u16) -> Result<Deliveries> {
        let name = queue.as_str();
        let store = self.store.clone();
        let wake = self.notify(name);
        let slots = Arc::new(Semaphore::new(usize::from(prefetch.max(1))));
        let stream = futures::stream::unfold((), move |()| {
            let (store, wake, slots) = (store.clone(), wake.clone(), slots.clone());
            async move {
                let permit = slots.acquire_owned().await.ok()?;
                loop {
                    // Look before taking: the look is a read, which never waits for SQLite's
                    // write lock nor holds it up; only a message that is due costs a write.
                    let due_in = match store.next_due_in(name).await {
                        Ok(d) => d,
                        Err(e) => return Some((Err(e.into()), ())),
                    };
                    if due_in == Some(0) {
                        match store.take_due(name, 1, LOCK_MS).await {
                            Ok(mut rows) => match rows.pop() {
                                Some(row) => {
                                    let acker = StoreAcker {
                                        store: store.clone(),
                                        wake: wake.clone(),
                                        id: row.id,
                                        queue: name,
                                        attempt: row.attempt,
                                        _permit: permit,
                                    };
                                    return Some((Ok(delivery(row, acker)), ()));
                                }
                                // Another consumer took it first: look again.
                                None => continue,
                            },
                            Err(e) => return Some((Err(e.into()), ())),
                        }
                    }
                    let idle = due_in.map_or(IDLE_POLL, |ms| {
                        Duration::from_millis(u64::try_from(ms).unwrap_or(0)).min(IDLE_POLL)
                    });
                    tokio::select! {
                        () = wake.notified() => {}
                        () = tokio::time::sleep(idle) => {}
                    }
                }
            }
        });
        Ok(Box::pin(stream))
    }

    async fn depth(&self, queue: QueueName) -> Result<u64> {
        Ok(u64::try_from(self.store.queue_depth(queue.as_str()).await?).unwrap_or(0))
    }

    async fn dead_letters(&self) -> Result<u64> {
        Ok(u64::try_from(self.store.queue_depth(DEAD).await?).unwrap_or(0))
    }

    async fn ready(&self) -> bool {
        self.store.ping().await
    }
}

/// A taken row as a delivery that `acker` settles.
fn delivery(row: crate::QueueRow, acker: StoreAcker) -> Delivery {
    Delivery::new(
        row.payload.into_bytes(),
        row.trace_id,
        u32::try_from(row.attempt).unwrap_or(u32::MAX),
        row.created_at,
        Box::new(acker),
    )
}
