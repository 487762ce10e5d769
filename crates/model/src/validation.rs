//! Job validation with Dkron's rules, order and messages (`dkron-behaviour.md` §2.3).

use std::collections::HashSet;
use std::sync::LazyLock;

use regex::Regex;

use crate::schedule::{ScheduleError, check_spec, check_time_zone};
use crate::{
    CONCURRENCY_ALLOW, CONCURRENCY_FORBID, CONCURRENCY_QUEUE, CONCURRENCY_REPLACE, Job,
    MemLimitError,
};
use crate::{parse_go_duration, parse_mem_limit};

/// The executor whose configuration is checked (`timeout`, `mem_limit`).
const SHELL_EXECUTOR: &str = "shell";

/// How far `parent_cycle` follows parents before it stops looking.
const MAX_PARENT_CHAIN: usize = 10_000;

/// Longest job name, in characters (our addition; Dkron has no limit, ADR 22). A name travels
/// in request paths (`/v1/jobs/{job}/executions/{id}`): 256 characters of up to 4 UTF-8 bytes,
/// percent-encoded, stay near 3 KiB, well inside every proxy's and client's URL limit and
/// hyper's 64 KiB, while leaving room for any name a person would choose.
pub const MAX_JOB_NAME_CHARS: usize = 256;

/// Characters a job name may not contain: anything but Unicode lowercase letters (general
/// category Ll, not the wider "Lowercase" property), ASCII digits, `_` and `-`.
static ILLEGAL_NAME_CHARACTER: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"[^\p{Ll}0-9_-]").expect("the pattern is a valid literal"));

/// Why a job was rejected. The API wraps the message as `Job validation failed: <msg>.`
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ValidationError {
    /// The name is empty.
    #[error("name cannot be empty")]
    EmptyName,
    /// The name holds a character outside `\p{Ll}`, `0-9`, `_` and `-`.
    #[error("name contains illegal character '{0}'")]
    IllegalNameCharacter(char),
    /// The name is longer than [`MAX_JOB_NAME_CHARS`] (our addition).
    #[error("name is {length} characters long, the most allowed is {max}")]
    NameTooLong {
        /// The name's length in characters.
        length: usize,
        /// [`MAX_JOB_NAME_CHARS`].
        max: usize,
    },
    /// `parent_job` names the job itself.
    #[error("the job can not have itself as parent")]
    OwnParent,
    /// The schedule does not parse.
    #[error("can't parse job schedule: {0}")]
    Schedule(ScheduleError),
    /// `concurrency` is not `allow`, `forbid` or empty.
    #[error(
        "invalid concurrency policy value, use \"allow\" or \"forbid\" (or \"queue\" or \"replace\")"
    )]
    Concurrency,
    /// `timezone` is not an IANA zone name, `""` or `Local`.
    #[error("unknown time zone {0}")]
    TimeZone(String),
    /// The shell executor's `timeout` is not a (non-negative) Go duration.
    #[error("Error parsing job timeout value")]
    Timeout,
    /// The shell executor's `mem_limit` does not parse.
    #[error("Error parsing job memory limit value: {0}")]
    MemLimit(MemLimitError),
    /// The job-level `timeout` is not a Go duration (our field).
    #[error("invalid timeout: {0}")]
    JobTimeout(crate::DurationError),
    /// `notify_on` is not one of the policies (our field).
    #[error("invalid notify_on {0:?}, use \"always\", \"failure\" or \"change\"")]
    NotifyOn(String),
    /// `history_max_age` is not a Go duration (our field).
    #[error("invalid history_max_age: {0}")]
    HistoryMaxAge(crate::DurationError),
    /// `misfire_policy` is not one of the policies (our field).
    #[error("invalid misfire_policy {0:?}, use \"skip\", \"run_once\" or \"run_all\"")]
    MisfirePolicy(String),
    /// `catch_up_window` is not a Go duration (our field).
    #[error("invalid catch_up_window: {0}")]
    CatchUpWindow(crate::DurationError),
    /// `retry_backoff` is not a Go duration (our field).
    #[error("invalid retry_backoff: {0}")]
    RetryBackoff(crate::DurationError),
    /// `expires_at` is before `starts_at`, so the job could never run (our addition).
    #[error("expires_at ({expires_at}) is before starts_at ({starts_at})")]
    ExpiresBeforeStart {
        /// The job's `starts_at`, RFC 3339.
        starts_at: String,
        /// The job's `expires_at`, RFC 3339.
        expires_at: String,
    },
    /// Setting `parent_job` would close a loop of parents (our addition; see `parent_cycle`).
    #[error("parent_job would create a cycle: {}", path.join(" -> "))]
    ParentCycle {
        /// The loop, starting and ending with the job being saved: `a -> b -> a`.
        path: Vec<String>,
    },
}

impl ValidationError {
    /// Returns the job field at fault, as a JSON path (`executor_config.timeout`), so a form
    /// can show the message next to it.
    pub fn field(&self) -> &'static str {
        match self {
            ValidationError::EmptyName
            | ValidationError::IllegalNameCharacter(_)
            | ValidationError::NameTooLong { .. } => "name",
            ValidationError::OwnParent | ValidationError::ParentCycle { .. } => "parent_job",
            ValidationError::Schedule(_) => "schedule",
            ValidationError::Concurrency => "concurrency",
            ValidationError::TimeZone(_) => "timezone",
            ValidationError::Timeout => "executor_config.timeout",
            ValidationError::MemLimit(_) => "executor_config.mem_limit",
            ValidationError::ExpiresBeforeStart { .. } => "expires_at",
            ValidationError::RetryBackoff(_) => "retry_backoff",
            ValidationError::MisfirePolicy(_) => "misfire_policy",
            ValidationError::JobTimeout(_) => "timeout",
            ValidationError::HistoryMaxAge(_) => "history_max_age",
            ValidationError::NotifyOn(_) => "notify_on",
            ValidationError::CatchUpWindow(_) => "catch_up_window",
        }
    }
}

