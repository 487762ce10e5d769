//! Occurrence commands: launch intents, skips, run start and finish, lost runs.

use chrono::{DateTime, TimeDelta, Utc};
use dkron_model::{
    CONCURRENCY_QUEUE, CONCURRENCY_REPLACE, Execution, LedgerEntry, LedgerRange, LedgerRun,
    OccurrenceState, SkipReason, Trigger, execution_id, gotime, retry_delay, will_retry,
};
use redb::ReadableTable;

use super::Tables;
use super::jobs::MAX_ID;
use crate::StoreError;
use crate::command::{ApplyError, CommandResult, Followups, RunPlan, RunReport};
use crate::error::engine;
use crate::notices::{self, NoticeKind};
use crate::records::{
    PendingRun, QueuedLaunch, StoredExecution, StoredJob, decode_ledger, encode_ledger, nanos,
};

fn failed(error: ApplyError) -> Result<CommandResult, StoreError> {
    Ok(CommandResult::Failed(error))
}

fn ledger_key(job: &str, nominal: DateTime<Utc>) -> String {
    format!("{job}@{}", gotime::format(&nominal))
}

impl Tables<'_> {
    fn load_ledger(
        &self,
        job: &str,
        nominal: DateTime<Utc>,
    ) -> Result<Option<LedgerEntry>, StoreError> {
        let value = self
            .ledger
            .get((job, nanos(nominal)))
            .map_err(engine("reading the ledger"))?;
        value
            .map(|bytes| decode_ledger(&ledger_key(job, nominal), bytes.value()))
            .transpose()
    }

    fn save_ledger(&mut self, entry: &LedgerEntry) -> Result<(), StoreError> {
        self.ledger
            .insert(
                (entry.job_name.as_str(), nanos(entry.nominal_time)),
                encode_ledger(entry).as_slice(),
            )
            .map_err(engine("writing the ledger"))?;
        Ok(())
    }

    fn load_execution(
        &self,
        job: &str,
        nominal: DateTime<Utc>,
        id: &str,
    ) -> Result<Option<StoredExecution>, StoreError> {
        let value = self
            .executions
            .get((job, nanos(nominal), id))
            .map_err(engine("reading an execution"))?;
        value
            .map(|bytes| StoredExecution::decode(id, bytes.value()))
            .transpose()
    }

    fn save_execution(&mut self, job: &str, stored: &StoredExecution) -> Result<(), StoreError> {
        let key = (job, nanos(stored.nominal), stored.execution.id.as_str());
        self.executions
            .insert(key, stored.encode().as_slice())
            .map_err(engine("writing an execution"))?;
        Ok(())
    }
}

fn is_scheduled(trigger: Trigger) -> bool {
    matches!(trigger, Trigger::Schedule | Trigger::CatchUp)
}

fn advance_cursor(stored: &mut StoredJob, trigger: Trigger, nominal: DateTime<Utc>) {
    if is_scheduled(trigger) {
        stored.cursor = Some(stored.cursor.map_or(nominal, |cursor| cursor.max(nominal)));
    }
}

fn skipped_entry(
    job: &str,
    nominal: DateTime<Utc>,
    trigger: Trigger,
    reason: String,
    decided_at: DateTime<Utc>,
) -> LedgerEntry {
    LedgerEntry {
        job_name: job.to_string(),
        nominal_time: nominal,
        trigger,
        state: OccurrenceState::Skipped,
        reason,
        decided_at,
        runs: Vec::new(),
        range: None,
    }
}

/// Returns the job of an occurrence about to be decided, or why it cannot be: the job is
/// gone, or the occurrence is already in the ledger (this is what makes launches at most once).
fn new_occurrence(
    tables: &Tables<'_>,
    job: &str,
    nominal: DateTime<Utc>,
) -> Result<Result<StoredJob, ApplyError>, StoreError> {
    let Some(stored) = tables.load_job(job)? else {
        return Ok(Err(ApplyError::JobNotFound(job.to_string())));
    };
    if tables.load_ledger(job, nominal)?.is_some() {
        return Ok(Err(ApplyError::Rejected(format!(
            "occurrence {} is already recorded",
            ledger_key(job, nominal)
        ))));
    }
    Ok(Ok(stored))
}

