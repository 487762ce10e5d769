//! The openraft type configuration: our commands are the log's payload.

use dkron_store::{Command, CommandResult};

openraft::declare_raft_types!(
    /// Raft types of dkron-rs: `Command` in, `CommandResult` out, nodes addressed by RPC address.
    pub TypeConfig:
        D = Command,
        R = CommandResult,
        NodeId = u64,
        Node = openraft::BasicNode,
);

/// A Raft log entry of dkron-rs.
pub type Entry = openraft::alias::EntryOf<TypeConfig>;
/// A log id of dkron-rs.
pub type LogId = openraft::alias::LogIdOf<TypeConfig>;
/// A vote of dkron-rs.
pub type Vote = openraft::alias::VoteOf<TypeConfig>;
/// Membership as stored with the state.
pub type StoredMembership = openraft::alias::StoredMembershipOf<TypeConfig>;
