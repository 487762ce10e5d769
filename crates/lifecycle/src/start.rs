//! A run's start: the execution appears as running.

use chrono::{DateTime, Utc};
use dkron_model::{Execution, Trigger};

use crate::job_state::StoredJob;
use crate::refusal::Refusal;
use crate::run::{StoredExecution, group_of};

/// A node's report that a run started.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StartReport<'a> {
    /// Nominal time of the occurrence.
    pub nominal: DateTime<Utc>,
    /// Execution id.
    pub execution_id: &'a str,
    /// Node running it.
    pub node_name: &'a str,
    /// Attempt number.
    pub attempt: u32,
    /// When the process started.
    pub started_at: DateTime<Utc>,
}

/// What the state holds about the run when its start is reported.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StartFacts {
    /// The run is active (launched and not finished).
    pub active: bool,
    /// The trigger of its occurrence, from the ledger (`None`: no ledger entry; the run
    /// counts as manual).
    pub trigger: Option<Trigger>,
    /// A record of the run exists already (its start was reported before).
    pub recorded: bool,
}

/// A run start decided.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Started {
    /// The running execution to write.
    pub record: StoredExecution,
    /// Leave a "started" notice about it: the first report of this run only.
    pub notice: bool,
}

/// Decides a start report for a run of `stored`: a report for a run that is not active is
/// refused; a repeated report rewrites the record but counts and notifies once.
pub fn start(
    stored: &mut StoredJob,
    facts: StartFacts,
    report: StartReport<'_>,
) -> Result<Started, Refusal> {
    if !facts.active {
        return Err(Refusal::NotActive(report.execution_id.to_string()));
    }
    let first_report = !facts.recorded;
    if first_report {
        stored.execution_count += 1;
    }
    stored.forget_pending_run(report.execution_id);
    let record = StoredExecution {
        execution: Execution {
            id: report.execution_id.to_string(),
            job_name: stored.job.name.clone(),
            started_at: report.started_at,
            node_name: report.node_name.to_string(),
            group: group_of(report.nominal),
            attempt: report.attempt,
            ..Execution::default()
        },
        nominal: report.nominal,
        trigger: facts.trigger.unwrap_or(Trigger::Manual),
        exit_code: None,
    };
    Ok(Started {
        record,
        notice: first_report,
    })
}