fn queues(stored: &StoredJob) -> bool {
    stored.job.concurrency == CONCURRENCY_QUEUE
}

fn replaces(stored: &StoredJob) -> bool {
    stored.job.concurrency == CONCURRENCY_REPLACE
}

/// Marks the runs of an occurrence as active (launched and not finished).
fn activate(
    tables: &mut Tables<'_>,
    stored: &mut StoredJob,
    nominal: DateTime<Utc>,
    runs: &[RunPlan],
) -> Result<(), StoreError> {
    for run in runs {
        let key = (
            run.node_name.as_str(),
            stored.job.name.as_str(),
            nanos(nominal),
            run.execution_id.as_str(),
        );
        tables
            .active
            .insert(key, ())
            .map_err(engine("writing an active run"))?;
    }
    stored.active_runs += runs.len() as u32;
    Ok(())
}

/// The active runs of one job. The table is keyed by node first; it only holds runs in
/// flight, so a full pass is cheap.
fn active_runs_of(tables: &Tables<'_>, job: &str) -> Result<Vec<RunPlan>, StoreError> {
    let mut runs = Vec::new();
    for item in tables
        .active
        .iter()
        .map_err(engine("reading active runs"))?
    {
        let (key, _) = item.map_err(engine("reading active runs"))?;
        let (node_name, run_job, _, execution_id) = key.value();
        if run_job == job {
            runs.push(RunPlan {
                execution_id: execution_id.to_string(),
                node_name: node_name.to_string(),
            });
        }
    }
    Ok(runs)
}

/// Lets the queued occurrence start once the job's active runs ended: its runs become active
/// and pending, for the leader to send.
fn release_queued(
    tables: &mut Tables<'_>,
    stored: &mut StoredJob,
    at: DateTime<Utc>,
) -> Result<bool, StoreError> {
    if stored.active_runs > 0 {
        return Ok(false);
    }
    let Some(queued) = stored.queued.take() else {
        return Ok(false);
    };
    activate(tables, stored, queued.nominal, &queued.runs)?;
    stored
        .pending_runs
        .extend(queued.runs.into_iter().map(|run| PendingRun {
            nominal: queued.nominal,
            execution_id: run.execution_id,
            node_name: run.node_name,
            attempt: 1,
            not_before: at,
        }));
    Ok(true)
}

fn forget_pending_trigger(
    tables: &mut Tables<'_>,
    job: &str,
    nominal: DateTime<Utc>,
) -> Result<(), StoreError> {
    if let Some(mut stored) = tables.load_job(job)?
        && stored.pending_triggers.contains(&nominal)
    {
        stored
            .pending_triggers
            .retain(|pending| *pending != nominal);
        tables.save_job(stored)?;
    }
    Ok(())
}

/// Dkron's `isRunnable` window: before `starts_at` or after `expires_at`.
fn outside_window(job: &dkron_model::Job, at: DateTime<Utc>) -> bool {
    job.starts_at.is_some_and(|starts_at| at < starts_at)
        || job.expires_at.is_some_and(|expires_at| at > expires_at)
}

