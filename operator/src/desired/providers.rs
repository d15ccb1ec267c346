//! Which recogniser and formatters a bot uses, with every default filled in: the one place that
//! reads `spec.asr`, `spec.llm`, `spec.fallback`, `spec.dashscope` and `spec.gemini`, so the
//! ConfigMap, the workers' credentials and the Secrets the operator reads always agree.
//!
//! Older objects keep their meaning: without `asr`/`llm` DashScope recognises and formats with
//! `dashscope.asrModel`/`llmModel`; the fallback is Gemini when a Gemini key is set
//! (`gemini.apiKeySecretRef`, or the older `fallback.apiKeySecretRef`), else none.

use scribe_core::config::settings::{self, default_of};

use crate::crd::{
    AsrProvider, DashscopeSpec, LlmProvider, OpenAiServerSpec, SecretKeyRef, TranscriptionBotSpec,
};

/// The providers of one bot.
#[derive(Debug, Clone, PartialEq)]
pub struct Providers<'a> {
    pub asr: AsrProvider,
    pub asr_model: String,
    /// The transcription server, when `asr` is `openai`.
    pub asr_server: Option<&'a OpenAiServerSpec>,
    pub llm: LlmProvider,
    /// `None` with provider `none`.
    pub llm_model: Option<String>,
    pub fallback: LlmProvider,
    /// `None` with provider `none`.
    pub fallback_model: Option<String>,
    /// The chat server, when a formatter slot is `openai`.
    pub chat_server: Option<&'a OpenAiServerSpec>,
    /// DashScope, when a slot uses it.
    pub dashscope: Option<&'a DashscopeSpec>,
    /// The Gemini key and the field it is set in, when a formatter slot uses Gemini.
    pub gemini_key: Option<(&'static str, &'a SecretKeyRef)>,
}

/// A credential the workers get: where it comes from in the spec and the variable it becomes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Credential<'a> {
    /// The spec field, for messages (`dashscope.apiKeySecretRef`).
    pub field: &'static str,
    /// The environment variable of the workers.
    pub env: &'static str,
    pub secret: &'a SecretKeyRef,
}

/// A provider setting the schema could not rule out (objects stored before a rule existed).
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct Unusable(pub &'static str);

fn uses(slots: [bool; 3]) -> bool {
    slots.iter().any(|s| *s)
}

/// The providers of `spec`, or why they cannot work.
pub fn resolve(spec: &TranscriptionBotSpec) -> Result<Providers<'_>, Unusable> {
    let asr_spec = spec.asr.as_ref();
    let llm_spec = spec.llm.as_ref();
    let asr = asr_spec
        .and_then(|a| a.provider)
        .unwrap_or(AsrProvider::Dashscope);
    let llm = llm_spec
        .and_then(|l| l.provider)
        .unwrap_or(LlmProvider::Dashscope);
    let gemini_key = match (&spec.gemini, &spec.fallback.api_key_secret_ref) {
        (Some(g), _) => Some(("gemini.apiKeySecretRef", &g.api_key_secret_ref)),
        (None, Some(key)) => Some(("fallback.apiKeySecretRef", key)),
        (None, None) => None,
    };
    let fallback = spec.fallback.provider.unwrap_or(if gemini_key.is_some() {
        LlmProvider::Gemini
    } else {
        LlmProvider::None
    });
    let dashscope = spec.dashscope.as_ref();

    let uses_dashscope = uses([
        asr == AsrProvider::Dashscope,
        llm == LlmProvider::Dashscope,
        fallback == LlmProvider::Dashscope,
    ]);
    if uses_dashscope && dashscope.is_none() {
        return Err(Unusable(
            "a slot uses DashScope but spec.dashscope is not set",
        ));
    }
    let uses_gemini = llm == LlmProvider::Gemini || fallback == LlmProvider::Gemini;
    if uses_gemini && gemini_key.is_none() {
        return Err(Unusable(
            "a formatter uses Gemini but spec.gemini.apiKeySecretRef is not set",
        ));
    }
    let asr_server = asr_spec.and_then(|a| a.openai.as_ref());
    if asr == AsrProvider::Openai && asr_server.is_none() {
        return Err(Unusable("asr.provider is openai but asr.openai is not set"));
    }
    let chat_server = llm_spec.and_then(|l| l.openai.as_ref());
    let uses_chat = llm == LlmProvider::Openai || fallback == LlmProvider::Openai;
    if uses_chat && chat_server.is_none() {
        return Err(Unusable(
            "a formatter uses openai but llm.openai is not set",
        ));
    }

    let (asr_model, llm_model, fallback_model) = models(spec, asr, llm, fallback)?;
    Ok(Providers {
        asr,
        asr_model,
        asr_server: asr_server.filter(|_| asr == AsrProvider::Openai),
        llm,
        llm_model,
        fallback,
        fallback_model,
        chat_server: chat_server.filter(|_| uses_chat),
        dashscope: dashscope.filter(|_| uses_dashscope),
        gemini_key: gemini_key.filter(|_| uses_gemini),
    })
}

