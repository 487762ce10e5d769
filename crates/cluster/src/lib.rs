//! Consensus for dkron-rs: openraft over a redb log store and the redb state machine of
//! `dkron-store`.
//!
//! This build runs single-server clusters (`--bootstrap-expect 1`); the multi-server
//! transport, gossip membership and write forwarding arrive with the cluster issue.

mod error;
mod log_store;
mod network;
mod node;
mod state_machine;
mod types;

pub use error::ClusterError;
pub use log_store::LogStore;
pub use network::SingleServerNetwork;
pub use node::{RaftNode, RaftOptions};
pub use state_machine::{SnapshotFile, StateMachine};
pub use types::TypeConfig;
