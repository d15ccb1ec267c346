//! The operator's settings, read once from the environment. Each name is a constant here (the
//! only place it is spelled) and documented in [`SETTINGS`], which `docs/configuration.md` is
//! generated from.
//!
//! Core's [`Env`] looks defaults up only in core's own table, so operator settings are read with
//! [`Env::optional`] and defaulted from [`SETTINGS`] here.

use std::time::Duration;

use scribe_core::config::{Env, Setting};

use crate::leader::LeaseConfig;

pub const WATCH_NAMESPACES: &str = "WATCH_NAMESPACES";
pub const SCRIBE_IMAGE: &str = "SCRIBE_IMAGE";
pub const OPERATOR_TELEGRAM_TIMEOUT_SECONDS: &str = "OPERATOR_TELEGRAM_TIMEOUT_SECONDS";
pub const LEASE_NAMESPACE: &str = "LEASE_NAMESPACE";
pub const LEASE_NAME: &str = "LEASE_NAME";
pub const POD_NAME: &str = "POD_NAME";

const OPERATOR: &str = "operator";

/// Every environment variable the operator reads (besides core's `LISTEN_ADDR`, `LOG_FORMAT`
/// and `LOG_LEVEL`, which the process wiring reads).
pub const SETTINGS: &[Setting] = &[
    Setting {
        name: WATCH_NAMESPACES,
        default: "",
        used_by: OPERATOR,
        doc: "Comma-separated namespaces whose TranscriptionBots the operator runs, with a Role in each (the multi-tenant default); empty watches every namespace and needs a ClusterRole that reads every Secret.",
    },
    Setting {
        name: SCRIBE_IMAGE,
        default: "ghcr.io/scribe-dev/scribe:0.1.0",
        used_by: OPERATOR,
        doc: "Image of the bot pods when a TranscriptionBot sets no `spec.image`.",
    },
    Setting {
        name: OPERATOR_TELEGRAM_TIMEOUT_SECONDS,
        default: "30",
        used_by: OPERATOR,
        doc: "Timeout of one Bot API call (setWebhook, setMyCommands, getWebhookInfo, deleteWebhook).",
    },
    Setting {
        name: LEASE_NAMESPACE,
        default: "",
        used_by: OPERATOR,
        doc: "Namespace of the leader-election Lease (usually the operator's own), so several replicas can run and one reconciles; empty runs without leader election (one replica only).",
    },
    Setting {
        name: LEASE_NAME,
        default: "scribe-operator",
        used_by: OPERATOR,
        doc: "Name of the leader-election Lease.",
    },
    Setting {
        name: POD_NAME,
        default: "",
        used_by: OPERATOR,
        doc: "This replica's pod name (from the downward API), the first part of its leader-election identity.",
    },
];

fn default_of(name: &str) -> &'static str {
    SETTINGS
        .iter()
        .find(|s| s.name == name)
        .map_or("", |s| s.default)
}

/// What `run` needs to know.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OperatorConfig {
    /// Namespaces to watch; empty means all.
    pub namespaces: Vec<String>,
    /// Default image of bot pods.
    pub image: String,
    /// Timeout of one Telegram call.
    pub telegram_timeout: Duration,
    /// The leader-election Lease; `None` runs without leader election.
    pub lease: Option<LeaseSettings>,
}

/// Where the Lease is and which pod this is (the identity gets a random suffix at start).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LeaseSettings {
    pub namespace: String,
    pub name: String,
    pub pod: String,
}

impl LeaseSettings {
    /// The Lease configuration with this replica's identity, `<pod>_<suffix>`.
    pub fn with_suffix(self, suffix: &str) -> LeaseConfig {
        let pod = if self.pod.is_empty() {
            "scribe-operator"
        } else {
            &self.pod
        };
        LeaseConfig {
            identity: format!("{pod}_{suffix}"),
            namespace: self.namespace,
            name: self.name,
        }
    }
}

fn or_default(env: &mut Env, name: &'static str) -> String {
    env.optional(name)
        .unwrap_or_else(|| default_of(name).to_owned())
}

impl OperatorConfig {
    /// Reads the operator settings; problems are collected in `env` (see [`Env::finish`]).
    pub fn from_env(env: &mut Env) -> Self {
        let namespaces = names(env, WATCH_NAMESPACES);
        let image = or_default(env, SCRIBE_IMAGE);
        let timeout_text = or_default(env, OPERATOR_TELEGRAM_TIMEOUT_SECONDS);
        let timeout = match timeout_text.parse::<u64>() {
            Ok(s) if s > 0 => s,
            _ => {
                env.error(format!(
                    "{OPERATOR_TELEGRAM_TIMEOUT_SECONDS}={timeout_text:?} must be a positive number of seconds"
                ));
                30
            }
        };
        let lease_namespace = names(env, LEASE_NAMESPACE);
        let lease_name = or_default(env, LEASE_NAME);
        let pod = or_default(env, POD_NAME);
        if lease_namespace.len() > 1 {
            env.error(format!("{LEASE_NAMESPACE} names one namespace"));
        }
        Self {
            namespaces,
            image,
            telegram_timeout: Duration::from_secs(timeout),
            lease: lease_namespace
                .into_iter()
                .next()
                .map(|namespace| LeaseSettings {
                    namespace,
                    name: lease_name,
                    pod,
                }),
        }
    }
}

