//! Next attempts of failed runs. The state machine turns a failed run whose job allows more
//! attempts into a pending retry (same occurrence, same node, next attempt number, a time it
//! may not start before); the leader sends it to the node, which waits for that time. The
//! node's start record clears the pending retry; until then a new leader sends it again, and
//! the node refuses an attempt it already has.

use std::sync::Arc;

use dkron_store::{PendingRetry, StoredJob};

use crate::dispatch;
use crate::node::Node;
use crate::worker::RunOrder;

/// The order that runs a pending retry.
pub fn retry_order(stored: &StoredJob, retry: &PendingRetry) -> RunOrder {
    RunOrder {
        job: stored.job.clone(),
        nominal: retry.nominal,
        execution_id: retry.execution_id.clone(),
        attempt: retry.attempt,
        not_before: Some(retry.not_before),
    }
}

/// Sends every pending retry of one job to its node.
pub fn send_pending(node: &Arc<Node>, stored: &StoredJob) {
    for retry in &stored.pending_retries {
        tracing::info!(job = %stored.job.name, execution = %retry.execution_id, node = %retry.node_name,
            attempt = retry.attempt, not_before = %retry.not_before, "sending a retry");
        dispatch::send(node, retry_order(stored, retry), &retry.node_name);
    }
}
