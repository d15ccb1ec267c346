//! A gate a test closes in front of a scripted endpoint: requests that arrive wait there (in
//! flight, counted by [`Gate::waiting`]) until the test lets some or all of them through. Tests
//! use it instead of long latencies as latches.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use tokio::sync::Semaphore;

/// A closed gate; see [`Scripted::gate`](crate::Scripted::gate). Dropping it opens it for good,
/// so a failing test never leaves requests hanging.
#[derive(Debug)]
#[must_use = "dropping the gate opens it at once"]
pub struct Gate {
    inner: Arc<Inner>,
}

/// What the gate and the requests behind it share.
#[derive(Debug)]
pub(crate) struct Inner {
    /// One permit per request allowed through; closed means open for everyone.
    passes: Semaphore,
    waiting: AtomicUsize,
}

impl Gate {
    pub(crate) fn closed() -> (Self, Arc<Inner>) {
        let inner = Arc::new(Inner {
            passes: Semaphore::new(0),
            waiting: AtomicUsize::new(0),
        });
        (
            Self {
                inner: Arc::clone(&inner),
            },
            inner,
        )
    }

    /// Lets `n` requests through: those waiting first, then the next to arrive.
    pub fn release(&self, n: usize) {
        self.inner.passes.add_permits(n);
    }

    /// Opens the gate: every waiting request goes on, and later ones do not stop.
    pub fn release_all(&self) {
        self.inner.open();
    }

    /// Requests waiting at the gate right now.
    pub fn waiting(&self) -> usize {
        self.inner.waiting.load(Ordering::SeqCst)
    }
}

impl Drop for Gate {
    fn drop(&mut self) {
        self.inner.open();
    }
}

impl Inner {
    pub(crate) fn open(&self) {
        self.passes.close();
    }

    /// Waits until this request may pass.
    pub(crate) async fn pass(&self) {
        self.waiting.fetch_add(1, Ordering::SeqCst);
        let _waiting = Waiting(self);
        // An error means the semaphore is closed: the gate is open. A pass is used up.
        if let Ok(pass) = self.passes.acquire().await {
            pass.forget();
        }
    }
}

/// Counts a request as waiting until it passes or is abandoned (the client hung up).
struct Waiting<'a>(&'a Inner);

impl Drop for Waiting<'_> {
    fn drop(&mut self) {
        self.0.waiting.fetch_sub(1, Ordering::SeqCst);
    }
}
