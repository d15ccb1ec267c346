//! The operator's metrics, `scribe_operator_*`. Label values come from closed sets (a
//! reconcile's outcome, an error's static reason, a condition status) or name a bot: the
//! readiness gauge has one series per bot and status, in the manner of cert-manager's
//! `certmanager_certificate_ready_status`, and forgets a bot when it is deleted.

use std::time::Instant;

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{Histogram, exponential_buckets};
use prometheus_client::registry::Registry;

use crate::conditions::State;

type L1 = [(&'static str, &'static str); 1];

/// One series of the readiness gauge. `bot_namespace`, not `namespace`: Prometheus sets
/// `namespace` to the scraped operator's own.
#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct BotStatus {
    bot_namespace: String,
    bot: String,
    condition: String,
}

const STATES: [State; 3] = [State::True, State::False, State::Unknown];

/// What one reconcile did (the `result` label).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// Children, Telegram or status were written.
    Changed,
    /// Everything already matched: no writes.
    Unchanged,
    /// The finalizer ran (webhook deleted).
    Cleanup,
    Error,
}

impl Outcome {
    fn label(self) -> &'static str {
        match self {
            Outcome::Changed => "changed",
            Outcome::Unchanged => "unchanged",
            Outcome::Cleanup => "cleanup",
            Outcome::Error => "error",
        }
    }
}

/// Reconcile metrics. Cheap to clone (handles share their values).
#[derive(Clone)]
pub struct Metrics {
    reconciles: Family<L1, Counter>,
    failures: Family<L1, Counter>,
    duration: Histogram,
    ready: Family<BotStatus, Gauge>,
}

impl Metrics {
    /// The metrics and the registry (prefix `scribe_operator`) that exposes them; hand the
    /// registry to `scribe_core::ops::Ops::new` to serve `/metrics`.
    pub fn new() -> (Metrics, Registry) {
        let mut registry = Registry::with_prefix("scribe_operator");
        let metrics = Metrics {
            reconciles: Family::default(),
            failures: Family::default(),
            // 5 ms … ~80 s
            duration: Histogram::new(exponential_buckets(0.005, 2.0, 15)),
            ready: Family::default(),
        };
        registry.register(
            "reconciles",
            "TranscriptionBot reconciles, by result",
            metrics.reconciles.clone(),
        );
        registry.register(
            "reconcile_failures",
            "Failed TranscriptionBot reconciles, by reason",
            metrics.failures.clone(),
        );
        registry.register(
            "reconcile_duration_seconds",
            "Duration of one TranscriptionBot reconcile",
            metrics.duration.clone(),
        );
        registry.register(
            "bot_ready_status",
            "The Ready condition of each TranscriptionBot: 1 for its current status, 0 for the others",
            metrics.ready.clone(),
        );
        (metrics, registry)
    }

    /// Starts timing a reconcile; the duration is recorded when the guard drops.
    pub fn measure(&self) -> ReconcileTimer {
        ReconcileTimer {
            start: Instant::now(),
            histogram: self.duration.clone(),
        }
    }

    pub fn reconciled(&self, outcome: Outcome) {
        self.reconciles
            .get_or_create(&[("result", outcome.label())])
            .inc();
    }

    /// Counts a failure under its static reason (see `Error::reason`).
    pub fn failed(&self, reason: &'static str) {
        self.failures.get_or_create(&[("reason", reason)]).inc();
    }

    /// Sets the readiness gauge of one bot to its `Ready` status.
    pub fn bot_ready(&self, namespace: &str, bot: &str, ready: State) {
        for state in STATES {
            self.ready
                .get_or_create(&status(namespace, bot, state))
                .set(i64::from(state == ready));
        }
    }

    /// Drops a deleted bot's series.
    pub fn forget_bot(&self, namespace: &str, bot: &str) {
        for state in STATES {
            self.ready.remove(&status(namespace, bot, state));
        }
    }

    #[cfg(test)]
    pub(crate) fn ready_of(&self, namespace: &str, bot: &str, state: State) -> i64 {
        self.ready
            .get_or_create(&status(namespace, bot, state))
            .get()
    }

    #[cfg(test)]
    pub(crate) fn failures_of(&self, reason: &'static str) -> u64 {
        self.failures.get_or_create(&[("reason", reason)]).get()
    }

    #[cfg(test)]
    pub(crate) fn reconciles_of(&self, outcome: Outcome) -> u64 {
        self.reconciles
            .get_or_create(&[("result", outcome.label())])
            .get()
    }
}

fn status(namespace: &str, bot: &str, state: State) -> BotStatus {
    BotStatus {
        bot_namespace: namespace.to_owned(),
        bot: bot.to_owned(),
        condition: state.as_str().to_owned(),
    }
}

/// Records a reconcile's duration on drop, whichever way the reconcile ends.
pub struct ReconcileTimer {
    start: Instant,
    histogram: Histogram,
}

impl Drop for ReconcileTimer {
    fn drop(&mut self) {
        self.histogram.observe(self.start.elapsed().as_secs_f64());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn metrics_render_with_the_prefix_and_bounded_labels() {
        let (metrics, registry) = Metrics::new();
        metrics.reconciled(Outcome::Unchanged);
        metrics.failed("TelegramUnavailable");
        drop(metrics.measure());
        metrics.bot_ready("bots", "voice", State::False);
        metrics.bot_ready("bots", "gone", State::True);
        metrics.forget_bot("bots", "gone");
        let mut text = String::new();
        prometheus_client::encoding::text::encode(&mut text, &registry).expect("encodes");
        assert!(text.contains("scribe_operator_reconciles_total{result=\"unchanged\"} 1"));
        assert!(text.contains(
            "scribe_operator_reconcile_failures_total{reason=\"TelegramUnavailable\"} 1"
        ));
        assert!(text.contains("scribe_operator_reconcile_duration_seconds_count 1"));
        for (condition, value) in [("True", 0), ("False", 1), ("Unknown", 0)] {
            let series = format!(
                "scribe_operator_bot_ready_status{{bot_namespace=\"bots\",bot=\"voice\",condition=\"{condition}\"}} {value}"
            );
            assert!(text.contains(&series), "{series} in\n{text}");
        }
        assert!(
            !text.contains("gone"),
            "a deleted bot's series stay: {text}"
        );
    }
}