/// Commits a launch intent, or records why the occurrence is skipped.
pub(super) fn launch(
    tables: &mut Tables<'_>,
    job: &str,
    nominal: DateTime<Utc>,
    trigger: Trigger,
    runs: Vec<RunPlan>,
    decided_at: DateTime<Utc>,
) -> Result<CommandResult, StoreError> {
    if trigger == Trigger::Parent {
        // Launched or refused, the pending trigger is dealt with.
        forget_pending_trigger(tables, job, nominal)?;
    }
    let mut stored = match new_occurrence(tables, job, nominal)? {
        Ok(stored) => stored,
        Err(error) => return failed(error),
    };
    advance_cursor(&mut stored, trigger, nominal);
    let skip_reason = if tables.paused && trigger != Trigger::Manual {
        Some(SkipReason::Paused)
    } else if trigger == Trigger::Parent && stored.job.disabled {
        Some(SkipReason::Disabled)
    } else if trigger == Trigger::Parent && outside_window(&stored.job, nominal) {
        Some(SkipReason::OutsideWindow)
    } else if runs.is_empty() {
        Some(SkipReason::NoTarget)
    } else if stored.job.forbids_overlap() && stored.active_runs > 0 {
        Some(SkipReason::Overlap)
    } else if queues(&stored) && stored.active_runs > 0 && stored.queued.is_some() {
        // One occurrence waits at most; the rest are overlaps, as with `forbid`.
        Some(SkipReason::Overlap)
    } else {
        None
    };
    let result = match skip_reason {
        Some(reason) => {
            let entry = skipped_entry(job, nominal, trigger, reason.to_string(), decided_at);
            tables.save_ledger(&entry)?;
            CommandResult::Skipped(reason)
        }
        None => {
            let entry = LedgerEntry {
                job_name: job.to_string(),
                nominal_time: nominal,
                trigger,
                state: OccurrenceState::Launched,
                reason: String::new(),
                decided_at,
                runs: runs
                    .iter()
                    .map(|run| LedgerRun {
                        execution_id: run.execution_id.clone(),
                        node_name: run.node_name.clone(),
                        exit_code: None,
                        success: None,
                        attempt: 1,
                    })
                    .collect(),
                range: None,
            };
            tables.save_ledger(&entry)?;
            if queues(&stored) && stored.active_runs > 0 {
                stored.queued = Some(QueuedLaunch { nominal, runs });
                CommandResult::Queued
            } else {
                let replaced = if replaces(&stored) && stored.active_runs > 0 {
                    active_runs_of(tables, job)?
                } else {
                    Vec::new()
                };
                activate(tables, &mut stored, nominal, &runs)?;
                if replaced.is_empty() {
                    CommandResult::Launched(runs)
                } else {
                    CommandResult::LaunchedReplacing { runs, replaced }
                }
            }
        }
    };
    stored.ledger_count += 1;
    prune_ledger(tables, &mut stored)?;
    tables.save_job(stored)?;
    Ok(result)
}

/// Records one occurrence as skipped (`count` > 1 summarises a range ending at `last`).
pub(super) fn skip(
    tables: &mut Tables<'_>,
    job: &str,
    nominal: DateTime<Utc>,
    trigger: Trigger,
    reason: SkipReason,
    decided_at: DateTime<Utc>,
    range: Option<(DateTime<Utc>, u64)>,
) -> Result<CommandResult, StoreError> {
    let mut stored = match new_occurrence(tables, job, nominal)? {
        Ok(stored) => stored,
        Err(error) => return failed(error),
    };
    let (text, last) = match range {
        Some((last, count)) => (
            format!(
                "{reason} ({count} occurrences from {} to {})",
                gotime::format(&nominal),
                gotime::format(&last)
            ),
            last,
        ),
        None => (reason.to_string(), nominal),
    };
    advance_cursor(&mut stored, trigger, last);
    let mut entry = skipped_entry(job, nominal, trigger, text, decided_at);
    entry.range = range.map(|(last, count)| LedgerRange { last, count });
    tables.save_ledger(&entry)?;
    stored.ledger_count += 1;
    prune_ledger(tables, &mut stored)?;
    tables.save_job(stored)?;
    Ok(CommandResult::Skipped(reason))
}

/// Records a run of missed occurrences as one ledger entry keyed by the first.
pub(super) fn skip_range(
    tables: &mut Tables<'_>,
    job: &str,
    first: DateTime<Utc>,
    last: DateTime<Utc>,
    count: u64,
    reason: SkipReason,
    decided_at: DateTime<Utc>,
) -> Result<CommandResult, StoreError> {
    skip(
        tables,
        job,
        first,
        Trigger::Schedule,
        reason,
        decided_at,
        Some((last, count)),
    )
}

