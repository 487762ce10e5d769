//! The `Server` gRPC service: writes forwarded to the leader and Raft administration.

use std::sync::Arc;

use dkron_store::Command;
use tonic::{Request, Response, Status};

use crate::error::ClusterError;
use crate::forward;
use crate::leader_view::LeaderView;
use crate::node::RaftNode;
use crate::rpc::proto::server_server::Server;
use crate::rpc::proto::{Empty, Json};
use crate::rpc::{FORWARDED, ServiceError, WriteAnswer, from_json, json_status};
use crate::types::ServerNode;

/// A server to add to the Raft configuration.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub(crate) struct AddPeer {
    /// Raft id.
    pub id: u64,
    /// Node name and gRPC address.
    pub node: ServerNode,
}

/// A server to remove, by Raft id or node name.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub(crate) struct RemovePeer {
    /// The id or name given by the operator.
    pub peer: String,
}

/// Serves forwarded writes and administration for one server.
pub(crate) struct ServerService {
    raft: Arc<RaftNode>,
}

impl ServerService {
    /// Wraps the server's Raft node.
    pub(crate) fn new(raft: Arc<RaftNode>) -> ServerService {
        ServerService { raft }
    }

    /// Runs `local` on the leader; a follower passes the raw request to its leader once.
    async fn on_leader<F, Fut>(
        &self,
        request: &Request<Json>,
        local: F,
    ) -> Result<Response<Json>, Status>
    where
        F: FnOnce(Arc<RaftNode>) -> Fut,
        Fut: std::future::Future<Output = Result<serde_json::Value, ClusterError>>,
    {
        if self.raft.is_leader() || request.metadata().get(FORWARDED).is_some() {
            let answer = local(self.raft.clone()).await.map_err(|e| e.to_string());
            return json_status(&answer);
        }
        let refusal = match self.raft.leader_node() {
            Some((_, leader)) => format!("not the leader; the leader is {leader}"),
            None => "no leader is elected".to_string(),
        };
        Err(ServiceError::failed_precondition(refusal).into())
    }
}

fn find_peer(raft: &RaftNode, peer: &str) -> Result<u64, ClusterError> {
    raft.peers()
        .into_iter()
        .find(|candidate| candidate.name == peer || candidate.id.to_string() == peer)
        .map(|found| found.id)
        .ok_or_else(|| {
            ClusterError::Raft(format!(
                "id {peer:?} was not found in the Raft configuration"
            ))
        })
}

#[tonic::async_trait]
impl Server for ServerService {
    async fn write(&self, request: Request<Json>) -> Result<Response<Json>, Status> {
        let command: Command = from_json(request.get_ref())?;
        let forwarded = request.metadata().get(FORWARDED).is_some();
        // A forwarded write is never passed on again: at worst it fails as `NotLeader`.
        let answer: WriteAnswer = if self.raft.is_leader() || forwarded {
            self.raft.write_indexed(command).await
        } else {
            match self.raft.leader_view() {
                // A follower cut off from its leader says so at once, so that an agent
                // tries another server instead of waiting on this one.
                LeaderView::Unknown(reason) => Err(ClusterError::LeaderUnknown(reason)),
                LeaderView::Me => self.raft.write_indexed(command).await,
                LeaderView::Other(id) => match self.raft.server_node_of(id) {
                    Some(leader) => {
                        forward::submit(self.raft.channels(), &leader.addr, &command, true).await
                    }
                    None => Err(ClusterError::NotLeader { leader: Some(id) }),
                },
            }
        }
        .map_err(|error| error.to_string());
        json_status(&answer)
    }

    async fn peers(&self, _request: Request<Empty>) -> Result<Response<Json>, Status> {
        json_status(&self.raft.peers())
    }

    async fn remove_peer(&self, request: Request<Json>) -> Result<Response<Json>, Status> {
        let remove: RemovePeer = from_json(request.get_ref())?;
        self.on_leader(&request, |raft| async move {
            let id = find_peer(&raft, &remove.peer)?;
            if id == raft.node_id() {
                return Err(ClusterError::Raft(
                    "the leader cannot remove itself; stop it or remove it from another server after a new leader is elected"
                        .to_string(),
                ));
            }
            raft.remove_server(id).await?;
            Ok(serde_json::Value::Null)
        })
        .await
    }

    async fn add_peer(&self, request: Request<Json>) -> Result<Response<Json>, Status> {
        let add: AddPeer = from_json(request.get_ref())?;
        self.on_leader(&request, |raft| async move {
            raft.add_voter(add.id, add.node).await?;
            Ok(serde_json::Value::Null)
        })
        .await
    }
}
