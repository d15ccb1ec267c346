//! The scribe operator: the `TranscriptionBot` CRD (`scribe.dev/v1alpha1`) and the controller
//! that runs each bot from it — ConfigMap, webhook and worker Deployments, Service, optional
//! Ingress/HTTPRoute, autoscaling (KEDA or HPA), PodDisruptionBudgets, report CronJobs — and
//! registers its webhook with Telegram, watching that Telegram delivers. Several replicas may
//! run with a leader-election Lease (`LEASE_NAMESPACE`).
//!
//! Wiring (`scribe operator`):
//!
//! ```no_run
//! # async fn wire() -> Result<(), Box<dyn std::error::Error>> {
//! use scribe_core::config::Env;
//! use tokio_util::sync::CancellationToken;
//!
//! let mut env = Env::from_process();
//! let config = scribe_operator::OperatorConfig::from_env(&mut env);
//! env.finish()?;
//! let (metrics, registry) = scribe_operator::Metrics::new();
//! // serve `registry` with scribe_core::ops::{Ops, router, serve}
//! let client = scribe_operator::client().await?;
//! let shutdown = CancellationToken::new();
//! scribe_operator::run(config, client, metrics, shutdown).await?;
//! # Ok(()) }
//! ```
#![forbid(unsafe_code)]

mod backoff;
mod children;
pub mod conditions;
pub mod config;
mod controller;
pub mod crd;
mod credentials;
pub mod desired;
mod digest;
mod discovery;
mod error;
mod finalizer;
#[cfg(test)]
mod fixtures;
mod leader;
mod metrics;
mod observed;
pub mod registration;
mod resync;
mod validation;
mod webhook_health;

pub use config::{OperatorConfig, SETTINGS};
pub use controller::{FINALIZER, run};
pub use crd::{TranscriptionBot, TranscriptionBotSpec, TranscriptionBotStatus, crd_yaml};
pub use error::{Error, Result};
pub use kube::Client;
pub use metrics::Metrics;

/// A Kubernetes client from the environment (in-cluster service account, or `KUBECONFIG`).
pub async fn client() -> Result<Client> {
    let config = kube::Config::infer().await.map_err(Error::KubeConfig)?;
    client_from(config)
}

/// A client for `config`, on the process's one rustls provider (ring).
pub fn client_from(config: kube::Config) -> Result<Client> {
    scribe_core::http::install_crypto_provider();
    Client::try_from(config).map_err(|source| Error::Kube {
        action: "building the Kubernetes client",
        source,
    })
}

#[cfg(test)]
mod tests {
    #[tokio::test]
    async fn the_kubernetes_client_builds_on_the_ring_provider() {
        let url = "https://127.0.0.1:6443".parse().expect("a URL");
        super::client_from(kube::Config::new(url)).expect("a client");
        assert!(rustls::crypto::CryptoProvider::get_default().is_some());
    }
}
