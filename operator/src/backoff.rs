//! The per-object requeue backoff: each failure of the same bot grows its wait, a success
//! forgets it (kube-runtime has none built in, kube-rs/kube#1916). The wait itself is the
//! project's one backoff, `scribe_core::retry::Backoff`: exponential from `base`, full jitter,
//! capped, never shorter than the server's hint. Only the failure count per object lives here.

use std::collections::HashMap;
use std::sync::{Mutex, PoisonError};
use std::time::Duration;

use scribe_core::retry::Backoff;

#[derive(Debug)]
pub struct Failures {
    backoff: Backoff,
    /// Consecutive failures by object UID.
    counts: Mutex<HashMap<String, u32>>,
}

impl Failures {
    pub fn new(base: Duration, cap: Duration) -> Self {
        Self {
            // A requeue is never given up: the attempt count is unbounded.
            backoff: Backoff {
                attempts: u32::MAX,
                base,
                cap,
            },
            counts: Mutex::new(HashMap::new()),
        }
    }

    /// Records a failure of `uid`; the wait before its next attempt.
    pub fn failed(&self, uid: &str, hint: Option<Duration>) -> Duration {
        let mut counts = self.counts.lock().unwrap_or_else(PoisonError::into_inner);
        let n = counts.entry(uid.to_owned()).or_insert(0);
        *n = n.saturating_add(1);
        self.backoff.delay(*n, hint)
    }

    /// `uid`'s consecutive failures.
    #[cfg(test)]
    pub fn count(&self, uid: &str) -> u32 {
        self.counts
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .get(uid)
            .copied()
            .unwrap_or(0)
    }

    /// Forgets `uid`'s failures.
    pub fn reset(&self, uid: &str) {
        self.counts
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .remove(uid);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The largest of `n` waits of fresh objects after `failures` failures each.
    fn largest(f: &Failures, failures: u32, n: usize) -> Duration {
        (0..n)
            .map(|i| {
                let uid = format!("o{failures}-{i}");
                (1..=failures)
                    .map(|_| f.failed(&uid, None))
                    .last()
                    .unwrap_or_default()
            })
            .max()
            .unwrap_or_default()
    }

    #[test]
    fn waits_grow_per_object_up_to_the_cap_and_reset_on_success() {
        let f = Failures::new(Duration::from_secs(5), Duration::from_secs(60));
        // First failure: at most the base; jitter spreads below it.
        assert!(largest(&f, 1, 50) <= Duration::from_secs(5));
        // Fifth failure: bound 60 s (5·2⁴ = 80, capped); fifty draws all under 10 s would mean
        // the wait did not grow (odds (1/6)^50).
        let fifth = largest(&f, 5, 50);
        assert!(
            fifth > Duration::from_secs(10) && fifth <= Duration::from_secs(60),
            "{fifth:?}"
        );
        // Other objects keep their own count; a reset starts over.
        for _ in 0..6 {
            f.failed("a", None);
        }
        f.reset("a");
        assert!(f.failed("a", None) <= Duration::from_secs(5));
        // The server's hint is a floor.
        assert!(f.failed("b", Some(Duration::from_secs(30))) >= Duration::from_secs(30));
    }
}
