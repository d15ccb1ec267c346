//! The controller: `run` wires watches and shutdown; `reconcile` does the cross-cutting work
//! (span, timer, metrics, finalizer) and hands over to `apply` or `cleanup`.
//!
//! Quiet by design: an unchanged bot makes no apiserver writes and no Telegram calls. The
//! desired children are fingerprinted (`status.applied`, also stamped on both Deployments as a
//! drift sentinel) and applied only when the fingerprint, the generation or a sentinel differs;
//! Telegram is called only when the registration fingerprint (`status.registration`) differs;
//! status is written only when it differs from what the object already carries. Once an hour
//! the whole set is applied again (server-side no-ops unless a child was edited or deleted by
//! hand); a bot first seen after a restart starts that period, so a restart writes nothing.

use std::sync::Arc;
use std::time::Duration;

use futures::StreamExt;
use k8s_openapi::api::apps::v1::Deployment;
use k8s_openapi::api::autoscaling::v2::HorizontalPodAutoscaler;
use k8s_openapi::api::batch::v1::CronJob;
use k8s_openapi::api::core::v1::{ConfigMap, Secret as K8sSecret, Service};
use k8s_openapi::api::networking::v1::Ingress;
use k8s_openapi::api::policy::v1::PodDisruptionBudget;
use k8s_openapi::jiff::Timestamp;
use kube::api::{
    Api, DeleteParams, DynamicObject, ListParams, PartialObjectMeta, Patch, PatchParams,
};
use kube::runtime::controller::{Action, Controller};
use kube::runtime::events::{Event, EventType, Recorder, Reporter};
use kube::runtime::reflector::{ObjectRef, Store};
use kube::runtime::watcher;
use kube::{Client, Resource, ResourceExt};
use scribe_core::Secret;
use scribe_telegram::Telegram;
use serde::de::DeserializeOwned;
use serde_json::json;
use tokio_util::sync::CancellationToken;
use tracing::{Instrument, debug, info_span, warn};
use url::Url;

use crate::backoff::{Backoff, Resync};
use crate::conditions::{self, Observed, State, reason};
use crate::config::OperatorConfig;
use crate::crd::{TranscriptionBot, TranscriptionBotStatus};
use crate::credentials::{self, WebhookToken};
use crate::desired::{self, Apis, FIELD_MANAGER, Inputs, Kind, MANAGED_BY, Scaling};
use crate::discovery::{self, Discovery};
use crate::error::{Error, Result, telegram_reason};
use crate::metrics::{Metrics, Outcome};
use crate::registration;

/// Finalizer that keeps a bot until its webhook is deleted at Telegram.
pub const FINALIZER: &str = "transcriptionbots.scribe.dev/webhook";

/// Requeue of a healthy bot (a fallback; watches trigger everything else).
const RESYNC: Duration = Duration::from_secs(3600);
/// Requeue while a referenced Secret is missing (its creation also triggers a reconcile).
const SECRET_RETRY: Duration = Duration::from_secs(300);
const BACKOFF_BASE: Duration = Duration::from_secs(5);
const BACKOFF_CAP: Duration = Duration::from_secs(600);
const DISCOVERY_TTL: Duration = Duration::from_secs(300);
/// How often an unchanged bot's children are applied again to undo hand edits (a little less
/// than `RESYNC`, so the periodic requeue finds it due).
const REASSERT: Duration = Duration::from_secs(3300);

/// Everything a reconcile needs, shared by all of them.
pub struct Context {
    pub(crate) client: Client,
    pub(crate) http: reqwest::Client,
    pub(crate) recorder: Recorder,
    pub(crate) metrics: Metrics,
    /// Image of bot pods when the spec sets none.
    pub(crate) image: String,
    pub(crate) backoff: Backoff,
    pub(crate) resync: Resync,
    pub(crate) discovery: Discovery,
}

impl Context {
    pub(crate) fn new(
        client: Client,
        http: reqwest::Client,
        metrics: Metrics,
        image: String,
        discovery: Discovery,
    ) -> Self {
        Self {
            recorder: Recorder::new(client.clone(), Reporter::from(FIELD_MANAGER)),
            client,
            http,
            metrics,
            image,
            backoff: Backoff::new(BACKOFF_BASE, BACKOFF_CAP),
            resync: Resync::new(REASSERT),
            discovery,
        }
    }

