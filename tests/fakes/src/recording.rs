//! Request-recording types shared by the provider fakes.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Instant;

/// One request a fake answered: what was asked, when, and with which HTTP status.
#[derive(Debug, Clone)]
pub struct Recorded<T> {
    /// The parsed request.
    pub call: T,
    /// When the request reached the handler (after authentication and validation).
    pub started: Instant,
    /// When the response was produced (after any configured latency).
    pub finished: Instant,
    /// The HTTP status of the response.
    pub status: u16,
}

/// Counts requests in flight and remembers the highest count seen.
#[derive(Debug, Default)]
pub struct Concurrency {
    current: AtomicUsize,
    max: AtomicUsize,
}

impl Concurrency {
    /// Marks one request as in flight until the returned guard drops.
    pub fn enter(&self) -> InFlight<'_> {
        let now = self.current.fetch_add(1, Ordering::SeqCst) + 1;
        self.max.fetch_max(now, Ordering::SeqCst);
        InFlight(self)
    }

    /// Requests in flight right now.
    pub fn current(&self) -> usize {
        self.current.load(Ordering::SeqCst)
    }

    /// The highest number of requests ever in flight at once.
    pub fn max(&self) -> usize {
        self.max.load(Ordering::SeqCst)
    }
}

/// Guard of one in-flight request; see [`Concurrency::enter`].
#[derive(Debug)]
pub struct InFlight<'a>(&'a Concurrency);

impl Drop for InFlight<'_> {
    fn drop(&mut self) {
        self.0.current.fetch_sub(1, Ordering::SeqCst);
    }
}
