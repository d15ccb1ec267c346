//! The controller: `run` wires watches and shutdown; `reconcile` does the cross-cutting work
//! (span, timer, metrics, pause, finalizer) and hands over to `apply` or `cleanup`.
//!
//! A reconcile of a live bot goes: refuse what must not run (`validation`), read the inputs
//! (Secrets, the generated webhook token, optional APIs, the children as they are), apply the
//! children, register with Telegram and ask it how delivery goes, then write the status.
//!
//! Quiet by design: an unchanged bot makes no apiserver writes and one Telegram read
//! (`getWebhookInfo`). The desired children are fingerprinted (`status.applied`, also stamped
//! on both Deployments as a drift sentinel) and applied only when the fingerprint, the
//! generation or a sentinel differs; Telegram's `setWebhook` is called only when the
//! registration fingerprint (`status.registration`) differs or Telegram reports another URL;
//! status is written only when it differs from what the object already carries. About once an
//! hour the whole set is applied again (server-side no-ops unless a child was edited or deleted
//! by hand); a bot first seen after a restart starts that period, so a restart writes nothing.
//! A child the apiserver rejects (quota, admission, validation, conflict) does not stop the
//! others; it is reported as `Reconciled=False` and a Warning event, and retried with backoff.

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
use kube::api::{Api, DynamicObject, ListParams, PartialObjectMeta, Patch, PatchParams};
use kube::runtime::controller::{Action, Controller};
use kube::runtime::events::{Event, EventType, Recorder, Reporter};
use kube::runtime::reflector::{ObjectRef, Store};
use kube::runtime::watcher;
use kube::{Client, Resource, ResourceExt};
use scribe_core::Secret;
use serde_json::json;
use tokio_util::sync::CancellationToken;
use tracing::{Instrument, debug, info_span, warn};

use crate::backoff::Failures;
use crate::children;
use crate::conditions::{self, Observed, State, reason};
use crate::config::OperatorConfig;
use crate::crd::{TranscriptionBot, TranscriptionBotStatus};
use crate::credentials::{self, WebhookToken};
use crate::desired::{self, Apis, FIELD_MANAGER, Inputs, Kind, MANAGED_BY, Providers};
use crate::discovery::{self, Discovery};
use crate::error::{Error, Result, telegram_reason};
use crate::finalizer;
use crate::leader::Elector;
use crate::metrics::{Metrics, Outcome};
use crate::observed::{self, Workloads};
use crate::registration;
use crate::resync::Resync;
use crate::validation::{self, Refusal};

pub use crate::finalizer::FINALIZER;

/// Requeue of a healthy bot: how often Telegram's delivery is checked (watches trigger
/// everything else).
const HEALTH_CHECK: Duration = Duration::from_secs(300);
/// Requeue while a referenced Secret is missing (its creation also triggers a reconcile).
const SECRET_RETRY: Duration = Duration::from_secs(300);
const BACKOFF_BASE: Duration = Duration::from_secs(5);
const BACKOFF_CAP: Duration = Duration::from_secs(600);
const DISCOVERY_TTL: Duration = Duration::from_secs(300);
/// How often an unchanged bot's children are applied again to undo hand edits (a little less
/// than an hour, so a periodic requeue finds it due).
const REASSERT: Duration = Duration::from_secs(3300);

/// Everything a reconcile needs, shared by all of them.
pub struct Context {
    pub(crate) client: Client,
    pub(crate) http: reqwest::Client,
    pub(crate) recorder: Recorder,
    pub(crate) metrics: Metrics,
    /// Image of bot pods when the spec sets none.
    pub(crate) image: String,
    pub(crate) failures: Failures,
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
            failures: Failures::new(BACKOFF_BASE, BACKOFF_CAP),
            resync: Resync::new(REASSERT),
            discovery,
        }
    }

    /// Publishes an event on the bot; a failure is logged, never fatal.
    pub(crate) async fn publish(
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

/// Runs the operator until `shutdown` is cancelled. With a Lease configured it reconciles only
/// while this replica leads: it stands by until then, and fails when it loses the Lease so that
/// it restarts as a candidate. Fails at start, with a one-line message, when the CRD is not
/// installed.
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
        lease,
    } = config;
    let http = scribe_core::http::client(telegram_timeout).map_err(Error::HttpClient)?;
    let Some(lease) = lease else {
        return run_controllers(client, namespaces, image, http, metrics, shutdown).await;
    };
    let random = crate::digest::webhook_token()?;
    let suffix = random.get(..8).unwrap_or(&random);
    let elector = Elector::new(client.clone(), lease.with_suffix(suffix));
    if !elector.acquire(&shutdown).await {
        return Ok(());
    }
    let stop = shutdown.child_token();
    let controllers = run_controllers(client, namespaces, image, http, metrics, stop.clone());
    tokio::pin!(controllers);
    let result = tokio::select! {
        result = &mut controllers => result,
        held = elector.hold(&shutdown) => {
            stop.cancel();
            let result = controllers.as_mut().await;
            held.and(result)
        }
    };
    elector.release().await;
    result
}