    /// Publishes an event on the bot; a failure is logged, never fatal.
    async fn publish(
        &self,
        bot: &TranscriptionBot,
        type_: EventType,
        reason: &str,
        action: &str,
        note: String,
    ) {
        let event = Event {
            type_,
            reason: reason.to_owned(),
            note: Some(note),
            action: action.to_owned(),
            secondary: None,
        };
        if let Err(e) = self.recorder.publish(&event, &bot.object_ref(&())).await {
            warn!(error = %e, reason, "publishing an event failed");
        }
    }
}

/// Runs the controller until `shutdown` is cancelled: one controller per watched namespace
/// (or one for the whole cluster), sharing metrics and backoff.
///
/// Fails at start, with a one-line message, when the CRD is not installed.
pub async fn run(
    config: OperatorConfig,
    client: Client,
    metrics: Metrics,
    shutdown: CancellationToken,
) -> Result<()> {
    let OperatorConfig {
        namespaces,
        image,
        telegram_timeout,
    } = config;
    let http = scribe_core::http::client(telegram_timeout).map_err(Error::HttpClient)?;
    let scopes: Vec<Option<String>> = if namespaces.is_empty() {
        vec![None]
    } else {
        namespaces.into_iter().map(Some).collect()
    };
    for scope in &scopes {
        ensure_crd(&client, scope.as_deref()).await?;
    }
    // Which optional kinds to watch is decided once; applying them follows discovery anew.
    let apis = discovery::probe(&client).await?;
    let ctx = Arc::new(Context::new(
        client.clone(),
        http,
        metrics,
        image,
        Discovery::seeded(DISCOVERY_TTL, apis),
    ));
    let controllers = scopes.into_iter().map(|scope| {
        let scope_label = scope.clone().unwrap_or_else(|| "*".to_owned());
        controller(&client, scope.as_deref(), apis, &shutdown)
            .run(reconcile, error_policy, Arc::clone(&ctx))
            .for_each(move |result| {
                let scope = scope_label.clone();
                async move {
                    match result {
                        Ok((object, _)) => debug!(%scope, bot = %object.name, "reconciled"),
                        Err(kube::runtime::controller::Error::ReconcilerFailed(e, object)) => {
                            warn!(%scope, bot = %object.name, reason = e.reason(), error = %e, "reconcile failed");
                        }
                        Err(e) => warn!(%scope, error = %e, "controller error"),
                    }
                }
            })
    });
    futures::future::join_all(controllers).await;
    Ok(())
}

fn scoped<K>(client: &Client, namespace: Option<&str>) -> Api<K>
where
    K: Resource<Scope = k8s_openapi::NamespaceResourceScope>,
    K::DynamicType: Default,
{
    match namespace {
        Some(ns) => Api::namespaced(client.clone(), ns),
        None => Api::all(client.clone()),
    }
}

fn scoped_dynamic(client: &Client, namespace: Option<&str>, kind: Kind) -> Api<DynamicObject> {
    let resource = kind.api_resource();
    match namespace {
        Some(ns) => Api::namespaced_with(client.clone(), ns, &resource),
        None => Api::all_with(client.clone(), &resource),
    }
}

/// Lists at most one bot: the cheapest proof that the CRD is served (and readable).
async fn ensure_crd(client: &Client, namespace: Option<&str>) -> Result<()> {
    let api: Api<TranscriptionBot> = scoped(client, namespace);
    match api.list(&ListParams::default().limit(1)).await {
        Ok(_) => Ok(()),
        Err(kube::Error::Api(status)) if status.is_not_found() => Err(Error::CrdNotInstalled),
        Err(e) => Err(Error::Kube {
            action: "listing TranscriptionBots",
            source: e,
        }),
    }
}

