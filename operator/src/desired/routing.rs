//! How Telegram reaches the webhook Service: an Ingress or a Gateway API HTTPRoute for
//! `/telegram`, each only when enabled. Controller-neutral: no controller annotations are added.

use k8s_openapi::api::networking::v1::{
    HTTPIngressPath, HTTPIngressRuleValue, Ingress, IngressBackend, IngressRule,
    IngressServiceBackend, IngressSpec as K8sIngressSpec, IngressTLS, ServiceBackendPort,
};
use kube::api::DynamicObject;
use serde_json::{Value, json};

use super::children::{Kind, dynamic};
use super::metadata::{Component, meta, name};
use super::webhook::DEFAULT_SERVICE_PORT;
use crate::crd::TranscriptionBot;
use crate::registration::WEBHOOK_PATH;

/// An Ingress for `/telegram`, when enabled.
pub fn webhook_ingress(bot: &TranscriptionBot) -> Option<Ingress> {
    let ingress = bot.spec.webhook.ingress.as_ref().filter(|i| i.enabled)?;
    let mut metadata = meta(bot, name(bot, "webhook"), Component::Webhook);
    if !ingress.annotations.is_empty() {
        metadata.annotations = Some(ingress.annotations.clone());
    }
    let backend = IngressBackend {
        service: Some(IngressServiceBackend {
            name: name(bot, "webhook"),
            port: Some(ServiceBackendPort {
                name: Some("http".to_owned()),
                ..ServiceBackendPort::default()
            }),
        }),
        ..IngressBackend::default()
    };
    Some(Ingress {
        metadata,
        spec: Some(K8sIngressSpec {
            ingress_class_name: ingress.class_name.clone(),
            rules: Some(vec![IngressRule {
                host: ingress.host.clone(),
                http: Some(HTTPIngressRuleValue {
                    paths: vec![HTTPIngressPath {
                        path: Some(WEBHOOK_PATH.to_owned()),
                        path_type: "Prefix".to_owned(),
                        backend,
                    }],
                }),
            }]),
            tls: ingress.tls_secret_name.as_ref().map(|secret| {
                vec![IngressTLS {
                    hosts: ingress.host.clone().map(|h| vec![h]),
                    secret_name: Some(secret.clone()),
                }]
            }),
            ..K8sIngressSpec::default()
        }),
        ..Ingress::default()
    })
}

/// A Gateway API HTTPRoute for `/telegram`, when enabled.
pub fn webhook_http_route(bot: &TranscriptionBot) -> Option<DynamicObject> {
    let route = bot.spec.webhook.http_route.as_ref().filter(|r| r.enabled)?;
    let parent_refs: Vec<Value> = route
        .parent_refs
        .iter()
        .map(|p| {
            let mut v = json!({ "name": p.name });
            for (key, value) in [
                ("namespace", &p.namespace),
                ("sectionName", &p.section_name),
                ("group", &p.group),
                ("kind", &p.kind),
            ] {
                if let Some(value) = value {
                    v[key] = json!(value);
                }
            }
            v
        })
        .collect();
    let mut spec = json!({
        "parentRefs": parent_refs,
        "rules": [{
            "matches": [{ "path": { "type": "PathPrefix", "value": WEBHOOK_PATH } }],
            "backendRefs": [{
                "name": name(bot, "webhook"),
                "port": bot.spec.webhook.port.unwrap_or(DEFAULT_SERVICE_PORT),
            }],
        }],
    });
    if !route.hostnames.is_empty() {
        spec["hostnames"] = json!(route.hostnames);
    }
    Some(dynamic(
        bot,
        Kind::HttpRoute,
        name(bot, "webhook"),
        Component::Webhook,
        spec,
    ))
}
