//! Inspecting and cleaning the real RabbitMQ tests use.

use lapin::options::{QueueDeclareOptions, QueueDeleteOptions};
use lapin::types::FieldTable;
use lapin::{Connection, ConnectionProperties};

/// The broker tests use; `SCRIBE_TEST_AMQP_URL` overrides.
pub fn amqp_url() -> String {
    std::env::var("SCRIBE_TEST_AMQP_URL")
        .unwrap_or_else(|_| "amqp://guest:guest@127.0.0.1:5672/%2f".into())
}

/// A bot name no other test uses (queues are named after it).
pub fn unique_bot(prefix: &str) -> String {
    format!("{prefix}-{:08x}", fastrand::u32(..))
}

async fn connect() -> Connection {
    let url = amqp_url();
    Connection::connect(&url, ConnectionProperties::default())
        .await
        .unwrap_or_else(|e| panic!("RabbitMQ at {url} is needed for this test: {e}"))
}

/// Messages ready in `queue` (0 when it does not exist).
pub async fn ready(queue: &str) -> u32 {
    let conn = connect().await;
    let channel = conn.create_channel().await.expect("channel");
    let options = QueueDeclareOptions {
        passive: true,
        ..QueueDeclareOptions::default()
    };
    let count = channel
        .queue_declare(queue.into(), options, FieldTable::default())
        .await
        .map(|q| q.message_count())
        .unwrap_or(0);
    let _ = conn.close(200, "done".into()).await;
    count
}

/// Deletes `queues` and the exchange `exchange`.
pub async fn delete(exchange: &str, queues: &[String]) {
    let conn = connect().await;
    for queue in queues {
        if let Ok(channel) = conn.create_channel().await {
            let _ = channel
                .queue_delete(queue.as_str().into(), QueueDeleteOptions::default())
                .await;
        }
    }
    if let Ok(channel) = conn.create_channel().await {
        let _ = channel
            .exchange_delete(exchange.into(), Default::default())
            .await;
    }
    let _ = conn.close(200, "done".into()).await;
}

/// Removes every ready message of `queue`; returns how many.
pub async fn purge(queue: &str) -> u32 {
    let conn = connect().await;
    let channel = conn.create_channel().await.expect("channel");
    let purged = channel
        .queue_purge(queue.into(), lapin::options::QueuePurgeOptions::default())
        .await
        .expect("purge");
    let _ = conn.close(200, "done".into()).await;
    purged
}

/// A memory alarm on the shared broker: while it lives, RabbitMQ blocks every publishing
/// connection (as when a node runs out of memory). Dropping it clears the alarm, even when the
/// test fails. Only a test binary of its own may raise one: other tests share the broker.
pub struct MemoryAlarm;

impl MemoryAlarm {
    pub fn raise() -> MemoryAlarm {
        rabbitmqctl(&["set_vm_memory_high_watermark", "absolute", "1"]);
        MemoryAlarm
    }
}

impl Drop for MemoryAlarm {
    fn drop(&mut self) {
        rabbitmqctl(&["set_vm_memory_high_watermark", "0.4"]);
    }
}

fn rabbitmqctl(args: &[&str]) {
    let status = std::process::Command::new("rabbitmqctl")
        .args(args)
        .stdout(std::process::Stdio::null())
        .status()
        .expect("rabbitmqctl (the broker's own tool) is needed for this test");
    assert!(status.success(), "rabbitmqctl {args:?} failed");
}
