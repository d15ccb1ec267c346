//! The per-process recognition budget. Every chunk of every job may want the recogniser at once;
//! the [`Budget`] is what bounds them: at most `max_inflight` requests in flight and
//! `requests_per_minute` starts (a token bucket holding one second of rate, so no burst beyond
//! that), shared by every job of the process. The rate adapts to the provider: a throttled
//! answer halves it, each success raises it by a little, never above the configured rate.
//! Between jobs it is fair: each job's waiting requests are granted round-robin against the
//! other jobs', so a short job is not starved behind a long one.
//!
//! A job takes a [`JobBudget`]; each request waits for a [`Permit`] from it and reports how it
//! went through [`Permit::finish`]. Dropping a permit frees its slot.

use std::collections::{HashMap, VecDeque};
use std::num::{NonZeroU32, NonZeroUsize};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use tokio::sync::Notify;
use tokio::time::Instant;

use crate::Result;

/// Successes that take the rate from half the configured rate back to all of it.
const RECOVERY_SUCCESSES: f64 = 100.0;
/// The rate never drops below this fraction of the configured rate (nor below one a minute).
const FLOOR_FRACTION: f64 = 1.0 / 64.0;
/// A token is a whole token within this much (float arithmetic on refills).
const EPSILON: f64 = 1e-9;

/// The budget's limits (`ASR_MAX_INFLIGHT`, `ASR_REQUESTS_PER_MINUTE`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BudgetConfig {
    pub max_inflight: NonZeroUsize,
    pub requests_per_minute: NonZeroU32,
}

/// The process's budget; cheap to clone, every clone is the same budget.
#[derive(Debug, Clone)]
pub struct Budget {
    shared: Arc<Shared>,
}

#[derive(Debug)]
struct Shared {
    max_inflight: usize,
    /// The configured rate, requests per minute: the ceiling of the adaptive rate.
    ceiling: f64,
    state: Mutex<State>,
}

#[derive(Debug)]
struct State {
    in_flight: usize,
    /// Allowed starts per minute now.
    rate: f64,
    /// Starts available now, at most one second of `rate`.
    tokens: f64,
    refilled: Instant,
    /// Counts the rate's decreases. A throttled answer to a request granted before the last
    /// decrease was caused by the old rate, so it does not lower the rate again.
    epoch: u64,
    next_id: u64,
    /// Each job's waiting requests, oldest first.
    queues: HashMap<u64, VecDeque<Waiter>>,
    /// Jobs with waiting requests, in the order they are served.
    turns: VecDeque<u64>,
    /// Granted requests not yet picked up by their waiter, with the epoch of the grant.
    granted: HashMap<u64, u64>,
}

#[derive(Debug)]
struct Waiter {
    id: u64,
    wake: Arc<Notify>,
}

impl Budget {
    pub fn new(config: BudgetConfig) -> Self {
        let rate = f64::from(config.requests_per_minute.get());
        Self {
            shared: Arc::new(Shared {
                max_inflight: config.max_inflight.get(),
                ceiling: rate,
                state: Mutex::new(State {
                    in_flight: 0,
                    rate,
                    tokens: burst(rate),
                    refilled: Instant::now(),
                    epoch: 0,
                    next_id: 0,
                    queues: HashMap::new(),
                    turns: VecDeque::new(),
                    granted: HashMap::new(),
                }),
            }),
        }
    }

    /// A share of the budget for one job.
    pub fn job(&self) -> JobBudget {
        let mut state = self.shared.state();
        let id = state.next_id();
        state.queues.insert(id, VecDeque::new());
        JobBudget {
            shared: Arc::clone(&self.shared),
            id,
        }
    }

    /// Allowed request starts per minute now (lowered after throttling).
    pub fn rate(&self) -> f64 {
        self.shared.state().rate
    }

    /// Requests in flight now.
    pub fn in_flight(&self) -> usize {
        self.shared.state().in_flight
    }

    /// Requests waiting for a permit now.
    pub fn waiting(&self) -> usize {
        self.shared.state().queues.values().map(VecDeque::len).sum()
    }
}

/// Starts the bucket holds at `rate` per minute: one second's worth, at least one.
fn burst(rate: f64) -> f64 {
    (rate / 60.0).max(1.0)
}

