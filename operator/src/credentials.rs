//! The Secrets a bot references, read for two things only: the Telegram token (to register the
//! webhook) and a SHA-256 of every referenced value (to roll pods when one rotates). Values never
//! leave this module except the token, as a redacting [`Secret`]; nothing here is logged.

use std::collections::{BTreeMap, BTreeSet};

use k8s_openapi::api::core::v1::Secret as K8sSecret;
use kube::api::{Api, PostParams};
use scribe_core::Secret;

use crate::crd::{SecretKeyRef, TranscriptionBot};
use crate::desired::{self, FIELD_MANAGER, TOKEN_KEY};
use crate::digest::{self, sha256_hex};
use crate::error::{Error, Result};

/// One `…SecretRef` of the spec, with the field it came from (for messages).
#[derive(Debug, Clone, Copy)]
pub struct Reference<'a> {
    pub field: &'static str,
    pub secret: &'a SecretKeyRef,
}

/// Every Secret key the bot references.
pub fn references(bot: &TranscriptionBot) -> Vec<Reference<'_>> {
    let spec = &bot.spec;
    let mut refs = vec![
        Reference {
            field: "telegram.tokenSecretRef",
            secret: &spec.telegram.token_secret_ref,
        },
        Reference {
            field: "dashscope.apiKeySecretRef",
            secret: &spec.dashscope.api_key_secret_ref,
        },
    ];
    if let Some(r) = &spec.fallback.api_key_secret_ref {
        refs.push(Reference {
            field: "fallback.apiKeySecretRef",
            secret: r,
        });
    }
    refs.push(Reference {
        field: "rabbitmq.urlSecretRef",
        secret: &spec.rabbitmq.url_secret_ref,
    });
    if let Some(r) = &spec.rabbitmq.management_url_secret_ref {
        refs.push(Reference {
            field: "rabbitmq.managementUrlSecretRef",
            secret: r,
        });
    }
    refs.push(Reference {
        field: "database.urlSecretRef",
        secret: &spec.database.url_secret_ref,
    });
    refs
}

/// Whether the bot references the Secret `name` (its namespace is the bot's).
pub fn references_secret(bot: &TranscriptionBot, name: &str) -> bool {
    references(bot).iter().any(|r| r.secret.name == name)
}

/// What was found.
#[derive(Debug, Default)]
pub struct Loaded {
    /// SHA-256 of each present value, by (Secret, key).
    pub digests: BTreeMap<(String, String), String>,
    /// The Telegram bot token, when present.
    pub token: Option<Secret>,
    /// One line per missing reference (names only).
    pub missing: Vec<String>,
}

fn value<'a>(secret: &'a K8sSecret, key: &str) -> Option<&'a [u8]> {
    secret
        .data
        .as_ref()
        .and_then(|d| d.get(key))
        .map(|b| b.0.as_slice())
        .or_else(|| {
            secret
                .string_data
                .as_ref()
                .and_then(|d| d.get(key))
                .map(String::as_bytes)
        })
        .filter(|v| !v.is_empty())
}

/// Reads every referenced Secret once (one GET per distinct name).
pub async fn load(api: &Api<K8sSecret>, bot: &TranscriptionBot) -> Result<Loaded> {
    let refs = references(bot);
    let names: BTreeSet<&str> = refs.iter().map(|r| r.secret.name.as_str()).collect();
    let mut found = BTreeMap::new();
    for name in names {
        let secret = api
            .get_opt(name)
            .await
            .map_err(Error::kube("reading a referenced Secret"))?;
        found.insert(name, secret);
    }
    let mut loaded = Loaded::default();
    for r in refs {
        let SecretKeyRef { name, key } = r.secret;
        match found.get(name.as_str()).and_then(Option::as_ref) {
            None => loaded
                .missing
                .push(format!("{}: Secret {name:?} not found", r.field)),
            Some(secret) => match value(secret, key) {
                None => loaded
                    .missing
                    .push(format!("{}: Secret {name:?} has no key {key:?}", r.field)),
                Some(bytes) => {
                    loaded
                        .digests
                        .insert((name.clone(), key.clone()), sha256_hex([bytes]));
                    if r.field == "telegram.tokenSecretRef" {
                        loaded.token = Some(Secret::new(String::from_utf8_lossy(bytes).trim()));
                    }
                }
            },
        }
    }
    Ok(loaded)
}

/// The generated webhook secret token.
#[derive(Debug)]
pub enum WebhookToken {
    /// It exists (or was just created, `created`).
    Ready { token: Secret, created: bool },
    /// The Secret exists but holds no usable token (someone replaced it): it is never
    /// overwritten; deleting it makes the operator generate a new one.
    Unusable { name: String },
}

fn usable(token: &str) -> bool {
    (1..=256).contains(&token.len())
        && token
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

/// Reads the generated token, creating its Secret (POST, never apply) the first time only.
pub async fn webhook_token(api: &Api<K8sSecret>, bot: &TranscriptionBot) -> Result<WebhookToken> {
    let r = desired::generated_token_ref(bot);
    let existing = api
        .get_opt(&r.name)
        .await
        .map_err(Error::kube("reading the webhook token Secret"))?;
    if let Some(secret) = existing {
        return Ok(
            match value(&secret, TOKEN_KEY).and_then(|v| std::str::from_utf8(v).ok()) {
                Some(token) if usable(token) => WebhookToken::Ready {
                    token: Secret::new(token),
                    created: false,
                },
                _ => WebhookToken::Unusable { name: r.name },
            },
        );
    }
    let token = digest::webhook_token()?;
    let secret = desired::webhook_token_secret(bot, &token);
    let params = PostParams {
        field_manager: Some(FIELD_MANAGER.to_owned()),
        ..PostParams::default()
    };
    api.create(&params, &secret)
        .await
        .map_err(Error::kube("creating the webhook token Secret"))?;
    Ok(WebhookToken::Ready {
        token: Secret::new(token),
        created: true,
    })
}
