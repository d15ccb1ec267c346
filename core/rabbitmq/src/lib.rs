//! The cluster queue on RabbitMQ (lapin).
//!
//! Topology, declared idempotently on every (re)connection by publishers and consumers alike:
//! - exchange `scribe.<bot>` (direct, durable);
//! - quorum queues `scribe.<bot>.updates` and `scribe.<bot>.jobs`, bound by their short names,
//!   with a delivery limit whose overflow the broker dead-letters to `scribe.<bot>.dead`;
//! - delay queues `scribe.<bot>.retry.<queue>.<seconds>s` (message TTL, dead-lettered back to the
//!   exchange with the target's routing key): a retry goes to the shortest step that is long
//!   enough, so no delayed-message plugin is needed. The steps are [`RETRY_STEPS`] plus every delay
//!   of the configured job retry ladder, so a configured delay is the delay a job waits;
//! - quorum queue `scribe.<bot>.dead`.
//!
//! Publishing waits for a positive, non-returned publisher confirm (persistent, `mandatory`) on
//! a small pool of confirm channels shared by all callers, for at most the confirm timeout: a
//! broker that stops confirming (a memory or disk alarm blocks publishers) fails the publish
//! instead of holding the caller, and makes the queue not ready until a probe gets through. The connection is re-established on
//! demand after any failure (a tested reconnect loop instead of lapin's auto-recovery, so no
//! delivery or half-open state survives a reconnect: what was unacknowledged is redelivered).
#![forbid(unsafe_code)]

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::Duration;

use async_trait::async_trait;
use futures::StreamExt;
use lapin::options::{
    BasicAckOptions, BasicConsumeOptions, BasicNackOptions, BasicPublishOptions, BasicQosOptions,
    ConfirmSelectOptions, ExchangeDeclareOptions, QueueBindOptions, QueueDeclareOptions,
};
use lapin::types::{AMQPValue, FieldTable, LongString, ShortString};
use lapin::{
    BasicProperties, Channel, Confirmation, Connection, ConnectionProperties, ExchangeKind,
};
use tokio::sync::Mutex;

use scribe_core::secret::Secret;
use scribe_core::time::now_millis;
use scribe_queue::{Acker, Deliveries, Delivery, Error, Message, Queue, QueueName, Result};

/// Delay steps of the retry queues, in seconds (the job retry ladder adds its own).
pub const RETRY_STEPS: &[u64] = &[1, 5, 30, 120, 600, 3600];
/// Redeliveries (crashes, requeues) after which the broker dead-letters a message.
const DELIVERY_LIMIT: i64 = 50;
const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);
/// How long a message whose retry could not be published waits before going back to its queue.
const REQUEUE_PAUSE: Duration = Duration::from_secs(1);

const TRACE_HEADER: &str = "x-trace-id";
const ATTEMPT_HEADER: &str = "x-attempt";
const PUBLISHED_HEADER: &str = "x-published-ms";

/// Queue and exchange names of one bot.
#[derive(Debug, Clone)]
pub struct Names {
    pub exchange: String,
    pub updates: String,
    pub jobs: String,
    pub dead: String,
    /// Delay steps of the retry queues, ascending.
    pub steps: Vec<u64>,
}

impl Names {
    /// Names with the default delay steps.
    pub fn new(bot: &str) -> Self {
        Self::with_delays(bot, &[])
    }

    /// Names whose delay steps also hold `delays` (the job retry ladder, whole seconds).
    pub fn with_delays(bot: &str, delays: &[Duration]) -> Self {
        let exchange = format!("scribe.{bot}");
        let mut steps: Vec<u64> = RETRY_STEPS
            .iter()
            .copied()
            .chain(delays.iter().map(|d| d.as_secs().max(1)))
            .collect();
        steps.sort_unstable();
        steps.dedup();
        Names {
            updates: format!("{exchange}.updates"),
            jobs: format!("{exchange}.jobs"),
            dead: format!("{exchange}.dead"),
            exchange,
            steps,
        }
    }

