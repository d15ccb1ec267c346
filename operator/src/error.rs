//! Every way the operator fails, on one screen. Messages never carry credentials: Telegram
//! errors are the core client's (token-free), Kubernetes errors name objects, not values.

use scribe_core::retry::{Classify, Retry};
use scribe_telegram as telegram;

#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The CRD is missing: the operator cannot run (checked once at start).
    #[error(
        "the TranscriptionBot CRD (transcriptionbots.scribe.dev) is not installed: apply manifests/crd.yaml first"
    )]
    CrdNotInstalled,

    /// No usable kubeconfig or in-cluster service account.
    #[error("no Kubernetes configuration (in-cluster or kubeconfig): {0}")]
    KubeConfig(#[source] kube::config::InferConfigError),

    #[error("Kubernetes API: {action} failed: {source}")]
    Kube {
        action: &'static str,
        #[source]
        source: kube::Error,
    },

    /// A Bot API call failed (setWebhook, setMyCommands, deleteWebhook).
    #[error("{0}")]
    Telegram(#[source] telegram::Error),

    #[error("building the Telegram HTTP client failed")]
    HttpClient(#[source] reqwest::Error),

    #[error("encoding a {kind} failed")]
    Encode {
        kind: &'static str,
        #[source]
        source: serde_json::Error,
    },

    #[error(transparent)]
    Random(#[from] crate::digest::RandomError),

    /// A spec value the schema could not rule out is unusable.
    #[error("spec.{field} is invalid")]
    InvalidSpec { field: &'static str },

    /// The object lacks a field the apiserver always sets (namespace, uid).
    #[error("the TranscriptionBot has no {0}")]
    Incomplete(&'static str),

    /// Another replica took the leader Lease, or it could not be renewed in time: this replica
    /// stops reconciling and exits, to come back as a candidate.
    #[error("lost the leader Lease")]
    LeadershipLost,
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

impl Error {
    pub(crate) fn kube(action: &'static str) -> impl FnOnce(kube::Error) -> Error {
        move |source| Error::Kube { action, source }
    }

    /// Static CamelCase reason: the metrics label and the condition/event reason.
    pub fn reason(&self) -> &'static str {
        match self {
            Error::CrdNotInstalled => "CrdNotInstalled",
            Error::KubeConfig(_) => "KubeConfigError",
            Error::Kube { .. } => "KubernetesApiError",
            Error::Telegram(e) => telegram_reason(e),
            Error::HttpClient(_) => "HttpClientError",
            Error::Encode { .. } => "EncodingError",
            Error::Random(_) => "RandomFailure",
            Error::InvalidSpec { .. } => "InvalidSpec",
            Error::Incomplete(_) => "IncompleteObject",
            Error::LeadershipLost => "LeadershipLost",
        }
    }

    /// A server's hint of when to try again (Telegram's `retry_after`).
    pub fn retry_after(&self) -> Option<std::time::Duration> {
        match self {
            Error::Telegram(e) => match e.retry() {
                Retry::Transient { after } => after,
                Retry::Permanent => None,
            },
            Error::CrdNotInstalled
            | Error::KubeConfig(_)
            | Error::Kube { .. }
            | Error::HttpClient(_)
            | Error::Encode { .. }
            | Error::Random(_)
            | Error::InvalidSpec { .. }
            | Error::Incomplete(_)
            | Error::LeadershipLost => None,
        }
    }
}

/// `TelegramUnavailable` for what may pass (5xx, 429, timeouts, connection), `TelegramRejected`
/// for what will not (401 revoked token, 400 bad URL).
pub fn telegram_reason(e: &telegram::Error) -> &'static str {
    match e.retry() {
        Retry::Transient { .. } => "TelegramUnavailable",
        Retry::Permanent => "TelegramRejected",
    }
}
