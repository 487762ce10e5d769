//! Sending launched runs to the nodes that run them.
//!
//! A run for this node goes straight to the local worker. A run for another node is sent over
//! gRPC (`Node.Run`); the node records the run's start and result itself, through whichever
//! server leads when it finishes, so a leader dying mid-run loses nothing. The stream back
//! carries acceptance and live output; when the order cannot be delivered at all, the run is
//! recorded here as failed with the reason.

use std::sync::Arc;

use chrono::Utc;
use dkron_cluster::rpc::proto::node_client::NodeClient;
use dkron_cluster::rpc::proto::run_event::Event;
use dkron_cluster::rpc::to_json;
use dkron_store::{Command, RunReport};
use dkron_worker::RunOrder;

use crate::members;
use crate::node::Node;

/// Starts `order` on `node_name`.
pub fn send(node: &Arc<Node>, order: RunOrder, node_name: &str) {
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
async fn deliver(node: &Node, order: &RunOrder, target: &str) -> Result<(), String> {
    let began = std::time::Instant::now();
    let addr = members::rpc_addr_of(&node.gossip, target)
        .ok_or_else(|| format!("node {target} is not alive in the cluster"))?;
    let channel = node.channels.get(&addr)?;
    let request = to_json(order).map_err(|status| status.message().to_string())?;
    let mut stream = NodeClient::new(channel)
        .run(request)
        .await
        .map_err(|status| format!("node {target} at {addr}: {}", status.message()))?
        .into_inner();
    let answered = began.elapsed();
    match stream.message().await {
        Ok(Some(first)) => {
            tracing::debug!(node = %target, answered_us = answered.as_micros() as u64, first_us = began.elapsed().as_micros() as u64, "run delivered");
            node.deliveries
                .accepted(&order.job.name, &order.execution_id);
            if let Some(Event::Accepted(true)) = first.event {
                tracing::info!(job = %order.job.name, execution = %order.execution_id, node = %target, "node already had this run");
                return Ok(());
            }
        }
        Ok(None) => return Err(format!("node {target} closed the run stream at once")),
        Err(status) => return Err(format!("node {target}: {}", status.message())),
    }
    // Accepted: from here on the node records the result itself.
    let mut output_bytes = 0usize;
    while let Ok(Some(event)) = stream.message().await {
        match event.event {
            Some(Event::Output(chunk)) => output_bytes += chunk.len(),
            Some(Event::Finished(_)) => {
                node.deliveries.ended(&order.job.name, &order.execution_id);
                break;
            }
            _ => {}
        }
    }
    tracing::debug!(job = %order.job.name, execution = %order.execution_id, node = %target, output_bytes, "remote run stream ended");
    Ok(())
}

/// The record of a run that never reached its node.
fn undelivered(order: &RunOrder, target: &str, reason: &str) -> Command {
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
