//! Sending launched runs to the nodes that run them.
//!
//! A run for this node goes straight to the local worker. A run for another node is sent over
//! gRPC (`Node.Run`); the node records the run's start and result itself, through whichever
//! server leads when it finishes, so a leader dying mid-run loses nothing. The stream back
//! carries acceptance and live output.
//!
//! When the order certainly never reached the node (not alive or no address in gossip,
//! connection refused or not made in time, our TLS handshake refused), the run moves to
//! another matching node (`failover.rs`, ADR 19), at most [`failover::MAX_NODES_TRIED`]
//! nodes within [`failover::FAILOVER_WINDOW`]. When the node may have read the order (a
//! connection existed, then broke or stalled), the run stays: sending it elsewhere could run
//! it twice. A run that no node took is recorded here as failed, naming every node tried.

use std::pin::pin;
use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::Utc;
use dkron_cluster::rpc::{NodeCalls, RpcError, RunEventStream, RunStreamEvent};
use dkron_store::{Command, RunReport};
use dkron_worker::RunOrder;

use crate::error::PeerError;
use crate::failover::{self, FAILOVER_WINDOW, MAX_NODES_TRIED};
use crate::members;
use crate::node::Node;

/// How long a node may take to accept an order before it is marked unreachable, so that
/// the next launches avoid it while this order still waits for its answer.
const ACCEPT_PATIENCE: Duration = Duration::from_secs(3);

/// Why an order was not taken, and whether the node certainly never received it.
#[derive(Debug)]
struct Undelivered {
    error: PeerError,
    never_reached: bool,
}

impl Undelivered {
    fn certain(error: PeerError) -> Undelivered {
        Undelivered {
            error,
            never_reached: true,
        }
    }

    fn ambiguous(error: PeerError) -> Undelivered {
        Undelivered {
            error,
            never_reached: false,
        }
    }
}

/// Starts `order` on `node_name`, stamped with the term this server leads in unless it
/// already is.
pub fn send(node: &Arc<Node>, order: RunOrder, node_name: &str) {
    let order = match order.leader_term {
        0 => order.in_term(node.order_term()),
        _ => order,
    };
    if node_name == node.node_name {
        node.worker.start(order, None);
        return;
    }
    let node = node.clone();
    let target = node_name.to_string();
    tokio::spawn(async move { deliver_or_move(&node, order, target).await });
}

/// Delivers the order to `first`, or moves the run to another node while the nodes tried
/// certainly never received it; records the run as undelivered when none took it.
async fn deliver_or_move(node: &Arc<Node>, order: RunOrder, first: String) {
    let began = Instant::now();
    let mut tried: Vec<(String, PeerError)> = Vec::new();
    let mut target = first;
    loop {
        let failure = match deliver(node, &order, &target).await {
            Ok(()) => return,
            Err(failure) => failure,
        };
        tracing::warn!(job = %order.job.name, execution = %order.execution_id, node = %target,
            reason = %failure.error, never_reached = failure.never_reached, "run not delivered");
        tried.push((target.clone(), failure.error));
        let may_move = failure.never_reached
            && tried.len() < MAX_NODES_TRIED
            && began.elapsed() < FAILOVER_WINDOW;
        if !may_move {
            break;
        }
        let names: Vec<String> = tried.iter().map(|(name, _)| name.clone()).collect();
        let Some((next, tags)) = failover::next_node(node, &order, &names) else {
            break;
        };
        if !failover::commit_move(node, &order, &target, &next, tags).await {
            break;
        }
        tracing::info!(job = %order.job.name, execution = %order.execution_id, from = %target, to = %next, "run moved to another node");
        if next == node.node_name {
            node.worker.start(order, None);
            return;
        }
        target = next;
    }
    node.recorder
        .record_later(undelivered(&order, &target, &tried));
}

/// Sends the order and follows the run until it ends or the stream breaks. Returns an error
/// only if the node never accepted the order.
async fn deliver(node: &Node, order: &RunOrder, target: &str) -> Result<(), Undelivered> {
    let began = Instant::now();
    let addr = members::rpc_addr_of(&node.gossip, target).ok_or_else(|| {
        Undelivered::certain(PeerError::NotAlive {
            node: target.to_string(),
        })
    })?;
    let mut accepting = pin!(accept(node, order, target, &addr));
    let (mut events, first) = match tokio::time::timeout(ACCEPT_PATIENCE, &mut accepting).await {
        Ok(answer) => answer?,
        Err(_slow) => {
            mark_unreachable(node, target, "no answer to a run order in time");
            accepting.await?
        }
    };
    node.unreachable.clear(target);
    tracing::debug!(node = %target, first_us = began.elapsed().as_micros() as u64, "run delivered");
    node.deliveries
        .accepted(&order.job.name, &order.execution_id);
    if let RunStreamEvent::Accepted {
        already_known: true,
    } = first
    {
        tracing::info!(job = %order.job.name, execution = %order.execution_id, node = %target, "node already had this run");
        return Ok(());
    }
    // Accepted: from here on the node records the result itself.
    let mut output_bytes = 0usize;
    while let Ok(Some(event)) = events.next_event().await {
        match event {
            RunStreamEvent::Output(chunk) => output_bytes += chunk.len(),
            RunStreamEvent::Finished(_) => {
                node.deliveries.ended(&order.job.name, &order.execution_id);
                break;
            }
            RunStreamEvent::Accepted { .. } => {}
        }
    }
    tracing::debug!(job = %order.job.name, execution = %order.execution_id, node = %target, output_bytes, "remote run stream ended");
    Ok(())
}

