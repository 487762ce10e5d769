//! Job validation with Dkron's rules, order and messages (`dkron-behaviour.md` §2.3).

use std::collections::HashSet;
use std::sync::LazyLock;

use regex::Regex;

use crate::schedule::{ScheduleError, check_spec, check_time_zone};
use crate::{CONCURRENCY_ALLOW, CONCURRENCY_FORBID, Job, MemLimitError};
use crate::{parse_go_duration, parse_mem_limit};

/// The executor whose configuration is checked (`timeout`, `mem_limit`).
const SHELL_EXECUTOR: &str = "shell";

/// How far `parent_cycle` follows parents before it stops looking.
const MAX_PARENT_CHAIN: usize = 10_000;

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
    /// `parent_job` names the job itself.
    #[error("the job can not have itself as parent")]
    OwnParent,
    /// The schedule does not parse.
    #[error("can't parse job schedule: {0}")]
    Schedule(ScheduleError),
    /// `concurrency` is not `allow`, `forbid` or empty.
    #[error("invalid concurrency policy value, use \"allow\" or \"forbid\"")]
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
    if job.parent_job == job.name {
        return Err(ValidationError::OwnParent);
    }
    if !job.schedule.is_empty() || job.parent_job.is_empty() {
        check_spec(&job.schedule, &job.name).map_err(ValidationError::Schedule)?;
    }
    if ![CONCURRENCY_ALLOW, CONCURRENCY_FORBID, ""].contains(&job.concurrency.as_str()) {
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

/// Returns the loop of parents that giving `name` the parent `parent` would close, as the path
/// `name -> parent -> … -> name`, or `None` when there is none.
///
/// `parent_of` returns a job's current parent (`None` or `""` for none). The walk stops at a
/// job without a parent, at a loop that does not pass through `name` (already in the store),
/// and after a bounded number of steps.
pub fn parent_cycle(
    name: &str,
    parent: &str,
    parent_of: impl Fn(&str) -> Option<String>,
) -> Option<Vec<String>> {
    if parent.is_empty() {
        return None;
    }
    let mut path = vec![name.to_string(), parent.to_string()];
    let mut seen: HashSet<String> = HashSet::new();
    let mut current = parent.to_string();
    for _ in 0..MAX_PARENT_CHAIN {
        if current == name {
            return Some(path);
        }
        if !seen.insert(current.clone()) {
            return None;
        }
        let next = parent_of(&current).filter(|next| !next.is_empty())?;
        path.push(next.clone());
        current = next;
    }
    None
}

/// Returns the error for a cycle found by [`parent_cycle`].
pub fn parent_cycle_error(path: Vec<String>) -> ValidationError {
    ValidationError::ParentCycle { path }
}

#[cfg(test)]
mod tests {
    use chrono::{TimeZone, Utc};

    use super::*;
    use crate::StringMap;

    fn job(name: &str, schedule: &str) -> Job {
        Job {
            name: name.to_string(),
            schedule: schedule.to_string(),
            ..Job::default()
        }
    }

    fn message(job: &Job) -> String {
        validate_job(job).unwrap_err().to_string()
    }

    fn shell(config: &[(&str, &str)]) -> Job {
        let config: StringMap = config
            .iter()
            .map(|(key, value)| (key.to_string(), value.to_string()))
            .collect();
        Job {
            executor: "shell".into(),
            executor_config: Some(config),
            ..job("a", "@daily")
        }
    }

    #[test]
    fn accepts_dkron_examples() {
        validate_job(&job("job1", "@every 10s")).unwrap();
        validate_job(&job(
            "abcdefghijklmnopqrstuvwxyz0123456789-_ßñëäïüøüáéíóýćàèìòùâêîôûæšłç",
            "0 0 ~ * * *",
        ))
        .unwrap();
        let child = Job {
            parent_job: "parent".into(),
            ..job("child", "")
        };
        validate_job(&child).unwrap();
    }

    #[test]
    fn checks_the_name() {
        assert_eq!(message(&job("", "@daily")), "name cannot be empty");
        assert_eq!(
            message(&job("BAD JOB NAME!", "@daily")),
            "name contains illegal character 'B'"
        );
        assert_eq!(
            message(&job("bad job", "@daily")),
            "name contains illegal character ' '"
        );
        // Lowercase by Unicode property but not of category Ll: ordinal indicator, Roman numeral.
        assert_eq!(
            message(&job("aª", "@daily")),
            "name contains illegal character 'ª'"
        );
        assert_eq!(
            message(&job("ⅰ", "@daily")),
            "name contains illegal character 'ⅰ'"
        );
        let own_parent = Job {
            parent_job: "a".into(),
            ..job("a", "@daily")
        };
        assert_eq!(
            message(&own_parent),
            "the job can not have itself as parent"
        );
    }

    #[test]
    fn checks_the_schedule_unless_a_child_has_none() {
        assert_eq!(
            message(&job("a", "")),
            "can't parse job schedule: empty spec string"
        );
        assert_eq!(
            message(&job("a", "* * * * *")),
            "can't parse job schedule: expected exactly 6 fields, found 5: [* * * * *]"
        );
        assert_eq!(
            message(&job("a", "@foo")),
            "can't parse job schedule: unrecognized descriptor: @foo"
        );
        let child_with_bad_schedule = Job {
            parent_job: "p".into(),
            ..job("a", "@foo")
        };
        assert!(validate_job(&child_with_bad_schedule).is_err());
    }

    #[test]
    fn checks_concurrency_and_timezone() {
        let forbid = Job {
            concurrency: "forbid".into(),
            ..job("a", "@daily")
        };
        validate_job(&forbid).unwrap();
        let empty = Job {
            concurrency: String::new(),
            ..job("a", "@daily")
        };
        validate_job(&empty).unwrap();
        let replace = Job {
            concurrency: "replace".into(),
            ..job("a", "@daily")
        };
        assert_eq!(
            message(&replace),
            "invalid concurrency policy value, use \"allow\" or \"forbid\""
        );
        let zone = |timezone: &str| Job {
            timezone: timezone.into(),
            ..job("a", "@daily")
        };
        validate_job(&zone("Local")).unwrap();
        validate_job(&zone("Europe/Berlin")).unwrap();
        assert_eq!(
            message(&zone("notatimezone")),
            "unknown time zone notatimezone"
        );
    }

    #[test]
    fn checks_shell_config() {
        validate_job(&shell(&[("timeout", "1h30m"), ("mem_limit", "512MB")])).unwrap();
        assert_eq!(
            message(&shell(&[("timeout", "ten")])),
            "Error parsing job timeout value"
        );
        assert_eq!(
            message(&shell(&[("timeout", "-1s")])),
            "Error parsing job timeout value"
        );
        assert_eq!(
            message(&shell(&[("mem_limit", "0")])),
            "Error parsing job memory limit value: memory limit must be greater than 0"
        );
        let http = Job {
            executor: "http".into(),
            ..shell(&[("timeout", "ten")])
        };
        validate_job(&http).unwrap();
    }

    #[test]
    fn rules_apply_in_dkron_order() {
        let everything_wrong = Job {
            concurrency: "x".into(),
            timezone: "x".into(),
            ..job("a", "")
        };
        assert_eq!(
            message(&everything_wrong),
            "can't parse job schedule: empty spec string"
        );
        let bad_policy_and_zone = Job {
            concurrency: "x".into(),
            timezone: "x".into(),
            ..job("a", "@daily")
        };
        assert!(message(&bad_policy_and_zone).starts_with("invalid concurrency"));
    }

    #[test]
    fn rejects_expiry_before_start() {
        let start = Utc.with_ymd_and_hms(2026, 5, 1, 0, 0, 0).unwrap();
        let backwards = Job {
            starts_at: Some(start),
            expires_at: Some(start - chrono::TimeDelta::days(1)),
            ..job("a", "@daily")
        };
        assert_eq!(
            message(&backwards),
            "expires_at (2026-04-30T00:00:00+00:00) is before starts_at (2026-05-01T00:00:00+00:00)"
        );
        let same_instant = Job {
            starts_at: Some(start),
            expires_at: Some(start),
            ..job("a", "@daily")
        };
        validate_job(&same_instant).unwrap();
    }

    #[test]
    fn finds_parent_cycles() {
        let parents = |job: &str| match job {
            "b" => Some("c".to_string()),
            "c" => Some("a".to_string()),
            "x" => Some("y".to_string()),
            "y" => Some("x".to_string()),
            _ => None,
        };
        assert_eq!(
            parent_cycle("a", "b", parents),
            Some(vec!["a".into(), "b".into(), "c".into(), "a".into()])
        );
        assert_eq!(parent_cycle("a", "d", parents), None);
        assert_eq!(parent_cycle("a", "", parents), None);
        // A loop already in the store that does not pass through the job ends the walk.
        assert_eq!(parent_cycle("a", "x", parents), None);
        let path = parent_cycle("b", "c", |job| (job == "c").then(|| "b".to_string())).unwrap();
        assert_eq!(
            parent_cycle_error(path).to_string(),
            "parent_job would create a cycle: b -> c -> b"
        );
    }
}