    /// The shortest delay step at least `delay` long (the longest one for longer delays).
    pub fn step_for(&self, delay: Duration) -> u64 {
        let secs = delay.as_secs_f64();
        self.steps
            .iter()
            .copied()
            .find(|s| *s as f64 >= secs)
            .or(self.steps.last().copied())
            .unwrap_or(1)
    }

    pub fn queue(&self, queue: QueueName) -> &str {
        match queue {
            QueueName::Updates => &self.updates,
            QueueName::Jobs => &self.jobs,
        }
    }

    pub fn retry(&self, queue: QueueName, step: u64) -> String {
        format!("{}.retry.{}.{step}s", self.exchange, queue.as_str())
    }

    /// Every queue of the bot (for clean-up tools and tests).
    pub fn all_queues(&self) -> Vec<String> {
        let mut all = vec![self.updates.clone(), self.jobs.clone(), self.dead.clone()];
        for queue in [QueueName::Updates, QueueName::Jobs] {
            all.extend(self.steps.iter().map(|s| self.retry(queue, *s)));
        }
        all
    }
}

fn broker(e: lapin::Error) -> Error {
    Error::Broker(Box::new(e))
}

/// A broker operation, given `limit` to complete. Every frame this client sends waits while the
/// broker blocks the connection (a resource alarm), acknowledgements included; nothing may wait
/// for that unbounded.
async fn bounded<T>(
    limit: Duration,
    operation: impl std::future::Future<Output = Result<T, lapin::Error>>,
) -> Result<T> {
    match tokio::time::timeout(limit, operation).await {
        Ok(result) => result.map_err(broker),
        Err(_) => Err(Error::ConfirmTimeout(limit)),
    }
}

#[derive(Clone)]
struct Link {
    connection: Arc<Connection>,
    publishers: Vec<Channel>,
}

impl Link {
    fn usable(&self) -> bool {
        self.connection.status().connected()
            && self.publishers.iter().all(|c| c.status().connected())
    }
}

struct Inner {
    url: Secret,
    names: Names,
    publishers: usize,
    link: Mutex<Option<Link>>,
    next: AtomicUsize,
    connection_name: String,
    confirm_timeout: Duration,
    /// A publish found no confirm within the timeout; cleared by the next confirm or probe.
    stalled: AtomicBool,
}

/// How a [`RabbitQueue`] is set up.
#[derive(Debug, Clone)]
pub struct Settings {
    pub url: Secret,
    pub bot: String,
    /// Confirm channels shared by all publishers.
    pub publishers: usize,
    /// Shown in the broker's management UI.
    pub connection_name: String,
    pub confirm_timeout: Duration,
    /// The job retry ladder: each delay gets a delay queue of its own.
    pub retry_delays: Vec<Duration>,
}

/// RabbitMQ as the [`Queue`]. Cheap to clone; connects on first use.
#[derive(Clone)]
pub struct RabbitQueue {
    inner: Arc<Inner>,
}

impl RabbitQueue {
    /// No I/O: the connection is made (and remade) when needed.
    pub fn new(settings: Settings) -> Self {
        let Settings {
            url,
            bot,
            publishers,
            connection_name,
            confirm_timeout,
            retry_delays,
        } = settings;
        RabbitQueue {
            inner: Arc::new(Inner {
                url,
                names: Names::with_delays(&bot, &retry_delays),
                publishers: publishers.max(1),
                link: Mutex::new(None),
                next: AtomicUsize::new(0),
                connection_name,
                confirm_timeout,
                stalled: AtomicBool::new(false),
            }),
        }
    }

    pub fn names(&self) -> &Names {
        &self.inner.names
    }

