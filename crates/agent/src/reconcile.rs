//! The leader keeps the replicated state in line with the living cluster:
//!
//! - servers gossip sees alive join the Raft configuration; servers that left are removed;
//! - runs on nodes that failed or left are ended as lost;
//! - on taking over, runs the previous leader launched are checked with their nodes: a run
//!   its node never received is sent now (the leader died between committing and sending),
//!   a run its node no longer knows is ended as lost (`deliveries` tells the two apart when
//!   no start was recorded). The same check runs periodically for older runs, so no run
//!   stays "running" forever.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use chrono::Utc;
use dkron_cluster::ServerNode;
use dkron_cluster::rpc::{NodeCalls, RpcError};
use dkron_model::MemberStatus;
use dkron_store::{ActiveRun, Command};
use dkron_worker::{RunOrder, RunState};

use crate::deliveries::UnknownRun;
use crate::dispatch;
use crate::error::PeerError;
use crate::members;
use crate::node::Node;
use crate::pending_runs;

/// Which checks a reconcile pass makes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Pass {
    /// First pass of a new leader: every active run is checked with its node.
    Takeover,
    /// Periodic: runs older than `ASK_AFTER` are checked with their nodes.
    AskNodes,
    /// Frequent: only runs on failed, left or vanished nodes are ended.
    DeadNodes,
}

/// Runs younger than this are left alone by periodic checks: their dispatch may be under way.
const ASK_AFTER: Duration = Duration::from_secs(10);
/// How long a node may be unknown to gossip before its runs are ended.
const UNKNOWN_NODE_GRACE: Duration = Duration::from_secs(30);

/// Adds alive servers to the Raft configuration and removes servers that left.
pub async fn servers(node: &Node) {
    let peers = node.raft.peers();
    for server in members::servers(&node.gossip) {
        let known = peers.iter().find(|peer| peer.id == server.raft_id);
        match (server.status, known) {
            (MemberStatus::Alive, None) => {
                if let Err(error) = answers_rpc(node, &server.rpc_addr).await {
                    // A server of another CA (or without the gossip key) is visible in gossip
                    // but must not enter the configuration, even as a learner (ADR 15).
                    tracing::warn!(server = %server.name, error = %error, "not adding a server whose rpc does not answer with this cluster's credential");
                    continue;
                }
                let added = node
                    .raft
                    .add_voter(
                        server.raft_id,
                        ServerNode::new(&server.name, &server.rpc_addr),
                    )
                    .await;
                match added {
                    Ok(()) => {
                        tracing::info!(server = %server.name, "server joined the raft configuration")
                    }
                    Err(error) => {
                        tracing::warn!(server = %server.name, error = %error, "cannot add server to the raft configuration")
                    }
                }
            }
            (MemberStatus::Left, Some(peer)) if peer.id != node.raft.node_id() => {
                match node.raft.remove_server(peer.id).await {
                    Ok(()) => {
                        tracing::info!(server = %server.name, "server left; removed from the raft configuration")
                    }
                    Err(error) => {
                        tracing::warn!(server = %server.name, error = %error, "cannot remove server from the raft configuration")
                    }
                }
            }
            _ => {}
        }
    }
}

/// How long a server that wants to join has to answer a call over RPC.
const JOIN_PROBE_LIMIT: Duration = Duration::from_secs(3);

/// Calls the server at `rpc_addr` once; with TLS, the handshake proves it holds this
/// cluster's credential.
async fn answers_rpc(node: &Node, rpc_addr: &str) -> Result<(), RpcError> {
    NodeCalls::new(&node.channels, rpc_addr)
        .with_deadline(JOIN_PROBE_LIMIT)
        .running()
        .await
        .map(drop)
}

/// Checks active runs against membership and, depending on `pass`, against their nodes.
pub async fn runs(node: &Arc<Node>, active: &[ActiveRun], pass: Pass) {
    let mut by_node: BTreeMap<&str, Vec<&ActiveRun>> = BTreeMap::new();
    for run in active {
        by_node.entry(run.node_name.as_str()).or_default().push(run);
    }
    for (node_name, runs) in by_node {
        let status = if node_name == node.node_name {
            Some(MemberStatus::Alive)
        } else {
            members::status_of(&node.gossip, node_name)
        };
        match status {
            Some(MemberStatus::Failed) | Some(MemberStatus::Left) => {
                lose_node(node, node_name, status).await;
            }
            None if node.started.elapsed() > UNKNOWN_NODE_GRACE => {
                lose_node(node, node_name, None).await;
            }
            Some(MemberStatus::Alive) if pass != Pass::DeadNodes => {
                let old_enough = |run: &&&ActiveRun| {
                    pass == Pass::Takeover
                        || (Utc::now() - run.nominal).to_std().unwrap_or_default() > ASK_AFTER
                };
                let runs: Vec<&ActiveRun> = runs.iter().filter(old_enough).copied().collect();
                if !runs.is_empty() {
                    check_with_node(node, node_name, &runs).await;
                }
            }
            _ => {}
        }
    }
}

