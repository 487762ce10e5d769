//! `--bootstrap-expect N` (N > 1): servers with an empty log wait until gossip shows N
//! servers, check that none of them already belongs to a cluster, and then all bootstrap the
//! same configuration (Dkron §12.1). A server that finds an existing cluster waits for its
//! leader to add it.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use dkron_cluster::rpc::{Channels, ServerCalls};
use dkron_cluster::{RaftNode, ServerNode};
use dkron_membership::Gossip;
use dkron_model::MemberStatus;
use tokio_util::sync::CancellationToken;

use crate::error::PeerError;
use crate::members;

const CHECK_EVERY: Duration = Duration::from_millis(500);

/// Waits for `expect` servers and bootstraps them together; returns when this server belongs
/// to a configuration (or `stop` fires).
pub async fn when_expected(
    raft: Arc<RaftNode>,
    gossip: Gossip,
    expect: u32,
    stop: CancellationToken,
) {
    let mut announced = false;
    loop {
        if matches!(raft.is_initialized().await, Ok(true)) {
            return;
        }
        let servers: Vec<_> = members::servers(&gossip)
            .into_iter()
            .filter(|server| server.status == MemberStatus::Alive)
            .collect();
        if let Some(other) = servers.iter().find(|s| s.expect != 0 && s.expect != expect) {
            tracing::error!(server = %other.name, theirs = other.expect, ours = expect, "servers disagree on bootstrap-expect; not bootstrapping");
            return;
        }
        if servers.len() >= expect as usize {
            match existing_cluster(raft.channels(), raft.node_id(), &servers).await {
                Ok(true) => {
                    tracing::info!(
                        "found an existing cluster; waiting for its leader to add this server"
                    );
                    return;
                }
                Ok(false) => {
                    let members: BTreeMap<u64, ServerNode> = servers
                        .iter()
                        .map(|s| (s.raft_id, ServerNode::new(&s.name, &s.rpc_addr)))
                        .collect();
                    tracing::info!(servers = ?members.values().map(|s| s.name.as_str()).collect::<Vec<_>>(), "expected servers are up; bootstrapping the cluster");
                    if let Err(error) = raft.initialize(members).await {
                        tracing::info!(error = %error, "bootstrap not needed");
                    }
                    return;
                }
                Err(error) => {
                    tracing::debug!(error = %error, "cannot ask servers for their configuration yet")
                }
            }
        } else if !announced {
            tracing::info!(
                seen = servers.len(),
                expect,
                "waiting for the expected number of servers"
            );
            announced = true;
        }
        tokio::select! {
            _ = stop.cancelled() => return,
            _ = tokio::time::sleep(CHECK_EVERY) => {}
        }
    }
}

/// Returns true if any of `servers` already has a Raft configuration.
async fn existing_cluster(
    channels: &Channels,
    me: u64,
    servers: &[members::ServerSeen],
) -> Result<bool, PeerError> {
    for server in servers.iter().filter(|server| server.raft_id != me) {
        let peers = ServerCalls::new(channels, &server.rpc_addr)
            .peers()
            .await
            .map_err(|error| PeerError::Answer(error.about_peer(&server.name)))?;
        if !peers.is_empty() {
            return Ok(true);
        }
    }
    Ok(false)
}
