//! One connected executor plugin: what go-plugin's gRPC client and Dkron's `ExecutorClient`
//! do together. Connecting opens the channel, checks health, opens the broker stream and the
//! stdio relay; each Execute serves a fresh `StatusHelperService`, announces it through the
//! broker and calls the plugin.

use std::collections::BTreeMap;
use std::sync::Arc;

use tokio::sync::mpsc::UnboundedSender;
use tokio_util::task::AbortOnDropHandle;
use tonic::codegen::http::uri::PathAndQuery;
use tonic::transport::Channel;

use super::MAX_MESSAGE_BYTES;
use super::broker::Broker;
use super::channel;
use super::error::GrpcError;
use super::proto::{
    EXECUTE_PATH, EXECUTE_PATH_V3, Empty, ExecuteRequest, ExecuteResponse, SHUTDOWN_PATH,
};
use super::status_server::{StatusServer, StatusUpdate};
use super::stdio::{self, StdioTarget};
use crate::handshake::PluginAddress;
use dkron_exec::error_chain;

/// What a plugin's Execute answered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ExecuteReply {
    /// The job's whole output, as the plugin returns it.
    pub(crate) output: Vec<u8>,
    /// The job's error (`exit status 1`…), empty when it succeeded.
    pub(crate) error: String,
}

/// One connected executor plugin; clones share the connection, and calls may run
/// concurrently.
#[derive(Debug, Clone)]
pub(crate) struct GrpcPlugin {
    connection: Arc<Connection>,
}

#[derive(Debug)]
struct Connection {
    name: String,
    channel: Channel,
    broker: Broker,
    /// Set once the plugin answered the v4 name of `Execute` as unknown: a Dkron v3 plugin.
    speaks_v3: std::sync::atomic::AtomicBool,
    _stdio: AbortOnDropHandle<()>,
    /// The socket of the latest call's status server, so that tests can see it go.
    #[cfg(test)]
    last_status_socket: std::sync::Mutex<Option<std::path::PathBuf>>,
}

impl GrpcPlugin {
    /// Connects to the plugin `name` at the address of its handshake; its relayed standard
    /// output and error go to this process's.
    pub(crate) async fn connect(
        name: &str,
        address: &PluginAddress,
    ) -> Result<GrpcPlugin, GrpcError> {
        GrpcPlugin::connect_relaying(name, address, StdioTarget::ThisProcess).await
    }

    /// Connects, relaying the plugin's standard output and error to `stdio`.
    pub(crate) async fn connect_relaying(
        name: &str,
        address: &PluginAddress,
        stdio: StdioTarget,
    ) -> Result<GrpcPlugin, GrpcError> {
        let channel = channel::connect(address).await?;
        let broker = Broker::start(name, channel.clone());
        let stdio = stdio::start(name, channel.clone(), stdio);
        Ok(GrpcPlugin {
            connection: Arc::new(Connection {
                name: name.to_string(),
                channel,
                broker,
                speaks_v3: std::sync::atomic::AtomicBool::new(false),
                _stdio: stdio,
                #[cfg(test)]
                last_status_socket: std::sync::Mutex::new(None),
            }),
        })
    }

    /// Runs one job; every StatusHelper update goes to `updates` as it arrives, in order,
    /// and all of them before the reply. Dropping the future cancels the call (the plugin
    /// sees its context cancelled) and stops the call's status server; the connection stays
    /// usable.
    pub(crate) async fn execute(
        &self,
        job_name: &str,
        config: &BTreeMap<String, String>,
        updates: UnboundedSender<StatusUpdate>,
    ) -> Result<ExecuteReply, GrpcError> {
        let connection = &self.connection;
        let status_server = StatusServer::start(&connection.name, updates)?;
        #[cfg(test)]
        {
            *connection
                .last_status_socket
                .lock()
                .unwrap_or_else(|poisoned| poisoned.into_inner()) =
                Some(status_server.socket_path().to_path_buf());
        }
        let id = connection.broker.next_id();
        connection
            .broker
            .announce(id, status_server.socket_path())?;
        let request = ExecuteRequest {
            job_name: job_name.to_string(),
            config: config.clone(),
            status_server: id,
        };
        let response = self.call_execute(request).await?;
        drop(status_server);
        Ok(ExecuteReply {
            output: response.output,
            error: response.error,
        })
    }

    /// Calls `Execute` under Dkron v4's name, or v3's once the plugin has shown it is a v3
    /// plugin (the broker id stays valid: a plugin dials it only from inside `Execute`).
    async fn call_execute(&self, request: ExecuteRequest) -> Result<ExecuteResponse, GrpcError> {
        use std::sync::atomic::Ordering;
        let v3 = &self.connection.speaks_v3;
        if !v3.load(Ordering::Relaxed) {
            match self.unary_execute(EXECUTE_PATH, request.clone()).await? {
                Err(status) if status.code() == tonic::Code::Unimplemented => {
                    tracing::info!(plugin = %self.connection.name,
                        "the plugin does not know types.v1.ExecutorService: speaking Dkron v3's types.Executor to it");
                    v3.store(true, Ordering::Relaxed);
                }
                other => return other.map_err(|status| GrpcError::from_status(&status)),
            }
        }
        self.unary_execute(EXECUTE_PATH_V3, request)
            .await?
            .map_err(|status| GrpcError::from_status(&status))
    }

    /// One `Execute` call under `path`: the outer error is the connection's, the inner one
    /// the call's status.
    async fn unary_execute(
        &self,
        path: &'static str,
        request: ExecuteRequest,
    ) -> Result<Result<ExecuteResponse, tonic::Status>, GrpcError> {
        let codec = tonic_prost::ProstCodec::<ExecuteRequest, ExecuteResponse>::default();
        let mut client = self.client().await?;
        Ok(client
            .unary(
                tonic::Request::new(request),
                PathAndQuery::from_static(path),
                codec,
            )
            .await
            .map(tonic::Response::into_inner))
    }

    /// Asks the plugin to stop (go-plugin's `GRPCController/Shutdown`); the process then
    /// exits by itself. go-plugin stops its server before answering, so a call cut short by
    /// the closing connection counts as done.
    pub(crate) async fn shutdown(&self) -> Result<(), GrpcError> {
        let codec = tonic_prost::ProstCodec::<Empty, Empty>::default();
        let answered = self
            .client()
            .await?
            .unary(
                tonic::Request::new(Empty {}),
                PathAndQuery::from_static(SHUTDOWN_PATH),
                codec,
            )
            .await;
        match answered.map_err(|status| GrpcError::from_status(&status)) {
            Ok(_) | Err(GrpcError::ConnectionLost(_)) => Ok(()),
            Err(error) => Err(error),
        }
    }

    async fn client(&self) -> Result<tonic::client::Grpc<Channel>, GrpcError> {
        let mut client = tonic::client::Grpc::new(self.connection.channel.clone())
            .max_decoding_message_size(MAX_MESSAGE_BYTES);
        client
            .ready()
            .await
            .map_err(|error| GrpcError::ConnectionLost(error_chain(&error)))?;
        Ok(client)
    }

    #[cfg(test)]
    pub(super) fn last_status_socket(&self) -> Option<std::path::PathBuf> {
        self.connection
            .last_status_socket
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .clone()
    }
}
