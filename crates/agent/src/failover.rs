//! Where a run goes when its order certainly never reached its node (issue 14, ADR 19):
//! another alive member of the leader's region that carries the job's tags, holds no other
//! run of the occurrence, was not tried for this run, and did not fail the TLS handshake;
//! members marked unreachable only when no other one fits. The move is committed before
//! the order is sent, so the active run, the ledger and `/v1/busy` name the new node.

use std::time::Duration;

use dkron_model::{StringMap, TargetSpec, parse_job_tags};
use dkron_store::{Command, CommandResult};
use dkron_worker::RunOrder;

use crate::node::Node;

/// The most nodes one run is offered to (the planned one and two more).
pub const MAX_NODES_TRIED: usize = 3;
/// How long after its first attempt a run may still move: past it, the run is recorded as
/// undelivered. With the 2 s connect timeout, three attempts fit well inside it.
pub const FAILOVER_WINDOW: Duration = Duration::from_secs(10);

/// Returns the node to move the run of `order` to and its tags, or `None` when no other
/// member fits. `tried` are the nodes the run was offered to already.
pub fn next_node(node: &Node, order: &RunOrder, tried: &[String]) -> Option<(String, StringMap)> {
    let one = TargetSpec {
        cardinality: 1,
        ..parse_job_tags(order.job.tags.as_ref())
    };
    let taken = nodes_of_occurrence(node, order);
    let members = node.gossip.members();
    let excluded = |name: &str| tried.iter().chain(&taken).any(|other| other == name);
    let name = node
        .draw_targets(&one, &members, excluded)
        .into_iter()
        .next()?;
    let tags = members
        .into_iter()
        .find(|member| member.name == name)
        .map(|member| member.tags)
        .unwrap_or_default();
    Some((name, tags))
}

/// The nodes that hold a run of the order's occurrence (a job with more than one target
/// never gets two runs on one node).
fn nodes_of_occurrence(node: &Node, order: &RunOrder) -> Vec<String> {
    match node
        .raft
        .store()
        .ledger_entry(&order.job.name, order.nominal)
    {
        Ok(Some(entry)) => entry.runs.into_iter().map(|run| run.node_name).collect(),
        Ok(None) => Vec::new(),
        Err(error) => {
            tracing::warn!(job = %order.job.name, error = %error, "cannot read the ledger to move a run");
            Vec::new()
        }
    }
}

/// Commits the move of the order's run from `from` to `to`; returns whether it is
/// committed (the state refuses a run that started, ended or moved meanwhile).
pub async fn commit_move(
    node: &Node,
    order: &RunOrder,
    from: &str,
    to: &str,
    to_tags: StringMap,
) -> bool {
    let command = Command::MoveRun {
        job: order.job.name.clone(),
        nominal: order.nominal,
        execution_id: order.execution_id.clone(),
        from_node: from.to_string(),
        to_node: to.to_string(),
        to_node_tags: to_tags,
    };
    match node.recorder.record(command).await {
        Ok(CommandResult::Done) => true,
        Ok(other) => {
            tracing::info!(job = %order.job.name, execution = %order.execution_id, from, to, result = %other, "run not moved");
            false
        }
        Err(error) => {
            tracing::warn!(job = %order.job.name, execution = %order.execution_id, from, to, error = %error, "cannot record the move of a run");
            false
        }
    }
}