    /// The live link, connecting (and declaring the topology) when there is none.
    async fn link(&self) -> Result<Link> {
        let mut current = self.inner.link.lock().await;
        if let Some(link) = current.as_ref().filter(|l| l.usable()) {
            return Ok(link.clone());
        }
        if let Some(old) = current.take() {
            // Whatever state the old connection had is gone; its unacked deliveries return.
            if let Err(error) = old.connection.close(320, "reconnecting".into()).await {
                tracing::debug!(%error, "the old connection was already gone");
            }
        }
        let link = tokio::time::timeout(CONNECT_TIMEOUT, self.connect())
            .await
            .map_err(|_| Error::Unreachable(CONNECT_TIMEOUT))??;
        tracing::info!("connected to RabbitMQ");
        *current = Some(link.clone());
        Ok(link)
    }

    async fn connect(&self) -> Result<Link> {
        let properties = ConnectionProperties::default()
            .with_connection_name(self.inner.connection_name.clone().into());
        let connection = Connection::connect(self.inner.url.expose(), properties)
            .await
            .map_err(broker)?;
        let setup = connection.create_channel().await.map_err(broker)?;
        declare(&setup, &self.inner.names).await?;
        if let Err(error) = setup.close(200, "declared".into()).await {
            tracing::debug!(%error, "could not close the declaring channel");
        }
        let mut publishers = Vec::with_capacity(self.inner.publishers);
        for _ in 0..self.inner.publishers {
            let channel = connection.create_channel().await.map_err(broker)?;
            channel
                .confirm_select(ConfirmSelectOptions::default())
                .await
                .map_err(broker)?;
            publishers.push(channel);
        }
        Ok(Link {
            connection: Arc::new(connection),
            publishers,
        })
    }

    /// Forgets a link that failed, so the next call reconnects.
    async fn drop_link(&self) {
        let mut current = self.inner.link.lock().await;
        if current.as_ref().is_some_and(|l| !l.usable()) {
            *current = None;
        }
    }

    /// Publishes and waits for the broker's confirm.
    async fn publish_raw(
        &self,
        exchange: &str,
        routing_key: &str,
        payload: &[u8],
        properties: BasicProperties,
    ) -> Result<()> {
        let link = self.link().await?;
        if link.connection.status().blocked() {
            // A resource alarm: the broker holds every publish of this connection (and lapin
            // would wait with it); fail now, the caller retries later.
            self.inner.stalled.store(true, Ordering::Relaxed);
            return Err(Error::Blocked);
        }
        let index = self.inner.next.fetch_add(1, Ordering::Relaxed) % link.publishers.len();
        let channel = &link.publishers[index];
        let options = BasicPublishOptions {
            mandatory: true,
            ..BasicPublishOptions::default()
        };
        let timeout = self.inner.confirm_timeout;
        let confirmed = tokio::time::timeout(timeout, async {
            channel
                .basic_publish(
                    exchange.into(),
                    routing_key.into(),
                    options,
                    payload,
                    properties,
                )
                .await?
                .await
        })
        .await;
        let Ok(confirmed) = confirmed else {
            self.inner.stalled.store(true, Ordering::Relaxed);
            return Err(Error::ConfirmTimeout(timeout));
        };
        if confirmed.is_ok() {
            self.inner.stalled.store(false, Ordering::Relaxed);
        }
        match confirmed {
            Ok(Confirmation::Ack(None)) => Ok(()),
            Ok(Confirmation::Ack(Some(_))) => Err(Error::Returned),
            Ok(Confirmation::Nack(_) | Confirmation::NotRequested) => Err(Error::NotConfirmed),
            Err(e) => {
                self.drop_link().await;
                Err(broker(e))
            }
        }
    }

    /// Closes the connection; unacknowledged deliveries go back to their queues.
    pub async fn close(&self) {
        if let Some(link) = self.inner.link.lock().await.take()
            && let Err(error) = link.connection.close(200, "shutdown".into()).await
        {
            tracing::debug!(%error, "the connection was already gone at shutdown");
        }
    }