fn controller(
    client: &Client,
    namespace: Option<&str>,
    apis: Apis,
    shutdown: &CancellationToken,
) -> Controller<TranscriptionBot> {
    let bots: Api<TranscriptionBot> = scoped(client, namespace);
    let main = Controller::new(bots, watcher::Config::default().any_semantic());
    let store = main.store();
    // Children carry the managed-by label: watch only those (metadata-only watches).
    let children = watcher::Config::default().labels(MANAGED_BY).any_semantic();
    let mut c = main
        .owns(scoped::<ConfigMap>(client, namespace), children.clone())
        .owns(scoped::<K8sSecret>(client, namespace), children.clone())
        .owns(scoped::<Service>(client, namespace), children.clone())
        .owns(scoped::<Deployment>(client, namespace), children.clone())
        .owns(scoped::<Ingress>(client, namespace), children.clone())
        .owns(
            scoped::<PodDisruptionBudget>(client, namespace),
            children.clone(),
        )
        .owns(
            scoped::<HorizontalPodAutoscaler>(client, namespace),
            children.clone(),
        )
        .owns(scoped::<CronJob>(client, namespace), children.clone());
    for kind in [
        Kind::HttpRoute,
        Kind::ScaledObject,
        Kind::TriggerAuthentication,
    ] {
        if kind.served(apis) {
            c = c.owns_with(
                scoped_dynamic(client, namespace, kind),
                kind.api_resource(),
                children.clone(),
            );
        }
    }
    // Referenced Secrets are the users' own, unlabelled: watch their metadata (a data change
    // bumps resourceVersion) and map each to the bots that reference it.
    c.watches(
        scoped::<PartialObjectMeta<K8sSecret>>(client, namespace),
        watcher::Config::default().any_semantic(),
        move |secret| bots_referencing(&store, &secret),
    )
    .graceful_shutdown_on(shutdown.clone().cancelled_owned())
}

/// The bots in the Secret's namespace whose spec references it.
fn bots_referencing(
    store: &Store<TranscriptionBot>,
    secret: &PartialObjectMeta<K8sSecret>,
) -> Vec<ObjectRef<TranscriptionBot>> {
    let (Some(namespace), Some(name)) = (&secret.metadata.namespace, &secret.metadata.name) else {
        return Vec::new();
    };
    store
        .state()
        .iter()
        .filter(|bot| bot.metadata.namespace.as_ref() == Some(namespace))
        .filter(|bot| credentials::references_secret(bot, name))
        .map(|bot| ObjectRef::from_obj(bot.as_ref()))
        .collect()
}

/// One reconcile: span, timer, metrics, then finalizer dispatch.
pub async fn reconcile(bot: Arc<TranscriptionBot>, ctx: Arc<Context>) -> Result<Action> {
    let span = info_span!(
        "reconcile",
        namespace = bot.metadata.namespace.as_deref().unwrap_or_default(),
        bot = bot.metadata.name.as_deref().unwrap_or_default(),
    );
    async move {
        let _timer = ctx.metrics.measure();
        match dispatch(&bot, &ctx).await {
            Ok((outcome, action)) => {
                ctx.metrics.reconciled(outcome);
                if let Some(uid) = &bot.metadata.uid {
                    ctx.backoff.reset(uid);
                }
                Ok(action)
            }
            Err(e) => {
                ctx.metrics.reconciled(Outcome::Error);
                ctx.metrics.failed(e.reason());
                Err(e)
            }
        }
    }
    .instrument(span)
    .await
}

/// Requeues a failed bot after its own, growing delay.
pub fn error_policy(bot: Arc<TranscriptionBot>, error: &Error, ctx: Arc<Context>) -> Action {
    let uid = bot.metadata.uid.as_deref().unwrap_or_default();
    Action::requeue(ctx.backoff.failed(uid, error.retry_after()))
}