/// The models of the recogniser and both formatter slots.
fn models(
    spec: &TranscriptionBotSpec,
    asr: AsrProvider,
    llm: LlmProvider,
    fallback: LlmProvider,
) -> Result<(String, Option<String>, Option<String>), Unusable> {
    let dashscope = spec.dashscope.as_ref();
    let asr_model = match (
        spec.asr.as_ref().and_then(|a| a.model.clone()),
        asr,
        dashscope,
    ) {
        (Some(model), _, _) => model,
        (None, AsrProvider::Dashscope, Some(d)) => d.asr_model.clone(),
        (None, AsrProvider::Dashscope, None) => default_of(settings::ASR_MODEL).to_owned(),
        (None, AsrProvider::Openai, _) => {
            return Err(Unusable("asr.provider is openai but asr.model is not set"));
        }
    };
    let llm_model = model_of(
        llm,
        spec.llm.as_ref().and_then(|l| l.model.clone()),
        dashscope,
        "llm.model is required for this provider",
    )?;
    let fallback_model = match (fallback, spec.fallback.model.clone()) {
        (LlmProvider::Gemini, None) => Some(default_of(settings::LLM_FALLBACK_MODEL).to_owned()),
        (provider, model) => model_of(
            provider,
            model,
            None,
            "fallback.model is required for this provider",
        )?,
    };
    Ok((asr_model, llm_model, fallback_model))
}

/// A formatter slot's model: the one set, else DashScope's default for DashScope, none for
/// `none`.
fn model_of(
    provider: LlmProvider,
    model: Option<String>,
    dashscope: Option<&DashscopeSpec>,
    missing: &'static str,
) -> Result<Option<String>, Unusable> {
    match (provider, model) {
        (LlmProvider::None, _) => Ok(None),
        (_, Some(model)) => Ok(Some(model)),
        (LlmProvider::Dashscope, None) => Ok(Some(dashscope.map_or_else(
            || default_of(settings::LLM_MODEL).to_owned(),
            |d| d.llm_model.clone(),
        ))),
        (LlmProvider::Gemini | LlmProvider::Openai, None) => Err(Unusable(missing)),
    }
}

impl<'a> Providers<'a> {
    /// The provider credentials the workers need, in a fixed order.
    pub fn credentials(&self) -> Vec<Credential<'a>> {
        let mut out = Vec::new();
        if let Some(d) = self.dashscope {
            out.push(Credential {
                field: "dashscope.apiKeySecretRef",
                env: settings::DASHSCOPE_API_KEY,
                secret: &d.api_key_secret_ref,
            });
        }
        if let Some((field, key)) = self.gemini_key {
            out.push(Credential {
                field,
                env: settings::GEMINI_API_KEY,
                secret: key,
            });
        }
        if let Some(key) = self.asr_server.and_then(|s| s.api_key_secret_ref.as_ref()) {
            out.push(Credential {
                field: "asr.openai.apiKeySecretRef",
                env: settings::OPENAI_ASR_API_KEY,
                secret: key,
            });
        }
        if let Some(key) = self.chat_server.and_then(|s| s.api_key_secret_ref.as_ref()) {
            out.push(Credential {
                field: "llm.openai.apiKeySecretRef",
                env: settings::OPENAI_LLM_API_KEY,
                secret: key,
            });
        }
        out
    }
}
