//! Stopping a run on whichever node runs it: asked through the API (`kill`), or by a newer
//! occurrence of a `concurrency: replace` job.

use std::time::Duration;

use dkron_cluster::rpc::proto::node_client::NodeClient;
use dkron_cluster::rpc::{from_json, to_json};
use dkron_worker::KillOrder;

use crate::members;
use crate::node::Node;

/// Longest wait for a node to answer a kill.
const KILL_ASK_LIMIT: Duration = Duration::from_secs(5);

/// Stops the run on `node_name` (this node or another); returns whether it was running there.
pub async fn kill_on(node: &Node, node_name: &str, order: &KillOrder) -> Result<bool, String> {
    if node_name == node.node_name {
        return Ok(node.worker.kill(order));
    }
    let addr = members::rpc_addr_of(&node.gossip, node_name)
        .ok_or_else(|| format!("node {node_name} is not alive in the cluster"))?;
    kill_at(node, &addr, order).await
}

/// Asks the node at gRPC address `addr` to stop a run.
pub async fn kill_at(node: &Node, addr: &str, order: &KillOrder) -> Result<bool, String> {
    let channel = node.channels.get(addr)?;
    let request = to_json(order).map_err(|status| status.message().to_string())?;
    let mut client = NodeClient::new(channel);
    let call = client.kill(request);
    let response = tokio::time::timeout(KILL_ASK_LIMIT, call)
        .await
        .map_err(|_| format!("{addr} did not answer in time"))?
        .map_err(|status| format!("{addr}: {}", status.message()))?;
    from_json(response.get_ref()).map_err(|status| status.message().to_string())
}
