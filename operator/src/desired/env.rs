//! Environment of bot containers: credentials only as `env.valueFrom.secretKeyRef` (each
//! component gets the ones it uses and nothing more), the few per-component values, the owner's
//! `extraEnv`, and the hash of the referenced values that rolls pods when a credential rotates.

use k8s_openapi::api::core::v1::{EnvVar, EnvVarSource, SecretKeySelector};
use scribe_core::config::settings;

use super::inputs::Inputs;
use super::metadata::Component;
use super::providers::Providers;
use super::storage::TMP;
use super::webhook_token::generated_token_ref;
use crate::crd::{SecretKeyRef, TranscriptionBot};
use crate::digest::sha256_hex;

/// The webhook drains in seconds; the workers' longer grace is in the ConfigMap.
const WEBHOOK_SHUTDOWN_SECONDS: &str = "20";

fn secret_env(name: &str, r: &SecretKeyRef) -> EnvVar {
    EnvVar {
        name: name.to_owned(),
        value_from: Some(EnvVarSource {
            secret_key_ref: Some(SecretKeySelector {
                name: r.name.clone(),
                key: r.key.clone(),
                optional: Some(false),
            }),
            ..EnvVarSource::default()
        }),
        ..EnvVar::default()
    }
}

fn plain_env(name: &str, value: &str) -> EnvVar {
    EnvVar {
        name: name.to_owned(),
        value: Some(value.to_owned()),
        ..EnvVar::default()
    }
}

/// The credentials each component gets (and nothing more).
fn credential_env(
    bot: &TranscriptionBot,
    providers: &Providers,
    component: Component,
) -> Vec<EnvVar> {
    let spec = &bot.spec;
    let token = secret_env(
        settings::TELEGRAM_BOT_TOKEN,
        &spec.telegram.token_secret_ref,
    );
    let amqp = secret_env(settings::AMQP_URL, &spec.rabbitmq.url_secret_ref);
    let database = secret_env(settings::DATABASE_URL, &spec.database.url_secret_ref);
    match component {
        Component::Webhook => vec![
            secret_env(settings::WEBHOOK_SECRET_TOKEN, &generated_token_ref(bot)),
            amqp,
        ],
        Component::Worker => {
            let mut env = vec![token];
            env.extend(
                providers
                    .credentials()
                    .into_iter()
                    .map(|c| secret_env(c.env, c.secret)),
            );
            env.push(amqp);
            env.push(database);
            env
        }
        Component::Report => vec![token, database],
        Component::Config => Vec::new(),
    }
}

/// Operator env first, then `extraEnv`; an extra entry replaces the operator's of the same
/// name (a list-map keyed by name must not repeat a key under server-side apply).
fn merge_env(mut env: Vec<EnvVar>, extra: &[EnvVar]) -> Vec<EnvVar> {
    for e in extra {
        match env.iter_mut().find(|x| x.name == e.name) {
            Some(slot) => *slot = e.clone(),
            None => env.push(e.clone()),
        }
    }
    env
}

/// The whole environment of a component's container.
pub fn container_env(
    bot: &TranscriptionBot,
    providers: &Providers,
    component: Component,
    extra: &[EnvVar],
) -> Vec<EnvVar> {
    let mut env = vec![plain_env(settings::TEMP_DIR, TMP)];
    if component == Component::Webhook {
        env.push(plain_env(
            settings::SHUTDOWN_GRACE_SECONDS,
            WEBHOOK_SHUTDOWN_SECONDS,
        ));
    }
    env.extend(credential_env(bot, providers, component));
    merge_env(env, extra)
}

/// Hash of the referenced credentials' digests, in env order (unknown refs count by name).
pub fn secrets_hash(env: &[EnvVar], inputs: &Inputs) -> String {
    let mut parts = Vec::new();
    for e in env {
        if let Some(sel) = e
            .value_from
            .as_ref()
            .and_then(|v| v.secret_key_ref.as_ref())
        {
            parts.push(format!("{}={}/{}", e.name, sel.name, sel.key));
            parts.push(
                inputs
                    .secret_digests
                    .get(&(sel.name.clone(), sel.key.clone()))
                    .cloned()
                    .unwrap_or_default(),
            );
        }
    }
    sha256_hex(parts)
}