/// Runs the controllers until `shutdown` is cancelled: one per watched namespace (or one for
/// the whole cluster), sharing metrics and backoff.
async fn run_controllers(
    client: Client,
    namespaces: Vec<String>,
    image: String,
    http: reqwest::Client,
    metrics: Metrics,
    shutdown: CancellationToken,
) -> Result<()> {
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

/// One reconcile: span, timer, metrics, then pause and finalizer dispatch.
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
                    ctx.failures.reset(uid);
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
    Action::requeue(ctx.failures.failed(uid, error.retry_after()))
}

async fn dispatch(bot: &TranscriptionBot, ctx: &Context) -> Result<(Outcome, Action)> {
    let namespace = bot
        .metadata
        .namespace
        .as_deref()
        .ok_or(Error::Incomplete("namespace"))?;
    let api: Api<TranscriptionBot> = Api::namespaced(ctx.client.clone(), namespace);
    if let Some(why) = bot.paused_by() {
        return pause(bot, ctx, &api, namespace, why).await;
    }
    match (
        bot.metadata.deletion_timestamp.is_some(),
        finalizer::position(bot),
    ) {
        (true, None) => Ok((Outcome::Unchanged, Action::await_change())),
        (true, Some(index)) => {
            cleanup(bot, ctx, namespace).await?;
            finalizer::remove(&api, bot, index).await?;
            if let Some(uid) = &bot.metadata.uid {
                ctx.resync.forget(uid);
                ctx.failures.reset(uid);
            }
            ctx.metrics.forget_bot(namespace, &bot.bot_name());
            Ok((Outcome::Cleanup, Action::await_change()))
        }
        (false, None) => {
            // The patch triggers the next reconcile, which applies.
            finalizer::add(&api, bot).await?;
            Ok((Outcome::Changed, Action::await_change()))
        }
        (false, Some(_)) => apply(bot, ctx, &api, namespace).await,
    }
}

/// A paused bot: no child, Telegram or finalizer write; the status says it is paused (one
/// write, when it starts), and the next change of the object (the pause lifted) reconciles.
async fn pause(
    bot: &TranscriptionBot,
    ctx: &Context,
    api: &Api<TranscriptionBot>,
    namespace: &str,
    why: &str,
) -> Result<(Outcome, Action)> {
    let previous = bot.status.clone().unwrap_or_default();
    let message = format!(
        "reconciling is paused ({why}): the operator changes nothing for this bot until it is resumed"
    );
    let status = TranscriptionBotStatus {
        conditions: conditions::paused(
            &previous.conditions,
            &message,
            bot.metadata.generation,
            Timestamp::now(),
        ),
        ..previous.clone()
    };
    let ready = ready_state(&status);
    ctx.metrics.bot_ready(namespace, &bot.bot_name(), ready);
    if status == previous {
        return Ok((Outcome::Unchanged, Action::await_change()));
    }
    write_status(api, bot, &status).await?;
    Ok((Outcome::Changed, Action::await_change()))
}

fn ready_state(status: &TranscriptionBotStatus) -> State {
    match conditions::find(&status.conditions, conditions::READY).map(|c| c.status.as_str()) {
        Some("True") => State::True,
        Some("False") => State::False,
        _ => State::Unknown,
    }
}

/// Deletes the webhook at Telegram. Children go by garbage collection (owner references).
/// A transient Telegram failure keeps the finalizer (retried with backoff); a missing token, a
/// refused Bot API URL or a rejected call cannot get better, so deletion goes on with a warning
/// event.
async fn cleanup(bot: &TranscriptionBot, ctx: &Context, namespace: &str) -> Result<()> {
    let not_deleted = |note: String| {
        ctx.publish(
            bot,
            EventType::Warning,
            "WebhookNotDeleted",
            "DeleteWebhook",
            note,
        )
    };
    if let Err(refusal) = validation::validate(bot) {
        not_deleted(format!(
            "{}; the webhook stays registered at Telegram",
            refusal.message
        ))
        .await;
        return Ok(());
    }
    let secrets: Api<K8sSecret> = Api::namespaced(ctx.client.clone(), namespace);
    let Some(token) = credentials::token(&secrets, bot).await? else {
        not_deleted(
            "the bot token Secret is gone; the webhook stays registered at Telegram".to_owned(),
        )
        .await;
        return Ok(());
    };
    let telegram = registration::client(ctx, bot, token)?;
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
            not_deleted(format!("Telegram rejected deleteWebhook: {e}")).await;
            Ok(())
        }
        Err(e) => Err(Error::Telegram(e)),
    }
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