/// Records that a run started: the execution appears as running.
#[allow(clippy::too_many_arguments)]
pub(super) fn started(
    tables: &mut Tables<'_>,
    job: &str,
    nominal: DateTime<Utc>,
    execution_id: &str,
    node_name: &str,
    attempt: u32,
    started_at: DateTime<Utc>,
) -> Result<CommandResult, StoreError> {
    let Some(mut stored) = tables.load_job(job)? else {
        return failed(ApplyError::JobNotFound(job.to_string()));
    };
    let active_key = (node_name, job, nanos(nominal), execution_id);
    if tables
        .active
        .get(active_key)
        .map_err(engine("reading an active run"))?
        .is_none()
    {
        return failed(ApplyError::Rejected(format!(
            "run {execution_id} is not active"
        )));
    }
    let trigger = tables
        .load_ledger(job, nominal)?
        .map_or(Trigger::Manual, |entry| entry.trigger);
    let first_report = tables.load_execution(job, nominal, execution_id)?.is_none();
    if first_report {
        stored.execution_count += 1;
    }
    let record = StoredExecution {
        execution: Execution {
            id: execution_id.to_string(),
            job_name: job.to_string(),
            started_at,
            node_name: node_name.to_string(),
            group: nanos(nominal),
            attempt,
            ..Execution::default()
        },
        nominal,
        trigger,
        exit_code: None,
    };
    tables.save_execution(job, &record)?;
    if first_report {
        notices::record(tables, NoticeKind::Started, &record.execution, &stored.job)?;
    }
    stored
        .pending_runs
        .retain(|retry| retry.execution_id != execution_id);
    tables.save_job(stored)?;
    Ok(CommandResult::Done)
}

/// Records the result of a run; a report for a run that is no longer active changes nothing.
pub(super) fn finished(
    tables: &mut Tables<'_>,
    report: RunReport,
) -> Result<CommandResult, StoreError> {
    finish(tables, report, None)
}

fn finish(
    tables: &mut Tables<'_>,
    report: RunReport,
    lost_reason: Option<&str>,
) -> Result<CommandResult, StoreError> {
    let job = report.job.as_str();
    let nominal_nanos = nanos(report.nominal);
    let active_key = (
        report.node_name.as_str(),
        job,
        nominal_nanos,
        report.execution_id.as_str(),
    );
    if tables
        .active
        .remove(active_key)
        .map_err(engine("removing an active run"))?
        .is_none()
    {
        return failed(ApplyError::Rejected(format!(
            "run {} already has a final result",
            report.execution_id
        )));
    }
    let Some(mut stored) = tables.load_job(job)? else {
        return failed(ApplyError::JobNotFound(job.to_string()));
    };
    stored.active_runs = stored.active_runs.saturating_sub(1);
    // A retry that ends before it started (lost with its node, or never delivered) is no
    // longer pending.
    stored
        .pending_runs
        .retain(|retry| retry.execution_id != report.execution_id);
    let previous = tables.load_execution(job, report.nominal, &report.execution_id)?;
    if previous.is_none() {
        stored.execution_count += 1;
    }
    let trigger = previous.as_ref().map(|record| record.trigger);
    let started_at = previous.as_ref().map_or(report.started_at, |record| {
        record.execution.started_at.max(report.started_at)
    });
    let record = StoredExecution {
        execution: Execution {
            id: report.execution_id.clone(),
            job_name: job.to_string(),
            started_at,
            finished_at: report.finished_at,
            success: report.success,
            output: report.output.clone(),
            node_name: report.node_name.clone(),
            group: nominal_nanos,
            attempt: report.attempt.max(1),
            output_truncated: None,
            killed: report.killed,
        },
        nominal: report.nominal,
        trigger: trigger.unwrap_or(Trigger::Manual),
        exit_code: report.exit_code,
    };
    tables.save_execution(job, &record)?;
    if report.success {
        stored.job.success_count += 1;
        stored.job.last_success = stored.job.last_success.max(Some(report.finished_at));
    } else {
        stored.job.error_count += 1;
        stored.job.last_error = stored.job.last_error.max(Some(report.finished_at));
    }
    stored.job.status = group_status(tables, job, nominal_nanos)?.to_string();
    let mut followups = Followups {
        job: job.to_string(),
        ..Followups::default()
    };
    let retry = lost_reason.is_none()
        && !report.success
        && !report.no_retry
        && will_retry(&stored.job, report.attempt.max(1));
    let succeeded = if retry {
        schedule_retry(tables, &mut stored, &report)?;
        followups.runs_pending = true;
        false
    } else {
        notices::record(tables, NoticeKind::Finished, &record.execution, &stored.job)?;
        close_occurrence(tables, &stored, &report, lost_reason, &mut followups)?
    };
    followups.runs_pending |= release_queued(tables, &mut stored, report.finished_at)?;
    prune_executions(tables, &mut stored)?;
    // Dkron deletes an ephemeral job once it succeeded, unless other jobs depend on it.
    let delete_now = succeeded && stored.job.ephemeral && stored.active_runs == 0;
    tables.save_job(stored)?;
    if delete_now {
        let deleted = super::jobs::delete(tables, job)?;
        followups.deleted = matches!(deleted, CommandResult::Job(_));
    }
    if followups.children.is_empty() && !followups.runs_pending && !followups.deleted {
        Ok(CommandResult::Done)
    } else {
        Ok(CommandResult::Finished(followups))
    }
}

