//! The Raft network: openraft's RPCs to peers over gRPC, payloads as JSON.
//!
//! Snapshots are streamed from their file in chunks, so sending one never holds the whole
//! state in memory.
//!
//! openraft gives every append the heartbeat interval (100 ms) as its deadline. An append that
//! carries entries (a batch of launches or run records) can take longer than that on a busy
//! machine while being nothing but slow, so it gets at least `APPEND_WITH_ENTRIES_DEADLINE`.
//! A missed deadline is reported as a timeout, which openraft retries at once, and not as an
//! unreachable peer, which would pause replication to it for 200 ms.

use std::future::Future;
use std::time::Duration;

use futures::StreamExt as _;

use openraft::errors::{
    NetworkError, RPCError, ReplicationClosed, StreamingError, Timeout, Unreachable,
};
use openraft::network::{RPCOption, RPCTypes};
use openraft::raft::{
    AppendEntriesRequest, AppendEntriesResponse, SnapshotResponse, VoteRequest, VoteResponse,
};
use openraft::{AnyError, OptionalSend, RaftNetworkFactory, RaftNetworkV2};
use serde::Serialize;
use serde::de::DeserializeOwned;
use tokio::io::AsyncReadExt;
use tonic::transport::Channel;

use crate::rpc::proto::SnapshotChunk;
use crate::rpc::proto::raft_client::RaftClient;
use crate::rpc::{Channels, RpcCode, RpcError, from_json, rpc_error, to_json};
use crate::state_machine::SnapshotFile;
use crate::types::{ServerNode, TypeConfig, Vote};

type Snapshot = openraft::alias::SnapshotOf<TypeConfig, SnapshotFile>;
type SnapshotMeta = openraft::alias::SnapshotMetaOf<TypeConfig>;

/// Bytes of snapshot data per streamed chunk.
const SNAPSHOT_CHUNK_BYTES: usize = 1 << 20;

/// Shortest deadline of an append that carries entries (heartbeats keep openraft's).
const APPEND_WITH_ENTRIES_DEADLINE: Duration = Duration::from_secs(2);

/// What a follower receives first when a snapshot is streamed to it.
#[derive(Debug, Clone, Serialize, serde::Deserialize)]
pub(crate) struct SnapshotHeader {
    pub vote: Vote,
    pub meta: SnapshotMeta,
    /// Length of the data that follows, so a cut stream is never installed.
    pub size: u64,
}

/// Creates gRPC clients to Raft peers.
#[derive(Clone)]
pub struct GrpcNetwork {
    local_id: u64,
    channels: Channels,
}

impl GrpcNetwork {
    /// A network of server `local_id`, sharing `channels` with the node's other clients.
    pub fn new(local_id: u64, channels: Channels) -> GrpcNetwork {
        GrpcNetwork { local_id, channels }
    }
}

/// A client to one peer.
pub struct PeerClient {
    local_id: u64,
    target: u64,
    addr: String,
    client: Result<RaftClient<Channel>, String>,
}

impl RaftNetworkFactory<TypeConfig> for GrpcNetwork {
    type Network = PeerClient;

    async fn new_client(&mut self, target: u64, node: &ServerNode) -> PeerClient {
        PeerClient {
            local_id: self.local_id,
            target,
            addr: node.addr.clone(),
            client: self
                .channels
                .get(&node.addr)
                .map(RaftClient::new)
                .map_err(|bad| bad.to_string()),
        }
    }
}

/// Why a call failed, as openraft should see it: an unreachable peer makes it back off, a
/// timeout or another failure is retried at once.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum FailureKind {
    Unreachable,
    Timeout,
    Other,
}

fn failure_kind(failure: &RpcError) -> FailureKind {
    match failure {
        RpcError::Remote {
            code: RpcCode::DeadlineExceeded,
            ..
        } => FailureKind::Timeout,
        RpcError::Unreachable { .. }
        | RpcError::Remote {
            code: RpcCode::Cancelled | RpcCode::Unknown,
            ..
        } => FailureKind::Unreachable,
        _ => FailureKind::Other,
    }
}

