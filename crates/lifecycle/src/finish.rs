//! A run's end: the record of its result, and everything that follows from it — a retry,
//! the occurrence's ledger state, the job's status and counters, a notice, the queued
//! occurrence let out, the children a success triggers, an ephemeral job's deletion.

use chrono::TimeDelta;
use dkron_model::{Execution, LedgerEntry, OccurrenceState, execution_id, retry_delay, will_retry};

use crate::job_state::{PendingRun, QueuedLaunch, StoredJob};
use crate::ledger::{RunResult, close_run, replace_with_retry};
use crate::run::{RunPlan, RunReport, StoredExecution, group_of};
use crate::status::group_status_with;

/// What the state holds about a run when its end is reported.
#[derive(Debug, Clone, Copy)]
pub struct FinishFacts<'a> {
    /// The occurrence's executions as stored before this report, in id order (the run's
    /// own start record among them, if its start was reported).
    pub group: &'a [StoredExecution],
    /// Set when the run is ended as lost rather than reported by its node: why.
    pub lost_reason: Option<&'a str>,
}

/// The next attempt of a failed run, on the same node.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Retry {
    /// The new run, active from now.
    pub run: RunPlan,
    /// Its attempt number.
    pub attempt: u32,
}

/// A run's end decided: what to write and what the leader has left to do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finish {
    /// The execution record to write.
    pub record: StoredExecution,
    /// The run failed and is retried: this run is active from now and pending in the job.
    pub retry: Option<Retry>,
    /// Leave a "finished" notice about the record: its attempt was the last.
    pub notice: bool,
    /// This result made the occurrence succeed: each of the job's `dependent_jobs` gets
    /// [`crate::parent_succeeded`].
    pub triggers_children: bool,
    /// The job's queued occurrence starts now: its runs are active from now and pending.
    pub released: Option<QueuedLaunch>,
    /// The job is ephemeral and succeeded with nothing left running: delete it.
    pub delete_job: bool,
}

/// Decides the end of a run of `stored` from its report; `ledger` is the occurrence's entry
/// when there is one, and it changes whenever there is (the caller writes it back).
///
/// The caller has already checked that the run was active (a second final report is
/// refused before this). A failed run is retried unless it was lost, stopped on purpose,
/// or on its last attempt; only the last attempt closes the run in the ledger, notifies,
/// and can make the occurrence succeed.
pub fn finish(
    stored: &mut StoredJob,
    mut ledger: Option<&mut LedgerEntry>,
    mut report: RunReport,
    facts: FinishFacts<'_>,
) -> Finish {
    stored.active_runs = stored.active_runs.saturating_sub(1);
    // A retry that ends before it started (lost with its node, or never delivered) is no
    // longer pending.
    stored.forget_pending_run(&report.execution_id);
    let record = record_of(stored, &mut report, facts.group);
    count_result(stored, &record.execution);
    stored.job.status = group_status_with(facts.group, &record.execution).to_string();
    let attempt = report.attempt.max(1);
    let retried = facts.lost_reason.is_none()
        && !report.success
        && !report.no_retry
        && will_retry(&stored.job, attempt);
    let mut outcome = Finish {
        record,
        retry: None,
        notice: !retried,
        triggers_children: false,
        released: None,
        delete_job: false,
    };
    if retried {
        let retry = schedule_retry(stored, &report, attempt);
        if let Some(entry) = ledger.as_deref_mut() {
            replace_with_retry(entry, &report.execution_id, &retry.run, retry.attempt);
        }
        outcome.retry = Some(retry);
    } else if let Some(entry) = ledger {
        let was_open = entry.state == OccurrenceState::Launched;
        let result = RunResult {
            execution_id: &report.execution_id,
            success: report.success,
            exit_code: report.exit_code,
        };
        close_run(entry, result, facts.lost_reason);
        outcome.triggers_children = was_open && entry.state == OccurrenceState::Succeeded;
    }
    outcome.released = release_queued(stored, &report);
    outcome.delete_job =
        outcome.triggers_children && stored.job.ephemeral && stored.active_runs == 0;
    outcome
}

/// Builds the record of a run's result, keeping what its start record knew (the trigger,
/// and the later of the two start times); counts the record if it is the run's first. The
/// output moves from the report into the record (it can be large; it is not copied).
fn record_of(
    stored: &mut StoredJob,
    report: &mut RunReport,
    group: &[StoredExecution],
) -> StoredExecution {
    let previous = group
        .iter()
        .find(|recorded| recorded.execution.id == report.execution_id);
    if previous.is_none() {
        stored.execution_count += 1;
    }
    let started_at = previous.map_or(report.started_at, |recorded| {
        recorded.execution.started_at.max(report.started_at)
    });
    let trigger = previous.map_or(dkron_model::Trigger::Manual, |recorded| recorded.trigger);
    StoredExecution {
        execution: Execution {
            id: report.execution_id.clone(),
            job_name: report.job.clone(),
            started_at,
            finished_at: report.finished_at,
            success: report.success,
            output: std::mem::take(&mut report.output),
            node_name: report.node_name.clone(),
            group: group_of(report.nominal),
            attempt: report.attempt.max(1),
            output_truncated: None,
            killed: report.killed,
        },
        nominal: report.nominal,
        trigger,
        exit_code: report.exit_code,
    }
}

/// Dkron's counters: every recorded result counts, retried attempts too.
fn count_result(stored: &mut StoredJob, execution: &Execution) {
    let job = &mut stored.job;
    if execution.success {
        job.success_count += 1;
        job.last_success = job.last_success.max(Some(execution.finished_at));
    } else {
        job.error_count += 1;
        job.last_error = job.last_error.max(Some(execution.finished_at));
    }
}

/// Turns a failed run into its next attempt on the same node, active from now and pending
/// until its backoff has passed.
fn schedule_retry(stored: &mut StoredJob, failed_run: &RunReport, attempt: u32) -> Retry {
    let next_attempt = attempt + 1;
    let retry_id = execution_id(failed_run.nominal, &failed_run.node_name, next_attempt);
    let wait =
        TimeDelta::from_std(retry_delay(&stored.job, next_attempt)).unwrap_or(TimeDelta::MAX);
    let not_before = failed_run
        .finished_at
        .checked_add_signed(wait)
        .unwrap_or(failed_run.finished_at);
    stored.active_runs += 1;
    stored.pending_runs.push(PendingRun {
        nominal: failed_run.nominal,
        execution_id: retry_id.clone(),
        node_name: failed_run.node_name.clone(),
        attempt: next_attempt,
        not_before,
    });
    Retry {
        run: RunPlan {
            execution_id: retry_id,
            node_name: failed_run.node_name.clone(),
        },
        attempt: next_attempt,
    }
}

/// Lets the queued occurrence start once the job's active runs ended: its runs become
/// active and pending, for the leader to send at once.
fn release_queued(stored: &mut StoredJob, finished: &RunReport) -> Option<QueuedLaunch> {
    if stored.active_runs > 0 {
        return None;
    }
    let queued = stored.queued.take()?;
    stored.active_runs += queued.runs.len() as u32;
    stored
        .pending_runs
        .extend(queued.runs.iter().map(|run| PendingRun {
            nominal: queued.nominal,
            execution_id: run.execution_id.clone(),
            node_name: run.node_name.clone(),
            attempt: 1,
            not_before: finished.finished_at,
        }));
    Some(queued)
}