/// A spec the operator will not run: nothing is read or applied and Telegram is not called;
/// `Reconciled` and `Ready` say why (a Warning event too, when that is news). The next change
/// of the spec reconciles again.
async fn refuse(
    bot: &TranscriptionBot,
    ctx: &Context,
    api: &Api<TranscriptionBot>,
    namespace: &str,
    refusal: Refusal,
) -> Result<(Outcome, Action)> {
    let previous = bot.status.clone().unwrap_or_default();
    let reconciled = Observed::new(
        conditions::RECONCILED,
        State::False,
        refusal.reason,
        refusal.message.clone(),
    );
    if !conditions::unchanged(&previous.conditions, &reconciled) {
        ctx.publish(
            bot,
            EventType::Warning,
            refusal.reason,
            "Validate",
            refusal.message.clone(),
        )
        .await;
    }
    let ready = Observed::new(
        conditions::READY,
        State::False,
        refusal.reason,
        refusal.message,
    );
    let status = TranscriptionBotStatus {
        observed_generation: bot.metadata.generation,
        conditions: conditions::merge(
            &previous.conditions,
            &[ready, reconciled],
            bot.metadata.generation,
            Timestamp::now(),
        ),
        ..previous.clone()
    };
    ctx.metrics
        .bot_ready(namespace, &bot.bot_name(), State::False);
    if status == previous {
        return Ok((Outcome::Unchanged, Action::await_change()));
    }
    write_status(api, bot, &status).await?;
    Ok((Outcome::Changed, Action::await_change()))
}

/// What converging children and Telegram came to.
struct Converged {
    reconciled: Observed,
    registered: Observed,
    health: Option<Observed>,
    /// The fingerprint of the children, when every one applied.
    applied: Option<String>,
    /// `(url, fingerprint)` when Telegram accepted a new registration.
    registration: Option<(String, String)>,
    /// Whether anything was written.
    written: bool,
    /// The first rejected child, or Telegram's refusal: returned after the status is written,
    /// so the bot is retried with backoff.
    error: Option<Error>,
}

impl Converged {
    /// Notes what was written, and the fingerprints and URL that now hold, in the status.
    fn record(&self, status: &mut TranscriptionBotStatus, writes: &mut Writes) {
        if self.written {
            writes.mark();
        }
        if let Some(fingerprint) = &self.applied {
            status.applied = Some(fingerprint.clone());
        }
        if let Some((url, fingerprint)) = &self.registration {
            status.webhook_url = Some(url.clone());
            status.registration = Some(fingerprint.clone());
        }
    }
}

/// The reconcile of a live bot: refusals, inputs, children, Telegram, status — each written
/// only when it differs from what is already there.
async fn apply(
    bot: &TranscriptionBot,
    ctx: &Context,
    api: &Api<TranscriptionBot>,
    namespace: &str,
) -> Result<(Outcome, Action)> {
    let providers = match validation::validate(bot) {
        Ok(providers) => providers,
        Err(refusal) => return refuse(bot, ctx, api, namespace, refusal).await,
    };
    let previous = bot.status.clone().unwrap_or_default();
    let secrets: Api<K8sSecret> = Api::namespaced(ctx.client.clone(), namespace);
    let mut writes = Writes::default();

    // 1. Inputs: used credentials, the generated webhook token, optional APIs, and the
    //    children whose status matters, as they are.
    let mut loaded = credentials::load(&secrets, bot, &providers).await?;
    let webhook_token = generated_token(ctx, bot, &secrets, &mut loaded, &mut writes).await?;
    let apis = ctx.discovery.apis(&ctx.client).await?;
    let mut workloads = observed::observe(&ctx.client, bot, namespace, apis).await?;

    let mut status = TranscriptionBotStatus {
        observed_generation: bot.metadata.generation,
        ..previous.clone()
    };
    // 2. and 3. Children and Telegram, once every credential is there.
    let converged = match (loaded.token.clone(), webhook_token, loaded.vhost.clone()) {
        (Some(token), Some(webhook_token), Some(vhost)) if loaded.missing.is_empty() => {
            let inputs = Inputs {
                image: bot.spec.image.clone().unwrap_or_else(|| ctx.image.clone()),
                secret_digests: loaded.digests.clone(),
                vhost,
                apis,
            };
            let credentials = (token, webhook_token);
            let converged = converge(
                ctx,
                bot,
                namespace,
                &inputs,
                &providers,
                credentials,
                &mut workloads,
            )
            .await?;
            converged.record(&mut status, &mut writes);
            converged
        }
        (token, _, _) => {
            unresolved(ctx, bot, &loaded.missing, &previous).await;
            waiting(token.is_none())
        }
    };

    // 4. Status, last, and only when it differs.
    let ready = finish_status(
        bot,
        apis,
        &loaded.missing,
        &converged,
        &workloads,
        &mut status,
    );
    ctx.metrics.bot_ready(namespace, &bot.bot_name(), ready);
    if status != previous {
        write_status(api, bot, &status).await?;
        writes.mark();
    }
    if let Some(e) = converged.error {
        return Err(e);
    }
    let action = if loaded.missing.is_empty() {
        Action::requeue(HEALTH_CHECK)
    } else {
        Action::requeue(SECRET_RETRY)
    };
    Ok((writes.outcome(), action))
}

