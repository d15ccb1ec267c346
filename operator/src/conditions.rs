//! Status conditions: types, reasons (CamelCase constants), what each condition says given what
//! a reconcile observed, the `Ready` summary over them, and the one rule that keeps status
//! writes quiet — `lastTransitionTime` moves only when a condition's status flips.

use k8s_openapi::apimachinery::pkg::apis::meta::v1::{Condition, Time};
use k8s_openapi::jiff::Timestamp;

use crate::crd::TranscriptionBot;
use crate::desired::{self, Apis, Scaling};
use crate::observed::{self, Reported, Workloads};

pub const READY: &str = "Ready";
pub const RECONCILED: &str = "Reconciled";
pub const WEBHOOK_REGISTERED: &str = "WebhookRegistered";
pub const WEBHOOK_HEALTHY: &str = "WebhookHealthy";
pub const WORKERS_AVAILABLE: &str = "WorkersAvailable";
pub const AUTOSCALING: &str = "Autoscaling";
pub const ROUTE_ACCEPTED: &str = "RouteAccepted";

/// Condition reasons.
pub mod reason {
    // Ready
    pub const READY: &str = "Ready";
    pub const SECRET_MISSING: &str = "SecretMissing";
    pub const WEBHOOK_NOT_REGISTERED: &str = "WebhookNotRegistered";
    pub const WEBHOOK_UNAVAILABLE: &str = "WebhookUnavailable";
    pub const WORKERS_UNAVAILABLE: &str = "WorkersUnavailable";
    pub const AUTOSCALER_NOT_READY: &str = "AutoscalerNotReady";
    pub const AUTOSCALING_PENDING: &str = "AutoscalingPending";
    pub const ROUTE_NOT_ACCEPTED: &str = "RouteNotAccepted";
    pub const PAUSED: &str = "Paused";
    // Reconciled (and Ready, when a child was rejected or the spec refused)
    pub const APPLIED: &str = "Applied";
    pub const FORBIDDEN: &str = "Forbidden";
    pub const INVALID: &str = "Invalid";
    pub const CONFLICT: &str = "Conflict";
    pub const REJECTED: &str = "Rejected";
    pub const API_UNAVAILABLE: &str = "ApiUnavailable";
    pub const INSECURE_API_URL: &str = "InsecureApiUrl";
    pub const INVALID_SPEC: &str = "InvalidSpec";
    // WebhookRegistered
    pub const REGISTERED: &str = "Registered";
    pub const TELEGRAM_UNAVAILABLE: &str = "TelegramUnavailable";
    pub const TELEGRAM_REJECTED: &str = "TelegramRejected";
    pub const TOKEN_MISSING: &str = "TokenMissing";
    pub const PENDING: &str = "Pending";
    // WebhookHealthy
    pub const DELIVERING: &str = "Delivering";
    pub const DELIVERY_FAILING: &str = "DeliveryFailing";
    pub const UPDATES_PILING_UP: &str = "UpdatesPilingUp";
    pub const WEBHOOK_INFO_UNSUPPORTED: &str = "WebhookInfoUnsupported";
    // WorkersAvailable
    pub const AVAILABLE: &str = "Available";
    pub const UNAVAILABLE: &str = "Unavailable";
    // Autoscaling
    pub const KEDA: &str = "Keda";
    pub const KEDA_FAILING: &str = "KedaFailing";
    pub const DISABLED: &str = "Disabled";
    pub const KEDA_NOT_INSTALLED: &str = "KedaNotInstalled";
    pub const MANAGEMENT_URL_MISSING: &str = "ManagementUrlMissing";
    // RouteAccepted
    pub const ACCEPTED: &str = "Accepted";
    pub const NOT_ACCEPTED: &str = "NotAccepted";
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum State {
    True,
    False,
    Unknown,
}

impl State {
    pub fn as_str(self) -> &'static str {
        match self {
            State::True => "True",
            State::False => "False",
            State::Unknown => "Unknown",
        }
    }

    pub fn from_bool(ok: bool) -> Self {
        if ok { State::True } else { State::False }
    }
}

/// A condition as computed by a reconcile, before timestamps.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Observed {
    pub type_: &'static str,
    pub state: State,
    pub reason: &'static str,
    pub message: String,
}

