//! The queue seam: publish with a durability confirm, consume with explicit acknowledgement,
//! retry later, or dead-letter. RabbitMQ in the cluster (`scribe-rabbitmq`), store rows in the
//! all-in-one mode (`scribe-store`). This crate holds only the seam, so nothing that names a
//! queue compiles a broker client or a database driver.
#![forbid(unsafe_code)]

use std::time::Duration;

use async_trait::async_trait;
use futures::stream::BoxStream;

/// The two queues of a bot.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum QueueName {
    /// Every Telegram update.
    Updates,
    /// Transcription jobs.
    Jobs,
}

impl QueueName {
    pub fn as_str(self) -> &'static str {
        match self {
            QueueName::Updates => "updates",
            QueueName::Jobs => "jobs",
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("queue store error")]
    Store(#[source] Box<dyn std::error::Error + Send + Sync>),
    #[error("broker error")]
    Broker(#[source] Box<dyn std::error::Error + Send + Sync>),
    #[error("the broker did not confirm the message")]
    NotConfirmed,
    #[error("the broker returned the message as unroutable")]
    Returned,
    #[error("the broker did not confirm within {0:?}")]
    ConfirmTimeout(Duration),
    #[error("the broker blocks publishing (a memory or disk alarm)")]
    Blocked,
    #[error("the broker could not be reached within {0:?}")]
    Unreachable(Duration),
}

impl scribe_core::retry::Classify for Error {
    /// Every queue failure passes: the broker or the store comes back, a confirm arrives.
    fn retry(&self) -> scribe_core::retry::Retry {
        match self {
            Error::Store(_)
            | Error::Broker(_)
            | Error::NotConfirmed
            | Error::Returned
            | Error::ConfirmTimeout(_)
            | Error::Blocked
            | Error::Unreachable(_) => scribe_core::retry::Retry::Transient { after: None },
        }
    }
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

/// A message as published.
#[derive(Debug, Clone)]
pub struct Message {
    pub payload: Vec<u8>,
    /// Carried from the update to delivery so logs of one job share it.
    pub trace_id: String,
}

/// How a consumer finishes with a delivery.
#[async_trait]
pub trait Acker: Send + Sync {
    /// Done; remove it.
    async fn ack(self: Box<Self>) -> Result<()>;
    /// Deliver again after `delay`, counting one more attempt.
    async fn retry_later(self: Box<Self>, delay: Duration) -> Result<()>;
    /// Give up: move it to the dead-letter queue.
    async fn dead_letter(self: Box<Self>) -> Result<()>;
    /// Hand it back untouched, now (shutdown).
    async fn requeue(self: Box<Self>) -> Result<()>;
}

/// One message taken from a queue. Dropping it without finishing leaves it to the broker's
/// redelivery (a closed channel, or the store's lock expiry).
pub struct Delivery {
    pub payload: Vec<u8>,
    pub trace_id: String,
    /// 1 for the first delivery, counting retries made with [`Delivery::retry_later`].
    pub attempt: u32,
    /// When it was first published (ms since the epoch), for queue-wait metrics.
    pub published_at_ms: i64,
    acker: Box<dyn Acker>,
}

impl std::fmt::Debug for Delivery {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Delivery")
            .field("bytes", &self.payload.len())
            .field("trace_id", &self.trace_id)
            .field("attempt", &self.attempt)
            .finish_non_exhaustive()
    }
}

impl Delivery {
    pub fn new(
        payload: Vec<u8>,
        trace_id: String,
        attempt: u32,
        published_at_ms: i64,
        acker: Box<dyn Acker>,
    ) -> Self {
        Self {
            payload,
            trace_id,
            attempt,
            published_at_ms,
            acker,
        }
    }

    /// Seconds since the message was first published.
    pub fn waited_seconds(&self) -> f64 {
        ((scribe_core::time::now_millis() - self.published_at_ms).max(0) as f64) / 1000.0
    }

    pub async fn ack(self) -> Result<()> {
        self.acker.ack().await
    }

    pub async fn retry_later(self, delay: Duration) -> Result<()> {
        self.acker.retry_later(delay).await
    }

    pub async fn dead_letter(self) -> Result<()> {
        self.acker.dead_letter().await
    }

    pub async fn requeue(self) -> Result<()> {
        self.acker.requeue().await
    }
}

pub type Deliveries = BoxStream<'static, Result<Delivery>>;

#[async_trait]
pub trait Queue: Send + Sync {
    /// Returns once the message is durable (a positive publisher confirm, a committed row).
    async fn publish(&self, queue: QueueName, message: Message) -> Result<()>;

    /// Like [`Queue::publish`], but consumers see the message only after `delay` (at least;
    /// the broker rounds up to its next delay step).
    async fn publish_after(
        &self,
        queue: QueueName,
        message: Message,
        delay: Duration,
    ) -> Result<()>;

    /// Starts a consumer holding at most `prefetch` unfinished deliveries. Dropping the stream
    /// cancels the consumer.
    async fn consume(&self, queue: QueueName, prefetch: u16) -> Result<Deliveries>;

    /// Messages waiting or in flight in `queue`.
    async fn depth(&self, queue: QueueName) -> Result<u64>;

    /// Messages in the dead-letter queue.
    async fn dead_letters(&self) -> Result<u64>;

    /// True when publishing would work now.
    async fn ready(&self) -> bool;
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use scribe_core::retry::{Classify, Retry};

    use super::Error;

    #[test]
    fn every_queue_failure_is_transient() {
        let cause = || Box::new(std::io::Error::other("connection reset")) as _;
        for error in [
            Error::Store(cause()),
            Error::Broker(cause()),
            Error::NotConfirmed,
            Error::Returned,
            Error::ConfirmTimeout(Duration::from_secs(5)),
            Error::Blocked,
            Error::Unreachable(Duration::from_secs(5)),
        ] {
            assert_eq!(error.retry(), Retry::Transient { after: None }, "{error:?}");
        }
    }
}
