//! Stopping a run on this node: asked through the API (`kill`), or by a newer occurrence of a
//! `concurrency: replace` job. Finding the node and sending it the order is the agent's part.

use serde::{Deserialize, Serialize};

use super::Worker;
use crate::order::RunKey;
use crate::running::StopReason;

/// Which run to stop, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct KillOrder {
    /// Job name.
    pub job: String,
    /// Execution id.
    pub execution_id: String,
    /// True when a newer occurrence replaces the run; false for a kill request.
    #[serde(default)]
    pub replaced: bool,
}

impl Worker {
    /// Kills one running execution (its process group, for shell jobs); returns false when
    /// this node does not run it. The run then ends as usual and is recorded as killed.
    pub fn kill(&self, order: &KillOrder) -> bool {
        let key: RunKey = (order.job.clone(), order.execution_id.clone());
        let mut running = self
            .running
            .lock()
            .expect("running map lock is never poisoned");
        let Some(run) = running.get_mut(&key) else {
            return false;
        };
        let reason = if order.replaced {
            StopReason::Replaced
        } else {
            StopReason::KillRequest
        };
        tracing::info!(job = %order.job, execution = %order.execution_id, ?reason, "stopping the run");
        run.stop = Some(reason);
        run.cancel.cancel();
        true
    }
}