async fn dispatch(bot: &TranscriptionBot, ctx: &Context) -> Result<(Outcome, Action)> {
    let namespace = bot
        .metadata
        .namespace
        .as_deref()
        .ok_or(Error::Incomplete("namespace"))?;
    let api: Api<TranscriptionBot> = Api::namespaced(ctx.client.clone(), namespace);
    let finalizer_at = bot.finalizers().iter().position(|f| f == FINALIZER);
    match (bot.metadata.deletion_timestamp.is_some(), finalizer_at) {
        (true, None) => Ok((Outcome::Unchanged, Action::await_change())),
        (true, Some(index)) => {
            cleanup(bot, ctx, namespace).await?;
            remove_finalizer(&api, bot, index).await?;
            if let Some(uid) = &bot.metadata.uid {
                ctx.resync.forget(uid);
                ctx.backoff.reset(uid);
            }
            Ok((Outcome::Cleanup, Action::await_change()))
        }
        (false, None) => {
            // The patch triggers the next reconcile, which applies.
            add_finalizer(&api, bot).await?;
            Ok((Outcome::Changed, Action::await_change()))
        }
        (false, Some(_)) => apply(bot, ctx, &api, namespace).await,
    }
}

fn json_patch(ops: serde_json::Value) -> Result<json_patch::Patch> {
    serde_json::from_value(ops).map_err(|source| Error::Encode {
        kind: "JSON patch",
        source,
    })
}

fn write_params() -> PatchParams {
    PatchParams {
        field_manager: Some(FIELD_MANAGER.to_owned()),
        ..PatchParams::default()
    }
}

/// Adds the finalizer with a JSON patch whose `test` fails if someone changed the list meanwhile.
async fn add_finalizer(api: &Api<TranscriptionBot>, bot: &TranscriptionBot) -> Result<()> {
    let ops = if bot.finalizers().is_empty() {
        json!([
            { "op": "test", "path": "/metadata/finalizers", "value": null },
            { "op": "add", "path": "/metadata/finalizers", "value": [FINALIZER] },
        ])
    } else {
        json!([
            { "op": "test", "path": "/metadata/finalizers", "value": bot.finalizers() },
            { "op": "add", "path": "/metadata/finalizers/-", "value": FINALIZER },
        ])
    };
    api.patch(
        &bot.name_any(),
        &write_params(),
        &Patch::Json::<()>(json_patch(ops)?),
    )
    .await
    .map_err(Error::kube("adding the finalizer"))?;
    Ok(())
}

async fn remove_finalizer(
    api: &Api<TranscriptionBot>,
    bot: &TranscriptionBot,
    index: usize,
) -> Result<()> {
    let path = format!("/metadata/finalizers/{index}");
    let ops = json!([
        { "op": "test", "path": path, "value": FINALIZER },
        { "op": "remove", "path": path },
    ]);
    api.patch(
        &bot.name_any(),
        &write_params(),
        &Patch::Json::<()>(json_patch(ops)?),
    )
    .await
    .map_err(Error::kube("removing the finalizer"))?;
    Ok(())
}

fn telegram_client(ctx: &Context, bot: &TranscriptionBot, token: Secret) -> Result<Telegram> {
    let api_url = Url::parse(registration::api_url(bot)).map_err(|_| Error::InvalidSpec {
        field: "telegram.apiUrl",
    })?;
    Ok(Telegram::new(ctx.http.clone(), api_url, token))
}

/// Deletes the webhook at Telegram. Children go by garbage collection (owner references).
/// A transient Telegram failure keeps the finalizer (retried with backoff); a missing token or
/// a rejected call cannot get better, so deletion goes on with a warning event.
async fn cleanup(bot: &TranscriptionBot, ctx: &Context, namespace: &str) -> Result<()> {
    let secrets: Api<K8sSecret> = Api::namespaced(ctx.client.clone(), namespace);
    let loaded = credentials::load(&secrets, bot).await?;
    let Some(token) = loaded.token else {
        ctx.publish(
            bot,
            EventType::Warning,
            "WebhookNotDeleted",
            "DeleteWebhook",
            "the bot token Secret is gone; the webhook stays registered at Telegram".to_owned(),
        )
        .await;
        return Ok(());
    };
    let telegram = telegram_client(ctx, bot, token)?;
    match telegram.delete_webhook().await {
        Ok(()) => {
            ctx.publish(
                bot,
                EventType::Normal,
                "WebhookDeleted",
                "DeleteWebhook",
                "webhook deleted at Telegram".to_owned(),
            )
            .await;
            Ok(())
        }
        Err(e) if telegram_reason(&e) == reason::TELEGRAM_REJECTED => {
            ctx.publish(
                bot,
                EventType::Warning,
                "WebhookNotDeleted",
                "DeleteWebhook",
                format!("Telegram rejected deleteWebhook: {e}"),
            )
            .await;
            Ok(())
        }
        Err(e) => Err(Error::Telegram(e)),
    }
}

