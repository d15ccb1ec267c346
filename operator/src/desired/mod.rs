//! What a `TranscriptionBot` should own, as pure functions of the bot, its resolved
//! [`Providers`] and a few observed facts ([`Inputs`]). No I/O here: the controller applies what
//! these return. One file per child kind; [`children`] lists the whole set in apply order.

mod children;
mod configmap;
mod env;
mod inputs;
mod metadata;
mod pdb;
mod pod;
mod providers;
mod reports;
mod routing;
mod scaling;
mod storage;
mod webhook;
mod webhook_token;
mod worker;

pub use children::{Child, Kind, children, fingerprint, stamp};
pub use configmap::{config_hash, config_map};
pub use inputs::{Apis, Inputs};
pub use metadata::{
    APPLIED, BOT_LABEL, CONFIG_HASH, Component, FIELD_MANAGER, MANAGED_BY, SECRETS_HASH, name,
    pod_labels, selector_labels,
};
pub use pdb::{webhook_pdb, worker_pdb};
pub use pod::{HTTP_PORT, pod_template};
pub use providers::{Credential, Providers, Unusable, resolve};
pub use reports::{Report, report_cronjob};
pub use routing::{webhook_http_route, webhook_ingress};
pub use scaling::{
    Scaling, jobs_queue, max_workers, scaled_object, scaling, trigger_authentication, worker_hpa,
};
pub use storage::{TMP, bytes};
pub use webhook::{DEFAULT_SERVICE_PORT, webhook_deployment, webhook_service};
pub use webhook_token::{TOKEN_KEY, generated_token_ref, webhook_token_secret};
pub use worker::worker_deployment;

#[cfg(test)]
mod tests;
