//! Job commands: create/replace with Dkron's merge rules, delete, toggle, clear history.

use chrono::{DateTime, DurationRound, TimeDelta, Utc};
use dkron_model::Job;

use super::batch::Tables;
use crate::StoreError;
use crate::command::{ApplyError, CommandResult};
use crate::error::engine;
use crate::tables::MAX_ID;
use dkron_lifecycle::StoredJob;

/// The cursor of a new or rescheduled job: `now` truncated to the second, so that
/// `@every 10s` first fires ten whole seconds later, as in Dkron.
///
/// An `@at` time already past gets a cursor just before it instead: the scheduler then sees a
/// missed occurrence and its misfire policy decides (run it now if inside the catch-up window,
/// else record it as a misfire), rather than nothing happening at all (Dkron).
fn anchor_for(job: &Job, now: DateTime<Utc>) -> DateTime<Utc> {
    let anchor = now.duration_trunc(TimeDelta::seconds(1)).unwrap_or(now);
    match dkron_model::one_shot_instant(&job.schedule) {
        Some(at) if at <= anchor => at - TimeDelta::nanoseconds(1),
        _ => anchor,
    }
}

fn failed(error: ApplyError) -> Result<CommandResult, StoreError> {
    Ok(CommandResult::Failed(error))
}

/// Returns the loop of parents that giving `name` the parents `parents` would close.
fn parent_cycle(
    tables: &Tables<'_>,
    name: &str,
    parents: &[String],
) -> Result<Option<Vec<String>>, StoreError> {
    let mut failure = None;
    let cycle = dkron_model::parent_cycle(name, parents, |job| match tables.load_job(job) {
        Ok(stored) => stored
            .map(|stored| stored.job.parents())
            .unwrap_or_default(),
        Err(error) => {
            failure.get_or_insert(error);
            Vec::new()
        }
    });
    match failure {
        Some(error) => Err(error),
        None => Ok(cycle),
    }
}

/// Creates or replaces a job.
pub(super) fn put(
    tables: &mut Tables<'_>,
    job: Job,
    now: DateTime<Utc>,
) -> Result<CommandResult, StoreError> {
    let name = job.name.clone();
    let new_parents = job.parents();
    for parent in &new_parents {
        if tables.load_job(parent)?.is_none() {
            return failed(ApplyError::ParentNotFound);
        }
    }
    if let Some(cycle) = parent_cycle(tables, &name, &new_parents)? {
        return failed(ApplyError::Rejected(format!(
            "parent_job would create a cycle: {}",
            cycle.join(" -> ")
        )));
    }
    let existing = tables.load_job(&name)?;
    let old_parents = existing
        .as_ref()
        .map(|old| old.job.parents())
        .unwrap_or_default();
    let stored = match existing {
        Some(old) => merge(old, job, now),
        None => {
            let cursor = Some(anchor_for(&job, now));
            let fresh = Job {
                dependent_jobs: None,
                ..job
            };
            StoredJob::new(fresh.normalized_for_storage(), cursor, Some(now))
        }
    };
    for old_parent in old_parents.iter().filter(|old| !new_parents.contains(old)) {
        edit_dependents(tables, old_parent, |list| {
            list.retain(|child| *child != name)
        })?;
    }
    for new_parent in new_parents.iter().filter(|new| !old_parents.contains(new)) {
        edit_dependents(tables, new_parent, |list| {
            if !list.contains(&name) {
                list.push(name.clone());
            }
        })?;
    }
    let mut stored = stored;
    // A parent that is no longer one cannot complete a join.
    stored
        .parents_done
        .retain(|done| new_parents.contains(done));
    let job = stored.job.clone();
    tables.save_job(stored)?;
    Ok(CommandResult::Job(Box::new(job)))
}

