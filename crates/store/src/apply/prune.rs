//! Age limits on history: executions and ledger entries older than their job's limit go, a
//! bounded number per command, so that pruning a large backlog never holds the state machine.

use chrono::{DateTime, TimeDelta, Utc};
use dkron_model::limits::JOBS_PER_PRUNE_COMMAND;
use dkron_model::{Job, parse_go_duration};
use redb::ReadableTable;

use super::batch::Tables;
use super::retention::oldest_removable;
use crate::StoreError;
use crate::command::{CommandResult, Retention};
use crate::error::engine;
use dkron_lifecycle::{StoredExecution, StoredJob};

use crate::records::{Record, decode_ledger, nanos};

/// The age past which a job's history goes: its own `history_max_age`, else the server's.
fn max_age(job: &Job, retention: &Retention) -> Option<TimeDelta> {
    let own = (!job.history_max_age.is_empty())
        .then(|| parse_go_duration(&job.history_max_age).ok())
        .flatten();
    let age = own.or(retention.max_age_secs.map(std::time::Duration::from_secs))?;
    (!age.is_zero()).then(|| TimeDelta::from_std(age).unwrap_or(TimeDelta::MAX))
}

/// Deletes, job by job from `from` on, finished executions and settled ledger entries older
/// than the job's age limit; stops after `limit` records or `JOBS_PER_PRUNE_COMMAND` jobs and
/// answers where to go on.
pub(super) fn aged(
    tables: &mut Tables<'_>,
    now: DateTime<Utc>,
    limit: u32,
    from: Option<&str>,
) -> Result<CommandResult, StoreError> {
    // The jobs come from the table: write what this batch saved first.
    tables.flush_jobs()?;
    let (jobs, after) = jobs_from(tables, from)?;
    let mut removed: u32 = 0;
    for stored in jobs {
        let name = stored.job.name.clone();
        removed += prune_job(tables, stored, now, limit.saturating_sub(removed) as usize)?;
        if removed >= limit {
            // This job may have more past its limit: the next command starts with it again.
            return Ok(pruned(removed, Some(name)));
        }
    }
    Ok(pruned(removed, after))
}

fn pruned(removed: u32, next: Option<String>) -> CommandResult {
    CommandResult::Pruned { removed, next }
}

/// Up to `JOBS_PER_PRUNE_COMMAND` jobs in name order from `from` (inclusive) on, and the
/// name of the job after them, if any.
fn jobs_from(
    tables: &Tables<'_>,
    from: Option<&str>,
) -> Result<(Vec<StoredJob>, Option<String>), StoreError> {
    let range = match from {
        Some(first) => tables.jobs.range(first..),
        None => tables.jobs.range::<&str>(..),
    }
    .map_err(engine("reading jobs"))?;
    let mut jobs = Vec::with_capacity(JOBS_PER_PRUNE_COMMAND);
    for item in range {
        let (name, value) = item.map_err(engine("reading jobs"))?;
        if jobs.len() == JOBS_PER_PRUNE_COMMAND {
            return Ok((jobs, Some(name.value().to_string())));
        }
        jobs.push(StoredJob::decode(name.value(), value.value())?);
    }
    Ok((jobs, None))
}

/// Deletes at most `budget` of one job's records past its age limit; returns how many.
fn prune_job(
    tables: &mut Tables<'_>,
    mut stored: StoredJob,
    now: DateTime<Utc>,
    budget: usize,
) -> Result<u32, StoreError> {
    let Some(age) = max_age(&stored.job, &tables.retention) else {
        return Ok(0);
    };
    let cutoff = nanos(
        now.checked_sub_signed(age)
            .unwrap_or(DateTime::<Utc>::MIN_UTC),
    );
    let name = stored.job.name.as_str();
    let executions = old_executions(tables, name, cutoff, budget)?;
    for (group, id) in &executions {
        tables
            .executions
            .remove((name, *group, id.as_str()))
            .map_err(engine("pruning old executions"))?;
    }
    let entries = old_ledger(tables, name, cutoff, budget - executions.len())?;
    for nominal in &entries {
        tables
            .ledger
            .remove((name, *nominal))
            .map_err(engine("pruning the old ledger"))?;
    }
    if executions.is_empty() && entries.is_empty() {
        return Ok(0);
    }
    stored.execution_count = stored
        .execution_count
        .saturating_sub(executions.len() as u32);
    stored.ledger_count = stored.ledger_count.saturating_sub(entries.len() as u32);
    tables.save_job(stored)?;
    Ok((executions.len() + entries.len()) as u32)
}

/// Finished executions of occurrences due before `cutoff`, oldest first, at most `wanted`.
fn old_executions(
    tables: &Tables<'_>,
    job: &str,
    cutoff: i64,
    wanted: usize,
) -> Result<Vec<(i64, String)>, StoreError> {
    if wanted == 0 {
        return Ok(Vec::new());
    }
    let range = tables
        .executions
        .range((job, i64::MIN, "")..(job, cutoff, ""))
        .map_err(engine("reading old executions"))?;
    oldest_removable(range, wanted, |(_, group, id), bytes| {
        let finished = !StoredExecution::decode(id, bytes)?.execution.is_running();
        Ok(finished.then(|| (group, id.to_string())))
    })
}

/// Settled ledger entries due before `cutoff`, oldest first, at most `wanted`.
fn old_ledger(
    tables: &Tables<'_>,
    job: &str,
    cutoff: i64,
    wanted: usize,
) -> Result<Vec<i64>, StoreError> {
    if wanted == 0 {
        return Ok(Vec::new());
    }
    let range = tables
        .ledger
        .range((job, i64::MIN)..(job, cutoff))
        .map_err(engine("reading the old ledger"))?;
    oldest_removable(range, wanted, |(_, nominal), bytes| {
        let settled = decode_ledger(job, bytes)?.state.is_final();
        Ok(settled.then_some(nominal))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_jobs_own_limit_wins_and_zero_means_none() {
        let server = Retention {
            max_age_secs: Some(3600),
            ..Retention::default()
        };
        let plain = Job::default();
        assert_eq!(max_age(&plain, &server), Some(TimeDelta::hours(1)));
        let own = Job {
            history_max_age: "24h".into(),
            ..Job::default()
        };
        assert_eq!(max_age(&own, &server), Some(TimeDelta::hours(24)));
        assert_eq!(max_age(&plain, &Retention::default()), None);
        let zero = Job {
            history_max_age: "0s".into(),
            ..Job::default()
        };
        assert_eq!(max_age(&zero, &Retention::default()), None);
    }
}
