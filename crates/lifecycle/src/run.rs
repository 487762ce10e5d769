//! Runs of an occurrence: where each goes, what its node reports, and how it is recorded.

use chrono::{DateTime, Utc};
use dkron_model::{Execution, Trigger};
use serde::{Deserialize, Serialize};

/// One planned run of an occurrence on one node.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RunPlan {
    /// Execution id (`dkron_model::execution_id`).
    pub execution_id: String,
    /// Node that will run it.
    pub node_name: String,
}

/// The final report of one run.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RunReport {
    /// Job name.
    pub job: String,
    /// The occurrence's nominal time.
    pub nominal: DateTime<Utc>,
    /// Execution id.
    pub execution_id: String,
    /// Node that ran it.
    pub node_name: String,
    /// Attempt number, from 1.
    pub attempt: u32,
    /// When the process started (zero time if it never did).
    pub started_at: DateTime<Utc>,
    /// When it ended.
    pub finished_at: DateTime<Utc>,
    /// Whether the executor reported success.
    pub success: bool,
    /// Captured output, already capped by the worker.
    pub output: String,
    /// Exit code, when the executor had one.
    pub exit_code: Option<i32>,
    /// The run was stopped: a timeout, a memory limit or a kill request. (Absent in logs
    /// written before kills were recorded.)
    #[serde(default)]
    pub killed: bool,
    /// The run was stopped on purpose (a kill request, or replaced by a newer run): it is
    /// not retried.
    #[serde(default)]
    pub no_retry: bool,
}

/// An execution with what the Dkron JSON does not carry.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StoredExecution {
    /// The execution as the API shows it.
    pub execution: Execution,
    /// Nominal time of the occurrence.
    pub nominal: DateTime<Utc>,
    /// What caused the occurrence.
    pub trigger: Trigger,
    /// Process exit code, when there was one.
    pub exit_code: Option<i32>,
}

/// The execution group of an occurrence: its nominal time in nanoseconds since the epoch
/// (also the key form of a nominal time in storage).
pub fn group_of(nominal: DateTime<Utc>) -> i64 {
    nominal.timestamp_nanos_opt().unwrap_or(i64::MIN)
}
