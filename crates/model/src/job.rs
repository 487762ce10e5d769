//! The job as Dkron's REST API shows it.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::gotime;

/// A string-to-string map as Dkron stores it: `null` on the wire when empty.
pub type StringMap = BTreeMap<String, String>;

/// Job processors: processor name to its string configuration.
pub type ProcessorMap = BTreeMap<String, StringMap>;

/// The overlap policy value Dkron uses when none is given.
pub const CONCURRENCY_ALLOW: &str = "allow";
/// The overlap policy that skips an occurrence while another run of the job is active.
pub const CONCURRENCY_FORBID: &str = "forbid";
/// Overlap policy (ours): an occurrence due while a run is active waits for it (one waits at
/// most; more are skipped as overlaps).
pub const CONCURRENCY_QUEUE: &str = "queue";
/// Overlap policy (ours): an occurrence due while a run is active stops that run and starts.
pub const CONCURRENCY_REPLACE: &str = "replace";

/// A job, field for field and in the order of Dkron's JSON (`dkron-behaviour.md` §2).
///
/// The same type reads request bodies (unknown fields ignored, wrong types rejected, missing
/// fields defaulted) and writes responses. Computed fields (`status`, `next`, counters) are
/// owned by the server; the store's merge rules decide what a client may change.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct Job {
    /// Output-only mirror of `name` for stored jobs; echoed verbatim on create.
    pub id: String,
    /// Unique key of the job.
    pub name: String,
    /// Free text shown instead of the name.
    pub displayname: String,
    /// IANA time zone the schedule is evaluated in; empty means the server's local zone.
    pub timezone: String,
    /// Cron spec or descriptor (see `docs/schedule.md`).
    pub schedule: String,
    /// Free text owner.
    pub owner: String,
    /// Recipient of e-mail notifications.
    pub owner_email: String,
    /// Number of successful executions.
    pub success_count: i64,
    /// Number of failed executions.
    pub error_count: i64,
    /// Finish time of the last successful execution.
    #[serde(with = "gotime::nullable")]
    pub last_success: Option<DateTime<Utc>>,
    /// Finish time of the last failed execution.
    #[serde(with = "gotime::nullable")]
    pub last_error: Option<DateTime<Utc>>,
    /// Disabled jobs are not scheduled.
    pub disabled: bool,
    /// Target node selector (`value` or `value:count`).
    pub tags: Option<StringMap>,
    /// Free labels, filterable in the job list.
    pub metadata: Option<StringMap>,
    /// Extra attempts after a failed execution.
    pub retries: u32,
    /// Wait before the first retry, doubled for each further one (Go duration, ours; empty
    /// means Dkron's short growing wait). See `retry_delay`.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub retry_backoff: String,
    /// Longest a run may take, for every executor (Go duration, ours): the run is then
    /// stopped (a shell job's whole process group is killed) and recorded as failed and
    /// killed. Empty: no limit beyond the executor's own.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub timeout: String,
    /// Which finished executions are notified (ours): `always`, `failure` or `change`; empty
    /// means the server's `notify-on`.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub notify_on: String,
    /// Executions kept for this job (ours); 0 means the server's `execution-retention`.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub execution_retention: u32,
    /// Executions and ledger entries older than this are deleted (Go duration, ours); empty
    /// means the server's `history-max-age`.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub history_max_age: String,
    /// What to do with occurrences missed while no scheduler ran (ours): `skip`, `run_once` or
    /// `run_all`; empty means the server's `misfire-policy`.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub misfire_policy: String,
    /// How far back missed occurrences may still run (Go duration, ours); empty means the
    /// server's `catch-up-window`.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub catch_up_window: String,
    /// Children run after this job succeeds (server maintained).
    pub dependent_jobs: Option<Vec<String>>,
    /// Parent job; the job then runs only after its parent succeeds.
    pub parent_job: String,
    /// More parents (our addition): the job runs once every parent, `parent_job` included,
    /// has succeeded since its last run. Omitted from JSON when empty.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub parent_jobs: Vec<String>,
    /// Output processors and their configuration.
    pub processors: Option<ProcessorMap>,
    /// Overlap policy: `allow` or `forbid`.
    pub concurrency: String,
    /// Executor plugin name (`shell`, `http`, …).
    pub executor: String,
    /// Executor configuration.
    pub executor_config: Option<StringMap>,
    /// Outcome of the last execution group: ``, `success`, `failed`, `partially_failed`.
    pub status: String,
    /// Next scheduled fire time; Go's zero time when there is none.
    #[serde(with = "gotime::required")]
    pub next: DateTime<Utc>,
    /// Delete the job after it succeeds once.
    pub ephemeral: bool,
    /// The job does not run before this instant.
    #[serde(with = "gotime::nullable")]
    pub starts_at: Option<DateTime<Utc>>,
    /// The job does not run after this instant.
    #[serde(with = "gotime::nullable")]
    pub expires_at: Option<DateTime<Utc>>,
}

fn is_zero(value: &u32) -> bool {
    *value == 0
}