fn deployment_available(deployment: Option<&Deployment>) -> bool {
    deployment
        .and_then(|d| d.status.as_ref())
        .and_then(|s| s.conditions.as_ref())
        .is_some_and(|cs| {
            cs.iter()
                .any(|c| c.type_ == "Available" && c.status == "True")
        })
}

fn ready_replicas(deployment: Option<&Deployment>) -> i32 {
    deployment
        .and_then(|d| d.status.as_ref())
        .and_then(|s| s.ready_replicas)
        .unwrap_or(0)
}

fn desired_replicas(deployment: Option<&Deployment>) -> i32 {
    deployment
        .and_then(|d| d.spec.as_ref())
        .and_then(|s| s.replicas)
        .unwrap_or(0)
}

/// Whether a Deployment carries the current set's fingerprint.
fn stamped(deployment: Option<&Deployment>, fingerprint: &str) -> bool {
    deployment
        .and_then(|d| d.metadata.annotations.as_ref())
        .and_then(|a| a.get(desired::APPLIED))
        .is_some_and(|v| v == fingerprint)
}

fn convert<T: DeserializeOwned>(object: DynamicObject) -> Result<T> {
    serde_json::to_value(object)
        .and_then(serde_json::from_value)
        .map_err(|source| Error::Encode {
            kind: "applied object",
            source,
        })
}

/// The Deployments as observed (GET, or the apply response).
#[derive(Default)]
struct Workloads {
    webhook: Option<Deployment>,
    worker: Option<Deployment>,
}

async fn observe(deployments: &Api<Deployment>, bot: &TranscriptionBot) -> Result<Workloads> {
    let get = |suffix: &'static str| {
        let name = desired::name(bot, suffix);
        async move {
            deployments
                .get_opt(&name)
                .await
                .map_err(Error::kube("reading a Deployment"))
        }
    };
    Ok(Workloads {
        webhook: get("webhook").await?,
        worker: get("worker").await?,
    })
}

/// Server-side applies every present child and deletes every absent one (missing is fine).
async fn apply_children(
    ctx: &Context,
    bot: &TranscriptionBot,
    namespace: &str,
    children: &[desired::Child],
    observed: &mut Workloads,
) -> Result<()> {
    let apply = PatchParams::apply(FIELD_MANAGER).force();
    for child in children {
        let api: Api<DynamicObject> =
            Api::namespaced_with(ctx.client.clone(), namespace, &child.kind.api_resource());
        match &child.object {
            Some(object) => {
                let applied = api
                    .patch(&child.name, &apply, &Patch::Apply(object))
                    .await
                    .map_err(Error::kube("applying a child object"))?;
                if child.kind == Kind::Deployment {
                    let deployment: Deployment = convert(applied)?;
                    if child.name == desired::name(bot, "webhook") {
                        observed.webhook = Some(deployment);
                    } else {
                        observed.worker = Some(deployment);
                    }
                }
            }
            None => match api.delete(&child.name, &DeleteParams::default()).await {
                Ok(_) => {}
                Err(kube::Error::Api(status)) if status.is_not_found() => {}
                Err(e) => {
                    return Err(Error::Kube {
                        action: "deleting a disabled child object",
                        source: e,
                    });
                }
            },
        }
    }
    Ok(())
}

fn autoscaling_condition(bot: &TranscriptionBot, apis: Apis) -> Observed {
    match desired::scaling(bot, apis) {
        Scaling::Fixed => Observed::new(
            conditions::AUTOSCALING,
            State::False,
            reason::DISABLED,
            "worker autoscaling is off",
        ),
        Scaling::Keda => Observed::new(
            conditions::AUTOSCALING,
            State::True,
            reason::KEDA,
            format!(
                "KEDA scales the workers on queue {}",
                desired::jobs_queue(bot)
            ),
        ),
        Scaling::HpaKedaMissing => Observed::new(
            conditions::AUTOSCALING,
            State::False,
            reason::KEDA_NOT_INSTALLED,
            "KEDA (keda.sh) is not served: a HorizontalPodAutoscaler scales the workers on CPU",
        ),
        Scaling::HpaNoManagementUrl => Observed::new(
            conditions::AUTOSCALING,
            State::False,
            reason::MANAGEMENT_URL_MISSING,
            "spec.rabbitmq.managementUrlSecretRef is not set: a HorizontalPodAutoscaler scales the workers on CPU",
        ),
    }
}

