//! The whole set a bot owns, in apply order: each child present (to apply) or absent (a disabled
//! option, to delete), limited to the kinds the cluster serves; its fingerprint; and the stamp
//! that lets a later reconcile tell from the Deployments alone whether the set is current.

use k8s_openapi::api::apps::v1::Deployment;
use k8s_openapi::api::autoscaling::v2::HorizontalPodAutoscaler;
use k8s_openapi::api::batch::v1::CronJob;
use k8s_openapi::api::core::v1::{ConfigMap, Service};
use k8s_openapi::api::networking::v1::Ingress;
use k8s_openapi::api::policy::v1::PodDisruptionBudget;
use kube::api::{ApiResource, DynamicObject};
use serde_json::{Value, json};

use super::configmap::config_map;
use super::inputs::{Apis, Inputs};
use super::metadata::{APPLIED, Component, meta, name};
use super::pdb::{webhook_pdb, worker_pdb};
use super::providers::Providers;
use super::reports::{Report, report_cronjob};
use super::routing::{webhook_http_route, webhook_ingress};
use super::scaling::{scaled_object, trigger_authentication, worker_hpa};
use super::webhook::{webhook_deployment, webhook_service};
use super::worker::worker_deployment;
use crate::crd::TranscriptionBot;
use crate::digest::sha256_hex;

/// Kinds of children (the generated token Secret is handled on its own: created once).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Kind {
    ConfigMap,
    Service,
    Deployment,
    Ingress,
    HttpRoute,
    PodDisruptionBudget,
    HorizontalPodAutoscaler,
    ScaledObject,
    TriggerAuthentication,
    CronJob,
}

fn typed<K: k8s_openapi::Resource>(plural: &str) -> ApiResource {
    ApiResource {
        group: K::GROUP.to_owned(),
        version: K::VERSION.to_owned(),
        api_version: K::API_VERSION.to_owned(),
        kind: K::KIND.to_owned(),
        plural: plural.to_owned(),
    }
}

fn custom(group: &str, version: &str, kind: &str, plural: &str) -> ApiResource {
    ApiResource {
        group: group.to_owned(),
        version: version.to_owned(),
        api_version: format!("{group}/{version}"),
        kind: kind.to_owned(),
        plural: plural.to_owned(),
    }
}

impl Kind {
    /// The Kubernetes kind, for messages.
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::ConfigMap => "ConfigMap",
            Kind::Service => "Service",
            Kind::Deployment => "Deployment",
            Kind::Ingress => "Ingress",
            Kind::HttpRoute => "HTTPRoute",
            Kind::PodDisruptionBudget => "PodDisruptionBudget",
            Kind::HorizontalPodAutoscaler => "HorizontalPodAutoscaler",
            Kind::ScaledObject => "ScaledObject",
            Kind::TriggerAuthentication => "TriggerAuthentication",
            Kind::CronJob => "CronJob",
        }
    }

    pub fn api_resource(self) -> ApiResource {
        match self {
            Kind::ConfigMap => typed::<ConfigMap>("configmaps"),
            Kind::Service => typed::<Service>("services"),
            Kind::Deployment => typed::<Deployment>("deployments"),
            Kind::Ingress => typed::<Ingress>("ingresses"),
            Kind::HttpRoute => custom("gateway.networking.k8s.io", "v1", "HTTPRoute", "httproutes"),
            Kind::PodDisruptionBudget => typed::<PodDisruptionBudget>("poddisruptionbudgets"),
            Kind::HorizontalPodAutoscaler => {
                typed::<HorizontalPodAutoscaler>("horizontalpodautoscalers")
            }
            Kind::ScaledObject => custom("keda.sh", "v1alpha1", "ScaledObject", "scaledobjects"),
            Kind::TriggerAuthentication => custom(
                "keda.sh",
                "v1alpha1",
                "TriggerAuthentication",
                "triggerauthentications",
            ),
            Kind::CronJob => typed::<CronJob>("cronjobs"),
        }
    }

    /// Whether the cluster serves this kind.
    pub fn served(self, apis: Apis) -> bool {
        match self {
            Kind::HttpRoute => apis.gateway,
            Kind::ScaledObject | Kind::TriggerAuthentication => apis.keda,
            Kind::ConfigMap
            | Kind::Service
            | Kind::Deployment
            | Kind::Ingress
            | Kind::PodDisruptionBudget
            | Kind::HorizontalPodAutoscaler
            | Kind::CronJob => true,
        }
    }
}

