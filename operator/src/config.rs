//! The operator's settings, read once from the environment.
//!
//! Core's [`Env`] looks defaults up only in core's own table, so operator settings are read with
//! [`Env::optional`] and defaulted from [`SETTINGS`] here.

use std::time::Duration;

use scribe_core::config::{Env, Setting};

const OPERATOR: &str = "operator";

/// Every environment variable the operator reads (besides core's `LISTEN_ADDR`, `LOG_FORMAT`
/// and `LOG_LEVEL`, which the process wiring reads).
pub const SETTINGS: &[Setting] = &[
    Setting {
        name: "WATCH_NAMESPACES",
        default: "",
        used_by: OPERATOR,
        doc: "Comma-separated namespaces whose TranscriptionBots the operator runs; empty watches every namespace (needs a ClusterRole).",
    },
    Setting {
        name: "SCRIBE_IMAGE",
        default: "ghcr.io/scribe-dev/scribe:0.1.0",
        used_by: OPERATOR,
        doc: "Image of the bot pods when a TranscriptionBot sets no `spec.image`.",
    },
    Setting {
        name: "OPERATOR_TELEGRAM_TIMEOUT_SECONDS",
        default: "30",
        used_by: OPERATOR,
        doc: "Timeout of one Bot API call (setWebhook, setMyCommands, deleteWebhook).",
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
}

impl OperatorConfig {
    /// Reads the operator settings; problems are collected in `env` (see [`Env::finish`]).
    pub fn from_env(env: &mut Env) -> Self {
        let namespaces = env
            .optional("WATCH_NAMESPACES")
            .unwrap_or_default()
            .split(',')
            .map(str::trim)
            .filter(|ns| !ns.is_empty())
            .map(str::to_owned)
            .collect::<Vec<_>>();
        for ns in &namespaces {
            if !is_dns_label(ns) {
                env.error(format!(
                    "WATCH_NAMESPACES contains {ns:?}, which is not a namespace name"
                ));
            }
        }
        let image = env
            .optional("SCRIBE_IMAGE")
            .unwrap_or_else(|| default_of("SCRIBE_IMAGE").to_owned());
        let timeout_text = env
            .optional("OPERATOR_TELEGRAM_TIMEOUT_SECONDS")
            .unwrap_or_else(|| default_of("OPERATOR_TELEGRAM_TIMEOUT_SECONDS").to_owned());
        let timeout = match timeout_text.parse::<u64>() {
            Ok(s) if s > 0 => s,
            _ => {
                env.error(format!(
                    "OPERATOR_TELEGRAM_TIMEOUT_SECONDS={timeout_text:?} must be a positive number of seconds"
                ));
                30
            }
        };
        Self {
            namespaces,
            image,
            telegram_timeout: Duration::from_secs(timeout),
        }
    }
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
    }

    #[test]
    fn namespaces_are_a_trimmed_comma_list_and_bad_values_are_reported() {
        let mut e = env(&[
            ("WATCH_NAMESPACES", " bots , team-a,,"),
            ("SCRIBE_IMAGE", "registry.local/scribe:dev"),
        ]);
        let config = OperatorConfig::from_env(&mut e);
        assert!(e.finish().is_ok());
        assert_eq!(config.namespaces, ["bots", "team-a"]);
        assert_eq!(config.image, "registry.local/scribe:dev");

        let mut e = env(&[
            ("WATCH_NAMESPACES", "Bad_NS"),
            ("OPERATOR_TELEGRAM_TIMEOUT_SECONDS", "0"),
        ]);
        let _ = OperatorConfig::from_env(&mut e);
        let errors = e.finish().expect_err("two bad settings");
        assert_eq!(errors.0.len(), 2, "{errors}");
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
