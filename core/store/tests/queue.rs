//! The all-in-one queue ([`StoreQueue`]) on both backends: what is published is delivered, a
//! message retried later comes back as its next attempt once due, and an acknowledged one is
//! gone.

use std::time::Duration;

use futures::StreamExt;
use scribe_queue::{Message, Queue, QueueName};
use scribe_store::StoreQueue;
use scribe_testkit::database::each_backend;

const WAIT: Duration = Duration::from_secs(30);

#[tokio::test]
async fn published_messages_are_delivered_retried_and_acknowledged() {
    each_backend(|store| async move {
        let queue = StoreQueue::start(store.clone()).await.expect("start");
        let mut deliveries = queue.consume(QueueName::Jobs, 4).await.expect("consume");
        queue
            .publish(
                QueueName::Jobs,
                Message {
                    payload: b"one".to_vec(),
                    trace_id: "t1".to_owned(),
                },
            )
            .await
            .expect("publish");
        let first = tokio::time::timeout(WAIT, deliveries.next())
            .await
            .expect("delivered")
            .expect("a delivery")
            .expect("no error");
        assert_eq!(
            (first.payload.as_slice(), first.attempt),
            (b"one".as_slice(), 1)
        );

        first
            .retry_later(Duration::from_millis(300))
            .await
            .expect("retry later");
        let second = tokio::time::timeout(WAIT, deliveries.next())
            .await
            .expect("delivered again once due")
            .expect("a delivery")
            .expect("no error");
        assert_eq!(
            (second.payload.as_slice(), second.attempt),
            (b"one".as_slice(), 2)
        );
        second.ack().await.expect("ack");
        assert_eq!(queue.depth(QueueName::Jobs).await.expect("depth"), 0);
    })
    .await;
}
