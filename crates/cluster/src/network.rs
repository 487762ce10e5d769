//! The Raft network: openraft's RPCs to peers over gRPC, payloads as JSON.
//!
//! Snapshots are streamed from their file in chunks, so sending one never holds the whole
//! state in memory.

use std::future::Future;

use futures::StreamExt as _;

use openraft::errors::{NetworkError, RPCError, ReplicationClosed, StreamingError, Unreachable};
use openraft::network::RPCOption;
use openraft::raft::{
    AppendEntriesRequest, AppendEntriesResponse, SnapshotResponse, VoteRequest, VoteResponse,
};
use openraft::{AnyError, OptionalSend, RaftNetworkFactory, RaftNetworkV2};
use serde::Serialize;
use serde::de::DeserializeOwned;
use tokio::io::AsyncReadExt;
use tonic::Code;
use tonic::transport::Channel;

use crate::rpc::proto::SnapshotChunk;
use crate::rpc::proto::raft_client::RaftClient;
use crate::rpc::{Channels, from_json, to_json};
use crate::state_machine::SnapshotFile;
use crate::types::{ServerNode, TypeConfig, Vote};

type Snapshot = openraft::alias::SnapshotOf<TypeConfig, SnapshotFile>;
type SnapshotMeta = openraft::alias::SnapshotMetaOf<TypeConfig>;

/// Bytes of snapshot data per streamed chunk.
const SNAPSHOT_CHUNK_BYTES: usize = 1 << 20;

/// What a follower receives first when a snapshot is streamed to it.
#[derive(Debug, Clone, Serialize, serde::Deserialize)]
pub(crate) struct SnapshotHeader {
    pub vote: Vote,
    pub meta: SnapshotMeta,
    /// Length of the data that follows, so a cut stream is never installed.
    pub size: u64,
}

/// Creates gRPC clients to Raft peers.
#[derive(Clone, Default)]
pub struct GrpcNetwork {
    channels: Channels,
}

impl GrpcNetwork {
    /// A network sharing `channels` with the node's other clients.
    pub fn new(channels: Channels) -> GrpcNetwork {
        GrpcNetwork { channels }
    }
}

/// A client to one peer.
pub struct PeerClient {
    target: u64,
    addr: String,
    client: Result<RaftClient<Channel>, String>,
}

impl RaftNetworkFactory<TypeConfig> for GrpcNetwork {
    type Network = PeerClient;

    async fn new_client(&mut self, target: u64, node: &ServerNode) -> PeerClient {
        PeerClient {
            target,
            addr: node.addr.clone(),
            client: self.channels.get(&node.addr).map(RaftClient::new),
        }
    }
}

/// A failed call: unreachable peers make openraft back off, other failures retry at once.
fn rpc_error(target: u64, addr: &str, status: &tonic::Status) -> RPCError<TypeConfig> {
    let error = AnyError::error(format!(
        "raft rpc to node {target} at {addr} failed: {}",
        status.message()
    ));
    match status.code() {
        Code::Unavailable | Code::DeadlineExceeded | Code::Cancelled | Code::Unknown => {
            RPCError::Unreachable(Unreachable::new(&error))
        }
        _ => RPCError::Network(NetworkError::new(&error)),
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
        option: &RPCOption,
    ) -> Result<tonic::Request<crate::rpc::proto::Json>, RPCError<TypeConfig>> {
        let message =
            to_json(body).map_err(|status| remote_failure(self.target, status.message()))?;
        let mut request = tonic::Request::new(message);
        request.set_timeout(option.hard_ttl());
        Ok(request)
    }

    fn answer<T: DeserializeOwned>(
        &self,
        response: Result<tonic::Response<crate::rpc::proto::Json>, tonic::Status>,
    ) -> Result<T, RPCError<TypeConfig>> {
        let response = response.map_err(|status| rpc_error(self.target, &self.addr, &status))?;
        let result: Result<T, String> = from_json(response.get_ref())
            .map_err(|status| remote_failure(self.target, status.message()))?;
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
        let request = self.request(&rpc, &option)?;
        let response = self.client()?.append_entries(request).await;
        self.answer(response)
    }

    async fn vote(
        &mut self,
        rpc: VoteRequest<TypeConfig>,
        option: RPCOption,
    ) -> Result<VoteResponse<TypeConfig>, RPCError<TypeConfig>> {
        let request = self.request(&rpc, &option)?;
        let response = self.client()?.vote(request).await;
        self.answer(response)
    }

    async fn pre_vote(
        &mut self,
        rpc: VoteRequest<TypeConfig>,
        option: RPCOption,
    ) -> Result<VoteResponse<TypeConfig>, RPCError<TypeConfig>> {
        let request = self.request(&rpc, &option)?;
        let response = self.client()?.pre_vote(request).await;
        self.answer(response)
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
        self.answer(response).map_err(streaming)
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
