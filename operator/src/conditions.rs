//! Status conditions: types, reasons (CamelCase constants) and the one rule that keeps status
//! writes quiet — `lastTransitionTime` moves only when a condition's status flips.

use k8s_openapi::apimachinery::pkg::apis::meta::v1::{Condition, Time};
use k8s_openapi::jiff::Timestamp;

pub const READY: &str = "Ready";
pub const WEBHOOK_REGISTERED: &str = "WebhookRegistered";
pub const WORKERS_AVAILABLE: &str = "WorkersAvailable";
pub const AUTOSCALING: &str = "Autoscaling";

/// Condition reasons.
pub mod reason {
    // Ready
    pub const READY: &str = "Ready";
    pub const SECRET_MISSING: &str = "SecretMissing";
    pub const WEBHOOK_NOT_REGISTERED: &str = "WebhookNotRegistered";
    pub const WEBHOOK_UNAVAILABLE: &str = "WebhookUnavailable";
    pub const WORKERS_UNAVAILABLE: &str = "WorkersUnavailable";
    // WebhookRegistered
    pub const REGISTERED: &str = "Registered";
    pub const TELEGRAM_UNAVAILABLE: &str = "TelegramUnavailable";
    pub const TELEGRAM_REJECTED: &str = "TelegramRejected";
    pub const TOKEN_MISSING: &str = "TokenMissing";
    pub const PENDING: &str = "Pending";
    // WorkersAvailable
    pub const AVAILABLE: &str = "Available";
    pub const UNAVAILABLE: &str = "Unavailable";
    // Autoscaling
    pub const KEDA: &str = "Keda";
    pub const DISABLED: &str = "Disabled";
    pub const KEDA_NOT_INSTALLED: &str = "KedaNotInstalled";
    pub const MANAGEMENT_URL_MISSING: &str = "ManagementUrlMissing";
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum State {
    True,
    False,
    Unknown,
}

impl State {
    fn as_str(self) -> &'static str {
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
}
