//! The host's `types.v1.StatusHelperService` for one Execute call: the plugin dials it
//! through go-plugin's broker and sends its output there, one unary `Update` per chunk, while
//! the job runs.
//!
//! It listens on a Unix socket in a fresh directory only this user can enter (mode 0700), so
//! no other local user can connect and forge a job's output. Dropping the server stops it at
//! once — its listener, every connection the plugin opened, and the socket file with its
//! directory — which is what a cancelled call needs (Dkron's `grpc.Server.Stop`, not a
//! graceful drain a plugin could hold open).

use std::convert::Infallible;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::task::{Context, Poll};

use hyper::body::Incoming;
use hyper_util::rt::{TokioExecutor, TokioIo};
use tokio::net::{UnixListener, UnixStream};
use tokio::sync::mpsc::UnboundedSender;
use tokio::task::JoinSet;
use tokio_util::task::AbortOnDropHandle;
use tonic::codegen::http;

use super::MAX_MESSAGE_BYTES;
use super::error::GrpcError;
use super::proto::{
    STATUS_UPDATE_PATH, STATUS_UPDATE_PATH_V3, StatusUpdateRequest, StatusUpdateResponse,
};

/// The plugin dials once per call; a few more connections are allowed for gRPC's
/// reconnects, and anything beyond is not a Dkron plugin's doing.
const MAX_CONNECTIONS: usize = 4;

/// One chunk of a running job's output, as the plugin sent it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct StatusUpdate {
    /// The output bytes.
    pub(crate) output: Vec<u8>,
    /// Whether the plugin marked the chunk as an error.
    pub(crate) error: bool,
}

/// A running `StatusHelperService`; stops when dropped.
#[derive(Debug)]
pub(super) struct StatusServer {
    // Declared first so that it is dropped first: the listener closes before its directory
    // goes.
    _serving: AbortOnDropHandle<()>,
    socket: PathBuf,
    _directory: tempfile::TempDir,
}

impl StatusServer {
    /// Listens on a new private socket and hands every update to `updates`, in order.
    pub(super) fn start(
        plugin: &str,
        updates: UnboundedSender<StatusUpdate>,
    ) -> Result<StatusServer, GrpcError> {
        let failed = |what: &str, error: std::io::Error| {
            GrpcError::StatusServer(format!("cannot {what}: {error}"))
        };
        let directory = tempfile::Builder::new()
            .prefix("dkron-plugin-")
            .permissions(std::fs::Permissions::from_mode(0o700))
            .tempdir()
            .map_err(|error| failed("create a private directory", error))?;
        let socket = directory.path().join("status.sock");
        let listener = UnixListener::bind(&socket)
            .map_err(|error| failed(&format!("listen on {}", socket.display()), error))?;
        let serving = tokio::spawn(serve(plugin.to_string(), listener, updates));
        Ok(StatusServer {
            _serving: AbortOnDropHandle::new(serving),
            socket,
            _directory: directory,
        })
    }

    /// The socket the plugin is told to dial.
    pub(super) fn socket_path(&self) -> &Path {
        &self.socket
    }
}

/// Accepts connections; they live in a set owned by this task, so aborting the task ends
/// them all.
async fn serve(plugin: String, listener: UnixListener, updates: UnboundedSender<StatusUpdate>) {
    let mut connections = JoinSet::new();
    loop {
        tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok((stream, _peer)) if connections.len() < MAX_CONNECTIONS => {
                    connections.spawn(serve_connection(plugin.clone(), stream, updates.clone()));
                }
                Ok(_too_many) => {
                    tracing::warn!(plugin = %plugin, "refused a connection to a call's status server: too many");
                }
                Err(error) => {
                    tracing::warn!(plugin = %plugin, %error, "a call's status server stopped accepting");
                    break;
                }
            },
            Some(_ended) = connections.join_next(), if !connections.is_empty() => {}
        }
    }
    // Serve the connections already open until the call ends and aborts this task.
    while connections.join_next().await.is_some() {}
}

async fn serve_connection(
    plugin: String,
    stream: UnixStream,
    updates: UnboundedSender<StatusUpdate>,
) {
    let service = hyper::service::service_fn(move |request| route(request, updates.clone()));
    let connection = hyper::server::conn::http2::Builder::new(TokioExecutor::new())
        .serve_connection(TokioIo::new(stream), service);
    if let Err(error) = connection.await {
        tracing::debug!(plugin = %plugin, %error, "a status connection ended with an error");
    }
}

