//! The Secrets a bot references, read for three things only: the Telegram token (to register the
//! webhook), the virtual host of the AMQP URL (where KEDA must read the queue depth), and a
//! SHA-256 of every referenced value (to roll pods when one rotates). Values never leave this
//! module except the token, as a redacting [`Secret`]; nothing here is logged.

use std::collections::{BTreeMap, BTreeSet};

use k8s_openapi::api::core::v1::Secret as K8sSecret;
use kube::api::{Api, PostParams};
use scribe_core::Secret;
use url::Url;

use crate::crd::{SecretKeyRef, TranscriptionBot};
use crate::desired::{self, FIELD_MANAGER, Providers, TOKEN_KEY};
use crate::digest::{self, sha256_hex};
use crate::error::{Error, Result};

const TOKEN_FIELD: &str = "telegram.tokenSecretRef";
const AMQP_FIELD: &str = "rabbitmq.urlSecretRef";

/// One `…SecretRef` of the spec, with the field it came from (for messages).
#[derive(Debug, Clone, Copy)]
pub struct Reference<'a> {
    pub field: &'static str,
    pub secret: &'a SecretKeyRef,
}

/// Every Secret key the bot uses: the token, its providers' keys, the broker and the store.
pub fn references<'a>(bot: &'a TranscriptionBot, providers: &Providers<'a>) -> Vec<Reference<'a>> {
    let spec = &bot.spec;
    let mut refs = vec![Reference {
        field: TOKEN_FIELD,
        secret: &spec.telegram.token_secret_ref,
    }];
    refs.extend(providers.credentials().into_iter().map(|c| Reference {
        field: c.field,
        secret: c.secret,
    }));
    refs.push(Reference {
        field: AMQP_FIELD,
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

/// Whether any `…SecretRef` of the spec, used or not, names the Secret `name` (its namespace is
/// the bot's). Broad on purpose: a needless reconcile is cheap, a missed rotation is not.
pub fn references_secret(bot: &TranscriptionBot, name: &str) -> bool {
    let spec = &bot.spec;
    let optional = [
        spec.dashscope.as_ref().map(|d| &d.api_key_secret_ref),
        spec.gemini.as_ref().map(|g| &g.api_key_secret_ref),
        spec.fallback.api_key_secret_ref.as_ref(),
        spec.asr
            .as_ref()
            .and_then(|a| a.openai.as_ref())
            .and_then(|o| o.api_key_secret_ref.as_ref()),
        spec.llm
            .as_ref()
            .and_then(|l| l.openai.as_ref())
            .and_then(|o| o.api_key_secret_ref.as_ref()),
        spec.rabbitmq.management_url_secret_ref.as_ref(),
    ];
    [
        &spec.telegram.token_secret_ref,
        &spec.rabbitmq.url_secret_ref,
        &spec.database.url_secret_ref,
    ]
    .into_iter()
    .chain(optional.into_iter().flatten())
    .any(|r| r.name == name)
}

/// What was found.
#[derive(Debug, Default)]
pub struct Loaded {
    /// SHA-256 of each present value, by (Secret, key).
    pub digests: BTreeMap<(String, String), String>,
    /// The Telegram bot token, when present.
    pub token: Option<Secret>,
    /// The virtual host of the AMQP URL, when present and parseable.
    pub vhost: Option<String>,
    /// One line per missing or unusable reference (names only).
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

/// The virtual host an AMQP URL names: its one path segment, percent-decoded (`%2f` is `/`);
/// none or an empty one is the default vhost `/`.
pub fn vhost(amqp_url: &str) -> Option<String> {
    let url = Url::parse(amqp_url.trim()).ok()?;
    if !matches!(url.scheme(), "amqp" | "amqps") {
        return None;
    }
    let path = url.path().strip_prefix('/').unwrap_or_default();
    if path.is_empty() {
        return Some("/".to_owned());
    }
    percent_decode(path)
}

fn percent_decode(s: &str) -> Option<String> {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = std::str::from_utf8(bytes.get(i + 1..i + 3)?).ok()?;
            out.push(u8::from_str_radix(hex, 16).ok()?);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).ok()
}

/// Reads every used Secret once (one GET per distinct name).
pub async fn load(
    api: &Api<K8sSecret>,
    bot: &TranscriptionBot,
    providers: &Providers<'_>,
) -> Result<Loaded> {
    let refs = references(bot, providers);
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
        let Some(secret) = found.get(name.as_str()).and_then(Option::as_ref) else {
            loaded
                .missing
                .push(format!("{}: Secret {name:?} not found", r.field));
            continue;
        };
        let Some(bytes) = value(secret, key) else {
            loaded
                .missing
                .push(format!("{}: Secret {name:?} has no key {key:?}", r.field));
            continue;
        };
        loaded
            .digests
            .insert((name.clone(), key.clone()), sha256_hex([bytes]));
        match r.field {
            TOKEN_FIELD => {
                loaded.token = Some(Secret::new(String::from_utf8_lossy(bytes).trim()));
            }
            AMQP_FIELD => match vhost(&String::from_utf8_lossy(bytes)) {
                Some(v) => loaded.vhost = Some(v),
                None => loaded.missing.push(format!(
                    "{}: Secret {name:?} key {key:?} holds no amqp:// or amqps:// URL",
                    r.field
                )),
            },
            _ => {}
        }
    }
    Ok(loaded)
}

/// The bot token alone (what deleting the webhook needs), when its Secret and key exist.
pub async fn token(api: &Api<K8sSecret>, bot: &TranscriptionBot) -> Result<Option<Secret>> {
    let r = &bot.spec.telegram.token_secret_ref;
    let secret = api
        .get_opt(&r.name)
        .await
        .map_err(Error::kube("reading a referenced Secret"))?;
    Ok(secret
        .as_ref()
        .and_then(|s| value(s, &r.key))
        .map(|bytes| Secret::new(String::from_utf8_lossy(bytes).trim())))
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_vhost_comes_from_the_amqp_url_path() {
        assert_eq!(vhost("amqp://u:p@rabbit:5672/%2f").as_deref(), Some("/"));
        assert_eq!(vhost("amqp://u:p@rabbit:5672").as_deref(), Some("/"));
        assert_eq!(vhost("amqp://u:p@rabbit:5672/").as_deref(), Some("/"));
        assert_eq!(
            vhost("amqps://u:p@rabbit/bot-voice").as_deref(),
            Some("bot-voice")
        );
        assert_eq!(
            vhost("amqp://rabbit/team%2Fvoice").as_deref(),
            Some("team/voice")
        );
        assert_eq!(vhost("http://rabbit:15672/voice"), None);
        assert_eq!(vhost("not a url"), None);
        assert_eq!(vhost("amqp://rabbit/bad%zz"), None);
    }
}
