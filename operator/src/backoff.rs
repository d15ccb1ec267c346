//! Per-object timing kept in the context: the requeue backoff (each failure of the same object
//! doubles its delay up to a cap; a success forgets it — kube-runtime has none built in,
//! kube-rs/kube#1916) and the periodic drift re-assertion of children.

use std::collections::HashMap;
use std::sync::{Mutex, PoisonError};
use std::time::{Duration, Instant};

#[derive(Debug)]
pub struct Backoff {
    base: Duration,
    cap: Duration,
    /// Consecutive failures by object UID.
    failures: Mutex<HashMap<String, u32>>,
}

impl Backoff {
    pub fn new(base: Duration, cap: Duration) -> Self {
        Self {
            base,
            cap,
            failures: Mutex::new(HashMap::new()),
        }
    }

    /// Records a failure of `uid`; the delay before its next attempt: `base · 2^(n-1)`, capped,
    /// but never shorter than the server's hint.
    pub fn failed(&self, uid: &str, hint: Option<Duration>) -> Duration {
        let mut failures = self.failures.lock().unwrap_or_else(PoisonError::into_inner);
        let n = failures.entry(uid.to_owned()).or_insert(0);
        *n = n.saturating_add(1);
        let delay = self
            .base
            .saturating_mul(1u32 << (*n - 1).min(20))
            .min(self.cap);
        hint.map_or(delay, |h| delay.max(h))
    }

    /// Forgets `uid`'s failures.
    pub fn reset(&self, uid: &str) {
        self.failures
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .remove(uid);
    }
}

/// When each object's children were last re-asserted. An unchanged bot is applied only when
/// something changed — except once per `every`, when the whole set is applied again (a no-op
/// at the server unless someone edited or deleted a child by hand). A bot first seen by this
/// process starts its period then: a restart alone writes nothing.
#[derive(Debug)]
pub struct Resync {
    every: Duration,
    applied: Mutex<HashMap<String, Instant>>,
}

impl Resync {
    pub fn new(every: Duration) -> Self {
        Self {
            every,
            applied: Mutex::new(HashMap::new()),
        }
    }

    /// Whether `uid`'s children are due for re-assertion at `now`.
    pub fn due(&self, uid: &str, now: Instant) -> bool {
        let mut applied = self.applied.lock().unwrap_or_else(PoisonError::into_inner);
        let since = *applied.entry(uid.to_owned()).or_insert(now);
        now.duration_since(since) >= self.every
    }

    /// `uid`'s children were applied at `now`.
    pub fn applied(&self, uid: &str, now: Instant) {
        self.applied
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .insert(uid.to_owned(), now);
    }

    /// `uid` is gone.
    pub fn forget(&self, uid: &str) {
        self.applied
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .remove(uid);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn children_are_reasserted_once_per_period_and_not_after_a_restart() {
        let resync = Resync::new(Duration::from_secs(3000));
        let start = Instant::now();
        assert!(!resync.due("a", start), "first sight starts the period");
        assert!(!resync.due("a", start + Duration::from_secs(2999)));
        assert!(resync.due("a", start + Duration::from_secs(3000)));
        resync.applied("a", start + Duration::from_secs(3000));
        assert!(!resync.due("a", start + Duration::from_secs(3001)));
        resync.forget("a");
        assert!(!resync.due("a", start + Duration::from_secs(9000)));
    }

    #[test]
    fn delays_double_per_object_cap_and_reset() {
        let b = Backoff::new(Duration::from_secs(5), Duration::from_secs(60));
        assert_eq!(b.failed("a", None), Duration::from_secs(5));
        assert_eq!(b.failed("a", None), Duration::from_secs(10));
        assert_eq!(b.failed("b", None), Duration::from_secs(5));
        assert_eq!(b.failed("a", None), Duration::from_secs(20));
        assert_eq!(b.failed("a", None), Duration::from_secs(40));
        assert_eq!(b.failed("a", None), Duration::from_secs(60));
        assert_eq!(b.failed("a", None), Duration::from_secs(60));
        b.reset("a");
        assert_eq!(b.failed("a", None), Duration::from_secs(5));
        assert_eq!(
            b.failed("c", Some(Duration::from_secs(30))),
            Duration::from_secs(30)
        );
    }
}
