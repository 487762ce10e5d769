//! Where replicated writes go from this node: a server writes through its Raft node (which
//! forwards to the leader when it follows); an agent sends them to a server it knows from
//! gossip, which forwards them to the leader.

use std::sync::Arc;

use dkron_cluster::rpc::Channels;
use dkron_cluster::{RaftNode, forward_write};
use dkron_membership::Gossip;
use dkron_store::{Command, CommandResult};

use crate::error::WriteError;
use crate::members;

/// The path of this node's writes to the leader.
pub enum Writer {
    /// A server: its own Raft node.
    Server(Arc<RaftNode>),
    /// An agent: any alive server, found through gossip.
    Agent {
        /// Gossip membership, to find servers.
        gossip: Gossip,
        /// gRPC channels.
        channels: Channels,
    },
}

impl Writer {
    /// Replicates `command` and returns the state machine's answer.
    pub async fn write(&self, command: Command) -> Result<CommandResult, WriteError> {
        match self {
            Writer::Server(raft) => raft
                .write_anywhere(command)
                .await
                .map_err(|e| WriteError::Consensus(e.to_string())),
            Writer::Agent { gossip, channels } => {
                let servers = members::server_rpc_addrs(gossip);
                if servers.is_empty() {
                    return Err(WriteError::NoServerKnown);
                }
                let mut last_error = String::new();
                for addr in servers {
                    match forward_write(channels, &addr, &command).await {
                        Ok((result, _)) => return Ok(result),
                        Err(error) => last_error = error.to_string(),
                    }
                }
                Err(WriteError::Forwarded(last_error))
            }
        }
    }
}