fn workers_condition(observed: &Workloads) -> Observed {
    let worker = observed.worker.as_ref();
    let summary = format!(
        "{}/{} workers ready",
        ready_replicas(worker),
        desired_replicas(worker)
    );
    if deployment_available(worker) {
        Observed::new(
            conditions::WORKERS_AVAILABLE,
            State::True,
            reason::AVAILABLE,
            summary,
        )
    } else {
        Observed::new(
            conditions::WORKERS_AVAILABLE,
            State::False,
            reason::UNAVAILABLE,
            summary,
        )
    }
}

/// Ready summarises: credentials present, webhook registered, webhook and workers available.
fn ready_condition(
    missing: &[String],
    registered: &Observed,
    observed: &Workloads,
    workers: &Observed,
) -> Observed {
    let (state, why, message) = if !missing.is_empty() {
        (State::False, reason::SECRET_MISSING, missing.join("; "))
    } else if registered.state != State::True {
        (
            State::False,
            reason::WEBHOOK_NOT_REGISTERED,
            registered.message.clone(),
        )
    } else if !deployment_available(observed.webhook.as_ref()) {
        (
            State::False,
            reason::WEBHOOK_UNAVAILABLE,
            "no webhook pod is ready".to_owned(),
        )
    } else if workers.state != State::True {
        (
            State::False,
            reason::WORKERS_UNAVAILABLE,
            workers.message.clone(),
        )
    } else {
        (
            State::True,
            reason::READY,
            "children applied, webhook registered, workers available".to_owned(),
        )
    };
    Observed::new(conditions::READY, state, why, message)
}

/// What a reconcile changed, for the `result` metric.
#[derive(Default)]
struct Writes(bool);

impl Writes {
    fn mark(&mut self) {
        self.0 = true;
    }

    fn outcome(&self) -> Outcome {
        if self.0 {
            Outcome::Changed
        } else {
            Outcome::Unchanged
        }
    }
}