/// Closes the run in its occurrence's ledger entry after its last attempt; returns whether
/// that made the occurrence succeed (its children are then triggered).
fn close_occurrence(
    tables: &mut Tables<'_>,
    stored: &StoredJob,
    report: &RunReport,
    lost_reason: Option<&str>,
    followups: &mut Followups,
) -> Result<bool, StoreError> {
    let Some(mut entry) = tables.load_ledger(&report.job, report.nominal)? else {
        return Ok(false);
    };
    let was_open = entry.state == OccurrenceState::Launched;
    close_ledger_run(&mut entry, report, lost_reason);
    tables.save_ledger(&entry)?;
    if !(was_open && entry.state == OccurrenceState::Succeeded) {
        return Ok(false);
    }
    let children = stored.job.dependent_jobs.clone().unwrap_or_default();
    followups.children = trigger_children(tables, &report.job, &children, report.finished_at)?;
    Ok(true)
}

/// Turns a failed run into a pending next attempt on the same node: a new active run, the
/// ledger's run replaced by it, and a pending retry the leader sends out.
fn schedule_retry(
    tables: &mut Tables<'_>,
    stored: &mut StoredJob,
    failed_run: &RunReport,
) -> Result<(), StoreError> {
    let job = failed_run.job.as_str();
    let attempt = failed_run.attempt.max(1) + 1;
    let retry_id = execution_id(failed_run.nominal, &failed_run.node_name, attempt);
    let wait = TimeDelta::from_std(retry_delay(&stored.job, attempt)).unwrap_or(TimeDelta::MAX);
    let not_before = failed_run
        .finished_at
        .checked_add_signed(wait)
        .unwrap_or(failed_run.finished_at);
    let key = (
        failed_run.node_name.as_str(),
        job,
        nanos(failed_run.nominal),
        retry_id.as_str(),
    );
    tables
        .active
        .insert(key, ())
        .map_err(engine("adding a retry"))?;
    stored.active_runs += 1;
    stored.pending_runs.push(PendingRun {
        nominal: failed_run.nominal,
        execution_id: retry_id.clone(),
        node_name: failed_run.node_name.clone(),
        attempt,
        not_before,
    });
    if let Some(mut entry) = tables.load_ledger(job, failed_run.nominal)? {
        if let Some(run) = entry
            .runs
            .iter_mut()
            .find(|run| run.execution_id == failed_run.execution_id)
        {
            *run = LedgerRun {
                execution_id: retry_id,
                node_name: failed_run.node_name.clone(),
                exit_code: None,
                success: None,
                attempt,
            };
        }
        tables.save_ledger(&entry)?;
    }
    Ok(())
}

