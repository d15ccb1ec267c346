//! Retry policy in one place: what is worth retrying is decided by each boundary's error type
//! ([`Retry`]); how long to wait is decided here ([`Backoff`]).

use std::future::Future;
use std::time::Duration;

/// What to do after a failure.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Retry {
    /// Worth another attempt, optionally not before the given delay (a server's `Retry-After`).
    Transient { after: Option<Duration> },
    /// Another attempt would fail the same way.
    Permanent,
}

impl Retry {
    /// The HTTP rule shared by every provider: 408, 429 and 5xx (except 501) are transient.
    pub fn from_status(status: u16, after: Option<Duration>) -> Retry {
        match status {
            408 | 429 => Retry::Transient { after },
            501 => Retry::Permanent,
            500..=599 => Retry::Transient { after },
            _ => Retry::Permanent,
        }
    }

    /// Connection failures, timeouts and a body that broke off are transient; an error status
    /// follows [`Retry::from_status`]; anything else (a redirect loop, a builder error) is not.
    pub fn from_reqwest(err: &reqwest::Error) -> Retry {
        if err.is_timeout() || err.is_connect() || err.is_request() || err.is_body() {
            Retry::Transient { after: None }
        } else if let Some(status) = err.status() {
            Retry::from_status(status.as_u16(), None)
        } else {
            Retry::Permanent
        }
    }
}

/// Errors that know whether they are worth retrying.
pub trait Classify {
    fn retry(&self) -> Retry;
}

/// A retry about to happen, as told to [`Backoff::run`]'s observer.
#[derive(Debug, Clone)]
pub struct Retrying {
    /// Failures so far (1 after the first).
    pub attempt: u32,
    pub wait: Duration,
    /// The failure with its causes ([`crate::telemetry::chain`]; no secrets: errors never
    /// carry them).
    pub error: String,
}

/// Exponential backoff with full jitter, capped.
#[derive(Debug, Clone, Copy)]
pub struct Backoff {
    /// Attempts in total, the first one included.
    pub attempts: u32,
    pub base: Duration,
    pub cap: Duration,
}

impl Backoff {
    pub fn new(attempts: u32, base: Duration) -> Self {
        Self {
            attempts: attempts.max(1),
            base,
            cap: Duration::from_secs(30),
        }
    }

    /// Delay before attempt `n + 1` after `n` failures (n ≥ 1): uniform in
    /// `[0, min(cap, base·2^(n-1))]`, but never less than the server asked for.
    pub fn delay(&self, failures: u32, server_hint: Option<Duration>) -> Duration {
        let exp = self
            .base
            .saturating_mul(1u32 << failures.saturating_sub(1).min(16))
            .min(self.cap);
        let jittered = exp.mul_f64(fastrand::f64());
        match server_hint {
            Some(hint) => jittered.max(hint.min(Duration::from_secs(120))),
            None => jittered,
        }
    }

    /// Waits the delay after `failures` failures (at least `hint`), unless `cancel` fires first.
    /// False when cancelled.
    pub async fn pause(
        &self,
        failures: u32,
        hint: Option<Duration>,
        cancel: &tokio_util::sync::CancellationToken,
    ) -> bool {
        tokio::select! {
            () = cancel.cancelled() => false,
            () = tokio::time::sleep(self.delay(failures, hint)) => true,
        }
    }