    /// Messages ready in a queue by full name (passive declare; 0 when it does not exist).
    pub async fn ready_messages(&self, name: &str) -> Result<u64> {
        let limit = self.inner.confirm_timeout;
        let link = self.link().await?;
        let channel = bounded(limit, link.connection.create_channel()).await?;
        let options = QueueDeclareOptions {
            passive: true,
            ..QueueDeclareOptions::default()
        };
        let declared = bounded(
            limit,
            channel.queue_declare(name.into(), options, FieldTable::default()),
        )
        .await;
        if let Err(error) = bounded(limit, channel.close(200, "checked".into())).await {
            tracing::debug!(error = %scribe_core::telemetry::chain(&error), "could not close the checking channel");
        }
        match declared {
            Ok(queue) => Ok(u64::from(queue.message_count())),
            Err(Error::Broker(_)) => Ok(0),
            Err(timeout) => Err(timeout),
        }
    }
}

fn queue_args(entries: &[(&str, AMQPValue)]) -> FieldTable {
    let mut table = FieldTable::default();
    for (k, v) in entries {
        table.insert(ShortString::from(*k), v.clone());
    }
    table
}

fn text(value: &str) -> AMQPValue {
    AMQPValue::LongString(LongString::from(value))
}

async fn declare(channel: &Channel, names: &Names) -> Result<()> {
    let durable = QueueDeclareOptions {
        durable: true,
        ..QueueDeclareOptions::default()
    };
    channel
        .exchange_declare(
            names.exchange.as_str().into(),
            ExchangeKind::Direct,
            ExchangeDeclareOptions {
                durable: true,
                ..ExchangeDeclareOptions::default()
            },
            FieldTable::default(),
        )
        .await
        .map_err(broker)?;
    let dead_args = queue_args(&[("x-queue-type", text("quorum"))]);
    channel
        .queue_declare(names.dead.as_str().into(), durable, dead_args)
        .await
        .map_err(broker)?;
    for queue in [QueueName::Updates, QueueName::Jobs] {
        let name = names.queue(queue);
        let args = queue_args(&[
            ("x-queue-type", text("quorum")),
            ("x-delivery-limit", AMQPValue::LongLongInt(DELIVERY_LIMIT)),
            ("x-dead-letter-exchange", text("")),
            ("x-dead-letter-routing-key", text(&names.dead)),
        ]);
        channel
            .queue_declare(name.into(), durable, args)
            .await
            .map_err(broker)?;
        channel
            .queue_bind(
                name.into(),
                names.exchange.as_str().into(),
                queue.as_str().into(),
                QueueBindOptions::default(),
                FieldTable::default(),
            )
            .await
            .map_err(broker)?;
        for step in &names.steps {
            let args = queue_args(&[
                (
                    "x-message-ttl",
                    AMQPValue::LongLongInt(i64::try_from(step * 1000).unwrap_or(i64::MAX)),
                ),
                ("x-dead-letter-exchange", text(&names.exchange)),
                ("x-dead-letter-routing-key", text(queue.as_str())),
            ]);
            channel
                .queue_declare(names.retry(queue, *step).into(), durable, args)
                .await
                .map_err(broker)?;
        }
    }
    Ok(())
}

fn properties(trace_id: &str, attempt: u32, published_ms: i64) -> BasicProperties {
    let headers = queue_args(&[
        (TRACE_HEADER, text(trace_id)),
        (ATTEMPT_HEADER, AMQPValue::LongLongInt(i64::from(attempt))),
        (PUBLISHED_HEADER, AMQPValue::LongLongInt(published_ms)),
    ]);
    BasicProperties::default()
        .with_delivery_mode(2)
        .with_content_type("application/json".into())
        .with_timestamp(u64::try_from(published_ms / 1000).unwrap_or(0))
        .with_headers(headers)
}

