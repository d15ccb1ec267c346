//! Condition waits for tests: poll a probe until it yields, under a timeout.

use std::future::Future;
use std::time::Duration;

use tokio::time::Instant;

/// How long to wait between two probes.
const PROBE_INTERVAL: Duration = Duration::from_millis(20);

/// Polls `probe` until it returns `Some`, and returns that value.
///
/// # Panics
/// When `timeout` passes first; the message names `what` and the timeout. This is a test helper:
/// the panic is the test failure.
pub async fn wait_until<T>(
    what: &str,
    timeout: Duration,
    mut probe: impl FnMut() -> Option<T>,
) -> T {
    let deadline = Instant::now() + timeout;
    loop {
        if let Some(value) = probe() {
            return value;
        }
        if Instant::now() >= deadline {
            panic!("timed out after {timeout:?} waiting for {what}");
        }
        tokio::time::sleep(PROBE_INTERVAL).await;
    }
}

/// Like [`wait_until`], for probes that must await (e.g. an HTTP request or a database query).
/// A probe still running at the deadline is cancelled.
///
/// # Panics
/// When `timeout` passes first; the message names `what` and the timeout.
pub async fn wait_until_async<T, F, Fut>(what: &str, timeout: Duration, mut probe: F) -> T
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Option<T>>,
{
    let deadline = Instant::now() + timeout;
    loop {
        match tokio::time::timeout_at(deadline, probe()).await {
            Ok(Some(value)) => return value,
            Ok(None) if Instant::now() < deadline => tokio::time::sleep(PROBE_INTERVAL).await,
            Ok(None) | Err(_) => panic!("timed out after {timeout:?} waiting for {what}"),
        }
    }
}

#[cfg(test)]
mod tests {
    use std::cell::Cell;

    use super::*;

    #[tokio::test]
    async fn returns_the_first_value_the_probe_yields() {
        let tries = Cell::new(0);
        let value = wait_until("the third try", Duration::from_secs(5), || {
            tries.set(tries.get() + 1);
            (tries.get() == 3).then_some("done")
        })
        .await;
        assert_eq!((value, tries.get()), ("done", 3));
    }

    #[tokio::test]
    #[should_panic(expected = "timed out after 50ms waiting for nothing")]
    async fn panics_with_what_and_the_timeout() {
        wait_until("nothing", Duration::from_millis(50), || None::<()>).await;
    }

    #[tokio::test]
    async fn async_probes() {
        let tries = Cell::new(0);
        let value = wait_until_async("the second try", Duration::from_secs(5), || {
            tries.set(tries.get() + 1);
            let now = tries.get();
            async move { (now == 2).then_some(now) }
        })
        .await;
        assert_eq!(value, 2);
    }

    #[tokio::test]
    #[should_panic(expected = "timed out after 50ms waiting for a hung probe")]
    async fn a_hung_async_probe_is_cut_off() {
        wait_until_async("a hung probe", Duration::from_millis(50), || {
            std::future::pending::<Option<()>>()
        })
        .await;
    }
}