fn remote_failure(target: u64, message: &str) -> RPCError<TypeConfig> {
    RPCError::Network(NetworkError::new(&AnyError::error(format!(
        "node {target} could not handle the raft rpc: {message}"
    ))))
}

impl PeerClient {
    fn client(&self) -> Result<RaftClient<Channel>, RPCError<TypeConfig>> {
        self.client
            .clone()
            .map_err(|message| RPCError::Unreachable(Unreachable::new(&AnyError::error(message))))
    }

    fn request<T: Serialize>(
        &self,
        body: &T,
        deadline: Duration,
    ) -> Result<tonic::Request<crate::rpc::proto::Json>, RPCError<TypeConfig>> {
        let message = to_json(body).map_err(|error| remote_failure(self.target, &error.message))?;
        let mut request = tonic::Request::new(message);
        request.set_timeout(deadline);
        Ok(request)
    }

    fn rpc_error(
        &self,
        action: RPCTypes,
        deadline: Duration,
        status: &tonic::Status,
    ) -> RPCError<TypeConfig> {
        let (target, addr) = (self.target, &self.addr);
        let failure = rpc_error(status);
        let error = AnyError::error(format!(
            "raft rpc to node {target} at {addr} failed: {failure}"
        ));
        match failure_kind(&failure) {
            FailureKind::Unreachable => RPCError::Unreachable(Unreachable::new(&error)),
            FailureKind::Timeout => RPCError::Timeout(Timeout {
                action,
                id: self.local_id,
                target,
                timeout: deadline,
            }),
            FailureKind::Other => RPCError::Network(NetworkError::new(&error)),
        }
    }

    fn answer<T: DeserializeOwned>(
        &self,
        action: RPCTypes,
        deadline: Duration,
        response: Result<tonic::Response<crate::rpc::proto::Json>, tonic::Status>,
    ) -> Result<T, RPCError<TypeConfig>> {
        let response = response.map_err(|status| self.rpc_error(action, deadline, &status))?;
        let result: Result<T, String> = from_json(response.get_ref())
            .map_err(|error| remote_failure(self.target, &error.message))?;
        result.map_err(|message| remote_failure(self.target, &message))
    }
}

impl RaftNetworkV2<TypeConfig> for PeerClient {
    type SnapshotData = SnapshotFile;

    async fn append_entries(
        &mut self,
        rpc: AppendEntriesRequest<TypeConfig>,
        option: RPCOption,
    ) -> Result<AppendEntriesResponse<TypeConfig>, RPCError<TypeConfig>> {
        let deadline = append_deadline(option.hard_ttl(), !rpc.entries.is_empty());
        let request = self.request(&rpc, deadline)?;
        let response = self.client()?.append_entries(request).await;
        self.answer(RPCTypes::AppendEntries, deadline, response)
    }

    async fn vote(
        &mut self,
        rpc: VoteRequest<TypeConfig>,
        option: RPCOption,
    ) -> Result<VoteResponse<TypeConfig>, RPCError<TypeConfig>> {
        let deadline = option.hard_ttl();
        let request = self.request(&rpc, deadline)?;
        let response = self.client()?.vote(request).await;
        self.answer(RPCTypes::Vote, deadline, response)
    }

    async fn pre_vote(
        &mut self,
        rpc: VoteRequest<TypeConfig>,
        option: RPCOption,
    ) -> Result<VoteResponse<TypeConfig>, RPCError<TypeConfig>> {
        let deadline = option.hard_ttl();
        let request = self.request(&rpc, deadline)?;
        let response = self.client()?.pre_vote(request).await;
        self.answer(RPCTypes::Vote, deadline, response)
    }

