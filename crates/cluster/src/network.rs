//! The Raft network of a single-server cluster: there is no peer to talk to.
//!
//! With one voter openraft never sends an RPC; if it ever tried (a membership change before
//! the multi-server transport exists), the call fails as "unreachable" with a message saying
//! why, instead of hanging.

use std::future::Future;

use openraft::errors::{RPCError, ReplicationClosed, StreamingError, Unreachable};
use openraft::network::RPCOption;
use openraft::raft::{
    AppendEntriesRequest, AppendEntriesResponse, SnapshotResponse, VoteRequest, VoteResponse,
};
use openraft::{AnyError, BasicNode, OptionalSend, RaftNetworkFactory, RaftNetworkV2};

use crate::state_machine::SnapshotFile;
use crate::types::{TypeConfig, Vote};

type Snapshot = openraft::alias::SnapshotOf<TypeConfig, SnapshotFile>;

/// Network factory for a cluster of exactly one server.
#[derive(Debug, Clone, Default)]
pub struct SingleServerNetwork;

/// A client to a peer that cannot exist yet.
#[derive(Debug)]
pub struct NoPeer {
    target: u64,
}

impl NoPeer {
    fn unreachable(&self) -> Unreachable<TypeConfig> {
        Unreachable::new(&AnyError::error(format!(
            "node {} is not reachable: this build runs single-server clusters only",
            self.target
        )))
    }
}

impl RaftNetworkFactory<TypeConfig> for SingleServerNetwork {
    type Network = NoPeer;

    async fn new_client(&mut self, target: u64, _node: &BasicNode) -> Self::Network {
        NoPeer { target }
    }
}

impl RaftNetworkV2<TypeConfig> for NoPeer {
    type SnapshotData = SnapshotFile;

    async fn append_entries(
        &mut self,
        _rpc: AppendEntriesRequest<TypeConfig>,
        _option: RPCOption,
    ) -> Result<AppendEntriesResponse<TypeConfig>, RPCError<TypeConfig>> {
        Err(RPCError::Unreachable(self.unreachable()))
    }

    async fn vote(
        &mut self,
        _rpc: VoteRequest<TypeConfig>,
        _option: RPCOption,
    ) -> Result<VoteResponse<TypeConfig>, RPCError<TypeConfig>> {
        Err(RPCError::Unreachable(self.unreachable()))
    }

    async fn full_snapshot(
        &mut self,
        _vote: Vote,
        _snapshot: Snapshot,
        _cancel: impl Future<Output = ReplicationClosed> + OptionalSend + 'static,
        _option: RPCOption,
    ) -> Result<SnapshotResponse<TypeConfig>, StreamingError<TypeConfig>> {
        Err(StreamingError::Unreachable(self.unreachable()))
    }
}