/// The reconcile of a live bot: inputs, children, Telegram, status — each written only when
/// it differs from what is already there.
async fn apply(
    bot: &TranscriptionBot,
    ctx: &Context,
    api: &Api<TranscriptionBot>,
    namespace: &str,
) -> Result<(Outcome, Action)> {
    let previous = bot.status.clone().unwrap_or_default();
    let secrets: Api<K8sSecret> = Api::namespaced(ctx.client.clone(), namespace);
    let deployments: Api<Deployment> = Api::namespaced(ctx.client.clone(), namespace);
    let mut writes = Writes::default();

    // 1. Inputs: referenced credentials, the generated webhook token, optional APIs, and the
    //    Deployments as they are.
    let mut loaded = credentials::load(&secrets, bot).await?;
    let webhook_token = generated_token(ctx, bot, &secrets, &mut loaded, &mut writes).await?;
    let apis = ctx.discovery.apis(&ctx.client).await?;
    let mut workloads = observe(&deployments, bot).await?;

    let mut status = TranscriptionBotStatus {
        observed_generation: bot.metadata.generation,
        ..previous.clone()
    };
    let mut telegram_error = None;
    let registered = match (loaded.token.clone(), webhook_token) {
        (Some(token), Some(webhook_token)) if loaded.missing.is_empty() => {
            // 2. Children, only when something they depend on changed.
            let inputs = Inputs {
                image: bot.spec.image.clone().unwrap_or_else(|| ctx.image.clone()),
                secret_digests: loaded.digests.clone(),
                apis,
            };
            let applied =
                sync_children(ctx, bot, namespace, &inputs, &previous, &mut workloads).await?;
            if applied.written {
                writes.mark();
            }
            status.applied = Some(applied.fingerprint);

            // 3. Telegram, only when the registration changed.
            let registration =
                sync_registration(ctx, bot, token, &webhook_token, &previous).await?;
            if let Some((url, fingerprint)) = registration.registered {
                writes.mark();
                status.webhook_url = Some(url);
                status.registration = Some(fingerprint);
            }
            telegram_error = registration.error;
            registration.condition
        }
        (token, _) => {
            unresolved(ctx, bot, &loaded.missing, &previous).await;
            if token.is_none() {
                Observed::new(
                    conditions::WEBHOOK_REGISTERED,
                    State::False,
                    reason::TOKEN_MISSING,
                    "the bot token Secret or key is missing",
                )
            } else {
                Observed::new(
                    conditions::WEBHOOK_REGISTERED,
                    State::Unknown,
                    reason::PENDING,
                    "waiting for the referenced Secrets",
                )
            }
        }
    };

    // 4. Status, last, and only when it differs.
    let workers = workers_condition(&workloads);
    let ready = ready_condition(&loaded.missing, &registered, &workloads, &workers);
    status.conditions = conditions::merge(
        &previous.conditions,
        &[ready, registered, workers, autoscaling_condition(bot, apis)],
        bot.metadata.generation,
        Timestamp::now(),
    );
    let worker = workloads.worker.as_ref();
    status.replicas = Some(crate::crd::ReplicaCounts {
        webhook: ready_replicas(workloads.webhook.as_ref()),
        worker: ready_replicas(worker),
    });
    status.workers = Some(format!(
        "{}/{}",
        ready_replicas(worker),
        desired_replicas(worker)
    ));
    if status != previous {
        write_status(api, bot, &status).await?;
        writes.mark();
    }

    if let Some(e) = telegram_error {
        return Err(Error::Telegram(e));
    }
    let action = if loaded.missing.is_empty() {
        Action::requeue(RESYNC)
    } else {
        Action::requeue(SECRET_RETRY)
    };
    Ok((writes.outcome(), action))
}

/// The generated webhook token (created on first sight, with an event); its digest joins the
/// others. An unusable one counts as a missing credential.
async fn generated_token(
    ctx: &Context,
    bot: &TranscriptionBot,
    secrets: &Api<K8sSecret>,
    loaded: &mut credentials::Loaded,
    writes: &mut Writes,
) -> Result<Option<Secret>> {
    match credentials::webhook_token(secrets, bot).await? {
        WebhookToken::Ready { token, created } => {
            if created {
                writes.mark();
                ctx.publish(
                    bot,
                    EventType::Normal,
                    "WebhookSecretGenerated",
                    "Create",
                    "generated the webhook secret token".to_owned(),
                )
                .await;
            }
            let r = desired::generated_token_ref(bot);
            loaded
                .digests
                .insert((r.name, r.key), crate::digest::sha256_hex([token.expose()]));
            Ok(Some(token))
        }
        WebhookToken::Unusable { name } => {
            loaded.missing.push(format!(
                "webhook token: Secret {name:?} holds no usable token (delete it to have a new one generated)"
            ));
            Ok(None)
        }
    }
}

/// A missing credential: children and Telegram stay as they are; the event is published when
/// the list of missing references changes.
async fn unresolved(
    ctx: &Context,
    bot: &TranscriptionBot,
    missing: &[String],
    previous: &TranscriptionBotStatus,
) {
    let message = missing.join("; ");
    let was = conditions::find(&previous.conditions, conditions::READY);
    if was.is_none_or(|c| c.reason != reason::SECRET_MISSING || c.message != message) {
        ctx.publish(
            bot,
            EventType::Warning,
            reason::SECRET_MISSING,
            "Resolve",
            message,
        )
        .await;
    }
}

struct AppliedSet {
    fingerprint: String,
    written: bool,
}