    async fn full_snapshot(
        &mut self,
        vote: Vote,
        snapshot: Snapshot,
        cancel: impl Future<Output = ReplicationClosed> + OptionalSend + 'static,
        _option: RPCOption,
    ) -> Result<SnapshotResponse<TypeConfig>, StreamingError<TypeConfig>> {
        let mut client = self.client().map_err(streaming)?;
        let size = tokio::fs::metadata(&snapshot.snapshot.path)
            .await
            .map(|metadata| metadata.len())
            .unwrap_or(0);
        let header = SnapshotHeader {
            vote,
            meta: snapshot.meta.clone(),
            size,
        };
        let chunks = snapshot_chunks(header, snapshot.snapshot.path.clone())
            .await
            .map_err(|error| {
                StreamingError::Network(NetworkError::new(&AnyError::error(format!(
                    "cannot read snapshot {}: {error}",
                    snapshot.snapshot.path.display()
                ))))
            })?;
        let send = client.install_snapshot(chunks);
        let response = tokio::select! {
            response = send => response,
            closed = cancel => return Err(StreamingError::Closed(closed)),
        };
        self.answer(RPCTypes::InstallSnapshot, Duration::ZERO, response)
            .map_err(streaming)
    }
}

/// The deadline of an append: openraft's, or at least `APPEND_WITH_ENTRIES_DEADLINE` when it
/// carries entries.
fn append_deadline(openraft_deadline: Duration, carries_entries: bool) -> Duration {
    if carries_entries {
        openraft_deadline.max(APPEND_WITH_ENTRIES_DEADLINE)
    } else {
        openraft_deadline
    }
}

fn streaming(error: RPCError<TypeConfig>) -> StreamingError<TypeConfig> {
    match error {
        RPCError::Unreachable(error) => StreamingError::Unreachable(error),
        RPCError::Timeout(error) => StreamingError::Timeout(error),
        RPCError::Network(error) => StreamingError::Network(error),
        RPCError::RemoteError(error) => {
            StreamingError::Network(NetworkError::new(&AnyError::error(error.to_string())))
        }
    }
}

/// Reads the snapshot file into a stream of chunks, the header first.
async fn snapshot_chunks(
    header: SnapshotHeader,
    path: std::path::PathBuf,
) -> std::io::Result<impl futures::Stream<Item = SnapshotChunk>> {
    let header = serde_json::to_vec(&header).map_err(std::io::Error::other)?;
    let file = tokio::fs::File::open(&path).await?;
    let first = SnapshotChunk {
        header,
        data: Vec::new(),
    };
    let rest = futures::stream::unfold(Some(file), |file| async move {
        let mut file = file?;
        let mut data = vec![0; SNAPSHOT_CHUNK_BYTES];
        match file.read(&mut data).await {
            Ok(0) => None,
            Ok(read) => {
                data.truncate(read);
                Some((
                    SnapshotChunk {
                        header: Vec::new(),
                        data,
                    },
                    Some(file),
                ))
            }
            Err(error) => {
                // The receiver sees a short snapshot and rejects it; the next attempt re-reads.
                tracing::warn!(error = %error, "reading a snapshot for a follower failed");
                None
            }
        }
    });
    Ok(futures::stream::once(async { first }).chain(rest))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn appends_with_entries_get_a_deadline_a_busy_follower_can_meet() {
        let heartbeat = Duration::from_millis(100);
        assert_eq!(append_deadline(heartbeat, false), heartbeat);
        assert_eq!(
            append_deadline(heartbeat, true),
            APPEND_WITH_ENTRIES_DEADLINE
        );
        let generous = Duration::from_secs(10);
        assert_eq!(append_deadline(generous, true), generous);
    }

    #[test]
    fn only_a_peer_that_cannot_be_reached_makes_replication_back_off() {
        let client = PeerClient {
            local_id: 1,
            target: 2,
            addr: "127.0.0.1:6868".into(),
            client: Err("unused".into()),
        };
        let deadline = Duration::from_millis(100);
        let slow = client.rpc_error(
            RPCTypes::AppendEntries,
            deadline,
            &tonic::Status::deadline_exceeded("Timeout expired"),
        );
        assert!(
            matches!(&slow, RPCError::Timeout(timeout) if timeout.target == 2 && timeout.timeout == deadline),
            "{slow:?}"
        );
        let refused = client.rpc_error(
            RPCTypes::AppendEntries,
            deadline,
            &tonic::Status::unavailable("connection refused"),
        );
        assert!(matches!(refused, RPCError::Unreachable(_)), "{refused:?}");
        let bad = client.rpc_error(RPCTypes::Vote, deadline, &tonic::Status::internal("bug"));
        assert!(matches!(bad, RPCError::Network(_)), "{bad:?}");
    }
}
