//! What the worker needs from outside: somewhere to record the runs it starts and ends.
//!
//! The worker owns this seam (STYLE rule 4); the agent implements it by queueing replicated
//! commands on its batching writer, and tests use `MemoryRunRecords` (feature `testsuite`).

use chrono::{DateTime, Utc};
use dkron_lifecycle::RunReport;

/// A run this node started, as its start record says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RunStart {
    /// Job name.
    pub job: String,
    /// Nominal time of the occurrence.
    pub nominal: DateTime<Utc>,
    /// Execution id.
    pub execution_id: String,
    /// Node running it (this one).
    pub node_name: String,
    /// Attempt number, from 1.
    pub attempt: u32,
    /// When the run started, by this node's clock.
    pub started_at: DateTime<Utc>,
}

/// Called once a run's result is written.
pub type OnWritten = Box<dyn FnOnce() + Send>;

/// Where the worker records the runs it starts and ends. Neither call waits for the record to
/// be written: a run never waits for the cluster.
pub trait RunRecords: Send + Sync {
    /// Queues the record that a run started.
    fn started(&self, start: RunStart);

    /// Queues a run's result, kept until it is written (never dropped); `written` is called
    /// once it is, after which the worker may forget the run.
    fn finished(&self, report: RunReport, written: OnWritten);
}