async fn route(
    request: http::Request<Incoming>,
    updates: UnboundedSender<StatusUpdate>,
) -> Result<http::Response<tonic::body::Body>, Infallible> {
    let path = request.uri().path();
    if path != STATUS_UPDATE_PATH && path != STATUS_UPDATE_PATH_V3 {
        let path = request.uri().path().to_string();
        return Ok(tonic::Status::unimplemented(format!("{path} is not served here")).into_http());
    }
    let codec = tonic_prost::ProstCodec::<StatusUpdateResponse, StatusUpdateRequest>::default();
    let mut grpc = tonic::server::Grpc::new(codec).max_decoding_message_size(MAX_MESSAGE_BYTES);
    Ok(grpc.unary(UpdateHandler { updates }, request).await)
}

/// `Update`: hands the chunk on and answers at once.
#[derive(Clone)]
struct UpdateHandler {
    updates: UnboundedSender<StatusUpdate>,
}

impl tower::Service<tonic::Request<StatusUpdateRequest>> for UpdateHandler {
    type Response = tonic::Response<StatusUpdateResponse>;
    type Error = tonic::Status;
    type Future = std::future::Ready<Result<Self::Response, Self::Error>>;

    fn poll_ready(&mut self, _context: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, request: tonic::Request<StatusUpdateRequest>) -> Self::Future {
        let update = request.into_inner();
        // A caller that stopped listening is not the plugin's fault: the plugin runs on.
        let _caller_gone = self.updates.send(StatusUpdate {
            output: update.output,
            error: update.error,
        });
        std::future::ready(Ok(tonic::Response::new(StatusUpdateResponse { r: 0 })))
    }
}

#[cfg(test)]
mod tests {
    use std::os::unix::fs::MetadataExt;

    use tokio::sync::mpsc;
    use tonic::codegen::http::uri::PathAndQuery;

    use super::super::channel;
    use super::*;
    use crate::handshake::PluginAddress;

    async fn client(server: &StatusServer) -> tonic::client::Grpc<tonic::transport::Channel> {
        let address = PluginAddress::Unix(server.socket_path().to_path_buf());
        let channel = channel::open(&address)
            .await
            .expect("the socket takes a connection");
        tonic::client::Grpc::new(channel)
    }

    async fn update(
        client: &mut tonic::client::Grpc<tonic::transport::Channel>,
        path: &'static str,
        output: &[u8],
    ) -> Result<StatusUpdateResponse, tonic::Status> {
        client.ready().await.expect("ready");
        let codec = tonic_prost::ProstCodec::<StatusUpdateRequest, StatusUpdateResponse>::default();
        let request = StatusUpdateRequest {
            output: output.to_vec(),
            error: true,
        };
        let path = PathAndQuery::from_static(path);
        let response = client
            .unary(tonic::Request::new(request), path, codec)
            .await?;
        Ok(response.into_inner())
    }

    #[tokio::test]
    async fn updates_arrive_in_order_on_a_private_socket_that_goes_with_the_server() {
        let (sender, mut updates) = mpsc::unbounded_channel();
        let server = StatusServer::start("test", sender).expect("the server starts");
        let socket = server.socket_path().to_path_buf();
        let directory = socket.parent().expect("a directory").to_path_buf();
        let mode = std::fs::metadata(&directory).expect("the directory").mode();
        assert_eq!(mode & 0o777, 0o700);

        let mut client = client(&server).await;
        for text in [&b"one"[..], b"two"] {
            update(&mut client, STATUS_UPDATE_PATH, text)
                .await
                .expect("accepted");
        }
        let expected = |text: &[u8]| StatusUpdate {
            output: text.to_vec(),
            error: true,
        };
        assert_eq!(updates.recv().await, Some(expected(b"one")));
        assert_eq!(updates.recv().await, Some(expected(b"two")));

        drop(server);
        assert_eq!(directory.try_exists().ok(), Some(false));
        let after = update(&mut client, STATUS_UPDATE_PATH, b"late").await;
        assert!(
            after.is_err(),
            "the open connection was closed too: {after:?}"
        );
    }

    #[tokio::test]
    async fn only_update_is_served_and_within_the_size_bound() {
        let (sender, _updates) = mpsc::unbounded_channel();
        let server = StatusServer::start("test", sender).expect("the server starts");
        let mut client = client(&server).await;
        let other = update(&mut client, "/types.v1.StatusHelperService/Other", b"x").await;
        assert_eq!(
            other.map_err(|status| status.code()),
            Err(tonic::Code::Unimplemented)
        );
        let huge = vec![b'x'; MAX_MESSAGE_BYTES + 1];
        let refused = update(&mut client, STATUS_UPDATE_PATH, &huge).await;
        assert_eq!(
            refused.map_err(|status| status.code()),
            Err(tonic::Code::OutOfRange)
        );
    }
}
