//! The gRPC server of a node: `Node` on every node; `Raft`, `Server` and `Leader` on servers.

use std::future::Future;
use std::sync::Arc;

use dkron_model::limits;
use tonic::transport::server::Router;

use super::leader_handler::{LeaderGrpc, LeaderHandler};
use super::node_handler::{NodeGrpc, NodeHandler};
use super::proto::leader_server::LeaderServer;
use super::proto::node_server::NodeServer;
use super::proto::raft_server::RaftServer;
use super::proto::server_server::ServerServer;
use super::tls_connection::TlsConnection;
use crate::node::RaftNode;
use crate::server_service::ServerService;

/// Why the gRPC server stopped serving.
#[derive(Debug, thiserror::Error)]
pub enum ServeError {
    /// The transport failed.
    #[error(transparent)]
    Transport(tonic::transport::Error),
    /// The listener's address cannot be read.
    #[error("cannot use the rpc listener: {0}")]
    Listener(std::io::Error),
}

/// The gRPC services one node offers, ready to serve.
pub struct RpcServer {
    routes: Router,
}

impl RpcServer {
    /// Returns a server of the `Node` service over `node` (all an agent offers).
    pub fn new(node: impl NodeHandler) -> RpcServer {
        let routes = tonic::transport::Server::builder()
            .tcp_nodelay(true)
            .add_service(NodeServer::new(NodeGrpc(node)));
        RpcServer { routes }
    }

    /// Adds what only servers offer: `Raft` and `Server` over `raft`, and `Leader` over
    /// `leader`. Raft and forwarded writes may carry up to `limits::MAX_PEER_MESSAGE_BYTES`.
    pub fn with_server_services(self, raft: &Arc<RaftNode>, leader: impl LeaderHandler) -> Self {
        let routes = self
            .routes
            .add_service(
                RaftServer::new(raft.raft_service())
                    .max_decoding_message_size(limits::MAX_PEER_MESSAGE_BYTES),
            )
            .add_service(
                ServerServer::new(ServerService::new(raft.clone()))
                    .max_decoding_message_size(limits::MAX_PEER_MESSAGE_BYTES),
            )
            .add_service(LeaderServer::new(LeaderGrpc(leader)));
        RpcServer { routes }
    }

    /// Serves connections accepted on `listener` (with `TCP_NODELAY`) until `shutdown`
    /// completes: in plain text when `tls` is `None`, otherwise only to clients whose
    /// certificate `tls` accepts (the cluster CA's; ADR 15).
    pub async fn serve(
        self,
        listener: tokio::net::TcpListener,
        tls: Option<Arc<rustls::ServerConfig>>,
        shutdown: impl Future<Output = ()>,
    ) -> Result<(), ServeError> {
        let Some(tls) = tls else {
            return self
                .routes
                .serve_with_incoming_shutdown(incoming(listener), shutdown)
                .await
                .map_err(ServeError::Transport);
        };
        let accepted =
            dkron_tls::TlsAcceptLoop::start(listener, tls, "rpc").map_err(ServeError::Listener)?;
        let connections = futures::stream::unfold(accepted, |mut accepted| async move {
            let (connection, peer) = accepted.next().await?;
            Some((
                Ok::<_, std::io::Error>(TlsConnection { connection, peer }),
                accepted,
            ))
        });
        self.routes
            .serve_with_incoming_shutdown(connections, shutdown)
            .await
            .map_err(ServeError::Transport)
    }
}

fn incoming(
    listener: tokio::net::TcpListener,
) -> impl futures::Stream<Item = std::io::Result<tokio::net::TcpStream>> {
    futures::stream::unfold(listener, |listener| async move {
        let accepted = listener.accept().await.map(|(stream, _)| {
            let _nodelay_is_best_effort = stream.set_nodelay(true);
            stream
        });
        Some((accepted, listener))
    })
}
