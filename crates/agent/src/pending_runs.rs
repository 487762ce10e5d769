//! Runs the state machine decided to start but no order has reached yet: next attempts of
//! failed runs (retries) and occurrences let out of a `queue`. The leader sends each to its
//! node, which starts it at its `not_before` time; the node's start record clears it. Until
//! then a new leader sends it again, and the node refuses a run it already has.

use std::sync::Arc;

use dkron_store::{PendingRun, StoredJob};
use dkron_worker::RunOrder;

use crate::dispatch;
use crate::node::Node;

/// The order that starts a pending run.
pub fn pending_order(stored: &StoredJob, pending: &PendingRun) -> RunOrder {
    RunOrder {
        job: stored.job.clone(),
        nominal: pending.nominal,
        execution_id: pending.execution_id.clone(),
        attempt: pending.attempt,
        not_before: Some(pending.not_before),
        // Stamped with the sender's term when sent.
        leader_term: 0,
    }
}

/// Sends every pending run of one job to its node.
pub fn send_pending(node: &Arc<Node>, stored: &StoredJob) {
    for pending in &stored.pending_runs {
        tracing::info!(job = %stored.job.name, execution = %pending.execution_id, node = %pending.node_name,
            attempt = pending.attempt, not_before = %pending.not_before, "sending a pending run");
        dispatch::send(node, pending_order(stored, pending), &pending.node_name);
    }
}
