//! What the builders need besides the spec: facts the controller observed ([`Inputs`]) and the
//! optional APIs the cluster serves ([`Apis`]).

use std::collections::BTreeMap;

/// Facts the builders need besides the spec.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Inputs {
    /// Image of every bot container (`spec.image` or the operator default).
    pub image: String,
    /// SHA-256 of each referenced credential's value, by Secret name and key (values
    /// themselves never reach the builders).
    pub secret_digests: BTreeMap<(String, String), String>,
    /// The RabbitMQ virtual host of the bot's AMQP URL (KEDA reads the queue depth there).
    pub vhost: String,
    /// Which optional APIs the cluster serves.
    pub apis: Apis,
}

/// Optional API groups, found by discovery.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Apis {
    /// `keda.sh/v1alpha1` (ScaledObject, TriggerAuthentication).
    pub keda: bool,
    /// `gateway.networking.k8s.io/v1` (HTTPRoute).
    pub gateway: bool,
}