fn header_i64(properties: &BasicProperties, key: &str) -> Option<i64> {
    let headers = properties.headers().as_ref()?;
    match headers.inner().get(key)? {
        AMQPValue::LongLongInt(v) => Some(*v),
        AMQPValue::LongInt(v) => Some(i64::from(*v)),
        AMQPValue::ShortInt(v) => Some(i64::from(*v)),
        _ => None,
    }
}

fn header_text(properties: &BasicProperties, key: &str) -> Option<String> {
    let headers = properties.headers().as_ref()?;
    match headers.inner().get(key)? {
        AMQPValue::LongString(v) => Some(v.to_string()),
        AMQPValue::ShortString(v) => Some(v.to_string()),
        _ => None,
    }
}

struct RabbitAcker {
    queue: RabbitQueue,
    target: QueueName,
    acker: lapin::Acker,
    payload: Vec<u8>,
    trace_id: String,
    attempt: u32,
    published_ms: i64,
}

impl RabbitAcker {
    async fn ack_original(&self) -> Result<()> {
        bounded(
            self.queue.inner.confirm_timeout,
            self.acker.ack(BasicAckOptions::default()),
        )
        .await
        .map(drop)
    }

    /// Gives the message back to its queue now (a broken channel does that by itself).
    async fn nack_requeue(&self) -> Result<()> {
        bounded(
            self.queue.inner.confirm_timeout,
            self.acker.nack(BasicNackOptions {
                requeue: true,
                multiple: false,
            }),
        )
        .await
        .map(drop)
    }

    /// Copies the message to `queue_name` (confirmed), then acknowledges the original; when
    /// the copy fails the original goes back to its queue — after a pause, so that a broker
    /// refusing the copy every time does not turn the redelivery into a busy loop.
    async fn move_to(&self, queue_name: &str, attempt: u32) -> Result<()> {
        let props = properties(&self.trace_id, attempt, self.published_ms);
        match self
            .queue
            .publish_raw("", queue_name, &self.payload, props)
            .await
        {
            Ok(()) => self.ack_original().await,
            Err(e) => {
                tokio::time::sleep(REQUEUE_PAUSE).await;
                if let Err(error) = self.nack_requeue().await {
                    // Still unacknowledged: the broker requeues it when the channel goes, and
                    // a blocked connection sends the nack once unblocked.
                    tracing::debug!(error = %scribe_core::telemetry::chain(&error), "could not hand the message back yet");
                }
                Err(e)
            }
        }
    }
}

#[async_trait]
impl Acker for RabbitAcker {
    async fn ack(self: Box<Self>) -> Result<()> {
        self.ack_original().await
    }

    async fn retry_later(self: Box<Self>, delay: Duration) -> Result<()> {
        let names = self.queue.names();
        let name = names.retry(self.target, names.step_for(delay));
        self.move_to(&name, self.attempt.saturating_add(1)).await
    }

    async fn dead_letter(self: Box<Self>) -> Result<()> {
        let dead = self.queue.names().dead.clone();
        self.move_to(&dead, self.attempt).await
    }

    async fn requeue(self: Box<Self>) -> Result<()> {
        self.nack_requeue().await
    }
}

#[async_trait]
impl Queue for RabbitQueue {
    async fn publish(&self, queue: QueueName, message: Message) -> Result<()> {
        let props = properties(&message.trace_id, 1, now_millis());
        let exchange = self.inner.names.exchange.clone();
        self.publish_raw(&exchange, queue.as_str(), &message.payload, props)
            .await
    }

    async fn publish_after(
        &self,
        queue: QueueName,
        message: Message,
        delay: Duration,
    ) -> Result<()> {
        let props = properties(&message.trace_id, 1, now_millis());
        let names = self.names();
        let delayed = names.retry(queue, names.step_for(delay));
        self.publish_raw("", &delayed, &message.payload, props)
            .await
    }

