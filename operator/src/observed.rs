//! What the cluster reports about a bot's children: the two Deployments (readiness and the
//! applied-set stamp), the KEDA ScaledObject (its `Ready` and `Fallback` conditions) and the
//! HTTPRoute (whether its Gateways accepted it). Read with GETs before applying, refreshed from
//! the apply responses after.

use k8s_openapi::api::apps::v1::Deployment;
use kube::api::{Api, DynamicObject};
use kube::{Client, ResourceExt};
use serde::de::DeserializeOwned;
use serde_json::Value;

use crate::crd::TranscriptionBot;
use crate::desired::{self, Apis, Kind, Scaling};
use crate::error::{Error, Result};

/// The children whose status matters, as last seen.
#[derive(Debug, Default)]
pub struct Workloads {
    pub webhook: Option<Deployment>,
    pub worker: Option<Deployment>,
    /// The ScaledObject, while KEDA scales the workers.
    pub scaled_object: Option<DynamicObject>,
    /// The HTTPRoute, while one is enabled and the Gateway API is served.
    pub route: Option<DynamicObject>,
}

/// What a status condition of a child says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Reported {
    /// The condition is `True`.
    Yes,
    /// The condition is `False` (or, for KEDA's `Fallback`, `True`), with the child's message.
    No(String),
    /// No status yet (just created, or no controller writes one).
    Unknown,
}

fn http_route_enabled(bot: &TranscriptionBot) -> bool {
    bot.spec
        .webhook
        .http_route
        .as_ref()
        .is_some_and(|r| r.enabled)
}

async fn get<K>(api: &Api<K>, name: &str, what: &'static str) -> Result<Option<K>>
where
    K: Clone + DeserializeOwned + std::fmt::Debug,
{
    api.get_opt(name).await.map_err(Error::kube(what))
}

/// Reads the children whose status the conditions report.
pub async fn observe(
    client: &Client,
    bot: &TranscriptionBot,
    namespace: &str,
    apis: Apis,
) -> Result<Workloads> {
    let deployments: Api<Deployment> = Api::namespaced(client.clone(), namespace);
    let dynamic = |kind: Kind| -> Api<DynamicObject> {
        Api::namespaced_with(client.clone(), namespace, &kind.api_resource())
    };
    let mut workloads = Workloads {
        webhook: get(
            &deployments,
            &desired::name(bot, "webhook"),
            "reading a Deployment",
        )
        .await?,
        worker: get(
            &deployments,
            &desired::name(bot, "worker"),
            "reading a Deployment",
        )
        .await?,
        ..Workloads::default()
    };
    if desired::scaling(bot, apis) == Scaling::Keda {
        workloads.scaled_object = get(
            &dynamic(Kind::ScaledObject),
            &desired::name(bot, "worker"),
            "reading the ScaledObject",
        )
        .await?;
    }
    if apis.gateway && http_route_enabled(bot) {
        workloads.route = get(
            &dynamic(Kind::HttpRoute),
            &desired::name(bot, "webhook"),
            "reading the HTTPRoute",
        )
        .await?;
    }
    Ok(workloads)
}

impl Workloads {
    /// Takes an applied child's response (the object with its status) in place of the GET.
    pub fn update(
        &mut self,
        bot: &TranscriptionBot,
        kind: Kind,
        applied: DynamicObject,
    ) -> Result<()> {
        match kind {
            Kind::Deployment => {
                let deployment: Deployment = convert(applied)?;
                if deployment.name_any() == desired::name(bot, "webhook") {
                    self.webhook = Some(deployment);
                } else {
                    self.worker = Some(deployment);
                }
            }
            Kind::ScaledObject => self.scaled_object = Some(applied),
            Kind::HttpRoute => self.route = Some(applied),
            Kind::ConfigMap
            | Kind::Service
            | Kind::Ingress
            | Kind::PodDisruptionBudget
            | Kind::HorizontalPodAutoscaler
            | Kind::TriggerAuthentication
            | Kind::CronJob => {}
        }
        Ok(())
    }
}

fn convert<T: DeserializeOwned>(object: DynamicObject) -> Result<T> {
    serde_json::to_value(object)
        .and_then(serde_json::from_value)
        .map_err(|source| Error::Encode {
            kind: "applied object",
            source,
        })
}

pub fn deployment_available(deployment: Option<&Deployment>) -> bool {
    deployment
        .and_then(|d| d.status.as_ref())
        .and_then(|s| s.conditions.as_ref())
        .is_some_and(|cs| {
            cs.iter()
                .any(|c| c.type_ == "Available" && c.status == "True")
        })
}

pub fn ready_replicas(deployment: Option<&Deployment>) -> i32 {
    deployment
        .and_then(|d| d.status.as_ref())
        .and_then(|s| s.ready_replicas)
        .unwrap_or(0)
}

pub fn desired_replicas(deployment: Option<&Deployment>) -> i32 {
    deployment
        .and_then(|d| d.spec.as_ref())
        .and_then(|s| s.replicas)
        .unwrap_or(0)
}

/// Whether a Deployment carries the current set's fingerprint.
pub fn stamped(deployment: Option<&Deployment>, fingerprint: &str) -> bool {
    deployment
        .and_then(|d| d.metadata.annotations.as_ref())
        .and_then(|a| a.get(desired::APPLIED))
        .is_some_and(|v| v == fingerprint)
}

/// The status condition `type_` of a custom resource's `conditions` list.
fn condition<'a>(conditions: &'a Value, type_: &str) -> Option<&'a Value> {
    conditions
        .as_array()?
        .iter()
        .find(|c| c["type"].as_str() == Some(type_))
}

fn message(c: &Value) -> String {
    c["message"].as_str().unwrap_or_default().to_owned()
}

/// Whether KEDA can read the queue depth: the ScaledObject's `Ready` condition, and `Fallback`
/// (KEDA serves the fallback replica count because the scaler keeps failing).
pub fn scaler(scaled_object: Option<&DynamicObject>) -> Reported {
    let Some(conditions) = scaled_object.map(|o| &o.data["status"]["conditions"]) else {
        return Reported::Unknown;
    };
    let ready = condition(conditions, "Ready");
    let fallback = condition(conditions, "Fallback");
    match (ready, fallback) {
        (_, Some(f)) if f["status"] == "True" => Reported::No(message(f)),
        (Some(r), _) if r["status"] == "True" => Reported::Yes,
        (Some(r), _) if r["status"] == "False" => Reported::No(message(r)),
        _ => Reported::Unknown,
    }
}

/// Whether every Gateway the HTTPRoute attaches to accepted it (`status.parents[].conditions`
/// `Accepted`); the first refusal's message otherwise.
pub fn route(route: Option<&DynamicObject>) -> Reported {
    let parents = route
        .and_then(|r| r.data["status"]["parents"].as_array())
        .filter(|p| !p.is_empty());
    let Some(parents) = parents else {
        return Reported::Unknown;
    };
    let mut all = true;
    for parent in parents {
        match condition(&parent["conditions"], "Accepted") {
            Some(c) if c["status"] == "True" => {}
            Some(c) if c["status"] == "False" => {
                let gateway = parent["parentRef"]["name"].as_str().unwrap_or_default();
                return Reported::No(format!("Gateway {gateway}: {}", message(c)));
            }
            _ => all = false,
        }
    }
    if all {
        Reported::Yes
    } else {
        Reported::Unknown
    }
}
