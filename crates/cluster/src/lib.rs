//! Consensus for dkron-rs: openraft over a redb log store and the redb state machine of
//! `dkron-store`, with gRPC between servers (Raft traffic, writes forwarded to the leader,
//! administration) and recovery of a lost quorum from `peers.json`.

mod disk_space;
mod disk_watch;
mod error;
mod forward;
mod leader_contact;
mod leader_view;
mod log_purge;
mod log_store;
mod network;
mod node;
mod observations;
mod raft_service;
mod recovery;
pub mod rpc;
mod server_service;
mod snapshot_pace;
mod state_machine;
mod types;

pub use disk_space::{SpaceLevel, SpaceThresholds};
pub use disk_watch::{DiskStatus, DiskWatch};
pub use error::{ClusterError, DISK_FULL_TEXT, is_disk_full};
pub use forward::write as forward_write;
pub use leader_view::{LeaderView, UnknownLeader};
pub use log_store::LogStore;
pub use network::GrpcNetwork;
pub use node::{
    Bootstrap, ELECTION_MAX_MS, ELECTION_MIN_MS, HEARTBEAT_MS, Peer, RaftNode, RaftOptions,
    RaftStatus,
};
pub use observations::RunObservation;
pub use state_machine::{JobChange, SnapshotFile, StateMachine};
pub use types::{ServerNode, TypeConfig};