impl Observed {
    pub fn new(
        type_: &'static str,
        state: State,
        reason: &'static str,
        message: impl Into<String>,
    ) -> Self {
        Self {
            type_,
            state,
            reason,
            message: message.into(),
        }
    }
}

/// The conditions to write: `observed` in order, each keeping its previous
/// `lastTransitionTime` unless its status changed; conditions of other types are dropped.
pub fn merge(
    previous: &[Condition],
    observed: &[Observed],
    generation: Option<i64>,
    now: Timestamp,
) -> Vec<Condition> {
    observed
        .iter()
        .map(|o| {
            let status = o.state.as_str();
            let last_transition_time = previous
                .iter()
                .find(|p| p.type_ == o.type_ && p.status == status)
                .map_or(Time(now), |p| p.last_transition_time.clone());
            Condition {
                type_: o.type_.to_owned(),
                status: status.to_owned(),
                reason: o.reason.to_owned(),
                message: o.message.clone(),
                observed_generation: generation,
                last_transition_time,
            }
        })
        .collect()
}

/// The condition of `type_`, if present.
pub fn find<'a>(conditions: &'a [Condition], type_: &str) -> Option<&'a Condition> {
    conditions.iter().find(|c| c.type_ == type_)
}

/// Whether `previous` already says what `observed` says (reason and message): repeated
/// warnings are then not published again.
pub fn unchanged(previous: &[Condition], observed: &Observed) -> bool {
    find(previous, observed.type_).is_some_and(|c| {
        c.status == observed.state.as_str()
            && c.reason == observed.reason
            && c.message == observed.message
    })
}

/// The conditions of a paused bot: every other condition as it was (last observed), `Reconciled`
/// false with reason `Paused`, and `Ready` keeping its status but saying why nothing changes.
pub fn paused(
    previous: &[Condition],
    message: &str,
    generation: Option<i64>,
    now: Timestamp,
) -> Vec<Condition> {
    let reconciled = merge(
        previous,
        &[Observed::new(
            RECONCILED,
            State::False,
            reason::PAUSED,
            message,
        )],
        generation,
        now,
    );
    let ready = match find(previous, READY) {
        Some(c) => Condition {
            reason: reason::PAUSED.to_owned(),
            message: message.to_owned(),
            ..c.clone()
        },
        None => merge(
            previous,
            &[Observed::new(
                READY,
                State::Unknown,
                reason::PAUSED,
                message,
            )],
            generation,
            now,
        )
        .remove(0),
    };
    let mut out = vec![ready];
    out.extend(reconciled);
    out.extend(
        previous
            .iter()
            .filter(|c| c.type_ != READY && c.type_ != RECONCILED)
            .cloned(),
    );
    out
}

/// `Autoscaling`: how the workers scale and, under KEDA, whether its scaler reads the queue.
pub fn autoscaling(bot: &TranscriptionBot, apis: Apis, workloads: &Workloads) -> Observed {
    let new = |state, reason, message: String| Observed::new(AUTOSCALING, state, reason, message);
    match desired::scaling(bot, apis) {
        Scaling::Fixed => new(
            State::False,
            reason::DISABLED,
            "worker autoscaling is off".to_owned(),
        ),
        Scaling::Keda => {
            let queue = desired::jobs_queue(bot);
            match observed::scaler(workloads.scaled_object.as_ref()) {
                Reported::Yes => new(
                    State::True,
                    reason::KEDA,
                    format!("KEDA scales the workers on queue {queue}"),
                ),
                Reported::No(why) => new(
                    State::False,
                    reason::KEDA_FAILING,
                    format!("KEDA cannot read queue {queue}: {why}"),
                ),
                Reported::Unknown => new(
                    State::Unknown,
                    reason::PENDING,
                    format!(
                        "waiting for KEDA to report ScaledObject {} ready (it scales the workers on queue {queue})",
                        desired::name(bot, "worker")
                    ),
                ),
            }
        }
        Scaling::HpaKedaMissing => new(
            State::False,
            reason::KEDA_NOT_INSTALLED,
            "KEDA (keda.sh) is not served: a HorizontalPodAutoscaler scales the workers on CPU"
                .to_owned(),
        ),
        Scaling::HpaNoManagementUrl => new(
            State::False,
            reason::MANAGEMENT_URL_MISSING,
            "spec.rabbitmq.managementUrlSecretRef is not set: a HorizontalPodAutoscaler scales the workers on CPU".to_owned(),
        ),
    }
}

