//! Applying a bot's desired children: the whole set, server-side, under the operator's field
//! manager, when its fingerprint, the generation or a Deployment's stamp differs from what was
//! applied last (or the periodic re-assertion is due); disabled options deleted. A child the
//! apiserver refuses (quota, admission, validation, a conflict) does not stop the others; the
//! first refusal is returned for the `Reconciled` condition and the retry.

use kube::api::{Api, DeleteParams, DynamicObject, Patch, PatchParams};
use kube::runtime::events::EventType;

use crate::conditions::{self, Observed, State, reason};
use crate::controller::Context;
use crate::crd::{TranscriptionBot, TranscriptionBotStatus};
use crate::desired::{self, FIELD_MANAGER, Inputs, Kind, Providers};
use crate::error::{Error, Result};
use crate::observed::{self, Workloads};

/// A child the apiserver refused, and how many more were.
pub struct Rejected {
    kind: Kind,
    name: String,
    pub error: Error,
    more: usize,
}

impl Rejected {
    /// `Reconciled=False`, its reason from the apiserver's answer.
    pub fn condition(&self) -> Observed {
        let (why, detail) = match &self.error {
            Error::Kube {
                source: kube::Error::Api(status),
                ..
            } => (rejection_reason(status.code), status.message.clone()),
            other => (reason::API_UNAVAILABLE, other.to_string()),
        };
        let more = match self.more {
            0 => String::new(),
            n => format!(" (and {n} more)"),
        };
        Observed::new(
            conditions::RECONCILED,
            State::False,
            why,
            format!("{} {}: {detail}{more}", self.kind.as_str(), self.name),
        )
    }
}

/// Why the apiserver refused a write, by status code: quota, RBAC and admission policies answer
/// 403; schema and field validation (a bad cron or time zone) 422; a field owned by another
/// manager 409; admission webhooks often 400.
fn rejection_reason(code: u16) -> &'static str {
    match code {
        403 => reason::FORBIDDEN,
        422 => reason::INVALID,
        409 => reason::CONFLICT,
        400 => reason::REJECTED,
        _ => reason::API_UNAVAILABLE,
    }
}

pub struct ChildrenSync {
    pub fingerprint: String,
    pub written: bool,
    pub rejected: Option<Rejected>,
}

/// Applies the desired children when their fingerprint, the generation or a Deployment's
/// stamp differs from what was applied last; otherwise touches nothing.
pub async fn sync(
    ctx: &Context,
    bot: &TranscriptionBot,
    namespace: &str,
    inputs: &Inputs,
    providers: &Providers<'_>,
    previous: &TranscriptionBotStatus,
    workloads: &mut Workloads,
) -> Result<ChildrenSync> {
    let mut children = desired::children(bot, inputs, providers)?;
    let fingerprint = desired::fingerprint(&children);
    desired::stamp(&mut children, &fingerprint);
    let uid = bot.metadata.uid.as_deref().unwrap_or_default();
    let now = std::time::Instant::now();
    let current = previous.applied.as_deref() == Some(fingerprint.as_str())
        && previous.observed_generation == bot.metadata.generation
        && observed::stamped(workloads.webhook.as_ref(), &fingerprint)
        && observed::stamped(workloads.worker.as_ref(), &fingerprint)
        && !ctx.resync.due(uid, now);
    if current {
        return Ok(ChildrenSync {
            fingerprint,
            written: false,
            rejected: None,
        });
    }
    let rejected = apply_children(ctx, bot, namespace, &children, workloads).await?;
    if rejected.is_some() {
        return Ok(ChildrenSync {
            fingerprint,
            written: true,
            rejected,
        });
    }
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
    Ok(ChildrenSync {
        fingerprint,
        written: true,
        rejected: None,
    })
}

/// Server-side applies every present child and deletes every absent one (missing is fine). A
/// child the apiserver refuses does not stop the others; the first refusal is returned.
async fn apply_children(
    ctx: &Context,
    bot: &TranscriptionBot,
    namespace: &str,
    children: &[desired::Child],
    observed: &mut Workloads,
) -> Result<Option<Rejected>> {
    let apply = PatchParams::apply(FIELD_MANAGER).force();
    let mut rejected: Option<Rejected> = None;
    for child in children {
        let api: Api<DynamicObject> =
            Api::namespaced_with(ctx.client.clone(), namespace, &child.kind.api_resource());
        let result = match &child.object {
            Some(object) => match api.patch(&child.name, &apply, &Patch::Apply(object)).await {
                Ok(applied) => observed.update(bot, child.kind, applied),
                Err(e) => Err(Error::kube("applying a child object")(e)),
            },
            None => match api.delete(&child.name, &DeleteParams::default()).await {
                Ok(_) => Ok(()),
                Err(kube::Error::Api(status)) if status.is_not_found() => Ok(()),
                Err(e) => Err(Error::kube("deleting a disabled child object")(e)),
            },
        };
        if let Err(error) = result {
            match &mut rejected {
                Some(first) => first.more += 1,
                None => {
                    rejected = Some(Rejected {
                        kind: child.kind,
                        name: child.name.clone(),
                        error,
                        more: 0,
                    });
                }
            }
        }
    }
    Ok(rejected)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rejected(code: u16, message: &str, more: usize) -> Rejected {
        let status = kube::core::Status::failure(message, "Failure").with_code(code);
        Rejected {
            kind: Kind::CronJob,
            name: "voice-daily".to_owned(),
            error: Error::kube("applying a child object")(kube::Error::Api(Box::new(status))),
            more,
        }
    }

    #[test]
    fn a_refusal_is_named_by_what_the_api_server_said() {
        for (code, expected) in [
            (403, "Forbidden"),
            (422, "Invalid"),
            (409, "Conflict"),
            (400, "Rejected"),
            (500, "ApiUnavailable"),
        ] {
            let c = rejected(code, "no", 0).condition();
            assert_eq!((c.state, c.reason), (State::False, expected), "{code}");
        }
        let quota = rejected(
            403,
            "cronjobs.batch \"voice-daily\" is forbidden: exceeded quota: compute",
            2,
        )
        .condition();
        assert_eq!(
            quota.message,
            "CronJob voice-daily: cronjobs.batch \"voice-daily\" is forbidden: exceeded quota: compute (and 2 more)"
        );
    }
}