/// One child: the object to apply, or `None` when an object of that kind and name must not
/// exist (a disabled option).
#[derive(Debug, Clone, PartialEq)]
pub struct Child {
    pub kind: Kind,
    pub name: String,
    pub object: Option<Value>,
}

/// A custom-resource child (KEDA, Gateway API) with the bot's metadata.
pub(super) fn dynamic(
    bot: &TranscriptionBot,
    kind: Kind,
    name: String,
    component: Component,
    spec: Value,
) -> DynamicObject {
    let mut object = DynamicObject::new(&name, &kind.api_resource()).data(json!({ "spec": spec }));
    object.metadata = meta(bot, name, component);
    object
}

fn child<T: serde::Serialize>(
    kind: Kind,
    name: String,
    object: Option<T>,
) -> Result<Child, crate::Error> {
    let object = object
        .map(|o| serde_json::to_value(o))
        .transpose()
        .map_err(|source| crate::Error::Encode {
            kind: kind.as_str(),
            source,
        })?;
    Ok(Child { kind, name, object })
}

/// Every child in apply order, present or to be absent, limited to the kinds the cluster
/// serves. Typed objects carry their `apiVersion`/`kind` (k8s-openapi serializes them).
pub fn children(
    bot: &TranscriptionBot,
    inputs: &Inputs,
    providers: &Providers,
) -> Result<Vec<Child>, crate::Error> {
    let webhook = || name(bot, "webhook");
    let worker = || name(bot, "worker");
    let mut out = vec![
        child(
            Kind::ConfigMap,
            name(bot, "config"),
            Some(config_map(bot, providers)),
        )?,
        child(Kind::Service, webhook(), Some(webhook_service(bot)))?,
        child(
            Kind::Deployment,
            webhook(),
            Some(webhook_deployment(bot, inputs, providers)),
        )?,
        child(Kind::Ingress, webhook(), webhook_ingress(bot))?,
        child(Kind::HttpRoute, webhook(), webhook_http_route(bot))?,
        child(Kind::PodDisruptionBudget, webhook(), webhook_pdb(bot))?,
        child(
            Kind::Deployment,
            worker(),
            Some(worker_deployment(bot, inputs, providers)),
        )?,
        child(
            Kind::TriggerAuthentication,
            worker(),
            trigger_authentication(bot, inputs),
        )?,
        child(Kind::ScaledObject, worker(), scaled_object(bot, inputs))?,
        child(
            Kind::HorizontalPodAutoscaler,
            worker(),
            worker_hpa(bot, inputs),
        )?,
        child(Kind::PodDisruptionBudget, worker(), worker_pdb(bot))?,
    ];
    for report in [Report::Daily, Report::Weekly] {
        out.push(child(
            Kind::CronJob,
            name(bot, report.as_str()),
            report_cronjob(bot, inputs, providers, report),
        )?);
    }
    out.retain(|c| c.kind.served(inputs.apis));
    Ok(out)
}

/// Fingerprint of the whole desired set (stored in `status.applied`).
pub fn fingerprint(children: &[Child]) -> String {
    sha256_hex(children.iter().flat_map(|c| {
        [
            format!("{:?}/{}", c.kind, c.name),
            c.object.as_ref().map_or_else(String::new, Value::to_string),
        ]
    }))
}

/// Marks the Deployments with the set's fingerprint, so a later reconcile can tell from them
/// alone whether the applied set is current.
pub fn stamp(children: &mut [Child], fingerprint: &str) {
    for child in children.iter_mut().filter(|c| c.kind == Kind::Deployment) {
        if let Some(object) = child.object.as_mut() {
            object["metadata"]["annotations"][APPLIED] = json!(fingerprint);
        }
    }
}