impl Default for Job {
    fn default() -> Self {
        Job {
            id: String::new(),
            name: String::new(),
            displayname: String::new(),
            timezone: String::new(),
            schedule: String::new(),
            owner: String::new(),
            owner_email: String::new(),
            success_count: 0,
            error_count: 0,
            last_success: None,
            last_error: None,
            disabled: false,
            tags: None,
            metadata: None,
            retries: 0,
            retry_backoff: String::new(),
            timeout: String::new(),
            notify_on: String::new(),
            execution_retention: 0,
            history_max_age: String::new(),
            misfire_policy: String::new(),
            catch_up_window: String::new(),
            dependent_jobs: None,
            parent_job: String::new(),
            parent_jobs: Vec::new(),
            processors: None,
            concurrency: CONCURRENCY_ALLOW.to_string(),
            executor: String::new(),
            executor_config: None,
            status: String::new(),
            next: gotime::zero_time(),
            ephemeral: false,
            starts_at: None,
            expires_at: None,
        }
    }
}

impl Job {
    /// Returns the value of an executor configuration key, or `""` when absent.
    pub fn executor_config_value(&self, key: &str) -> &str {
        self.executor_config
            .as_ref()
            .and_then(|config| config.get(key))
            .map(String::as_str)
            .unwrap_or("")
    }

    /// Returns the job-level run time limit, if one is set and valid.
    pub fn run_timeout(&self) -> Option<std::time::Duration> {
        if self.timeout.is_empty() {
            return None;
        }
        crate::parse_go_duration(&self.timeout)
            .ok()
            .filter(|limit| !limit.is_zero())
    }

    /// Returns true when the job's overlap policy forbids concurrent runs.
    pub fn forbids_overlap(&self) -> bool {
        self.concurrency == CONCURRENCY_FORBID
    }

    /// Returns true when the job is only ever triggered by its parents.
    pub fn is_child(&self) -> bool {
        !self.parent_job.is_empty() || self.parent_jobs.iter().any(|name| !name.is_empty())
    }

    /// Returns every parent: `parent_job` first, then `parent_jobs`, without blanks or
    /// repeats.
    pub fn parents(&self) -> Vec<String> {
        let mut parents: Vec<String> = Vec::new();
        for name in std::iter::once(&self.parent_job).chain(&self.parent_jobs) {
            if !name.is_empty() && !parents.contains(name) {
                parents.push(name.clone());
            }
        }
        parents
    }

    /// Returns the job as stored: empty maps and lists become `null`, `processors` an object,
    /// and `id` mirrors `name`, exactly as Dkron shows a stored job.
    pub fn normalized_for_storage(mut self) -> Job {
        self.id = self.name.clone();
        self.tags = self.tags.filter(|map| !map.is_empty());
        self.metadata = self.metadata.filter(|map| !map.is_empty());
        self.executor_config = self.executor_config.filter(|map| !map.is_empty());
        self.dependent_jobs = self.dependent_jobs.filter(|list| !list.is_empty());
        self.processors = Some(self.processors.unwrap_or_default());
        if self.concurrency.is_empty() {
            self.concurrency = CONCURRENCY_ALLOW.to_string();
        }
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const GETTING_STARTED: &str = r#"{"name":"job1","schedule":"@every 10s","timezone":"Europe/Berlin","owner":"Platform Team","owner_email":"platform@example.com","disabled":false,"tags":{"server":"true:1"},"metadata":{"user":"12345"},"concurrency":"allow","executor":"shell","executor_config":{"command":"date"}}"#;

    #[test]
    fn create_echo_matches_dkron_byte_for_byte() {
        let job: Job = serde_json::from_str(GETTING_STARTED).unwrap();
        let echoed = serde_json::to_string(&job).unwrap();
        assert_eq!(
            echoed,
            r#"{"id":"","name":"job1","displayname":"","timezone":"Europe/Berlin","schedule":"@every 10s","owner":"Platform Team","owner_email":"platform@example.com","success_count":0,"error_count":0,"last_success":null,"last_error":null,"disabled":false,"tags":{"server":"true:1"},"metadata":{"user":"12345"},"retries":0,"dependent_jobs":null,"parent_job":"","processors":null,"concurrency":"allow","executor":"shell","executor_config":{"command":"date"},"status":"","next":"0001-01-01T00:00:00Z","ephemeral":false,"starts_at":null,"expires_at":null}"#
        );
    }

    #[test]
    fn stored_form_mirrors_name_and_nulls_empty_maps() {
        let job = Job {
            name: "a".into(),
            tags: Some(StringMap::new()),
            ..Job::default()
        }
        .normalized_for_storage();
        assert_eq!(job.id, "a");
        assert_eq!(job.tags, None);
        assert_eq!(job.processors, Some(ProcessorMap::new()));
    }

    #[test]
    fn rejects_wrong_types_and_negative_retries() {
        assert!(serde_json::from_str::<Job>(r#"{"name":"a","retries":-1}"#).is_err());
        assert!(serde_json::from_str::<Job>(r#"{"name":"a","disabled":"yes"}"#).is_err());
        assert!(
            serde_json::from_str::<Job>(r#"{"name":"a","processors":{"log":{"forward":true}}}"#)
                .is_err()
        );
        let ignored: Job = serde_json::from_str(r#"{"name":"a","unknown":[1,2]}"#).unwrap();
        assert_eq!(ignored.name, "a");
    }
}
