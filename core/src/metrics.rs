//! Prometheus metrics, `scribe_*`, on a registry each process builds for itself. Every label
//! value comes from a closed set (`&'static str` constants at the call sites), never from users.

use prometheus_client::encoding::text::encode;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{Histogram, exponential_buckets};
use prometheus_client::registry::Registry;

type L1 = [(&'static str, &'static str); 1];
type L2 = [(&'static str, &'static str); 2];
type Histograms<L> = Family<L, Histogram, fn() -> Histogram>;

fn seconds_histogram() -> Histogram {
    // 5 ms … ~45 min
    Histogram::new(exponential_buckets(0.005, 2.5, 14))
}

fn fast_histogram() -> Histogram {
    // 0.1 ms … ~1.6 s
    Histogram::new(exponential_buckets(0.0001, 2.0, 15))
}

/// Every metric scribe records. Cheap to clone (handles share their values).
#[derive(Clone)]
pub struct Metrics {
    pub updates_received: Family<L1, Counter>,
    pub updates_rejected: Family<L1, Counter>,
    pub publish_confirm_seconds: Histograms<L1>,
    pub queue_wait_seconds: Histograms<L1>,
    pub stage_seconds: Histograms<L1>,
    pub provider_calls: Family<L2, Counter>,
    pub provider_retries: Family<L1, Counter>,
    pub formatter_fallbacks: Family<L1, Counter>,
    pub jobs: Family<L1, Counter>,
    pub actions: Family<L2, Counter>,
    pub job_retries: Counter,
    pub dead_letters: Counter,
    pub audio_seconds: Counter,
    pub balance_seconds: Family<L1, Counter>,
    pub jobs_in_flight: Gauge,
    pub payments: Family<L1, Counter>,
    pub telegram_errors: Family<L2, Counter>,
}

impl Metrics {
    /// Registers every metric under `scribe_` with a constant `bot` label.
    pub fn new(bot: &str) -> (Metrics, Registry) {
        let mut registry = Registry::with_prefix_and_labels(
            "scribe",
            [(
                std::borrow::Cow::Borrowed("bot"),
                std::borrow::Cow::Owned(bot.to_owned()),
            )]
            .into_iter(),
        );
        let m = Metrics {
            updates_received: Family::default(),
            updates_rejected: Family::default(),
            publish_confirm_seconds: Family::new_with_constructor(fast_histogram),
            queue_wait_seconds: Family::new_with_constructor(seconds_histogram),
            stage_seconds: Family::new_with_constructor(seconds_histogram),
            provider_calls: Family::default(),
            provider_retries: Family::default(),
            formatter_fallbacks: Family::default(),
            jobs: Family::default(),
            actions: Family::default(),
            job_retries: Counter::default(),
            dead_letters: Counter::default(),
            audio_seconds: Counter::default(),
            balance_seconds: Family::default(),
            jobs_in_flight: Gauge::default(),
            payments: Family::default(),
            telegram_errors: Family::default(),
        };
        m.register(&mut registry);
        (m, registry)
    }

    /// Registers each metric with its help text (one flat list: long, and meant to be read as
    /// the catalogue of what scribe exports).
    fn register(&self, r: &mut Registry) {
        r.register(
            "updates_received",
            "Telegram updates received, by kind",
            self.updates_received.clone(),
        );
        r.register(
            "updates_rejected",
            "Webhook requests refused, by reason",
            self.updates_rejected.clone(),
        );
        r.register(
            "publish_confirm_seconds",
            "Time from publish to the broker's confirm",
            self.publish_confirm_seconds.clone(),
        );
        r.register(
            "queue_wait_seconds",
            "Time a message waited in a queue before handling",
            self.queue_wait_seconds.clone(),
        );
        r.register(
            "stage_seconds",
            "Duration of job stages (download, prepare, asr, llm, deliver, total)",
            self.stage_seconds.clone(),
        );
        r.register(
            "provider_calls",
            "ASR and LLM requests, by provider and outcome",
            self.provider_calls.clone(),
        );
        r.register(
            "provider_retries",
            "Provider requests retried, by provider",
            self.provider_retries.clone(),
        );
        r.register(
            "formatter_fallbacks",
            "Formatting that fell back, by where it went (fallback, raw)",
            self.formatter_fallbacks.clone(),
        );
        r.register("jobs", "Finished jobs, by result", self.jobs.clone());
        r.register(
            "actions",
            "Transcript action presses answered or refused, by action and outcome",
            self.actions.clone(),
        );
        r.register(
            "job_retries",
            "Jobs sent back to the queue for a later attempt",
            self.job_retries.clone(),
        );
        r.register(
            "dead_letters",
            "Messages moved to the dead-letter queue",
            self.dead_letters.clone(),
        );
        r.register(
            "audio_seconds",
            "Seconds of audio transcribed and charged",
            self.audio_seconds.clone(),
        );
        r.register(
            "balance_seconds",
            "Balance seconds moved, by action (hold, settle, release, credit)",
            self.balance_seconds.clone(),
        );
        r.register(
            "payments",
            "Stars payments, by result (credited, refused, refunded)",
            self.payments.clone(),
        );
        r.register(
            "jobs_in_flight",
            "Jobs running in this process",
            self.jobs_in_flight.clone(),
        );
        r.register(
            "telegram_errors",
            "Failed Bot API calls, by method and kind",
            self.telegram_errors.clone(),
        );
    }

    pub fn stage(&self, stage: &'static str, seconds: f64) {
        self.stage_seconds
            .get_or_create(&[("stage", stage)])
            .observe(seconds);
    }

    pub fn provider_call(&self, provider: &'static str, outcome: &'static str) {
        self.provider_calls
            .get_or_create(&[("provider", provider), ("outcome", outcome)])
            .inc();
    }

    pub fn job(&self, result: &'static str) {
        self.jobs.get_or_create(&[("result", result)]).inc();
    }

    pub fn action(&self, action: &'static str, outcome: &'static str) {
        self.actions
            .get_or_create(&[("action", action), ("outcome", outcome)])
            .inc();
    }

    pub fn balance(&self, action: &'static str, seconds: i64) {
        self.balance_seconds
            .get_or_create(&[("action", action)])
            .inc_by(u64::try_from(seconds).unwrap_or(0));
    }

    pub fn telegram_error(&self, method: &'static str, kind: &'static str) {
        self.telegram_errors
            .get_or_create(&[("method", method), ("kind", kind)])
            .inc();
    }
}

/// The registry in Prometheus text format.
pub fn render(registry: &Registry) -> String {
    let mut out = String::new();
    // Writing into a String cannot fail.
    let _ = encode(&mut out, registry);
    out
}
