//! What the operator refuses to do for a spec, before it reads a Secret: send the bot token over
//! plain http anywhere but to a local Bot API server in the bot's own namespace, let `extraEnv`
//! redirect the token, or run providers the spec leaves unusable. The schema's CEL rules say the
//! same to new objects; this also guards objects stored before a rule existed, and the namespace
//! part, which a CRD rule cannot see.

use scribe_core::config::settings;
use url::{Host, Url};

use crate::conditions::reason;
use crate::crd::TranscriptionBot;
use crate::desired::{self, Providers};

/// Why a bot is refused: a condition reason and a sentence for the status and the event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refusal {
    pub reason: &'static str,
    pub message: String,
}

fn refuse(reason: &'static str, message: impl Into<String>) -> Refusal {
    Refusal {
        reason,
        message: message.into(),
    }
}

/// The bot's providers, or why the operator will not run it.
pub fn validate(bot: &TranscriptionBot) -> Result<Providers<'_>, Refusal> {
    api_url(bot)?;
    let redirects = [
        &bot.spec.webhook.pod.extra_env,
        &bot.spec.worker.pod.extra_env,
    ]
    .into_iter()
    .flatten()
    .any(|e| e.name == settings::TELEGRAM_API_URL);
    if redirects {
        return Err(refuse(
            reason::INVALID_SPEC,
            "extraEnv sets TELEGRAM_API_URL: set spec.telegram.apiUrl instead",
        ));
    }
    desired::resolve(&bot.spec).map_err(|e| refuse(reason::INVALID_SPEC, e.to_string()))
}

/// `spec.telegram.apiUrl` is https, or plain http to a Service of the bot's namespace that
/// `localServer` marks as a local Bot API server.
fn api_url(bot: &TranscriptionBot) -> Result<(), Refusal> {
    let telegram = &bot.spec.telegram;
    let Some(text) = &telegram.api_url else {
        return Ok(());
    };
    let url = Url::parse(text)
        .map_err(|_| refuse(reason::INVALID_SPEC, "spec.telegram.apiUrl is not a URL"))?;
    match url.scheme() {
        "https" => return Ok(()),
        "http" => {}
        _ => {
            return Err(refuse(
                reason::INSECURE_API_URL,
                "spec.telegram.apiUrl must be an https URL",
            ));
        }
    }
    if telegram.local_server.is_none() {
        return Err(refuse(
            reason::INSECURE_API_URL,
            "spec.telegram.apiUrl is plain http, which would carry the bot token unencrypted: use https, or mark a local Bot API server in this namespace with spec.telegram.localServer",
        ));
    }
    let namespace = bot.metadata.namespace.as_deref().unwrap_or_default();
    match url.host() {
        Some(Host::Domain(host)) if in_namespace(host, namespace) => Ok(()),
        _ => Err(refuse(
            reason::INSECURE_API_URL,
            format!(
                "spec.telegram.apiUrl is plain http to {}, which is not a Service of namespace {namespace}: a local Bot API server must run beside the bot (http://<service>.{namespace}:<port>)",
                url.host_str().unwrap_or_default()
            ),
        )),
    }
}

/// `service.namespace`, `service.namespace.svc` or `service.namespace.svc.<cluster domain>`,
/// with the bot's namespace. A bare `service` is not enough: the operator would resolve it in
/// its own namespace, not the bot's.
fn in_namespace(host: &str, namespace: &str) -> bool {
    let mut labels = host.split('.');
    let service = labels.next().unwrap_or_default();
    match (labels.next(), labels.next()) {
        (Some(ns), None | Some("svc")) => !service.is_empty() && ns == namespace,
        (None | Some(_), _) => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::crd::LocalServerSpec;

    fn bot(api_url: &str, local: bool) -> TranscriptionBot {
        let mut bot = TranscriptionBot::test("https://api.telegram.org");
        bot.spec.telegram.api_url = Some(api_url.to_owned());
        bot.spec.telegram.local_server = local.then(LocalServerSpec::default);
        bot
    }

    #[test]
    fn http_api_urls_are_refused_unless_a_local_server_of_this_namespace() {
        assert!(validate(&bot("https://api.telegram.org", false)).is_ok());
        let refused = validate(&bot("http://attacker.example.com", false)).expect_err("http");
        assert_eq!(refused.reason, "InsecureApiUrl");
        // Marked local, but elsewhere: still refused.
        for url in [
            "http://attacker.example.com:8081",
            "http://bot-api.other-ns:8081",
            "http://bot-api.other-ns.svc.cluster.local:8081",
            "http://10.0.0.7:8081",
            "http://bot-api:8081",
            "http://localhost:8081",
        ] {
            let refused = validate(&bot(url, true)).expect_err(url);
            assert_eq!(refused.reason, "InsecureApiUrl", "{url}");
            assert!(
                refused.message.contains("namespace bots"),
                "{}",
                refused.message
            );
        }
        for url in [
            "http://bot-api.bots:8081",
            "http://bot-api.bots.svc:8081",
            "http://bot-api.bots.svc.cluster.local:8081",
        ] {
            assert!(validate(&bot(url, true)).is_ok(), "{url}");
        }
    }

    #[test]
    fn extra_env_cannot_redirect_the_token() {
        let mut bot = bot("https://api.telegram.org", false);
        bot.spec.worker.pod.extra_env = vec![k8s_openapi::api::core::v1::EnvVar {
            name: settings::TELEGRAM_API_URL.to_owned(),
            value: Some("http://attacker.example.com".to_owned()),
            ..Default::default()
        }];
        assert_eq!(validate(&bot).expect_err("refused").reason, "InvalidSpec");
    }
}
