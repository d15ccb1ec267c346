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
    if !url.username().is_empty() || url.password().is_some() {
        return Err(refuse(
            reason::INSECURE_API_URL,
            "spec.telegram.apiUrl carries user info (user@): a local Bot API server takes none",
        ));
    }
    let namespace = bot.metadata.namespace.as_deref().unwrap_or_default();
    match url.host() {
        Some(Host::Domain(host)) if in_namespace(host, namespace) => Ok(()),
        _ => Err(refuse(
            reason::INSECURE_API_URL,
            format!(
                "spec.telegram.apiUrl is plain http to {}, which is not a Service of namespace {namespace}: a local Bot API server must run beside the bot (http://<service>.{namespace}[.svc[.{CLUSTER_DOMAIN}]]:<port>)",
                url.host_str().unwrap_or_default()
            ),
        )),
    }
}

/// The cluster's DNS domain, the last part of a Service's fully qualified name. Clusters with
/// another domain name their Services `<service>.<namespace>.svc`.
const CLUSTER_DOMAIN: &str = "cluster.local";

/// Whether `host` names a Service of `namespace`: exactly `<service>.<namespace>.svc` or
/// `<service>.<namespace>.svc.cluster.local`, where `<service>` is one label as Service names
/// are (RFC 1035: a letter first). Nothing may follow — `x.<namespace>.svc.attacker.example` is
/// a public name — not even a trailing dot. Shorter forms are refused: a bare `service` would
/// resolve in the operator's namespace, not the bot's, and `<service>.<namespace>` falls through
/// to public DNS when the Service is missing, where a namespace named like a top-level domain
/// (`dev`, `app`) makes it somebody's host. `host` is as `url` parsed
/// it: lower case, with percent-escapes and IDNA resolved, which is the host the workers call.
fn in_namespace(host: &str, namespace: &str) -> bool {
    let Some((service, rest)) = host.split_once('.') else {
        return false;
    };
    let Some(suffix) = rest.strip_prefix(namespace) else {
        return false;
    };
    let fqdn = format!(".svc.{CLUSTER_DOMAIN}");
    !namespace.is_empty() && service_name(service) && (suffix == ".svc" || suffix == fqdn)
}

/// An RFC 1035 label, as a Service's name: `[a-z]([-a-z0-9]*[a-z0-9])?`, at most 63 characters.
fn service_name(label: &str) -> bool {
    let bytes = label.as_bytes();
    matches!(bytes.first(), Some(b'a'..=b'z'))
        && matches!(bytes.last(), Some(b'a'..=b'z' | b'0'..=b'9'))
        && bytes.len() <= 63
        && bytes
            .iter()
            .all(|b| matches!(b, b'a'..=b'z' | b'0'..=b'9' | b'-'))
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
            "http://bot-api.bots.svc:8081",
            "http://bot-api.bots.svc.cluster.local:8081",
            "http://bot-api.bots.svc",
            "http://bot-api.bots.svc.cluster.local/prefix/",
            // DNS names are case-insensitive; `url` lowers them, as it does for the workers.
            "http://Bot-API.Bots.SVC:8081",
            "HTTP://bot-api.bots.svc:8081",
        ] {
            assert!(validate(&bot(url, true)).is_ok(), "{url}");
        }
    }

    #[test]
    fn only_exact_service_names_of_this_namespace_pass_as_local() {
        for url in [
            // Public names that merely start like a Service's.
            "http://x.bots.svc.attacker.example",
            "http://x.bots.svc.attacker.example:8081/",
            "http://x.bots.svc.cluster.local.attacker.example",
            "http://x.bots.attacker.example",
            "http://x.bots.svc.cluster.localhost",
            "http://x.bots.svcx",
            "http://x.botsx",
            "http://x.y.bots",
            // The short form goes to public DNS when the Service is missing (`x.dev`).
            "http://bot-api.bots:8081",
            "http://bot-api.bots",
            // A trailing dot makes the name absolute: `bots.` would be a top-level domain.
            "http://x.bots.",
            "http://x.bots.svc.",
            "http://x.bots.svc.cluster.local.",
            // The host is what follows the last `@`, not what precedes it.
            "http://x.bots.svc@attacker.example",
            "http://x.bots.svc:8081@attacker.example:8081",
            "http://attacker.example\\@x.bots",
            // Not a Service name.
            "http://.bots",
            "http://-x.bots",
            "http://x-.bots",
            "http://1x.bots",
            "http://x_y.bots",
            "http://bots",
            "http://[::1]:8081",
        ] {
            let refused = validate(&bot(url, true)).expect_err(url);
            assert_eq!(refused.reason, "InsecureApiUrl", "{url}");
        }
        // A Service of this namespace, but with user info: refused, whatever it means.
        for url in [
            "http://evil@bot-api.bots.svc:8081",
            "http://u:p@bot-api.bots.svc",
        ] {
            let refused = validate(&bot(url, true)).expect_err(url);
            assert_eq!(refused.reason, "InsecureApiUrl", "{url}");
            assert!(refused.message.contains("user info"), "{}", refused.message);
        }
        let long = format!("http://{}.bots.svc", "a".repeat(64));
        assert!(validate(&bot(&long, true)).is_err());
        let longest = format!("http://{}.bots.svc", "a".repeat(63));
        assert!(validate(&bot(&longest, true)).is_ok());
        // No namespace, no Service of it.
        let mut nameless = bot("http://bot-api.:8081", true);
        nameless.metadata.namespace = None;
        assert!(validate(&nameless).is_err());
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