/// Sends the order and waits for the node's first answer on the run's stream.
async fn accept(
    node: &Node,
    order: &RunOrder,
    target: &str,
    addr: &str,
) -> Result<(RunEventStream<bool>, RunStreamEvent<bool>), Undelivered> {
    // The summary of a finished run is whether it succeeded (the worker's `Finished`).
    let mut events = NodeCalls::new(&node.channels, addr)
        .run::<_, bool>(order)
        .await
        .map_err(|error| call_failed(node, target, addr, &error))?;
    match events.next_event().await {
        Ok(Some(first)) => Ok((events, first)),
        Ok(None) => Err(Undelivered::ambiguous(PeerError::StreamClosed {
            node: target.to_string(),
        })),
        Err(error) => Err(Undelivered::ambiguous(PeerError::Answer(format!(
            "node {target}: {error}"
        )))),
    }
}

/// Sorts a failed order: a node that refused our credential is refused for good (ADR 15),
/// one that could not be connected to is marked unreachable for a while.
fn call_failed(node: &Node, target: &str, addr: &str, error: &RpcError) -> Undelivered {
    crate::peer_probe::refused_by_call(node, target, addr, error);
    if error.never_reached_peer() && !error.is_handshake_refused() {
        mark_unreachable(node, target, "no connection");
    }
    let error_text = PeerError::Answer(error.about_peer(format_args!("node {target} at {addr}")));
    Undelivered {
        error: error_text,
        never_reached: error.never_reached_peer(),
    }
}

fn mark_unreachable(node: &Node, target: &str, why: &str) {
    if node.unreachable.mark(target, Instant::now()) {
        tracing::warn!(node = %target, why, "node unreachable over rpc: other matching nodes get its runs for a while");
    }
}

/// The record of a run that no node took: failed, on the node it was last sent to (where
/// it is active), naming every node tried and why each did not take it.
fn undelivered(order: &RunOrder, target: &str, tried: &[(String, PeerError)]) -> Command {
    let output = match tried {
        [(node, reason)] => {
            format!("dkron-rs: the run could not be delivered to node {node}: {reason}")
        }
        _ => {
            let names: Vec<&str> = tried.iter().map(|(node, _)| node.as_str()).collect();
            let reasons: Vec<String> = tried
                .iter()
                .map(|(node, reason)| format!("node {node}: {reason}"))
                .collect();
            format!(
                "dkron-rs: the run could not be delivered to any of nodes {}: {}",
                names.join(", "),
                reasons.join("; ")
            )
        }
    };
    Command::RunFinished {
        report: RunReport {
            job: order.job.name.clone(),
            nominal: order.nominal,
            execution_id: order.execution_id.clone(),
            node_name: target.to_string(),
            attempt: order.attempt,
            started_at: dkron_model::gotime::zero_time(),
            finished_at: Utc::now(),
            success: false,
            output,
            exit_code: None,
            killed: false,
            no_retry: false,
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_undelivered_run_names_every_node_tried_and_stays_on_the_last() {
        let job = dkron_model::Job {
            name: "web".into(),
            ..dkron_model::Job::default()
        };
        let order = RunOrder::first(job, Utc::now(), "1-a".into());
        let refused = |node: &str| PeerError::Answer(format!("node {node}: tcp connect error"));
        let one = [("a".to_string(), refused("a"))];
        let Command::RunFinished { report } = undelivered(&order, "a", &one) else {
            panic!("a run report");
        };
        assert_eq!(
            report.output,
            "dkron-rs: the run could not be delivered to node a: node a: tcp connect error"
        );
        let three = [
            ("a".to_string(), refused("a")),
            ("b".to_string(), refused("b")),
            ("c".to_string(), PeerError::NotAlive { node: "c".into() }),
        ];
        let Command::RunFinished { report } = undelivered(&order, "c", &three) else {
            panic!("a run report");
        };
        assert_eq!(report.node_name, "c", "the run is active on the last node");
        assert!(
            report
                .output
                .starts_with("dkron-rs: the run could not be delivered to any of nodes a, b, c: "),
            "{}",
            report.output
        );
        assert!(
            report.output.contains("node c is not alive"),
            "{}",
            report.output
        );
        assert!(!report.success);
    }
}
