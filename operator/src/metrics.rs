//! The operator's metrics, `scribe_operator_*`. Label values come from closed sets: a
//! reconcile's outcome and an error's static reason, never a message or an object name.

use std::time::Instant;

use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::histogram::{Histogram, exponential_buckets};
use prometheus_client::registry::Registry;

type L1 = [(&'static str, &'static str); 1];

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
        let mut text = String::new();
        prometheus_client::encoding::text::encode(&mut text, &registry).expect("encodes");
        assert!(text.contains("scribe_operator_reconciles_total{result=\"unchanged\"} 1"));
        assert!(text.contains(
            "scribe_operator_reconcile_failures_total{reason=\"TelegramUnavailable\"} 1"
        ));
        assert!(text.contains("scribe_operator_reconcile_duration_seconds_count 1"));
    }
}