/// Records that `parent` succeeded for each child; a child whose parents have all succeeded
/// since its last parent-triggered run gets a pending run at `at`. Returns those children.
fn trigger_children(
    tables: &mut Tables<'_>,
    parent: &str,
    children: &[String],
    at: DateTime<Utc>,
) -> Result<Vec<String>, StoreError> {
    let mut triggered = Vec::new();
    for child in children {
        let Some(mut stored) = tables.load_job(child)? else {
            continue;
        };
        if !stored.parents_done.iter().any(|done| done == parent) {
            stored.parents_done.push(parent.to_string());
        }
        let parents = stored.job.parents();
        if parents
            .iter()
            .all(|name| stored.parents_done.contains(name))
        {
            stored.parents_done.clear();
            if !stored.pending_triggers.contains(&at) {
                stored.pending_triggers.push(at);
            }
            triggered.push(child.clone());
        }
        tables.save_job(stored)?;
    }
    Ok(triggered)
}

fn close_ledger_run(entry: &mut LedgerEntry, report: &RunReport, lost_reason: Option<&str>) {
    if let Some(run) = entry
        .runs
        .iter_mut()
        .find(|run| run.execution_id == report.execution_id)
    {
        run.success = Some(report.success);
        run.exit_code = report.exit_code;
    }
    if let Some(reason) = lost_reason {
        entry.state = OccurrenceState::Lost;
        entry.reason = reason.to_string();
    }
    if entry.state == OccurrenceState::Launched
        && entry.runs.iter().all(|run| run.success.is_some())
    {
        let all_ok = entry.runs.iter().all(|run| run.success == Some(true));
        entry.state = if all_ok {
            OccurrenceState::Succeeded
        } else {
            OccurrenceState::Failed
        };
    }
}

/// Dkron's status rule (§6.5) over every stored execution of the group.
///
/// Only each node's latest attempt counts, so a run that succeeds on a retry makes the job
/// `success` (Dkron counts the failed attempts too and reports `partially_failed`).
fn group_status(tables: &Tables<'_>, job: &str, group: i64) -> Result<&'static str, StoreError> {
    let mut latest: std::collections::HashMap<String, (u32, bool)> = Default::default();
    let range = tables
        .executions
        .range((job, group, "")..=(job, group, MAX_ID))
        .map_err(engine("reading a group"))?;
    for item in range {
        let (key, value) = item.map_err(engine("reading a group"))?;
        let execution = StoredExecution::decode(key.value().2, value.value())?.execution;
        let slot = latest
            .entry(execution.node_name)
            .or_insert((execution.attempt, execution.success));
        if execution.attempt >= slot.0 {
            *slot = (execution.attempt, execution.success);
        }
    }
    Ok(dkron_model::group_status(
        latest.into_values().map(|(_, success)| success),
    ))
}

/// Whether `lose` ends this active run. Without `started_before` every run is ended; with it
/// (a node ending its previous process's runs) only those that process recorded as started.
fn is_lost(
    tables: &Tables<'_>,
    started_before: Option<DateTime<Utc>>,
    job: &str,
    nominal: DateTime<Utc>,
    execution_id: &str,
) -> Result<bool, StoreError> {
    let Some(process_start) = started_before else {
        return Ok(true);
    };
    Ok(tables
        .load_execution(job, nominal, execution_id)?
        .is_some_and(|record| record.execution.started_at < process_start))
}

/// Ends the active runs of a node as lost; with `started_before`, only the runs its previous
/// process started (see `Command::LoseRuns`).
pub(super) fn lose(
    tables: &mut Tables<'_>,
    node_name: &str,
    reason: &str,
    at: DateTime<Utc>,
    started_before: Option<DateTime<Utc>>,
) -> Result<CommandResult, StoreError> {
    let mut keys = Vec::new();
    for item in tables
        .active
        .range((node_name, "", i64::MIN, "")..=(node_name, MAX_ID, i64::MAX, MAX_ID))
        .map_err(engine("reading active runs"))?
    {
        let (key, _) = item.map_err(engine("reading active runs"))?;
        let (_, job, nominal, id) = key.value();
        keys.push((job.to_string(), nominal, id.to_string()));
    }
    let mut lost = 0;
    for (job, nominal, execution_id) in keys {
        let nominal = DateTime::from_timestamp_nanos(nominal);
        if !is_lost(tables, started_before, &job, nominal, &execution_id)? {
            continue;
        }
        let result = lose_one(
            tables,
            job,
            nominal,
            execution_id,
            node_name.to_string(),
            reason,
            at,
        )?;
        if matches!(result, CommandResult::Done | CommandResult::Finished(_)) {
            lost += 1;
        }
    }
    Ok(CommandResult::Lost(lost))
}

/// Ends one active run as lost; a run that already has a result changes nothing.
pub(super) fn lose_one(
    tables: &mut Tables<'_>,
    job: String,
    nominal: DateTime<Utc>,
    execution_id: String,
    node_name: String,
    reason: &str,
    at: DateTime<Utc>,
) -> Result<CommandResult, StoreError> {
    // A lost retry keeps its attempt number; the ledger's run names it.
    let attempt = tables
        .load_ledger(&job, nominal)?
        .and_then(|entry| {
            entry
                .runs
                .iter()
                .find(|run| run.execution_id == execution_id)
                .map(|run| run.attempt)
        })
        .unwrap_or(1);
    let report = RunReport {
        job,
        nominal,
        execution_id,
        node_name,
        attempt,
        started_at: gotime::zero_time(),
        finished_at: at,
        success: false,
        output: format!("lost: {reason}"),
        exit_code: None,
        killed: false,
        no_retry: true,
    };
    finish(tables, report, Some(reason))
}

/// How many of `count` records are over `limit` (at least one record is always kept).
fn excess(count: u32, limit: u32) -> usize {
    count.saturating_sub(limit.max(1)) as usize
}

/// Walks a job's records oldest first and keeps what `pick` returns for the first `wanted`
/// records it accepts (records still in use are passed over).
pub(super) fn oldest_removable<K: redb::Key + 'static, T>(
    range: redb::Range<'_, K, &'static [u8]>,
    wanted: usize,
    mut pick: impl for<'k> FnMut(K::SelfType<'k>, &[u8]) -> Result<Option<T>, StoreError>,
) -> Result<Vec<T>, StoreError> {
    let mut picked = Vec::with_capacity(wanted);
    for item in range {
        if picked.len() == wanted {
            break;
        }
        let (key, value) = item.map_err(engine("reading history for retention"))?;
        if let Some(owned) = pick(key.value(), value.value())? {
            picked.push(owned);
        }
    }
    Ok(picked)
}

