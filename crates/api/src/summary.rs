//! `GET /v1/summary`: the job counts a dashboard shows, computed on the server so that a
//! browser never has to download every job (our addition).

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use chrono::{DateTime, TimeDelta, Utc};
use dkron_model::{Job, STATUS_FAILED, STATUS_PARTIALLY_FAILED, STATUS_SUCCESS, gotime};
use serde::Serialize;

use crate::backend::{ApiBackend, SchedulerHealth};
use crate::error::ApiError;
use crate::render::Format;
use crate::state::SharedState;

/// Most recently failed jobs listed in `last_hour.failed_jobs`.
const FAILED_JOBS_LISTED: usize = 20;

/// Jobs by state.
#[derive(Debug, Default, PartialEq, Eq, Serialize)]
pub(crate) struct JobCounts {
    total: usize,
    disabled: usize,
    success: usize,
    failed: usize,
    partially_failed: usize,
    untriggered: usize,
}

/// A job whose last failure fell in the last hour.
#[derive(Debug, PartialEq, Eq, Serialize)]
pub(crate) struct RecentFailure {
    name: String,
    last_error: DateTime<Utc>,
}

/// Jobs whose last success or last failure fell in the last hour.
#[derive(Debug, Default, PartialEq, Eq, Serialize)]
pub(crate) struct LastHour {
    succeeded: usize,
    failed: usize,
    failed_jobs: Vec<RecentFailure>,
}

/// The body of `GET /v1/summary`.
#[derive(Debug, Default, PartialEq, Serialize)]
pub(crate) struct Summary {
    jobs: JobCounts,
    last_hour: LastHour,
    /// How the leader's scheduler keeps up; `null` when no scheduler answered.
    scheduler: Option<SchedulerHealth>,
}

/// Counts `jobs` as of `now`.
pub(crate) fn summarize(jobs: &[Job], now: DateTime<Utc>) -> Summary {
    let hour_ago = now - TimeDelta::hours(1);
    let within_hour = |time: Option<DateTime<Utc>>| {
        time.is_some_and(|time| !gotime::is_zero(&time) && time > hour_ago)
    };
    let mut summary = Summary::default();
    for job in jobs {
        let counts = &mut summary.jobs;
        counts.total += 1;
        counts.disabled += usize::from(job.disabled);
        match job.status.as_str() {
            STATUS_SUCCESS => counts.success += 1,
            STATUS_FAILED => counts.failed += 1,
            STATUS_PARTIALLY_FAILED => counts.partially_failed += 1,
            _ => counts.untriggered += 1,
        }
        let recent = &mut summary.last_hour;
        recent.succeeded += usize::from(within_hour(job.last_success));
        if let Some(last_error) = job.last_error.filter(|_| within_hour(job.last_error)) {
            recent.failed += 1;
            recent.failed_jobs.push(RecentFailure {
                name: job.name.clone(),
                last_error,
            });
        }
    }
    let failures = &mut summary.last_hour.failed_jobs;
    failures.sort_by(|a, b| b.last_error.cmp(&a.last_error).then(a.name.cmp(&b.name)));
    failures.truncate(FAILED_JOBS_LISTED);
    summary
}

/// `GET /v1/summary`.
pub(crate) async fn summary<B: ApiBackend>(
    State(state): State<SharedState<B>>,
    format: Format,
) -> Result<Response, ApiError> {
    // The compact listings carry every field the summary reads.
    let jobs = state.backend.visit_job_listings(Vec::new()).await?;
    let mut summary = summarize(&jobs, Utc::now());
    summary.scheduler = state.backend.scheduler_health().await;
    format.json(StatusCode::OK, &summary)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn utc(text: &str) -> DateTime<Utc> {
        text.parse().expect("test instants are valid RFC 3339")
    }

    fn job(name: &str, status: &str, last_success: Option<&str>, last_error: Option<&str>) -> Job {
        Job {
            name: name.into(),
            status: status.into(),
            last_success: last_success.map(utc),
            last_error: last_error.map(utc),
            ..Job::default()
        }
    }

    #[test]
    fn counts_states_and_the_last_hour() {
        let now = utc("2026-05-01T12:00:00Z");
        let jobs = [
            job("a", "success", Some("2026-05-01T11:30:00Z"), None),
            job("b", "failed", None, Some("2026-05-01T11:10:00Z")),
            job("c", "failed", None, Some("2026-05-01T11:50:00Z")),
            job("d", "partially_failed", Some("2026-05-01T10:00:00Z"), None),
            Job {
                disabled: true,
                ..job("e", "", None, Some("0001-01-01T00:00:00Z"))
            },
        ];
        let summary = summarize(&jobs, now);
        assert_eq!(
            summary.jobs,
            JobCounts {
                total: 5,
                disabled: 1,
                success: 1,
                failed: 2,
                partially_failed: 1,
                untriggered: 1,
            }
        );
        assert_eq!(summary.last_hour.succeeded, 1);
        assert_eq!(summary.last_hour.failed, 2);
        let names: Vec<_> = summary
            .last_hour
            .failed_jobs
            .iter()
            .map(|failure| failure.name.as_str())
            .collect();
        assert_eq!(names, ["c", "b"], "newest failure first");
    }

    #[test]
    fn lists_at_most_twenty_failures() {
        let now = utc("2026-05-01T12:00:00Z");
        let jobs: Vec<Job> = (0..30)
            .map(|index| {
                job(
                    &format!("j{index}"),
                    "failed",
                    None,
                    Some("2026-05-01T11:59:00Z"),
                )
            })
            .collect();
        let summary = summarize(&jobs, now);
        assert_eq!(summary.last_hour.failed, 30);
        assert_eq!(summary.last_hour.failed_jobs.len(), FAILED_JOBS_LISTED);
    }
}
