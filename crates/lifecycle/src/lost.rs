//! Runs that end without a report from their node: lost with it, or with its previous
//! process.

use chrono::{DateTime, Utc};
use dkron_model::{LedgerEntry, gotime};

use crate::ledger::attempt_of;
use crate::run::RunReport;

/// An active run that will never report: which, where, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LostRun {
    /// Job name.
    pub job: String,
    /// Nominal time of the occurrence.
    pub nominal: DateTime<Utc>,
    /// Execution id.
    pub execution_id: String,
    /// Node it was sent to.
    pub node_name: String,
    /// Leader time at which it is declared lost.
    pub at: DateTime<Utc>,
}

/// Returns the final report that ends a lost run: failed, with the reason as its output,
/// never retried, and the attempt the ledger names (a lost retry keeps its number). It is
/// then decided like any report, with the reason as `FinishFacts::lost_reason`.
pub fn lost_report(run: LostRun, reason: &str, ledger: Option<&LedgerEntry>) -> RunReport {
    let attempt = attempt_of(ledger, &run.execution_id);
    RunReport {
        job: run.job,
        nominal: run.nominal,
        execution_id: run.execution_id,
        node_name: run.node_name,
        attempt,
        started_at: gotime::zero_time(),
        finished_at: run.at,
        success: false,
        output: format!("lost: {reason}"),
        exit_code: None,
        killed: false,
        no_retry: true,
    }
}

/// Whether ending a node's runs ends this one. Without `started_before` every active run of
/// the node is lost; with it (a node ending its previous process's runs) only those with a
/// start record earlier than that: runs without one may be on their way to the new process.
pub fn is_lost(
    started_before: Option<DateTime<Utc>>,
    recorded_start: Option<DateTime<Utc>>,
) -> bool {
    match started_before {
        None => true,
        Some(process_start) => recorded_start.is_some_and(|started| started < process_start),
    }
}