/// `WorkersAvailable`: the worker Deployment's `Available` condition.
pub fn workers(workloads: &Workloads) -> Observed {
    let worker = workloads.worker.as_ref();
    let summary = format!(
        "{}/{} workers ready",
        observed::ready_replicas(worker),
        observed::desired_replicas(worker)
    );
    if observed::deployment_available(worker) {
        Observed::new(WORKERS_AVAILABLE, State::True, reason::AVAILABLE, summary)
    } else {
        Observed::new(
            WORKERS_AVAILABLE,
            State::False,
            reason::UNAVAILABLE,
            summary,
        )
    }
}

/// `RouteAccepted`, when the bot has an HTTPRoute.
pub fn route(workloads: &Workloads) -> Option<Observed> {
    let route = workloads.route.as_ref()?;
    Some(match observed::route(Some(route)) {
        Reported::Yes => Observed::new(
            ROUTE_ACCEPTED,
            State::True,
            reason::ACCEPTED,
            "every Gateway accepted the HTTPRoute",
        ),
        Reported::No(why) => Observed::new(ROUTE_ACCEPTED, State::False, reason::NOT_ACCEPTED, why),
        Reported::Unknown => Observed::new(
            ROUTE_ACCEPTED,
            State::Unknown,
            reason::PENDING,
            "no Gateway has reported on the HTTPRoute yet",
        ),
    })
}

/// The longest `Ready` message: it is the `-o wide` column of `kubectl get tbot`. The detail
/// conditions keep the whole story.
pub const READY_MESSAGE_CHARS: usize = 160;

/// `message`, cut to [`READY_MESSAGE_CHARS`] characters with an ellipsis.
fn short(message: String) -> String {
    if message.chars().count() <= READY_MESSAGE_CHARS {
        return message;
    }
    let mut cut: String = message.chars().take(READY_MESSAGE_CHARS - 1).collect();
    cut.push('…');
    cut
}

/// Everything `Ready` summarises, most fundamental first.
pub struct Summary<'a> {
    /// Missing credentials, one line each.
    pub missing: &'a [String],
    pub reconciled: &'a Observed,
    pub registered: &'a Observed,
    pub health: Option<&'a Observed>,
    pub workloads: &'a Workloads,
    pub workers: &'a Observed,
    pub autoscaling: &'a Observed,
    pub route: Option<&'a Observed>,
}

