//! Sending launched runs to the nodes that run them.
//!
//! A run for this node goes straight to the local worker. A run for another node is sent over
//! gRPC (`Node.Run`); the node records the run's start and result itself, through whichever
//! server leads when it finishes, so a leader dying mid-run loses nothing. The stream back
//! carries acceptance and live output; when the order cannot be delivered at all, the run is
//! recorded here as failed with the reason.

use std::sync::Arc;

use chrono::Utc;
use dkron_cluster::rpc::{NodeCalls, RunStreamEvent};
use dkron_store::{Command, RunReport};
use dkron_worker::RunOrder;

use crate::error::PeerError;
use crate::members;
use crate::node::Node;

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
    tokio::spawn(async move {
        if let Err(reason) = deliver(&node, &order, &target).await {
            tracing::warn!(job = %order.job.name, execution = %order.execution_id, node = %target, reason = %reason, "run not delivered");
            node.recorder
                .record_later(undelivered(&order, &target, &reason));
        }
    });
}

/// Sends the order and follows the run until it ends or the stream breaks. Returns an error
/// only if the node never accepted the order.
async fn deliver(node: &Node, order: &RunOrder, target: &str) -> Result<(), PeerError> {
    let began = std::time::Instant::now();
    let addr = members::rpc_addr_of(&node.gossip, target).ok_or_else(|| PeerError::NotAlive {
        node: target.to_string(),
    })?;
    // The summary of a finished run is whether it succeeded (the worker's `Finished`).
    let mut events = NodeCalls::new(&node.channels, &addr)
        .run::<_, bool>(order)
        .await
        .map_err(|error| {
            crate::peer_probe::refused_by_call(node, target, &addr, &error);
            PeerError::Answer(error.about_peer(format_args!("node {target} at {addr}")))
        })?;
    let answered = began.elapsed();
    match events.next_event().await {
        Ok(Some(first)) => {
            tracing::debug!(node = %target, answered_us = answered.as_micros() as u64, first_us = began.elapsed().as_micros() as u64, "run delivered");
            node.deliveries
                .accepted(&order.job.name, &order.execution_id);
            if let RunStreamEvent::Accepted {
                already_known: true,
            } = first
            {
                tracing::info!(job = %order.job.name, execution = %order.execution_id, node = %target, "node already had this run");
                return Ok(());
            }
        }
        Ok(None) => {
            return Err(PeerError::StreamClosed {
                node: target.to_string(),
            });
        }
        Err(error) => return Err(PeerError::Answer(format!("node {target}: {error}"))),
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

/// The record of a run that never reached its node.
fn undelivered(order: &RunOrder, target: &str, reason: &PeerError) -> Command {
    let now = Utc::now();
    Command::RunFinished {
        report: RunReport {
            job: order.job.name.clone(),
            nominal: order.nominal,
            execution_id: order.execution_id.clone(),
            node_name: target.to_string(),
            attempt: order.attempt,
            started_at: dkron_model::gotime::zero_time(),
            finished_at: now,
            success: false,
            output: format!("dkron-rs: the run could not be delivered to node {target}: {reason}"),
            exit_code: None,
            killed: false,
            no_retry: false,
        },
    }
}