    /// Runs `op` until it succeeds, fails permanently or runs out of attempts. `on_retry` hears
    /// about each retry (for metrics and logs) before the wait. (It takes an owned event: a
    /// closure over a borrowed error would be higher-ranked, which stops the futures that hold
    /// it from being provably `Send`.)
    pub async fn run<T, E, F, Fut>(
        &self,
        mut op: F,
        mut on_retry: impl FnMut(Retrying),
    ) -> Result<T, E>
    where
        E: Classify + std::error::Error + Send + Sync + 'static,
        F: FnMut(u32) -> Fut,
        Fut: Future<Output = Result<T, E>>,
    {
        let mut failures = 0;
        loop {
            match op(failures + 1).await {
                Ok(v) => return Ok(v),
                Err(e) => {
                    failures += 1;
                    let hint = match e.retry() {
                        Retry::Permanent => return Err(e),
                        Retry::Transient { after } => after,
                    };
                    if failures >= self.attempts {
                        return Err(e);
                    }
                    let wait = self.delay(failures, hint);
                    on_retry(Retrying {
                        attempt: failures,
                        wait,
                        error: crate::telemetry::chain(&e).to_string(),
                    });
                    tokio::time::sleep(wait).await;
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn http_statuses_are_classified() {
        assert_eq!(
            Retry::from_status(429, None),
            Retry::Transient { after: None }
        );
        assert_eq!(
            Retry::from_status(408, None),
            Retry::Transient { after: None }
        );
        assert_eq!(
            Retry::from_status(503, None),
            Retry::Transient { after: None }
        );
        assert_eq!(Retry::from_status(501, None), Retry::Permanent);
        assert_eq!(Retry::from_status(400, None), Retry::Permanent);
        assert_eq!(Retry::from_status(401, None), Retry::Permanent);
        assert_eq!(Retry::from_status(404, None), Retry::Permanent);
    }

    #[test]
    fn delays_grow_are_capped_and_respect_hints() {
        let b = Backoff {
            attempts: 5,
            base: Duration::from_millis(100),
            cap: Duration::from_millis(350),
        };
        for _ in 0..100 {
            assert!(b.delay(1, None) <= Duration::from_millis(100));
            assert!(b.delay(3, None) <= Duration::from_millis(350));
            assert!(b.delay(9, None) <= Duration::from_millis(350));
            assert!(b.delay(1, Some(Duration::from_secs(2))) >= Duration::from_secs(2));
        }
    }

    #[derive(Debug)]
    struct Flaky(Retry);
    impl std::fmt::Display for Flaky {
        fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            write!(f, "{:?}", self.0)
        }
    }
    impl std::error::Error for Flaky {}
    impl Classify for Flaky {
        fn retry(&self) -> Retry {
            self.0
        }
    }

    /// A failure with a cause, as a client error wrapping an I/O error is.
    #[derive(Debug)]
    struct Wrapped(std::io::Error);
    impl std::fmt::Display for Wrapped {
        fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.write_str("request failed")
        }
    }
    impl std::error::Error for Wrapped {
        fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
            Some(&self.0)
        }
    }
    impl Classify for Wrapped {
        fn retry(&self) -> Retry {
            Retry::Transient { after: None }
        }
    }

    #[tokio::test]
    async fn a_retry_is_told_with_the_failure_and_its_causes() {
        let b = Backoff {
            attempts: 2,
            base: Duration::from_millis(1),
            cap: Duration::from_millis(1),
        };
        let mut told = Vec::new();
        let r: Result<(), Wrapped> = b
            .run(
                |_| async { Err(Wrapped(std::io::Error::other("connection reset by peer"))) },
                |retry| told.push(retry.error),
            )
            .await;
        assert!(r.is_err());
        assert_eq!(
            told,
            vec!["request failed: connection reset by peer".to_owned()]
        );
    }

    #[tokio::test]
    async fn run_stops_on_permanent_and_after_the_last_attempt() {
        let b = Backoff {
            attempts: 3,
            base: Duration::from_millis(1),
            cap: Duration::from_millis(1),
        };
        let mut calls = 0;
        let r: Result<(), Flaky> = b
            .run(
                |_| {
                    calls += 1;
                    async { Err(Flaky(Retry::Transient { after: None })) }
                },
                |_| {},
            )
            .await;
        assert!(r.is_err());
        assert_eq!(calls, 3);

        let mut calls = 0;
        let r: Result<(), Flaky> = b
            .run(
                |_| {
                    calls += 1;
                    async { Err(Flaky(Retry::Permanent)) }
                },
                |_| {},
            )
            .await;
        assert!(r.is_err());
        assert_eq!(calls, 1);

        let mut calls = 0;
        let r: Result<u32, Flaky> = b
            .run(
                |n| {
                    calls += 1;
                    async move {
                        if n < 2 {
                            Err(Flaky(Retry::Transient { after: None }))
                        } else {
                            Ok(n)
                        }
                    }
                },
                |_| {},
            )
            .await;
        assert_eq!(r.ok(), Some(2));
        assert_eq!(calls, 2);
    }
}