async fn lose_node(node: &Node, node_name: &str, status: Option<MemberStatus>) {
    let reason = match status {
        Some(MemberStatus::Left) => format!("node {node_name} left the cluster during the run"),
        Some(MemberStatus::Failed) => format!("node {node_name} failed during the run"),
        _ => format!("node {node_name} is no longer in the cluster"),
    };
    match node
        .recorder
        .record(Command::LoseRuns {
            node_name: node_name.to_string(),
            reason: reason.clone(),
            at: Utc::now(),
            started_before: None,
        })
        .await
    {
        Ok(result) => {
            tracing::warn!(node = %node_name, result = %result, "{reason}; its runs are recorded as lost")
        }
        Err(error) => tracing::warn!(node = %node_name, error = %error, "cannot record lost runs"),
    }
}

async fn ask_states(
    node: &Node,
    node_name: &str,
    runs: &[&ActiveRun],
) -> Result<Vec<RunState>, PeerError> {
    let keys: Vec<(String, String)> = runs
        .iter()
        .map(|run| (run.job.clone(), run.execution_id.clone()))
        .collect();
    if node_name == node.node_name {
        return Ok(node.worker.states(&keys));
    }
    let addr =
        members::rpc_addr_of(&node.gossip, node_name).ok_or_else(|| PeerError::NoAddress {
            node: node_name.to_string(),
        })?;
    NodeCalls::new(&node.channels, &addr)
        .run_status(&keys)
        .await
        .map_err(|error| match error {
            RpcError::Timeout { .. } => {
                PeerError::Answer(format!("node {node_name} did not answer in time"))
            }
            other => PeerError::Answer(other.to_string()),
        })
}

async fn check_with_node(node: &Arc<Node>, node_name: &str, runs: &[&ActiveRun]) {
    let states = match ask_states(node, node_name, runs).await {
        Ok(states) => states,
        Err(error) => {
            tracing::debug!(node = %node_name, error = %error, "cannot ask node about its runs; will retry");
            return;
        }
    };
    for (run, state) in runs.iter().zip(states) {
        if state != RunState::Unknown {
            continue;
        }
        let started = node
            .raft
            .store()
            .execution(&run.job, &run.execution_id)
            .ok()
            .flatten()
            .is_some();
        match node
            .deliveries
            .settle_unknown(&run.job, &run.execution_id, started)
        {
            UnknownRun::Lose(reason) => record_lost(node, run, reason).await,
            UnknownRun::Resend => resend(node, run),
        }
    }
}

async fn record_lost(node: &Node, run: &ActiveRun, reason: &str) {
    let command = Command::LoseRun {
        job: run.job.clone(),
        nominal: run.nominal,
        execution_id: run.execution_id.clone(),
        node_name: run.node_name.clone(),
        reason: reason.to_string(),
        at: Utc::now(),
    };
    match node.recorder.record(command).await {
        Ok(_) => {
            tracing::warn!(job = %run.job, execution = %run.execution_id, node = %run.node_name, reason, "run recorded as lost")
        }
        Err(error) => {
            tracing::warn!(execution = %run.execution_id, error = %error, "cannot record a lost run")
        }
    }
}

/// Sends a launched run its node never received, at its nominal time if that is still ahead.
fn resend(node: &Arc<Node>, run: &ActiveRun) {
    let stored = match node.raft.store().job(&run.job) {
        Ok(Some(stored)) => stored,
        _ => return,
    };
    tracing::warn!(job = %run.job, execution = %run.execution_id, node = %run.node_name, "launched run never reached its node; sending it now");
    let order = match stored
        .pending_runs
        .iter()
        .find(|retry| retry.execution_id == run.execution_id)
    {
        Some(retry) => pending_runs::pending_order(&stored, retry),
        None => RunOrder::first(stored.job, run.nominal, run.execution_id.clone()),
    };
    let node = node.clone();
    let target = run.node_name.clone();
    tokio::spawn(async move {
        if let Ok(wait) = (order.due() - Utc::now()).to_std() {
            tokio::time::sleep(wait).await;
        }
        dispatch::send(&node, order, &target);
    });
}