/// Applies the desired children when their fingerprint, the generation or a Deployment's
/// stamp differs from what was applied last; otherwise touches nothing.
async fn sync_children(
    ctx: &Context,
    bot: &TranscriptionBot,
    namespace: &str,
    inputs: &Inputs,
    previous: &TranscriptionBotStatus,
    workloads: &mut Workloads,
) -> Result<AppliedSet> {
    let mut children = desired::children(bot, inputs)?;
    let fingerprint = desired::fingerprint(&children);
    desired::stamp(&mut children, &fingerprint);
    let uid = bot.metadata.uid.as_deref().unwrap_or_default();
    let now = std::time::Instant::now();
    let current = previous.applied.as_deref() == Some(fingerprint.as_str())
        && previous.observed_generation == bot.metadata.generation
        && stamped(workloads.webhook.as_ref(), &fingerprint)
        && stamped(workloads.worker.as_ref(), &fingerprint)
        && !ctx.resync.due(uid, now);
    if current {
        return Ok(AppliedSet {
            fingerprint,
            written: false,
        });
    }
    apply_children(ctx, bot, namespace, &children, workloads).await?;
    ctx.resync.applied(uid, now);
    // A periodic re-assertion of an unchanged set is not news.
    if previous.applied.as_deref() != Some(fingerprint.as_str()) {
        let route_skipped = !inputs.apis.gateway
            && bot
                .spec
                .webhook
                .http_route
                .as_ref()
                .is_some_and(|r| r.enabled);
        let (type_, note) = if route_skipped {
            (
                EventType::Warning,
                "applied the child objects; the HTTPRoute was skipped: the Gateway API is not served",
            )
        } else {
            (EventType::Normal, "applied the child objects")
        };
        ctx.publish(bot, type_, "ChildrenApplied", "Apply", note.to_owned())
            .await;
    }
    Ok(AppliedSet {
        fingerprint,
        written: true,
    })
}

struct Registration {
    condition: Observed,
    /// `(url, fingerprint)` when Telegram was called and accepted.
    registered: Option<(String, String)>,
    error: Option<scribe_telegram::Error>,
}

/// Calls Telegram only when the registration fingerprint differs from the stored one.
async fn sync_registration(
    ctx: &Context,
    bot: &TranscriptionBot,
    token: Secret,
    webhook_token: &Secret,
    previous: &TranscriptionBotStatus,
) -> Result<Registration> {
    let url = registration::webhook_url(bot);
    let fingerprint =
        registration::fingerprint(registration::api_url(bot), &url, &token, webhook_token);
    let registered = Observed::new(
        conditions::WEBHOOK_REGISTERED,
        State::True,
        reason::REGISTERED,
        format!("webhook registered at {url}"),
    );
    if previous.registration.as_deref() == Some(fingerprint.as_str()) {
        return Ok(Registration {
            condition: registered,
            registered: None,
            error: None,
        });
    }
    let telegram = telegram_client(ctx, bot, token)?;
    Ok(
        match registration::register(&telegram, &url, webhook_token).await {
            Ok(()) => {
                ctx.publish(
                    bot,
                    EventType::Normal,
                    "WebhookRegistered",
                    "Register",
                    format!("webhook registered at {url} and commands set"),
                )
                .await;
                Registration {
                    condition: registered,
                    registered: Some((url, fingerprint)),
                    error: None,
                }
            }
            Err(e) => {
                let message = e.to_string();
                ctx.publish(
                    bot,
                    EventType::Warning,
                    "WebhookRegistrationFailed",
                    "Register",
                    message.clone(),
                )
                .await;
                Registration {
                    condition: Observed::new(
                        conditions::WEBHOOK_REGISTERED,
                        State::False,
                        telegram_reason(&e),
                        message,
                    ),
                    registered: None,
                    error: Some(e),
                }
            }
        },
    )
}

/// Server-side applies the whole status under the operator's field manager.
async fn write_status(
    api: &Api<TranscriptionBot>,
    bot: &TranscriptionBot,
    status: &TranscriptionBotStatus,
) -> Result<()> {
    let body = json!({
        "apiVersion": TranscriptionBot::api_version(&()),
        "kind": TranscriptionBot::kind(&()),
        "status": status,
    });
    api.patch_status(
        &bot.name_any(),
        &PatchParams::apply(FIELD_MANAGER).force(),
        &Patch::Apply(body),
    )
    .await
    .map_err(Error::kube("writing the status"))?;
    Ok(())
}

#[cfg(test)]
#[path = "controller_tests.rs"]
mod tests;
