//! The admins' reports: `scribe report daily|weekly` as CronJobs on the spec's schedules (in its
//! time zone), never two at once, when reports are enabled. Their pods take the workers'
//! scheduling knobs but the small default resources.

use k8s_openapi::api::batch::v1::{CronJob, CronJobSpec, JobSpec, JobTemplateSpec};

use super::inputs::Inputs;
use super::metadata::{Component, meta, name};
use super::pod::pod_template;
use super::providers::Providers;
use crate::crd::{PodKnobs, TranscriptionBot};

/// Which admin report a CronJob sends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Report {
    Daily,
    Weekly,
}

impl Report {
    pub fn as_str(self) -> &'static str {
        match self {
            Report::Daily => "daily",
            Report::Weekly => "weekly",
        }
    }
}

/// `scribe report daily|weekly` on its schedule, never two at once, when reports are enabled.
pub fn report_cronjob(
    bot: &TranscriptionBot,
    inputs: &Inputs,
    providers: &Providers,
    report: Report,
) -> Option<CronJob> {
    let reports = &bot.spec.reports;
    if !reports.enabled {
        return None;
    }
    let schedule = match report {
        Report::Daily => reports.daily_schedule.clone(),
        Report::Weekly => reports.weekly_schedule.clone(),
    };
    let knobs = PodKnobs {
        resources: None,
        ..bot.spec.worker.pod.clone()
    };
    Some(CronJob {
        metadata: meta(bot, name(bot, report.as_str()), Component::Report),
        spec: Some(CronJobSpec {
            schedule,
            time_zone: reports.time_zone.clone(),
            concurrency_policy: Some("Forbid".to_owned()),
            starting_deadline_seconds: Some(600),
            successful_jobs_history_limit: Some(3),
            failed_jobs_history_limit: Some(3),
            job_template: JobTemplateSpec {
                metadata: None,
                spec: Some(JobSpec {
                    backoff_limit: Some(2),
                    active_deadline_seconds: Some(1800),
                    ttl_seconds_after_finished: Some(86400),
                    template: pod_template(
                        bot,
                        inputs,
                        providers,
                        Component::Report,
                        &["report", report.as_str()],
                        &knobs,
                    ),
                    ..JobSpec::default()
                }),
            },
            ..CronJobSpec::default()
        }),
        ..CronJob::default()
    })
}