/// Applies Dkron's merge rules (§2.4): counters and last times never go back, the
/// server-maintained fields stay the server's, everything else is replaced.
fn merge(old: StoredJob, submitted: Job, now: DateTime<Utc>) -> StoredJob {
    let previous = old.job;
    let reschedule = previous.schedule != submitted.schedule
        || previous.timezone != submitted.timezone
        || previous.starts_at != submitted.starts_at
        || (previous.disabled && !submitted.disabled);
    let job = Job {
        success_count: previous.success_count.max(submitted.success_count),
        error_count: previous.error_count.max(submitted.error_count),
        last_success: previous.last_success.max(submitted.last_success),
        last_error: previous.last_error.max(submitted.last_error),
        dependent_jobs: previous.dependent_jobs,
        status: if previous.status.is_empty() {
            submitted.status.clone()
        } else {
            previous.status
        },
        ..submitted
    }
    .normalized_for_storage();
    StoredJob {
        cursor: if reschedule {
            Some(anchor_for(&job, now))
        } else {
            old.cursor
        },
        schedule_since: if reschedule {
            Some(now)
        } else {
            old.schedule_since
        },
        job,
        ..old
    }
}

fn edit_dependents(
    tables: &mut Tables<'_>,
    parent: &str,
    edit: impl FnOnce(&mut Vec<String>),
) -> Result<(), StoreError> {
    let Some(mut stored) = tables.load_job(parent)? else {
        return Ok(());
    };
    let mut list = stored.job.dependent_jobs.take().unwrap_or_default();
    edit(&mut list);
    stored.job.dependent_jobs = Some(list).filter(|list| !list.is_empty());
    tables.save_job(stored)
}

/// Deletes a job, its executions and its ledger.
pub(super) fn delete(tables: &mut Tables<'_>, name: &str) -> Result<CommandResult, StoreError> {
    let Some(stored) = tables.load_job(name)? else {
        return failed(ApplyError::JobNotFound(name.to_string()));
    };
    if let Some(children) = stored
        .job
        .dependent_jobs
        .as_ref()
        .filter(|list| !list.is_empty())
    {
        return failed(ApplyError::Rejected(format!(
            "job {name} has dependent jobs ({}): delete them first",
            children.join(", ")
        )));
    }
    for parent in stored.job.parents() {
        edit_dependents(tables, &parent, |list| list.retain(|child| child != name))?;
    }
    clear_executions(tables, name)?;
    tables
        .ledger
        .retain_in((name, i64::MIN)..=(name, i64::MAX), |_, _| false)
        .map_err(engine("deleting a job's ledger"))?;
    // Runs in flight are keyed by node first; there are few, so a full pass is cheap. Their
    // late results then find no active run and change nothing.
    tables
        .active
        .retain(|(_, job, _, _), _| job != name)
        .map_err(engine("deleting a job's active runs"))?;
    tables.remove_job(name)?;
    Ok(CommandResult::Job(Box::new(stored.job)))
}

fn clear_executions(tables: &mut Tables<'_>, name: &str) -> Result<(), StoreError> {
    tables
        .executions
        .retain_in((name, i64::MIN, "")..=(name, i64::MAX, MAX_ID), |_, _| {
            false
        })
        .map_err(engine("deleting a job's executions"))
}

/// Flips `disabled`; re-enabling anchors the cursor at `now` (the disabled time is not missed).
pub(super) fn toggle(
    tables: &mut Tables<'_>,
    name: &str,
    now: DateTime<Utc>,
) -> Result<CommandResult, StoreError> {
    let Some(mut stored) = tables.load_job(name)? else {
        return failed(ApplyError::JobNotFound(name.to_string()));
    };
    stored.job.disabled = !stored.job.disabled;
    if !stored.job.disabled {
        stored.cursor = Some(anchor_for(&stored.job, now));
        stored.schedule_since = Some(now);
    }
    let job = stored.job.clone();
    tables.save_job(stored)?;
    Ok(CommandResult::Job(Box::new(job)))
}

/// Deletes a job's executions and resets its counters (status and ledger are kept).
pub(super) fn delete_executions(
    tables: &mut Tables<'_>,
    name: &str,
) -> Result<CommandResult, StoreError> {
    let Some(mut stored) = tables.load_job(name)? else {
        return failed(ApplyError::JobNotFound(name.to_string()));
    };
    clear_executions(tables, name)?;
    stored.execution_count = 0;
    stored.job.success_count = 0;
    stored.job.error_count = 0;
    stored.job.last_success = None;
    stored.job.last_error = None;
    let job = stored.job.clone();
    tables.save_job(stored)?;
    Ok(CommandResult::Job(Box::new(job)))
}