/// A comma-separated list of namespace names; bad ones are reported.
fn names(env: &mut Env, setting: &'static str) -> Vec<String> {
    let names = env
        .optional(setting)
        .unwrap_or_default()
        .split(',')
        .map(str::trim)
        .filter(|ns| !ns.is_empty())
        .map(str::to_owned)
        .collect::<Vec<_>>();
    for ns in &names {
        if !is_dns_label(ns) {
            env.error(format!(
                "{setting} contains {ns:?}, which is not a namespace name"
            ));
        }
    }
    names
}

fn is_dns_label(s: &str) -> bool {
    (1..=63).contains(&s.len())
        && s.bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        && !s.starts_with('-')
        && !s.ends_with('-')
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(pairs: &[(&str, &str)]) -> Env {
        Env::from_pairs(pairs.iter().map(|(k, v)| (*k, *v)))
    }

    #[test]
    fn defaults_come_from_the_operator_table() {
        let mut e = env(&[]);
        let config = OperatorConfig::from_env(&mut e);
        assert!(e.finish().is_ok());
        assert!(config.namespaces.is_empty());
        assert_eq!(config.image, "ghcr.io/scribe-dev/scribe:0.1.0");
        assert_eq!(config.telegram_timeout, Duration::from_secs(30));
        assert_eq!(config.lease, None);
    }

    #[test]
    fn namespaces_are_a_trimmed_comma_list_and_bad_values_are_reported() {
        let mut e = env(&[
            (WATCH_NAMESPACES, " bots , team-a,,"),
            (SCRIBE_IMAGE, "registry.local/scribe:dev"),
        ]);
        let config = OperatorConfig::from_env(&mut e);
        assert!(e.finish().is_ok());
        assert_eq!(config.namespaces, ["bots", "team-a"]);
        assert_eq!(config.image, "registry.local/scribe:dev");

        let mut e = env(&[
            (WATCH_NAMESPACES, "Bad_NS"),
            (OPERATOR_TELEGRAM_TIMEOUT_SECONDS, "0"),
            (LEASE_NAMESPACE, "a,b"),
        ]);
        let _ = OperatorConfig::from_env(&mut e);
        let errors = e.finish().expect_err("three bad settings");
        assert_eq!(errors.0.len(), 3, "{errors}");
    }

    #[test]
    fn a_lease_namespace_turns_leader_election_on() {
        let mut e = env(&[(LEASE_NAMESPACE, "scribe-system"), (POD_NAME, "op-7d9f")]);
        let config = OperatorConfig::from_env(&mut e);
        assert!(e.finish().is_ok());
        let lease = config.lease.expect("a lease").with_suffix("x1");
        assert_eq!(
            lease,
            LeaseConfig {
                namespace: "scribe-system".into(),
                name: "scribe-operator".into(),
                identity: "op-7d9f_x1".into(),
            }
        );
    }

    fn sources(dir: &std::path::Path, out: &mut Vec<(String, String)>) {
        for entry in std::fs::read_dir(dir).expect("operator/src").flatten() {
            let path = entry.path();
            if path.is_dir() {
                sources(&path, out);
            } else if path.extension().is_some_and(|e| e == "rs") {
                let text = std::fs::read_to_string(&path).expect("a source file");
                out.push((path.display().to_string(), text));
            }
        }
    }

    /// Setting names come from constants: a core setting is never spelled in the operator
    /// (tests included), an operator setting only where its constant is defined.
    #[test]
    fn no_setting_name_is_spelled_twice() {
        let mut files = Vec::new();
        sources(
            &std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src"),
            &mut files,
        );
        assert!(files.len() > 20, "{} source files", files.len());
        let count = |name: &str| -> Vec<String> {
            let literal = format!("\"{name}\"");
            files
                .iter()
                .filter(|(_, text)| text.contains(&literal))
                .map(|(path, _)| path.clone())
                .collect()
        };
        for setting in scribe_core::config::SETTINGS {
            let found = count(setting.name);
            assert!(found.is_empty(), "{} is spelled in {found:?}", setting.name);
        }
        for setting in SETTINGS {
            let found = count(setting.name);
            assert_eq!(found.len(), 1, "{} is spelled in {found:?}", setting.name);
        }
    }

    #[test]
    fn every_setting_read_is_documented() {
        let mut e = env(&[]);
        let _ = OperatorConfig::from_env(&mut e);
        for name in e.names_read() {
            assert!(
                SETTINGS.iter().any(|s| s.name == *name),
                "{name} is read but not in SETTINGS"
            );
        }
        assert_eq!(e.names_read().len(), SETTINGS.len());
    }
}