/// Checks a job the way Dkron does, in Dkron's order; the first failure wins.
///
/// Store-level rules (the parent must exist, no parent cycle) need other jobs and are left to
/// the caller; see [`parent_cycle`]. Beyond Dkron, an `expires_at` before `starts_at` is
/// rejected last, and a negative shell `timeout` is refused (Go accepts it, and it would kill
/// every run at once).
pub fn validate_job(job: &Job) -> Result<(), ValidationError> {
    if job.name.is_empty() {
        return Err(ValidationError::EmptyName);
    }
    if let Some(illegal) = ILLEGAL_NAME_CHARACTER.find(&job.name) {
        let character = illegal.as_str().chars().next().unwrap_or_default();
        return Err(ValidationError::IllegalNameCharacter(character));
    }
    let length = job.name.chars().count();
    if length > MAX_JOB_NAME_CHARS {
        return Err(ValidationError::NameTooLong {
            length,
            max: MAX_JOB_NAME_CHARS,
        });
    }
    if job.parents().contains(&job.name) {
        return Err(ValidationError::OwnParent);
    }
    if !job.schedule.is_empty() || !job.is_child() {
        check_spec(&job.schedule, &job.name).map_err(ValidationError::Schedule)?;
    }
    let policies = [
        CONCURRENCY_ALLOW,
        CONCURRENCY_FORBID,
        CONCURRENCY_QUEUE,
        CONCURRENCY_REPLACE,
        "",
    ];
    if !policies.contains(&job.concurrency.as_str()) {
        return Err(ValidationError::Concurrency);
    }
    check_time_zone(&job.timezone).map_err(|_| ValidationError::TimeZone(job.timezone.clone()))?;
    if job.executor == SHELL_EXECUTOR {
        let timeout = job.executor_config_value("timeout");
        if !timeout.is_empty() && parse_go_duration(timeout).is_err() {
            return Err(ValidationError::Timeout);
        }
        let mem_limit = job.executor_config_value("mem_limit");
        if !mem_limit.is_empty() {
            parse_mem_limit(mem_limit).map_err(ValidationError::MemLimit)?;
        }
    }
    crate::parse_retry_backoff(&job.retry_backoff).map_err(ValidationError::RetryBackoff)?;
    if !["", "skip", "run_once", "run_all"].contains(&job.misfire_policy.as_str()) {
        return Err(ValidationError::MisfirePolicy(job.misfire_policy.clone()));
    }
    if !["", "always", "failure", "change"].contains(&job.notify_on.as_str()) {
        return Err(ValidationError::NotifyOn(job.notify_on.clone()));
    }
    if !job.history_max_age.is_empty() {
        parse_go_duration(&job.history_max_age).map_err(ValidationError::HistoryMaxAge)?;
    }
    if !job.timeout.is_empty() {
        parse_go_duration(&job.timeout).map_err(ValidationError::JobTimeout)?;
    }
    if !job.catch_up_window.is_empty() {
        parse_go_duration(&job.catch_up_window).map_err(ValidationError::CatchUpWindow)?;
    }
    if let (Some(starts_at), Some(expires_at)) = (job.starts_at, job.expires_at)
        && expires_at < starts_at
    {
        return Err(ValidationError::ExpiresBeforeStart {
            starts_at: starts_at.to_rfc3339(),
            expires_at: expires_at.to_rfc3339(),
        });
    }
    Ok(())
}

/// Returns a loop of parents that giving `name` the parents `parents` would close, as the
/// path `name -> parent -> … -> name`, or `None` when there is none.
///
/// `parents_of` returns a job's current parents (none for an unknown job). Loops already in
/// the store that do not pass through `name` are not reported; at most `MAX_PARENT_CHAIN`
/// jobs are visited.
pub fn parent_cycle(
    name: &str,
    parents: &[String],
    mut parents_of: impl FnMut(&str) -> Vec<String>,
) -> Option<Vec<String>> {
    let mut visited: HashSet<String> = HashSet::new();
    // Depth-first, keeping for each job on the stack the path that reached it.
    let mut stack: Vec<Vec<String>> = parents
        .iter()
        .filter(|parent| !parent.is_empty())
        .map(|parent| vec![name.to_string(), parent.clone()])
        .collect();
    while let Some(path) = stack.pop() {
        let current = path.last().cloned().unwrap_or_default();
        if current == name {
            return Some(path);
        }
        if !visited.insert(current.clone()) || visited.len() > MAX_PARENT_CHAIN {
            continue;
        }
        for next in parents_of(&current) {
            let mut longer = path.clone();
            longer.push(next);
            stack.push(longer);
        }
    }
    None
}

/// Returns the error for a cycle found by [`parent_cycle`].
pub fn parent_cycle_error(path: Vec<String>) -> ValidationError {
    ValidationError::ParentCycle { path }
}

#[cfg(test)]
#[path = "validation_test.rs"]
mod tests;