/// `Ready`: the first problem of the summary, or ready. `Unknown` details (a controller that has
/// not reported yet) do not hold it back, except KEDA's: while KEDA scales the workers, Ready
/// reflects the ScaledObject's readiness, so it waits for KEDA to report it ready.
pub fn ready(s: &Summary) -> Observed {
    let not_ready =
        |reason, message: String| Observed::new(READY, State::False, reason, short(message));
    if !s.missing.is_empty() {
        return not_ready(reason::SECRET_MISSING, s.missing.join("; "));
    }
    if s.reconciled.state == State::False {
        return not_ready(s.reconciled.reason, s.reconciled.message.clone());
    }
    if s.registered.state != State::True {
        return not_ready(reason::WEBHOOK_NOT_REGISTERED, s.registered.message.clone());
    }
    if let Some(h) = s.health.filter(|h| h.state == State::False) {
        return not_ready(h.reason, h.message.clone());
    }
    if !observed::deployment_available(s.workloads.webhook.as_ref()) {
        return not_ready(
            reason::WEBHOOK_UNAVAILABLE,
            "no webhook pod is ready".to_owned(),
        );
    }
    if let Some(r) = s.route.filter(|r| r.state == State::False) {
        return not_ready(reason::ROUTE_NOT_ACCEPTED, r.message.clone());
    }
    if s.workers.state != State::True {
        return not_ready(reason::WORKERS_UNAVAILABLE, s.workers.message.clone());
    }
    if s.autoscaling.reason == reason::KEDA_FAILING {
        return not_ready(reason::AUTOSCALER_NOT_READY, s.autoscaling.message.clone());
    }
    if s.autoscaling.state == State::Unknown {
        return not_ready(reason::AUTOSCALING_PENDING, s.autoscaling.message.clone());
    }
    Observed::new(
        READY,
        State::True,
        reason::READY,
        "children applied, webhook registered and delivering, workers available",
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(secs: i64) -> Timestamp {
        Timestamp::from_second(secs).expect("valid")
    }

    #[test]
    fn transition_time_moves_only_when_status_flips() {
        let first = merge(
            &[],
            &[Observed::new(READY, State::False, reason::PENDING, "wait")],
            Some(1),
            at(100),
        );
        assert_eq!(first[0].last_transition_time, Time(at(100)));

        // Same status, new reason and message: the time stays.
        let second = merge(
            &first,
            &[Observed::new(
                READY,
                State::False,
                reason::WORKERS_UNAVAILABLE,
                "0/1",
            )],
            Some(2),
            at(200),
        );
        assert_eq!(second[0].last_transition_time, Time(at(100)));
        assert_eq!(second[0].reason, "WorkersUnavailable");
        assert_eq!(second[0].observed_generation, Some(2));
        assert!(unchanged(
            &second,
            &Observed::new(READY, State::False, reason::WORKERS_UNAVAILABLE, "0/1")
        ));
        assert!(!unchanged(
            &second,
            &Observed::new(READY, State::False, reason::WORKERS_UNAVAILABLE, "0/2")
        ));

        // Flip: the time moves.
        let third = merge(
            &second,
            &[Observed::new(READY, State::True, reason::READY, "ok")],
            Some(2),
            at(300),
        );
        assert_eq!(third[0].last_transition_time, Time(at(300)));
        assert_eq!(third[0].status, "True");
    }

    #[test]
    fn ready_waits_for_keda_to_report_the_scaled_object_ready() {
        let webhook = serde_json::from_value(serde_json::json!({
            "status": {"conditions": [{"type": "Available", "status": "True"}]},
        }))
        .expect("a Deployment");
        let workloads = Workloads {
            webhook: Some(webhook),
            ..Workloads::default()
        };
        let ok = |type_| Observed::new(type_, State::True, reason::READY, "ok");
        let (reconciled, registered, workers) = (
            ok(RECONCILED),
            ok(WEBHOOK_REGISTERED),
            ok(WORKERS_AVAILABLE),
        );
        let ready_with = |autoscaling: &Observed| {
            ready(&Summary {
                missing: &[],
                reconciled: &reconciled,
                registered: &registered,
                health: None,
                workloads: &workloads,
                workers: &workers,
                autoscaling,
                route: None,
            })
        };
        let pending = Observed::new(
            AUTOSCALING,
            State::Unknown,
            reason::PENDING,
            "waiting for KEDA to report ScaledObject voice-worker ready",
        );
        let waiting = ready_with(&pending);
        assert_eq!(
            (waiting.state, waiting.reason),
            (State::False, "AutoscalingPending")
        );
        assert!(
            waiting.message.contains("ScaledObject voice-worker"),
            "{}",
            waiting.message
        );

        let failing = Observed::new(AUTOSCALING, State::False, reason::KEDA_FAILING, "404");
        assert_eq!(ready_with(&failing).reason, "AutoscalerNotReady");
        // Ready once KEDA reports it, and without KEDA (no ScaledObject to wait for).
        for autoscaling in [
            Observed::new(AUTOSCALING, State::True, reason::KEDA, "keda"),
            Observed::new(AUTOSCALING, State::False, reason::DISABLED, "off"),
            Observed::new(AUTOSCALING, State::False, reason::KEDA_NOT_INSTALLED, "hpa"),
            Observed::new(
                AUTOSCALING,
                State::False,
                reason::MANAGEMENT_URL_MISSING,
                "hpa",
            ),
        ] {
            let ready = ready_with(&autoscaling);
            assert_eq!(
                (ready.state, ready.reason),
                (State::True, "Ready"),
                "{autoscaling:?}"
            );
        }
    }

    #[test]
    fn the_ready_message_stays_short_for_the_wide_column() {
        let long = "x".repeat(1000);
        let cut = short(long);
        assert_eq!(cut.chars().count(), READY_MESSAGE_CHARS);
        assert!(cut.ends_with('…'));
        assert_eq!(short("fine".to_owned()), "fine");
    }
}
