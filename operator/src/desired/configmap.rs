//! The bot's non-secret settings: one ConfigMap every bot pod reads with `envFrom`, keyed by the
//! names in `scribe_core::config::settings` (the only place a setting name is spelled), plus the
//! hash that rolls the pods when it changes.

use std::collections::BTreeMap;

use k8s_openapi::api::core::v1::ConfigMap;
use scribe_core::config::settings;

use super::metadata::{Component, meta, name};
use super::providers::Providers;
use super::scaling;
use crate::crd::TranscriptionBot;
use crate::digest::sha256_hex;

type Data = BTreeMap<String, String>;

fn put(data: &mut Data, key: &str, value: String) {
    data.insert(key.to_owned(), value);
}

/// The settings, by name.
fn data(bot: &TranscriptionBot, providers: &Providers) -> Data {
    let mut data = Data::new();
    put(&mut data, settings::BOT_NAME, bot.bot_name());
    telegram(&mut data, bot);
    recognition(&mut data, bot, providers);
    formatting(&mut data, providers);
    owner(&mut data, bot);
    let worker = &bot.spec.worker;
    put(
        &mut data,
        settings::WORKER_CONCURRENCY,
        worker.concurrency.to_string(),
    );
    put(
        &mut data,
        settings::SHUTDOWN_GRACE_SECONDS,
        worker.shutdown_grace_seconds.to_string(),
    );
    put(&mut data, settings::LOG_FORMAT, "json".to_owned());
    data
}

fn telegram(data: &mut Data, bot: &TranscriptionBot) {
    let telegram = &bot.spec.telegram;
    if let Some(url) = &telegram.api_url {
        put(data, settings::TELEGRAM_API_URL, url.clone());
    }
    if let Some(mb) = telegram.max_file_mb {
        put(data, settings::TELEGRAM_MAX_FILE_MB, mb.to_string());
    }
    if let Some(files) = telegram
        .local_server
        .as_ref()
        .and_then(|l| l.files.as_ref())
    {
        put(data, settings::TELEGRAM_LOCAL_ROOT, files.root.clone());
    }
}

/// The recogniser, its endpoints and each worker's share of the request budget.
fn recognition(data: &mut Data, bot: &TranscriptionBot, providers: &Providers) {
    if let Some(dashscope) = providers.dashscope {
        put(
            data,
            settings::DASHSCOPE_REGION,
            dashscope.region.as_str().to_owned(),
        );
        if let Some(url) = &dashscope.base_url {
            put(data, settings::DASHSCOPE_BASE_URL, url.clone());
        }
    }
    if let Some(url) = bot.spec.gemini.as_ref().and_then(|g| g.base_url.as_ref()) {
        put(data, settings::GEMINI_BASE_URL, url.clone());
    }
    put(
        data,
        settings::ASR_PROVIDER,
        providers.asr.as_str().to_owned(),
    );
    put(data, settings::ASR_MODEL, providers.asr_model.clone());
    if let Some(server) = providers.asr_server {
        put(data, settings::OPENAI_ASR_BASE_URL, server.base_url.clone());
    }
    if let Some(asr) = &bot.spec.asr {
        if let Some(rpm) = asr.requests_per_minute {
            let share = (rpm / scaling::max_workers(bot).max(1)).max(1);
            put(data, settings::ASR_REQUESTS_PER_MINUTE, share.to_string());
        }
        if let Some(n) = asr.max_inflight {
            put(data, settings::ASR_MAX_INFLIGHT, n.to_string());
        }
    }
}

/// Both formatter slots. An empty model disables a slot for workers that predate the provider
/// settings.
fn formatting(data: &mut Data, providers: &Providers) {
    put(
        data,
        settings::LLM_PROVIDER,
        providers.llm.as_str().to_owned(),
    );
    put(
        data,
        settings::LLM_MODEL,
        providers.llm_model.clone().unwrap_or_default(),
    );
    put(
        data,
        settings::LLM_FALLBACK_PROVIDER,
        providers.fallback.as_str().to_owned(),
    );
    put(
        data,
        settings::LLM_FALLBACK_MODEL,
        providers.fallback_model.clone().unwrap_or_default(),
    );
    if let Some(server) = providers.chat_server {
        put(data, settings::OPENAI_LLM_BASE_URL, server.base_url.clone());
    }
}

/// What the bot's owner decides: admins, billing, limits, privacy.
fn owner(data: &mut Data, bot: &TranscriptionBot) {
    let spec = &bot.spec;
    let admins: Vec<String> = spec.admins.iter().map(i64::to_string).collect();
    put(data, settings::ADMIN_IDS, admins.join(","));
    let billing = &spec.billing;
    put(
        data,
        settings::TRIAL_MODE,
        billing.trial_mode.as_str().to_owned(),
    );
    put(
        data,
        settings::TRIAL_MINUTES,
        billing.trial_minutes.to_string(),
    );
    if !billing.packages.is_empty() {
        put(data, settings::PACKAGES, packages(bot));
    }
    let optional = [
        (settings::ACTIONS_PER_DAY, billing.actions_per_day),
        (settings::ACTION_SECONDS, billing.action_seconds),
        (
            settings::MAX_ACTIVE_JOBS_PER_USER,
            spec.limits.max_active_jobs_per_user,
        ),
        (
            settings::USER_UPDATES_PER_MINUTE,
            spec.limits.user_updates_per_minute,
        ),
        (settings::MAX_AUDIO_SECONDS, spec.limits.max_audio_seconds),
        (settings::RETENTION_DAYS, spec.privacy.retention_days),
    ];
    for (key, value) in optional {
        if let Some(v) = value {
            put(data, key, v.to_string());
        }
    }
}

/// `PACKAGES`: `id:minutes:stars[:limit]`, comma-separated.
fn packages(bot: &TranscriptionBot) -> String {
    bot.spec
        .billing
        .packages
        .iter()
        .map(|p| match p.per_user_limit {
            Some(limit) => format!("{}:{}:{}:{limit}", p.id, p.minutes, p.stars),
            None => format!("{}:{}:{}", p.id, p.minutes, p.stars),
        })
        .collect::<Vec<_>>()
        .join(",")
}

/// The bot's non-secret settings, under the names the bot reads.
pub fn config_map(bot: &TranscriptionBot, providers: &Providers) -> ConfigMap {
    ConfigMap {
        metadata: meta(bot, name(bot, "config"), Component::Config),
        data: Some(data(bot, providers)),
        ..ConfigMap::default()
    }
}

/// Hash of the ConfigMap's data: a pod-template annotation, so a settings change rolls pods.
pub fn config_hash(bot: &TranscriptionBot, providers: &Providers) -> String {
    let data = data(bot, providers);
    sha256_hex(data.iter().flat_map(|(k, v)| [k.as_str(), v.as_str()]))
}
