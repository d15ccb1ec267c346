//! Names, labels and metadata of every child: `<metadata.name>-<suffix>`, the
//! `app.kubernetes.io/*` labels (selectors use only name, instance and component) and the
//! controller owner reference.

use std::collections::BTreeMap;

use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
use kube::Resource;

use crate::crd::TranscriptionBot;

/// The single server-side-apply field manager of every write.
pub const FIELD_MANAGER: &str = "scribe-operator";
/// Label selecting everything the operator manages (its watches filter on it).
pub const MANAGED_BY: &str = "app.kubernetes.io/managed-by=scribe-operator";
/// Label (on children and pods) naming the bot: what metrics and alerts join on.
pub const BOT_LABEL: &str = "scribe.dev/bot";
/// Pod-template annotation: hash of the ConfigMap's data.
pub const CONFIG_HASH: &str = "scribe.dev/config-hash";
/// Pod-template annotation: hash of the credentials the container references.
pub const SECRETS_HASH: &str = "scribe.dev/secrets-hash";
/// Deployment annotation: the children hash they were applied with (drift sentinel).
pub const APPLIED: &str = "scribe.dev/applied";

/// Which part of the bot an object belongs to (`app.kubernetes.io/component`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Component {
    Config,
    Webhook,
    Worker,
    Report,
}

impl Component {
    pub fn as_str(self) -> &'static str {
        match self {
            Component::Config => "config",
            Component::Webhook => "webhook",
            Component::Worker => "worker",
            Component::Report => "report",
        }
    }
}

/// `<metadata.name>-<suffix>`: every child's name.
pub fn name(bot: &TranscriptionBot, suffix: &str) -> String {
    format!(
        "{}-{suffix}",
        bot.metadata.name.as_deref().unwrap_or_default()
    )
}

/// The labels a component's selector matches.
pub fn selector_labels(bot: &TranscriptionBot, component: Component) -> BTreeMap<String, String> {
    BTreeMap::from([
        ("app.kubernetes.io/name".to_owned(), "scribe".to_owned()),
        (
            "app.kubernetes.io/instance".to_owned(),
            bot.metadata.name.clone().unwrap_or_default(),
        ),
        (
            "app.kubernetes.io/component".to_owned(),
            component.as_str().to_owned(),
        ),
    ])
}

/// The labels of a component's pods: the selector's and the bot's name (for metrics joins).
pub fn pod_labels(bot: &TranscriptionBot, component: Component) -> BTreeMap<String, String> {
    let mut labels = selector_labels(bot, component);
    labels.insert(BOT_LABEL.to_owned(), bot.bot_name());
    labels
}

fn labels(bot: &TranscriptionBot, component: Component) -> BTreeMap<String, String> {
    let mut labels = pod_labels(bot, component);
    labels.insert(
        "app.kubernetes.io/managed-by".to_owned(),
        FIELD_MANAGER.to_owned(),
    );
    labels.insert("app.kubernetes.io/part-of".to_owned(), "scribe".to_owned());
    labels
}

/// Metadata of a child: name, namespace, labels and the controller owner reference.
pub fn meta(bot: &TranscriptionBot, name: String, component: Component) -> ObjectMeta {
    ObjectMeta {
        name: Some(name),
        namespace: bot.metadata.namespace.clone(),
        labels: Some(labels(bot, component)),
        owner_references: bot.controller_owner_ref(&()).map(|r| vec![r]),
        ..ObjectMeta::default()
    }
}
