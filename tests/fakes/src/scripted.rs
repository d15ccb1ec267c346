//! The core every provider fake is built on: one [`Scripted`] per endpoint holds the script that
//! answers valid calls and the faults a test arranges (queued failures, latency, outage, a rate
//! limit, a [`Gate`]), records every call, and measures the [`Traffic`]. The fake's handler
//! authenticates and validates, then hands the parsed call to [`Scripted::answer`] with a renderer
//! that turns the reply into the provider's wire format.

use std::collections::VecDeque;
use std::fmt;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

use crate::gate::{self, Gate};
use crate::recording::{Arrival, Meter, Recorded, Traffic};

/// When the endpoint refuses requests with the provider's rate-limit answer (429), as a real
/// account limit would. Requests it refuses are still counted in [`Traffic`].
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RateLimit {
    /// Refuse a request when more than this many arrived within the last second (it included).
    pub per_second: Option<usize>,
    /// Refuse a request when more than this many would be in flight (it included).
    pub in_flight: Option<usize>,
}

impl RateLimit {
    /// At most `n` requests per second.
    pub fn per_second(n: usize) -> Self {
        Self {
            per_second: Some(n),
            in_flight: None,
        }
    }

    /// At most `n` requests in flight.
    pub fn in_flight(n: usize) -> Self {
        Self {
            per_second: None,
            in_flight: Some(n),
        }
    }

    fn exceeded(self, arrival: Arrival) -> bool {
        self.per_second.is_some_and(|n| arrival.last_second > n)
            || self.in_flight.is_some_and(|n| arrival.in_flight > n)
    }
}

type Script<C, R> = Arc<dyn Fn(&C) -> R + Send + Sync>;

/// One endpoint of a fake: calls of type `C` answered with replies of type `R`.
pub struct Scripted<C, R> {
    book: Mutex<Book<C, R>>,
    /// Models the endpoint knows; others get the provider's "no such model".
    models: Vec<String>,
    meter: Meter,
    /// The reply while the endpoint is down.
    down: R,
    /// The reply to a request over the rate limit.
    throttled: R,
}

/// Everything a test can change, and the calls answered so far.
struct Book<C, R> {
    script: Script<C, R>,
    failures: VecDeque<R>,
    latency: Duration,
    down: bool,
    limit: Option<RateLimit>,
    gate: Option<Arc<gate::Inner>>,
    calls: Vec<Recorded<C>>,
}

impl<C, R> fmt::Debug for Scripted<C, R> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Scripted")
            .field("traffic", &self.meter.traffic())
            .finish_non_exhaustive()
    }
}

impl<C: Clone, R: Clone> Scripted<C, R> {
    /// An endpoint that knows `models` (others get the provider's "no such model") and answers
    /// with `script`; `down` and `throttled` are the
    /// provider's replies for an outage and for a request over the rate limit.
    pub(crate) fn new(
        models: &[&str],
        script: impl Fn(&C) -> R + Send + Sync + 'static,
        down: R,
        throttled: R,
    ) -> Self {
        Self {
            book: Mutex::new(Book {
                script: Arc::new(script),
                failures: VecDeque::new(),
                latency: Duration::ZERO,
                down: false,
                limit: None,
                gate: None,
                calls: Vec::new(),
            }),
            models: models.iter().map(|&model| model.to_owned()).collect(),
            meter: Meter::default(),
            down,
            throttled,
        }
    }

    /// The mutable state. A poisoned lock means a scripted reply panicked (the test is already
    /// failing); the data stays usable, so the poison is ignored.
    fn book(&self) -> MutexGuard<'_, Book<C, R>> {
        self.book.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Scripts the replies to valid calls.
    pub fn set_reply(&self, script: impl Fn(&C) -> R + Send + Sync + 'static) {
        self.book().script = Arc::new(script);
    }

    /// The next `n` valid calls get `reply`, whatever the script says.
    pub fn fail_next(&self, n: usize, reply: R) {
        self.book().failures.extend(std::iter::repeat_n(reply, n));
    }

    /// Delays every answer by `latency` (benchmarks; tests hold requests with [`Self::gate`]).
    pub fn set_latency(&self, latency: Duration) {
        self.book().latency = latency;
    }

    /// While `down`, every valid call gets the provider's outage answer (a 500).
    pub fn set_down(&self, down: bool) {
        self.book().down = down;
    }

    /// Refuses requests over `limit` with the provider's 429; `None` lifts it.
    pub fn set_rate_limit(&self, limit: Option<RateLimit>) {
        self.book().limit = limit;
    }

    /// Closes a gate in front of the endpoint: valid calls wait there until the test lets them
    /// through. A new gate opens the previous one.
    pub fn gate(&self) -> Gate {
        let (gate, inner) = Gate::closed();
        if let Some(previous) = self.book().gate.replace(inner) {
            previous.open();
        }
        gate
    }

    /// Valid calls, in the order they were answered.
    pub fn calls(&self) -> Vec<Recorded<C>> {
        self.book().calls.clone()
    }

    /// The traffic seen so far.
    pub fn traffic(&self) -> Traffic {
        self.meter.traffic()
    }

    pub(crate) fn knows(&self, model: &str) -> bool {
        self.models.iter().any(|known| known == model)
    }

    /// Answers a valid call: over the rate limit at once, otherwise after the gate and the
    /// latency — the outage answer, a queued failure, or the script. `render` turns the reply
    /// into a status and a response body; the call is recorded with that status.
    pub(crate) async fn answer<T>(
        &self,
        call: C,
        render: impl FnOnce(&C, R) -> (u16, T),
    ) -> (u16, T) {
        let (in_flight, arrival) = self.meter.arrive();
        let started = Instant::now();
        let (throttled, failure, gate) = {
            let mut book = self.book();
            let throttled = book.limit.is_some_and(|limit| limit.exceeded(arrival));
            let failure = if throttled {
                None
            } else {
                book.failures.pop_front()
            };
            (throttled, failure, book.gate.clone())
        };
        let reply = if throttled {
            self.throttled.clone()
        } else {
            if let Some(gate) = gate {
                gate.pass().await;
            }
            let latency = self.book().latency;
            if !latency.is_zero() {
                tokio::time::sleep(latency).await;
            }
            let (down, script) = {
                let book = self.book();
                (book.down, Arc::clone(&book.script))
            };
            match failure {
                _ if down => self.down.clone(),
                Some(failure) => failure,
                None => script(&call),
            }
        };
        let (status, body) = render(&call, reply);
        self.book().calls.push(Recorded {
            call,
            started,
            finished: Instant::now(),
            status,
        });
        drop(in_flight);
        (status, body)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_rate_limit_counts_the_arriving_request() {
        let arrival = |in_flight, last_second| Arrival {
            in_flight,
            last_second,
        };
        assert!(!RateLimit::per_second(2).exceeded(arrival(9, 2)));
        assert!(RateLimit::per_second(2).exceeded(arrival(1, 3)));
        assert!(!RateLimit::in_flight(2).exceeded(arrival(2, 9)));
        assert!(RateLimit::in_flight(2).exceeded(arrival(3, 1)));
        assert!(!RateLimit::default().exceeded(arrival(100, 100)));
    }
}
