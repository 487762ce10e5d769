//! Stopping a run on this node: asked through the API (`kill`), or by a newer occurrence of a
//! `concurrency: replace` job. Finding the node and sending it the order is the agent's part.

use serde::{Deserialize, Serialize};

use super::Worker;
use crate::leader_term::StaleLeader;
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
    /// Raft term of the sender (see [`crate::LeaderTerms`]); 0 when sent without one.
    #[serde(default)]
    pub leader_term: u64,
}

impl Worker {
    /// Kills one running execution (its process group, for shell jobs); returns false when
    /// this node does not run it. The run then ends as usual and is recorded as killed. An
    /// order from a deposed leader is refused and kills nothing.
    pub fn kill(&self, order: &KillOrder) -> Result<bool, StaleLeader> {
        if let Err(stale) = self.leader_terms.admit(order.leader_term) {
            tracing::warn!(job = %order.job, execution = %order.execution_id, term = stale.term, highest = stale.highest, "kill order from a deposed leader refused");
            return Err(stale);
        }
        let key: RunKey = (order.job.clone(), order.execution_id.clone());
        let mut running = self
            .running
            .lock()
            .expect("running map lock is never poisoned");
        let Some(run) = running.get_mut(&key) else {
            return Ok(false);
        };
        let reason = if order.replaced {
            StopReason::Replaced
        } else {
            StopReason::KillRequest
        };
        tracing::info!(job = %order.job, execution = %order.execution_id, ?reason, "stopping the run");
        run.stop = Some(reason);
        run.cancel.cancel();
        Ok(true)
    }
}
