//! What a provider fake saw: each answered request ([`Recorded`]) and the traffic it came in
//! ([`Traffic`]: requests in flight and arrival rates, with their highest values), measured by
//! the [`Meter`] every scripted endpoint owns.

use std::collections::VecDeque;
use std::sync::{Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

/// One request a fake answered: what was asked, when, and with which HTTP status.
#[derive(Debug, Clone)]
pub struct Recorded<T> {
    /// The parsed request.
    pub call: T,
    /// When the request reached the endpoint (after authentication and validation).
    pub started: Instant,
    /// When the response was produced (after any gate and latency).
    pub finished: Instant,
    /// The HTTP status of the response.
    pub status: u16,
}

/// The traffic an endpoint has seen: valid requests (answered, refused by the rate limit, or
/// still waiting), counted when they arrive.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Traffic {
    /// Requests that reached the endpoint so far.
    pub requests: usize,
    /// Requests in flight right now.
    pub in_flight: usize,
    /// The most requests ever in flight at once.
    pub max_in_flight: usize,
    /// The most requests that arrived within any one second.
    pub max_per_second: usize,
    /// The most requests that arrived within any sixty seconds.
    pub max_per_minute: usize,
}

const SECOND: Duration = Duration::from_secs(1);
const MINUTE: Duration = Duration::from_secs(60);

/// Counts arrivals and requests in flight; see [`Meter::arrive`].
#[derive(Debug, Default)]
pub(crate) struct Meter {
    state: Mutex<State>,
}

#[derive(Debug, Default)]
struct State {
    traffic: Traffic,
    /// Arrival times of the last minute, oldest first.
    recent: VecDeque<Instant>,
}

/// One request's view of the traffic when it arrived (itself included).
#[derive(Debug, Clone, Copy)]
pub(crate) struct Arrival {
    pub(crate) in_flight: usize,
    pub(crate) last_second: usize,
}

impl Meter {
    /// The state; a poisoned lock only means another request's test code panicked.
    fn state(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Counts one arriving request, in flight until the returned guard drops.
    pub(crate) fn arrive(&self) -> (InFlight<'_>, Arrival) {
        self.arrive_at(Instant::now())
    }

    /// [`Meter::arrive`] at a given time (arrivals come in time order).
    fn arrive_at(&self, now: Instant) -> (InFlight<'_>, Arrival) {
        let mut state = self.state();
        while state
            .recent
            .front()
            .is_some_and(|&at| now.duration_since(at) >= MINUTE)
        {
            state.recent.pop_front();
        }
        state.recent.push_back(now);
        let last_second = state
            .recent
            .iter()
            .rev()
            .take_while(|&&at| now.duration_since(at) < SECOND)
            .count();
        let last_minute = state.recent.len();
        let traffic = &mut state.traffic;
        traffic.requests += 1;
        traffic.in_flight += 1;
        traffic.max_in_flight = traffic.max_in_flight.max(traffic.in_flight);
        traffic.max_per_second = traffic.max_per_second.max(last_second);
        traffic.max_per_minute = traffic.max_per_minute.max(last_minute);
        let arrival = Arrival {
            in_flight: traffic.in_flight,
            last_second,
        };
        (InFlight(self), arrival)
    }

    pub(crate) fn traffic(&self) -> Traffic {
        self.state().traffic
    }
}

/// Guard of one in-flight request; see [`Meter::arrive`].
#[derive(Debug)]
pub(crate) struct InFlight<'a>(&'a Meter);

impl Drop for InFlight<'_> {
    fn drop(&mut self) {
        self.0.state().traffic.in_flight -= 1;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_in_flight_and_the_busiest_second_and_minute() {
        let meter = Meter::default();
        let t0 = Instant::now();
        let at = |millis: u64| t0 + Duration::from_millis(millis);
        let (first, arrival) = meter.arrive_at(at(0));
        assert_eq!((arrival.in_flight, arrival.last_second), (1, 1));
        let (second, arrival) = meter.arrive_at(at(500));
        assert_eq!((arrival.in_flight, arrival.last_second), (2, 2));
        drop(first);
        let (third, arrival) = meter.arrive_at(at(1_200));
        assert_eq!((arrival.in_flight, arrival.last_second), (2, 2));
        drop((second, third));
        let (_late, arrival) = meter.arrive_at(at(60_300));
        assert_eq!((arrival.in_flight, arrival.last_second), (1, 1));
        assert_eq!(
            meter.traffic(),
            Traffic {
                requests: 4,
                in_flight: 1,
                max_in_flight: 2,
                max_per_second: 2,
                max_per_minute: 3,
            }
        );
    }
}
