//! When each bot's children were last re-asserted. An unchanged bot is applied only when
//! something changed — except once per `every`, when the whole set is applied again (a no-op at
//! the server unless someone edited or deleted a child by hand). A bot first seen by this
//! process starts its period then: a restart alone writes nothing.

use std::collections::HashMap;
use std::sync::{Mutex, PoisonError};
use std::time::{Duration, Instant};

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
}
