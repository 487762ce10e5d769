//! The runs going on now: their live view, how to stop them and why they were stopped.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use dkron_model::Execution;
use tokio_util::sync::CancellationToken;

use crate::order::RunKey;

/// First line of the output of a run stopped through the kill endpoint.
const KILLED_ON_REQUEST: &str = "killed on request";

/// The runs going on on this node, by job and execution id; shared by the worker and each
/// run's task.
pub(crate) type RunningRuns = Arc<Mutex<HashMap<RunKey, Running>>>;

/// Why the worker stopped a run before it ended by itself.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum StopReason {
    /// The kill endpoint asked for it.
    KillRequest,
    /// A newer occurrence of a `concurrency: replace` job took its place.
    Replaced,
    /// The job's `timeout` passed.
    Timeout(std::time::Duration),
}

impl StopReason {
    /// A run stopped on purpose is not retried; one that ran out of time is.
    pub(crate) fn is_deliberate(self) -> bool {
        matches!(self, StopReason::KillRequest | StopReason::Replaced)
    }

    /// The first line of the stopped run's output.
    pub(crate) fn line(self) -> String {
        match self {
            StopReason::KillRequest => KILLED_ON_REQUEST.to_string(),
            StopReason::Replaced => {
                "killed: replaced by a newer run (concurrency: replace)".to_string()
            }
            StopReason::Timeout(limit) => {
                format!("killed: the job's timeout of {limit:?} passed")
            }
        }
    }
}

/// One run going on.
pub(crate) struct Running {
    /// The run as `/v1/busy` shows it, with the tail of its output.
    pub(crate) execution: Execution,
    /// Fired to stop the run (its process group, for shell jobs).
    pub(crate) cancel: CancellationToken,
    /// Set when the worker stops the run, so the record says why.
    pub(crate) stop: Option<StopReason>,
}
