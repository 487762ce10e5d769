//! What planning reads of a job, and the compact copy the scheduler keeps of each job.
//!
//! The planner needs a handful of a job's fields; a whole `Job` is kilobytes with its
//! executor settings, tags and metadata. The scheduler keeps a `PlanningFacts` per job (about
//! a hundred bytes and the name), so 100,000 jobs cost megabytes, not hundreds of them; the
//! planner's functions take anything that answers these questions, a `Job` included.

use chrono::{DateTime, TimeDelta, Utc};
use dkron_model::{Job, MisfirePolicy};

use crate::config::saturating_delta;

/// The fields of a job the planner reads.
pub trait PlannedJob {
    /// The job's name.
    fn name(&self) -> &str;
    /// True when the job is disabled.
    fn is_disabled(&self) -> bool;
    /// True when the job runs after its parents rather than on its schedule.
    fn is_child(&self) -> bool;
    /// No occurrence before this instant.
    fn starts_at(&self) -> Option<DateTime<Utc>>;
    /// No occurrence after this instant.
    fn expires_at(&self) -> Option<DateTime<Utc>>;
    /// The job's own misfire policy, when it sets one that parses.
    fn misfire_policy(&self) -> Option<MisfirePolicy>;
    /// The job's own catch-up window, when it sets one that parses.
    fn catch_up_window(&self) -> Option<TimeDelta>;
}

impl PlannedJob for Job {
    fn name(&self) -> &str {
        &self.name
    }

    fn is_disabled(&self) -> bool {
        self.disabled
    }

    fn is_child(&self) -> bool {
        Job::is_child(self)
    }

    fn starts_at(&self) -> Option<DateTime<Utc>> {
        self.starts_at
    }

    fn expires_at(&self) -> Option<DateTime<Utc>> {
        self.expires_at
    }

    fn misfire_policy(&self) -> Option<MisfirePolicy> {
        self.misfire_policy.parse().ok()
    }

    fn catch_up_window(&self) -> Option<TimeDelta> {
        if self.catch_up_window.is_empty() {
            return None;
        }
        dkron_model::parse_go_duration(&self.catch_up_window)
            .ok()
            .map(saturating_delta)
    }
}

/// The scheduler's copy of a job: only what planning reads.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlanningFacts {
    name: String,
    disabled: bool,
    child: bool,
    starts_at: Option<DateTime<Utc>>,
    expires_at: Option<DateTime<Utc>>,
    misfire_policy: Option<MisfirePolicy>,
    catch_up_window: Option<TimeDelta>,
}

impl PlanningFacts {
    /// Takes what planning reads of `job`.
    pub fn of(job: &Job) -> PlanningFacts {
        PlanningFacts {
            name: job.name.clone(),
            disabled: job.disabled,
            child: job.is_child(),
            starts_at: job.starts_at,
            expires_at: job.expires_at,
            misfire_policy: PlannedJob::misfire_policy(job),
            catch_up_window: PlannedJob::catch_up_window(job),
        }
    }
}

impl PlannedJob for PlanningFacts {
    fn name(&self) -> &str {
        &self.name
    }

    fn is_disabled(&self) -> bool {
        self.disabled
    }

    fn is_child(&self) -> bool {
        self.child
    }

    fn starts_at(&self) -> Option<DateTime<Utc>> {
        self.starts_at
    }

    fn expires_at(&self) -> Option<DateTime<Utc>> {
        self.expires_at
    }

    fn misfire_policy(&self) -> Option<MisfirePolicy> {
        self.misfire_policy
    }

    fn catch_up_window(&self) -> Option<TimeDelta> {
        self.catch_up_window
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_facts_answer_as_the_job_does() {
        let job = Job {
            name: "nightly".into(),
            disabled: true,
            parent_jobs: vec!["extract".into()],
            starts_at: Some(DateTime::UNIX_EPOCH),
            misfire_policy: "run_all".into(),
            catch_up_window: "90m".into(),
            executor_config: Some([("command".to_string(), "x".repeat(10_000))].into()),
            ..Job::default()
        };
        let facts = PlanningFacts::of(&job);
        assert_eq!(facts.name(), job.name);
        assert_eq!(facts.is_disabled(), PlannedJob::is_disabled(&job));
        assert_eq!(PlannedJob::is_child(&facts), job.is_child());
        assert_eq!(PlannedJob::starts_at(&facts), job.starts_at);
        assert_eq!(facts.misfire_policy(), Some(MisfirePolicy::RunAll));
        assert_eq!(facts.catch_up_window(), Some(TimeDelta::minutes(90)));
        let unset = PlanningFacts::of(&Job::default());
        assert_eq!(unset.misfire_policy(), None);
        assert_eq!(unset.catch_up_window(), None);
    }
}
