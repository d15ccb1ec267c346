//! Leader election on a `coordination.k8s.io/v1` Lease, so two operator replicas can run and
//! only one reconciles. The holder renews the Lease every few seconds; another replica takes it
//! once it has not been renewed for its whole duration. Writes carry the Lease's
//! `resourceVersion`, so two candidates never both win: the loser gets 409 and waits.
//!
//! A leader that cannot renew within the deadline stops its controllers and fails, and the
//! process restarts as a candidate; a leader that shuts down releases the Lease, so the other
//! replica takes over at once instead of after the Lease's duration.

use std::time::{Duration, Instant};

use k8s_openapi::api::coordination::v1::{Lease, LeaseSpec};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{MicroTime, ObjectMeta};
use k8s_openapi::jiff::{SignedDuration, Timestamp};
use kube::Client;
use kube::api::{Api, PostParams};
use tokio_util::sync::CancellationToken;
use tracing::{info, warn};

use crate::desired::FIELD_MANAGER;
use crate::error::{Error, Result};

/// How long a Lease holds without renewal.
pub const LEASE_SECONDS: i32 = 15;
/// How often the holder renews, and a candidate retries.
const RENEW_EVERY: Duration = Duration::from_secs(5);
/// A holder that could not renew for this long stops leading (before the Lease expires).
const RENEW_DEADLINE: Duration = Duration::from_secs(10);

/// Where the Lease lives and who this replica is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LeaseConfig {
    pub namespace: String,
    pub name: String,
    /// This replica's identity (its pod name and a random suffix).
    pub identity: String,
}

/// What to do with the Lease as found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    /// There is none: create it.
    Create,
    /// It is ours: renew it.
    Renew,
    /// Its holder let it expire (or released it): take it over.
    Take,
    /// Someone else holds it.
    Wait,
}

/// The decision for `identity` at `now`.
pub fn decide(lease: Option<&Lease>, identity: &str, now: Timestamp) -> Decision {
    let Some(spec) = lease.and_then(|l| l.spec.as_ref()) else {
        return match lease {
            None => Decision::Create,
            Some(_) => Decision::Take,
        };
    };
    match spec.holder_identity.as_deref() {
        Some(holder) if holder == identity => return Decision::Renew,
        None | Some("") => return Decision::Take,
        Some(_) => {}
    }
    let seconds = i64::from(spec.lease_duration_seconds.unwrap_or(LEASE_SECONDS));
    let expires = spec
        .renew_time
        .as_ref()
        .or(spec.acquire_time.as_ref())
        .and_then(|t| t.0.checked_add(SignedDuration::from_secs(seconds)).ok());
    match expires {
        Some(at) if at > now => Decision::Wait,
        _ => Decision::Take,
    }
}

/// Elects and keeps this replica the leader.
pub struct Elector {
    api: Api<Lease>,
    config: LeaseConfig,
}

fn conflict(e: &kube::Error) -> bool {
    matches!(e, kube::Error::Api(status) if status.is_conflict() || status.code == 409)
}

impl Elector {
    pub fn new(client: Client, config: LeaseConfig) -> Self {
        Self {
            api: Api::namespaced(client, &config.namespace),
            config,
        }
    }

    fn params() -> PostParams {
        PostParams {
            field_manager: Some(FIELD_MANAGER.to_owned()),
            ..PostParams::default()
        }
    }

    /// One round: whether this replica holds the Lease afterwards.
    pub async fn try_lead(&self, now: Timestamp) -> Result<bool> {
        let name = &self.config.name;
        let found = self
            .api
            .get_opt(name)
            .await
            .map_err(Error::kube("reading the leader Lease"))?;
        let decision = decide(found.as_ref(), &self.config.identity, now);
        let mut lease = match (decision, found) {
            (Decision::Wait, _) => return Ok(false),
            (Decision::Create, _) | (_, None) => Lease {
                metadata: ObjectMeta {
                    name: Some(name.clone()),
                    namespace: Some(self.config.namespace.clone()),
                    ..ObjectMeta::default()
                },
                spec: Some(LeaseSpec::default()),
            },
            (Decision::Renew | Decision::Take, Some(lease)) => lease,
        };
        let spec = lease.spec.get_or_insert_with(LeaseSpec::default);
        if decision != Decision::Renew {
            spec.holder_identity = Some(self.config.identity.clone());
            spec.acquire_time = Some(MicroTime(now));
            spec.lease_transitions = Some(match decision {
                Decision::Create => 0,
                _ => spec.lease_transitions.unwrap_or(0) + 1,
            });
        }
        spec.lease_duration_seconds = Some(LEASE_SECONDS);
        spec.renew_time = Some(MicroTime(now));
        let written = match decision {
            Decision::Create => self.api.create(&Self::params(), &lease).await,
            _ => self.api.replace(name, &Self::params(), &lease).await,
        };
        match written {
            Ok(_) => Ok(true),
            Err(e) if conflict(&e) => Ok(false),
            Err(e) => Err(Error::Kube {
                action: "writing the leader Lease",
                source: e,
            }),
        }
    }

    /// Waits until this replica leads; `false` when `shutdown` came first.
    pub async fn acquire(&self, shutdown: &CancellationToken) -> bool {
        let mut announced = false;
        loop {
            match self.try_lead(Timestamp::now()).await {
                Ok(true) => {
                    info!(identity = %self.config.identity, lease = %self.config.name, "leading");
                    return true;
                }
                Ok(false) if !announced => {
                    info!(lease = %self.config.name, "another replica leads; standing by");
                    announced = true;
                }
                Ok(false) => {}
                Err(e) => warn!(error = %e, "leader election failed; retrying"),
            }
            tokio::select! {
                () = shutdown.cancelled() => return false,
                () = tokio::time::sleep(RENEW_EVERY) => {}
            }
        }
    }

    /// Renews the Lease until `shutdown` (`Ok`) or until leadership is lost (`Err`): another
    /// replica holds it, or no renewal succeeded within the deadline.
    pub async fn hold(&self, shutdown: &CancellationToken) -> Result<()> {
        let mut renewed = Instant::now();
        loop {
            tokio::select! {
                () = shutdown.cancelled() => return Ok(()),
                () = tokio::time::sleep(RENEW_EVERY) => {}
            }
            match self.try_lead(Timestamp::now()).await {
                Ok(true) => renewed = Instant::now(),
                Ok(false) => return Err(Error::LeadershipLost),
                Err(e) if renewed.elapsed() >= RENEW_DEADLINE => {
                    warn!(error = %e, "cannot renew the leader Lease");
                    return Err(Error::LeadershipLost);
                }
                Err(e) => warn!(error = %e, "renewing the leader Lease failed; retrying"),
            }
        }
    }

    /// Gives the Lease up (best effort), so a standby replica takes over at once.
    pub async fn release(&self) {
        let name = &self.config.name;
        let Ok(Some(mut lease)) = self.api.get_opt(name).await else {
            return;
        };
        let Some(spec) = lease.spec.as_mut() else {
            return;
        };
        if spec.holder_identity.as_deref() != Some(self.config.identity.as_str()) {
            return;
        }
        spec.holder_identity = None;
        spec.renew_time = None;
        match self.api.replace(name, &Self::params(), &lease).await {
            Ok(_) => info!(lease = %name, "released the leader Lease"),
            Err(e) => warn!(error = %e, "releasing the leader Lease failed"),
        }
    }
}

#[cfg(test)]
#[path = "leader_tests.rs"]
mod tests;
