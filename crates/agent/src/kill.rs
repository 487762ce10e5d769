//! Stopping a run on whichever node runs it: asked through the API (`kill`), or by a newer
//! occurrence of a `concurrency: replace` job.

use dkron_cluster::rpc::NodeCalls;
use dkron_worker::KillOrder;

use crate::error::PeerError;
use crate::members;
use crate::node::Node;

/// Stops the run on `node_name` (this node or another); returns whether it was running there.
pub async fn kill_on(node: &Node, node_name: &str, order: &KillOrder) -> Result<bool, PeerError> {
    if node_name == node.node_name {
        return node
            .worker
            .kill(order)
            .map_err(|stale| PeerError::Answer(stale.to_string()));
    }
    let addr =
        members::rpc_addr_of(&node.gossip, node_name).ok_or_else(|| PeerError::NotAlive {
            node: node_name.to_string(),
        })?;
    kill_at(node, &addr, order).await
}

/// Asks the node at gRPC address `addr` to stop a run.
pub async fn kill_at(node: &Node, addr: &str, order: &KillOrder) -> Result<bool, PeerError> {
    NodeCalls::new(&node.channels, addr)
        .kill(order)
        .await
        .map_err(|error| PeerError::Answer(error.about_peer(addr)))
}