impl Shared {
    /// The state. It is only held for bookkeeping that cannot panic; a poisoned lock still
    /// holds consistent numbers.
    fn state(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

impl State {
    fn next_id(&mut self) -> u64 {
        self.next_id += 1;
        self.next_id
    }

    fn refill(&mut self, now: Instant) {
        let elapsed = now.saturating_duration_since(self.refilled).as_secs_f64();
        self.tokens = (self.tokens + elapsed * self.rate / 60.0).min(burst(self.rate));
        self.refilled = now;
    }

    /// Grants slots to waiting requests, one job's turn at a time, while the in-flight limit and
    /// the bucket allow. Returns how long until the next token when a waiter is held by the
    /// rate alone.
    fn dispatch(&mut self, max_inflight: usize, now: Instant) -> Option<Duration> {
        self.refill(now);
        loop {
            if self.turns.is_empty() || self.in_flight >= max_inflight {
                return None;
            }
            if self.tokens < 1.0 - EPSILON {
                let seconds = (1.0 - self.tokens) * 60.0 / self.rate;
                return Some(Duration::from_secs_f64(seconds.max(0.0)));
            }
            let job = self.turns.pop_front()?;
            let Some(queue) = self.queues.get_mut(&job) else {
                continue;
            };
            let Some(waiter) = queue.pop_front() else {
                continue;
            };
            if !queue.is_empty() {
                self.turns.push_back(job);
            }
            self.in_flight += 1;
            self.tokens = (self.tokens - 1.0).max(0.0);
            self.granted.insert(waiter.id, self.epoch);
            waiter.wake.notify_one();
        }
    }

    fn succeeded(&mut self, ceiling: f64) {
        self.rate = (self.rate + ceiling / (2.0 * RECOVERY_SUCCESSES)).min(ceiling);
    }

    fn throttled(&mut self, ceiling: f64, epoch: u64) {
        if epoch != self.epoch {
            return;
        }
        self.epoch += 1;
        self.rate = (self.rate / 2.0).max((ceiling * FLOOR_FRACTION).max(1.0));
        // The provider is over its limit now: the next start waits for a fresh token.
        self.tokens = 0.0;
    }

    /// Frees one slot.
    fn release(&mut self) {
        self.in_flight = self.in_flight.saturating_sub(1);
    }
}

/// One job's share of the [`Budget`]. Dropping it withdraws the job from the rotation.
#[derive(Debug)]
pub struct JobBudget {
    shared: Arc<Shared>,
    id: u64,
}

impl JobBudget {
    /// Waits for a slot in flight and a start within the rate, taking turns with other jobs.
    /// Cancel-safe: a dropped wait leaves the queue, and a slot granted to it is given back.
    pub async fn acquire(&self) -> Permit {
        let shared = &self.shared;
        let wake = Arc::new(Notify::new());
        let id = {
            let mut state = shared.state();
            let id = state.next_id();
            if let Some(queue) = state.queues.get_mut(&self.id) {
                queue.push_back(Waiter {
                    id,
                    wake: Arc::clone(&wake),
                });
            }
            if !state.turns.contains(&self.id) {
                state.turns.push_back(self.id);
            }
            id
        };
        let mut pending = Pending {
            shared,
            job: self.id,
            id,
            done: false,
        };
        loop {
            let wait = {
                let mut state = shared.state();
                let wait = state.dispatch(shared.max_inflight, Instant::now());
                if let Some(epoch) = state.granted.remove(&id) {
                    pending.done = true;
                    return Permit {
                        shared: Arc::clone(shared),
                        epoch,
                    };
                }
                wait
            };
            match wait {
                Some(wait) => {
                    tokio::select! {
                        () = wake.notified() => {}
                        () = tokio::time::sleep(wait) => {}
                    }
                }
                None => wake.notified().await,
            }
        }
    }
}

impl Drop for JobBudget {
    fn drop(&mut self) {
        let mut state = self.shared.state();
        state.queues.remove(&self.id);
        state.turns.retain(|&job| job != self.id);
    }
}

/// A request between enqueueing and its permit: dropped early, it leaves the queue or gives
/// back the slot it was granted.
struct Pending<'a> {
    shared: &'a Shared,
    job: u64,
    id: u64,
    done: bool,
}

impl Drop for Pending<'_> {
    fn drop(&mut self) {
        if self.done {
            return;
        }
        let mut state = self.shared.state();
        if state.granted.remove(&self.id).is_some() {
            state.release();
            state.tokens = (state.tokens + 1.0).min(burst(state.rate));
            state.dispatch(self.shared.max_inflight, Instant::now());
            return;
        }
        let emptied = match state.queues.get_mut(&self.job) {
            Some(queue) => {
                queue.retain(|waiter| waiter.id != self.id);
                queue.is_empty()
            }
            None => false,
        };
        if emptied {
            let job = self.job;
            state.turns.retain(|&turn| turn != job);
        }
    }
}