    async fn consume(&self, queue: QueueName, prefetch: u16) -> Result<Deliveries> {
        let link = self.link().await?;
        let channel = link.connection.create_channel().await.map_err(broker)?;
        channel
            .basic_qos(prefetch.max(1), BasicQosOptions { global: false })
            .await
            .map_err(broker)?;
        let tag = format!(
            "{}-{}-{:08x}",
            self.inner.connection_name,
            queue.as_str(),
            fastrand::u32(..)
        );
        let consumer = channel
            .basic_consume(
                self.inner.names.queue(queue).into(),
                tag.as_str().into(),
                BasicConsumeOptions::default(),
                FieldTable::default(),
            )
            .await
            .map_err(broker)?;
        let this = self.clone();
        let deliveries = consumer.map(move |item| {
            let delivery = item.map_err(broker)?;
            let props = &delivery.properties;
            let attempt = header_i64(props, ATTEMPT_HEADER)
                .and_then(|a| u32::try_from(a).ok())
                .unwrap_or(1);
            let published_ms = header_i64(props, PUBLISHED_HEADER).unwrap_or_else(now_millis);
            let trace_id = header_text(props, TRACE_HEADER).unwrap_or_default();
            let acker = RabbitAcker {
                queue: this.clone(),
                target: queue,
                acker: delivery.acker,
                payload: delivery.data.clone(),
                trace_id: trace_id.clone(),
                attempt,
                published_ms,
            };
            Ok(Delivery::new(
                delivery.data,
                trace_id,
                attempt,
                published_ms,
                Box::new(acker),
            ))
        });
        Ok(Box::pin(deliveries))
    }

    async fn depth(&self, queue: QueueName) -> Result<u64> {
        let name = self.inner.names.queue(queue).to_owned();
        self.ready_messages(&name).await
    }

    async fn dead_letters(&self) -> Result<u64> {
        let name = self.inner.names.dead.clone();
        self.ready_messages(&name).await
    }

    /// Connected, not blocked by a resource alarm, and confirming: after a confirm timed out,
    /// only a probe that gets an answer in time makes the queue ready again.
    async fn ready(&self) -> bool {
        let probe = async {
            let link = self.link().await.ok()?;
            if link.connection.status().blocked() {
                return None;
            }
            if self.inner.stalled.load(Ordering::Relaxed) {
                let name = self.inner.names.updates.clone();
                self.ready_messages(&name).await.ok()?;
                self.inner.stalled.store(false, Ordering::Relaxed);
            }
            Some(())
        };
        tokio::time::timeout(Duration::from_secs(2), probe)
            .await
            .ok()
            .flatten()
            .is_some()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retries_take_the_shortest_long_enough_step() {
        let n = Names::new("demo");
        assert_eq!(n.step_for(Duration::from_millis(200)), 1);
        assert_eq!(n.step_for(Duration::from_secs(1)), 1);
        assert_eq!(n.step_for(Duration::from_secs(2)), 5);
        assert_eq!(n.step_for(Duration::from_secs(100)), 120);
        assert_eq!(n.step_for(Duration::from_secs(90_000)), 3600);
    }

    #[test]
    fn a_configured_job_delay_gets_its_own_step() {
        let n = Names::with_delays("demo", &[Duration::from_secs(45), Duration::from_secs(120)]);
        assert_eq!(n.step_for(Duration::from_secs(45)), 45);
        assert_eq!(n.step_for(Duration::from_secs(31)), 45);
        assert_eq!(n.steps, vec![1, 5, 30, 45, 120, 600, 3600]);
    }

    #[test]
    fn names_follow_the_bot() {
        let n = Names::new("demo");
        assert_eq!(n.exchange, "scribe.demo");
        assert_eq!(n.queue(QueueName::Jobs), "scribe.demo.jobs");
        assert_eq!(
            n.retry(QueueName::Updates, 30),
            "scribe.demo.retry.updates.30s"
        );
        assert_eq!(n.all_queues().len(), 3 + 2 * RETRY_STEPS.len());
    }
}
