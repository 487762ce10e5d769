//! The ledger entry of an occurrence: how it is opened, and how each run's end moves it to
//! its one final state.

use chrono::{DateTime, Utc};
use dkron_model::{LedgerEntry, LedgerRange, LedgerRun, OccurrenceState, Trigger, gotime};

use crate::run::RunPlan;

/// The result of one run, as its ledger entry records it.
#[derive(Debug, Clone, Copy)]
pub(crate) struct RunResult<'a> {
    pub(crate) execution_id: &'a str,
    pub(crate) success: bool,
    pub(crate) exit_code: Option<i32>,
}

/// Returns the entry of an occurrence that will not run, for `reason`.
pub(crate) fn skipped_entry(
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

/// Returns the entry of a launched occurrence: each planned run at its first attempt, none
/// with a result yet.
pub(crate) fn launched_entry(
    job: &str,
    nominal: DateTime<Utc>,
    trigger: Trigger,
    runs: &[RunPlan],
    decided_at: DateTime<Utc>,
) -> LedgerEntry {
    let runs = runs
        .iter()
        .map(|run| LedgerRun {
            execution_id: run.execution_id.clone(),
            node_name: run.node_name.clone(),
            exit_code: None,
            success: None,
            attempt: 1,
        })
        .collect();
    LedgerEntry {
        state: OccurrenceState::Launched,
        runs,
        ..skipped_entry(job, nominal, trigger, String::new(), decided_at)
    }
}

/// Returns the entry summarising a range of skipped occurrences, keyed by the first.
pub(crate) fn skipped_range_entry(
    job: &str,
    first: DateTime<Utc>,
    last: DateTime<Utc>,
    count: u64,
    reason: &impl std::fmt::Display,
    decided_at: DateTime<Utc>,
) -> LedgerEntry {
    let text = format!(
        "{reason} ({count} occurrences from {} to {})",
        gotime::format(&first),
        gotime::format(&last)
    );
    let mut entry = skipped_entry(job, first, Trigger::Schedule, text, decided_at);
    entry.range = Some(LedgerRange { last, count });
    entry
}

/// Puts a run's next attempt in the place of the failed one, so the entry names the
/// attempt whose result is awaited.
pub(crate) fn replace_with_retry(
    entry: &mut LedgerEntry,
    failed_execution_id: &str,
    retry: &RunPlan,
    attempt: u32,
) {
    if let Some(run) = entry
        .runs
        .iter_mut()
        .find(|run| run.execution_id == failed_execution_id)
    {
        *run = LedgerRun {
            execution_id: retry.execution_id.clone(),
            node_name: retry.node_name.clone(),
            exit_code: None,
            success: None,
            attempt,
        };
    }
}

/// Records a run's final result in the entry. A lost run makes the occurrence lost; once
/// every run has a result, a launched occurrence becomes succeeded (all succeeded) or
/// failed. A state that is already final does not change.
pub(crate) fn close_run(entry: &mut LedgerEntry, result: RunResult<'_>, lost_reason: Option<&str>) {
    if let Some(run) = entry
        .runs
        .iter_mut()
        .find(|run| run.execution_id == result.execution_id)
    {
        run.success = Some(result.success);
        run.exit_code = result.exit_code;
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

/// Returns the attempt the entry names for a run (1 when the entry does not list it).
pub(crate) fn attempt_of(entry: Option<&LedgerEntry>, execution_id: &str) -> u32 {
    entry
        .and_then(|entry| {
            entry
                .runs
                .iter()
                .find(|run| run.execution_id == execution_id)
                .map(|run| run.attempt)
        })
        .unwrap_or(1)
}