/// A slot in flight for one request. Report the answer with [`Permit::finish`]; dropping the
/// permit frees the slot either way.
#[derive(Debug)]
#[must_use = "dropping the permit frees its slot at once"]
pub struct Permit {
    shared: Arc<Shared>,
    /// The budget's epoch when the slot was granted.
    epoch: u64,
}

impl Permit {
    /// Reports the request's answer and frees the slot: a success raises the rate a little, a
    /// throttled answer halves it; other failures say nothing about the rate.
    pub fn finish<T>(self, result: &Result<T>) {
        let mut state = self.shared.state();
        match result {
            Ok(_) => state.succeeded(self.shared.ceiling),
            Err(error) if error.is_throttled() => {
                state.throttled(self.shared.ceiling, self.epoch);
            }
            Err(_) => {}
        }
        // Unlocked before `self` drops and frees the slot.
        drop(state);
    }
}

impl Drop for Permit {
    fn drop(&mut self) {
        let mut state = self.shared.state();
        state.release();
        state.dispatch(self.shared.max_inflight, Instant::now());
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicUsize, Ordering};

    use scribe_fakes::wait_until;
    use tokio::sync::Semaphore;

    use super::*;
    use crate::{Error, Refusal};

    const WAIT: Duration = Duration::from_secs(600);

    fn budget(max_inflight: usize, requests_per_minute: u32) -> Budget {
        Budget::new(BudgetConfig {
            max_inflight: NonZeroUsize::new(max_inflight).expect("non-zero"),
            requests_per_minute: NonZeroU32::new(requests_per_minute).expect("non-zero"),
        })
    }

    fn throttled() -> Result<()> {
        Err(Error::Api {
            provider: "dashscope",
            status: 429,
            refusal: Refusal::Throttled,
            code: "Throttling.RateQuota".into(),
            message: "Requests rate limit exceeded, please try again later.".into(),
            retry_after: None,
        })
    }

    #[tokio::test(start_paused = true)]
    async fn never_more_than_max_inflight_at_once() {
        let budget = budget(3, 60_000);
        let (now, peak) = (Arc::new(AtomicUsize::new(0)), Arc::new(AtomicUsize::new(0)));
        let mut tasks = Vec::new();
        for index in 0..4u64 {
            let job = Arc::new(budget.job());
            for request in 0..5u64 {
                let (job, now, peak) = (Arc::clone(&job), Arc::clone(&now), Arc::clone(&peak));
                // Requests hold their slots for different times, so they end out of order.
                let hold = Duration::from_millis(10 + 7 * request + 3 * index);
                tasks.push(tokio::spawn(async move {
                    let permit = job.acquire().await;
                    let running = now.fetch_add(1, Ordering::SeqCst) + 1;
                    peak.fetch_max(running, Ordering::SeqCst);
                    tokio::time::sleep(hold).await;
                    now.fetch_sub(1, Ordering::SeqCst);
                    permit.finish(&Ok(()));
                }));
            }
        }
        for task in tasks {
            task.await.expect("task");
        }
        assert_eq!(peak.load(Ordering::SeqCst), 3);
        assert_eq!((budget.in_flight(), budget.waiting()), (0, 0));
    }

