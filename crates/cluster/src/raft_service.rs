//! The receiving end of the Raft network: peers' RPCs handed to openraft.

use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};

use futures::StreamExt;
use openraft::Raft;
use tokio::io::AsyncWriteExt;
use tonic::{Request, Response, Status, Streaming};

use crate::leader_contact::LeaderContact;
use crate::log_store::SLOW_APPEND;
use crate::network::SnapshotHeader;
use crate::rpc::proto::raft_server::Raft as RaftRpc;
use crate::rpc::proto::{Json, SnapshotChunk};
use crate::rpc::{ServiceError, from_json, json_status};
use crate::state_machine::{SnapshotFile, StateMachine};
use crate::types::TypeConfig;

type Snapshot = openraft::alias::SnapshotOf<TypeConfig, SnapshotFile>;

/// Serves openraft's RPCs for this server.
pub(crate) struct RaftService {
    raft: Raft<TypeConfig, StateMachine>,
    incoming_dir: PathBuf,
    received: AtomicU64,
    contact: LeaderContact,
}

impl RaftService {
    pub(crate) fn new(
        raft: Raft<TypeConfig, StateMachine>,
        incoming_dir: PathBuf,
        contact: LeaderContact,
    ) -> RaftService {
        RaftService {
            raft,
            incoming_dir,
            received: AtomicU64::new(0),
            contact,
        }
    }

    async fn receive_snapshot(
        &self,
        mut chunks: Streaming<SnapshotChunk>,
    ) -> Result<(SnapshotHeader, PathBuf), Status> {
        let first = chunks
            .next()
            .await
            .ok_or_else(|| ServiceError::invalid_argument("empty snapshot stream"))??;
        let header: SnapshotHeader = serde_json::from_slice(&first.header).map_err(|error| {
            ServiceError::invalid_argument(format!("bad snapshot header: {error}"))
        })?;
        let sequence = self.received.fetch_add(1, Ordering::Relaxed);
        let path = self
            .incoming_dir
            .join(format!("received-{}-{sequence}.jsonl", std::process::id()));
        let mut file = tokio::fs::File::create(&path).await.map_err(store_error)?;
        let mut written = first.data.len() as u64;
        file.write_all(&first.data).await.map_err(store_error)?;
        while let Some(chunk) = chunks.next().await {
            let chunk = chunk?;
            written += chunk.data.len() as u64;
            file.write_all(&chunk.data).await.map_err(store_error)?;
        }
        file.sync_all().await.map_err(store_error)?;
        if written != header.size {
            let _removed_best_effort = tokio::fs::remove_file(&path).await;
            return Err(ServiceError::data_loss(format!(
                "snapshot stream ended after {written} of {} bytes",
                header.size
            ))
            .into());
        }
        Ok((header, path))
    }
}

fn store_error(error: std::io::Error) -> ServiceError {
    ServiceError::internal(format!("cannot store snapshot: {error}"))
}

#[tonic::async_trait]
impl RaftRpc for RaftService {
    async fn append_entries(&self, request: Request<Json>) -> Result<Response<Json>, Status> {
        let rpc: openraft::raft::AppendEntriesRequest<TypeConfig> = from_json(request.get_ref())?;
        let entries = rpc.entries.len();
        let started = std::time::Instant::now();
        let result = self.raft.append_entries(rpc).await;
        if result.is_ok() {
            self.contact.heard_now();
        }
        let elapsed = started.elapsed();
        if elapsed >= SLOW_APPEND {
            // The leader gives up on an append after a few seconds and calls this server
            // unreachable; this says the time went here, not on the wire.
            tracing::warn!(
                entries,
                elapsed_ms = elapsed.as_millis() as u64,
                "answering the leader's append took long"
            );
        }
        json_status(&result.map_err(|error| error.to_string()))
    }

    async fn vote(&self, request: Request<Json>) -> Result<Response<Json>, Status> {
        let rpc = from_json(request.get_ref())?;
        let result = self.raft.vote(rpc).await;
        json_status(&result.map_err(|error| error.to_string()))
    }

    async fn pre_vote(&self, request: Request<Json>) -> Result<Response<Json>, Status> {
        let rpc = from_json(request.get_ref())?;
        let result = self.raft.pre_vote(rpc).await;
        json_status(&result.map_err(|error| error.to_string()))
    }

    async fn install_snapshot(
        &self,
        request: Request<Streaming<SnapshotChunk>>,
    ) -> Result<Response<Json>, Status> {
        let (header, path) = self.receive_snapshot(request.into_inner()).await?;
        tracing::info!(
            bytes = header.size,
            last_log = ?header.meta.last_log_id,
            "installing a snapshot from the leader"
        );
        let snapshot = Snapshot {
            meta: header.meta,
            snapshot: SnapshotFile { path },
        };
        let result = self.raft.install_full_snapshot(header.vote, snapshot).await;
        if result.is_ok() {
            self.contact.heard_now();
        }
        json_status(&result.map_err(|error| error.to_string()))
    }
}
