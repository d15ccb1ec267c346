//! Which optional API groups the cluster serves (KEDA, Gateway API), by API discovery
//! (`GET /apis`), cached for a few minutes so installing KEDA later is noticed without a
//! restart.

use std::sync::{Mutex, PoisonError};
use std::time::{Duration, Instant};

use k8s_openapi::apimachinery::pkg::apis::meta::v1::APIGroupList;
use kube::Client;

use crate::desired::Apis;
use crate::error::{Error, Result};

const KEDA: (&str, &str) = ("keda.sh", "v1alpha1");
const GATEWAY: (&str, &str) = ("gateway.networking.k8s.io", "v1");

/// Whether `groups` serves `group/version`.
fn serves(groups: &APIGroupList, (group, version): (&str, &str)) -> bool {
    groups
        .groups
        .iter()
        .filter(|g| g.name == group)
        .flat_map(|g| &g.versions)
        .any(|v| v.version == version)
}

pub fn apis(groups: &APIGroupList) -> Apis {
    Apis {
        keda: serves(groups, KEDA),
        gateway: serves(groups, GATEWAY),
    }
}

/// Discovery results, refreshed after `ttl`.
#[derive(Debug)]
pub struct Discovery {
    ttl: Duration,
    cached: Mutex<Option<(Instant, Apis)>>,
}

impl Discovery {
    /// A discovery that already knows the answer (tests, or a result found at start).
    pub fn seeded(ttl: Duration, apis: Apis) -> Self {
        Self {
            ttl,
            cached: Mutex::new(Some((Instant::now(), apis))),
        }
    }

    pub async fn apis(&self, client: &Client) -> Result<Apis> {
        let cached = *self.cached.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some((at, apis)) = cached
            && at.elapsed() < self.ttl
        {
            return Ok(apis);
        }
        let found = probe(client).await?;
        *self.cached.lock().unwrap_or_else(PoisonError::into_inner) = Some((Instant::now(), found));
        Ok(found)
    }
}

/// One discovery round trip.
pub async fn probe(client: &Client) -> Result<Apis> {
    let groups = client
        .list_api_groups()
        .await
        .map_err(Error::kube("discovering API groups"))?;
    Ok(apis(&groups))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keda_and_gateway_are_found_by_group_and_version() {
        let groups: APIGroupList = serde_json::from_value(serde_json::json!({
            "groups": [
                {"name": "apps", "versions": [{"groupVersion": "apps/v1", "version": "v1"}]},
                {"name": "keda.sh", "versions": [{"groupVersion": "keda.sh/v1alpha1", "version": "v1alpha1"}]},
                {"name": "gateway.networking.k8s.io", "versions": [{"groupVersion": "gateway.networking.k8s.io/v1beta1", "version": "v1beta1"}]}
            ]
        }))
        .expect("valid list");
        assert_eq!(
            apis(&groups),
            Apis {
                keda: true,
                gateway: false
            }
        );
    }
}