    #[tokio::test(start_paused = true)]
    async fn never_more_starts_in_a_minute_than_the_rate_plus_one_second() {
        let budget = budget(1_000, 120);
        let job = Arc::new(budget.job());
        let starts = Arc::new(Mutex::new(Vec::new()));
        let tasks: Vec<_> = (0..300)
            .map(|_| {
                let (job, starts) = (Arc::clone(&job), Arc::clone(&starts));
                tokio::spawn(async move {
                    let permit = job.acquire().await;
                    starts.lock().expect("starts").push(Instant::now());
                    permit.finish(&Ok(()));
                })
            })
            .collect();
        for task in tasks {
            task.await.expect("task");
        }
        let starts = starts.lock().expect("starts").clone();
        assert_eq!(starts.len(), 300);
        let burst = 2;
        for (i, &from) in starts.iter().enumerate() {
            let within = starts[i..]
                .iter()
                .take_while(|&&at| at.duration_since(from) < Duration::from_secs(60))
                .count();
            assert!(within <= 120 + burst, "{within} starts in a minute");
        }
        // 300 starts at 2 a second, the first `burst` at once.
        let span = starts[299].duration_since(starts[0]);
        assert!(span >= Duration::from_secs(149), "{span:?}");
    }

    #[tokio::test(start_paused = true)]
    async fn throttling_halves_the_rate_once_per_episode_and_successes_bring_it_back() {
        let budget = budget(10, 600);
        let job = budget.job();
        let (first, second) = (job.acquire().await, job.acquire().await);
        first.finish(&throttled());
        assert_eq!(budget.rate(), 300.0);
        second.finish(&throttled());
        assert_eq!(
            budget.rate(),
            300.0,
            "granted before the decrease: no second halving"
        );
        job.acquire().await.finish(&throttled());
        assert_eq!(budget.rate(), 150.0);
        job.acquire().await.finish::<()>(&Err(Error::NoAnswer {
            provider: "dashscope",
            reason: "test".into(),
        }));
        assert_eq!(
            budget.rate(),
            150.0,
            "other failures say nothing about the rate"
        );

        for _ in 0..100 {
            job.acquire().await.finish(&Ok(()));
        }
        assert_eq!(budget.rate(), 450.0, "three a success");
        for _ in 0..100 {
            job.acquire().await.finish(&Ok(()));
        }
        assert_eq!(budget.rate(), 600.0, "never above the configured rate");

        for _ in 0..20 {
            job.acquire().await.finish(&throttled());
        }
        assert_eq!(budget.rate(), 600.0 / 64.0, "the floor");
    }

    #[tokio::test(start_paused = true)]
    async fn a_small_job_is_served_in_its_turn_behind_a_long_one() {
        let budget = budget(1, 60_000);
        let (long, short) = (Arc::new(budget.job()), Arc::new(budget.job()));
        let order = Arc::new(Mutex::new(Vec::new()));
        let go = Arc::new(Semaphore::new(0));
        let request = |job: &Arc<JobBudget>, name: &'static str| {
            let (job, order, go) = (Arc::clone(job), Arc::clone(&order), Arc::clone(&go));
            tokio::spawn(async move {
                let permit = job.acquire().await;
                order.lock().expect("order").push(name);
                go.acquire().await.expect("open").forget();
                drop(permit);
            })
        };
        let mut tasks: Vec<_> = (0..20).map(|_| request(&long, "long")).collect();
        wait_until("the long job queued", WAIT, || {
            (budget.waiting() == 19).then_some(())
        })
        .await;
        tasks.push(request(&short, "short"));
        wait_until("the short job queued", WAIT, || {
            (budget.waiting() == 20).then_some(())
        })
        .await;
        go.add_permits(21);
        for task in tasks {
            task.await.expect("task");
        }
        let order = order.lock().expect("order").clone();
        assert_eq!(order.len(), 21);
        assert_eq!(
            order.iter().position(|&name| name == "short"),
            Some(2),
            "the long job's running request, its next one, then the short job: {order:?}"
        );
    }

    #[tokio::test(start_paused = true)]
    async fn an_abandoned_wait_leaves_the_queue() {
        let budget = budget(1, 60_000);
        let job = budget.job();
        let held = job.acquire().await;
        let abandoned = tokio::time::timeout(Duration::from_secs(1), job.acquire()).await;
        assert!(abandoned.is_err(), "no slot while one is held");
        assert_eq!((budget.in_flight(), budget.waiting()), (1, 0));
        drop(held);
        assert_eq!(budget.in_flight(), 0);
        let again = job.acquire().await;
        assert_eq!(budget.in_flight(), 1);
        drop(again);
    }
}
