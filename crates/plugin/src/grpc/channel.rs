//! The HTTP/2 channel to a plugin's gRPC server, as go-plugin's client opens it: plain text,
//! to the Unix socket or TCP address of the handshake, then a health check of the service
//! `plugin`.

use std::time::Duration;

use dkron_exec::error_chain;
use hyper_util::rt::TokioIo;
use tonic::codegen::http::uri::PathAndQuery;
use tonic::transport::{Channel, Endpoint};

use super::error::GrpcError;
use super::proto::{
    HEALTH_CHECK_PATH, HEALTH_SERVICE, HealthCheckRequest, HealthCheckResponse, SERVING,
};
use crate::handshake::PluginAddress;

/// How long connecting and the health check may take together: the plugin printed its
/// handshake, so it listens already; a plugin that takes longer is stuck.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

/// Opens the channel and checks the plugin's health.
pub(super) async fn connect(address: &PluginAddress) -> Result<Channel, GrpcError> {
    let connected = tokio::time::timeout(CONNECT_TIMEOUT, async {
        let channel = open(address).await?;
        check_health(channel.clone()).await?;
        Ok(channel)
    })
    .await;
    match connected {
        Ok(result) => result,
        Err(_elapsed) => Err(GrpcError::Connect {
            address: address.to_string(),
            reason: format!("no answer within {CONNECT_TIMEOUT:?}"),
        }),
    }
}

/// Opens the channel alone, without the health check.
pub(super) async fn open(address: &PluginAddress) -> Result<Channel, GrpcError> {
    let failed = |reason: String| GrpcError::Connect {
        address: address.to_string(),
        reason,
    };
    match address {
        PluginAddress::Unix(path) => {
            let path = path.clone();
            // The URI only names the HTTP/2 authority; the connector decides where to go.
            let endpoint = Endpoint::from_static("http://plugin");
            let connector = tower::service_fn(move |_uri| {
                let path = path.clone();
                async move {
                    let stream = tokio::net::UnixStream::connect(path).await?;
                    Ok::<_, std::io::Error>(TokioIo::new(stream))
                }
            });
            endpoint
                .connect_with_connector(connector)
                .await
                .map_err(|error| failed(error_chain(&error)))
        }
        PluginAddress::Tcp(host_port) => {
            let endpoint = Endpoint::from_shared(format!("http://{host_port}"))
                .map_err(|error| failed(error.to_string()))?;
            endpoint
                .connect()
                .await
                .map_err(|error| failed(error_chain(&error)))
        }
    }
}

/// go-plugin's `Ping`: the health service must report `plugin` as SERVING.
async fn check_health(channel: Channel) -> Result<(), GrpcError> {
    let mut client = tonic::client::Grpc::new(channel);
    client
        .ready()
        .await
        .map_err(|error| GrpcError::NotServing(error_chain(&error)))?;
    let codec = tonic_prost::ProstCodec::<HealthCheckRequest, HealthCheckResponse>::default();
    let request = tonic::Request::new(HealthCheckRequest {
        service: HEALTH_SERVICE.to_string(),
    });
    let response = client
        .unary(request, PathAndQuery::from_static(HEALTH_CHECK_PATH), codec)
        .await
        .map_err(|status| {
            GrpcError::NotServing(format!(
                "its health check failed ({:?}): {}",
                status.code(),
                status.message()
            ))
        })?;
    match response.into_inner().status {
        SERVING => Ok(()),
        other => Err(GrpcError::NotServing(format!(
            "its health check reports status {other}, not SERVING"
        ))),
    }
}

#[cfg(test)]
mod tests {
    use std::time::Instant;

    use super::*;

    #[tokio::test]
    async fn nothing_listening_is_a_connect_error_naming_the_address() {
        let directory = tempfile::tempdir().expect("a temporary directory");
        let missing = PluginAddress::Unix(directory.path().join("gone.sock"));
        let started = Instant::now();
        let error = connect(&missing).await.expect_err("no socket");
        assert!(started.elapsed() < Duration::from_secs(2));
        let GrpcError::Connect { address, reason } = &error else {
            panic!("{error:?}");
        };
        assert_eq!(address, &missing.to_string());
        assert!(reason.contains("No such file"), "{reason}");

        // A TCP port nothing listens on (bound, then released).
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|listener| listener.local_addr())
            .expect("a free port")
            .port();
        let closed = PluginAddress::Tcp(format!("127.0.0.1:{port}"));
        let error = connect(&closed).await.expect_err("nothing listens");
        assert!(matches!(error, GrpcError::Connect { .. }), "{error:?}");
        assert!(
            error.to_string().contains(&format!("tcp:127.0.0.1:{port}")),
            "{error}"
        );
    }
}