fn prune_executions(tables: &mut Tables<'_>, stored: &mut StoredJob) -> Result<(), StoreError> {
    let limit = match stored.job.execution_retention {
        0 => tables.retention.executions_per_job,
        own => own,
    };
    let wanted = excess(stored.execution_count, limit);
    if wanted == 0 {
        return Ok(());
    }
    let job = stored.job.name.as_str();
    let range = tables
        .executions
        .range((job, i64::MIN, "")..=(job, i64::MAX, MAX_ID))
        .map_err(engine("reading executions"))?;
    let doomed = oldest_removable(range, wanted, |(_, group, id), bytes| {
        let finished = !StoredExecution::decode(id, bytes)?.execution.is_running();
        Ok(finished.then(|| (group, id.to_string())))
    })?;
    for (group, id) in &doomed {
        tables
            .executions
            .remove((job, *group, id.as_str()))
            .map_err(engine("pruning executions"))?;
    }
    stored.execution_count -= doomed.len() as u32;
    Ok(())
}

fn prune_ledger(tables: &mut Tables<'_>, stored: &mut StoredJob) -> Result<(), StoreError> {
    let wanted = excess(stored.ledger_count, tables.retention.ledger_per_job);
    if wanted == 0 {
        return Ok(());
    }
    let job = stored.job.name.as_str();
    let range = tables
        .ledger
        .range((job, i64::MIN)..=(job, i64::MAX))
        .map_err(engine("reading the ledger"))?;
    let doomed = oldest_removable(range, wanted, |(_, nominal), bytes| {
        let settled = decode_ledger(job, bytes)?.state.is_final();
        Ok(settled.then_some(nominal))
    })?;
    for nominal in &doomed {
        tables
            .ledger
            .remove((job, *nominal))
            .map_err(engine("pruning the ledger"))?;
    }
    stored.ledger_count -= doomed.len() as u32;
    Ok(())
}
