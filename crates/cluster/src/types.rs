//! The openraft type configuration: our commands are the log's payload.

use dkron_store::{Command, CommandResult};
use serde::{Deserialize, Serialize};

/// A Raft server as the configuration stores it: where to reach it and what it is called.
///
/// `name` is absent in logs written by single-server builds; it defaults to empty.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ServerNode {
    /// gRPC address (`host:port`) of the server.
    pub addr: String,
    /// The server's node name.
    #[serde(default)]
    pub name: String,
}

impl ServerNode {
    /// A server reachable at `addr`, called `name`.
    pub fn new(name: impl Into<String>, addr: impl Into<String>) -> ServerNode {
        ServerNode {
            addr: addr.into(),
            name: name.into(),
        }
    }
}

impl std::fmt::Display for ServerNode {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(formatter, "{}@{}", self.name, self.addr)
    }
}

openraft::declare_raft_types!(
    /// Raft types of dkron-rs: `Command` in, `CommandResult` out, servers addressed by gRPC address.
    pub TypeConfig:
        D = Command,
        R = CommandResult,
        NodeId = u64,
        Node = ServerNode,
);

/// A Raft log entry of dkron-rs.
pub type Entry = openraft::alias::EntryOf<TypeConfig>;
/// A log id of dkron-rs.
pub type LogId = openraft::alias::LogIdOf<TypeConfig>;
/// A vote of dkron-rs.
pub type Vote = openraft::alias::VoteOf<TypeConfig>;
/// Membership as stored with the state.
pub type StoredMembership = openraft::alias::StoredMembershipOf<TypeConfig>;
