//! A job with the bookkeeping its occurrences need, as the replicated state keeps it.

use chrono::{DateTime, Utc};
use dkron_model::Job;
use serde::{Deserialize, Serialize};

use crate::run::RunPlan;

/// A job with the scheduler's replicated bookkeeping.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StoredJob {
    /// The job as the API shows it (without the computed `next`).
    pub job: Job,
    /// Last nominal time the scheduler decided about (the schedule cursor).
    pub cursor: Option<DateTime<Utc>>,
    /// Since when the current schedule applies: set when the job is created, rescheduled or
    /// enabled again (the ledger completeness figure expects occurrences from here).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub schedule_since: Option<DateTime<Utc>>,
    /// Runs launched and not finished yet (drives `concurrency: forbid`).
    pub active_runs: u32,
    /// Stored executions of the job (drives retention).
    pub execution_count: u32,
    /// Stored ledger entries of the job (drives retention).
    pub ledger_count: u32,
    /// Parents that succeeded since this job last ran because of its parents (a job with
    /// several parents runs once all of them are here).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub parents_done: Vec<String>,
    /// Nominal times of runs its parents triggered that the leader has not launched yet.
    /// Replicated, so a new leader launches what the old one did not.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub pending_triggers: Vec<DateTime<Utc>>,
    /// Runs decided but not started yet: next attempts of failed runs, and a queued
    /// occurrence let out (the leader sends each to its node, which starts it at
    /// `not_before`). Replicated for the same reason.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub pending_runs: Vec<PendingRun>,
    /// An occurrence of a `concurrency: queue` job that came due while a run was active: it
    /// is in the ledger as launched and starts when the active runs end.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub queued: Option<QueuedLaunch>,
}

/// An occurrence waiting for the job's active runs to end.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct QueuedLaunch {
    /// Nominal time of the occurrence.
    pub nominal: DateTime<Utc>,
    /// Where it runs, chosen when it was decided.
    pub runs: Vec<RunPlan>,
}

/// A run decided by the state machine that its node has not started yet.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PendingRun {
    /// Nominal time of the occurrence (the execution group).
    pub nominal: DateTime<Utc>,
    /// Execution id (`<nanos>-<node>`, with `-<attempt>` from the second attempt).
    pub execution_id: String,
    /// The node that runs it (for a retry, the one that ran the failed attempt, as in Dkron).
    pub node_name: String,
    /// Attempt number, from 1.
    pub attempt: u32,
    /// Not started before this time (a retry's backoff).
    pub not_before: DateTime<Utc>,
}

impl StoredJob {
    /// Returns a job with no history: nothing run, nothing pending, the cursor at `cursor`
    /// and the current schedule applying since `schedule_since`.
    pub fn new(
        job: Job,
        cursor: Option<DateTime<Utc>>,
        schedule_since: Option<DateTime<Utc>>,
    ) -> StoredJob {
        StoredJob {
            job,
            cursor,
            schedule_since,
            active_runs: 0,
            execution_count: 0,
            ledger_count: 0,
            parents_done: Vec::new(),
            pending_triggers: Vec::new(),
            pending_runs: Vec::new(),
            queued: None,
        }
    }

    /// Drops a run from the runs waiting to be started (it started, or it ended first).
    pub(crate) fn forget_pending_run(&mut self, execution_id: &str) {
        self.pending_runs
            .retain(|pending| pending.execution_id != execution_id);
    }
}