/// The conditions while a credential is missing.
fn waiting(token_missing: bool) -> Converged {
    let registered = if token_missing {
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
    };
    Converged {
        reconciled: Observed::new(
            conditions::RECONCILED,
            State::Unknown,
            reason::PENDING,
            "waiting for the referenced Secrets",
        ),
        registered,
        health: None,
        applied: None,
        registration: None,
        written: false,
        error: None,
    }
}

/// Fills in conditions and replica counts; returns the `Ready` status.
fn finish_status(
    bot: &TranscriptionBot,
    apis: Apis,
    missing: &[String],
    converged: &Converged,
    workloads: &Workloads,
    status: &mut TranscriptionBotStatus,
) -> State {
    let workers = conditions::workers(workloads);
    let autoscaling = conditions::autoscaling(bot, apis, workloads);
    let route = conditions::route(workloads);
    let ready = conditions::ready(&conditions::Summary {
        missing,
        reconciled: &converged.reconciled,
        registered: &converged.registered,
        health: converged.health.as_ref(),
        workloads,
        workers: &workers,
        autoscaling: &autoscaling,
        route: route.as_ref(),
    });
    let state = ready.state;
    let mut all = vec![
        ready,
        converged.reconciled.clone(),
        converged.registered.clone(),
    ];
    all.extend(converged.health.clone());
    all.extend([workers, autoscaling]);
    all.extend(route);
    status.conditions = conditions::merge(
        &status.conditions,
        &all,
        bot.metadata.generation,
        Timestamp::now(),
    );
    let worker = workloads.worker.as_ref();
    status.replicas = Some(crate::crd::ReplicaCounts {
        webhook: observed::ready_replicas(workloads.webhook.as_ref()),
        worker: observed::ready_replicas(worker),
    });
    status.workers = Some(format!(
        "{}/{}",
        observed::ready_replicas(worker),
        observed::desired_replicas(worker)
    ));
    state
}

/// Children, then (when they all applied) Telegram.
async fn converge(
    ctx: &Context,
    bot: &TranscriptionBot,
    namespace: &str,
    inputs: &Inputs,
    providers: &Providers<'_>,
    (token, webhook_token): (Secret, Secret),
    workloads: &mut Workloads,
) -> Result<Converged> {
    let previous = bot.status.clone().unwrap_or_default();
    let sync = children::sync(ctx, bot, namespace, inputs, providers, &previous, workloads).await?;
    if let Some(rejected) = sync.rejected {
        let reconciled = rejected.condition();
        if !conditions::unchanged(&previous.conditions, &reconciled) {
            ctx.publish(
                bot,
                EventType::Warning,
                "ApplyFailed",
                "Apply",
                reconciled.message.clone(),
            )
            .await;
        }
        return Ok(Converged {
            reconciled,
            registered: Observed::new(
                conditions::WEBHOOK_REGISTERED,
                State::Unknown,
                reason::PENDING,
                "waiting until every child object applies",
            ),
            health: None,
            applied: None,
            registration: None,
            written: sync.written,
            error: Some(rejected.error),
        });
    }
    let registration = registration::sync(ctx, bot, token, &webhook_token, &previous).await?;
    Ok(Converged {
        reconciled: Observed::new(
            conditions::RECONCILED,
            State::True,
            reason::APPLIED,
            "every child object is applied",
        ),
        registered: registration.condition,
        health: registration.health,
        applied: Some(sync.fingerprint),
        written: sync.written || registration.registered.is_some(),
        registration: registration.registered,
        error: registration.error.map(Error::Telegram),
    })
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
