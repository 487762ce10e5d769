//! The client side of a TLS connection to a node.

use std::sync::Arc;

use rustls::pki_types::ServerName;
use tokio::net::TcpStream;
use tokio_rustls::TlsConnector;
use tokio_rustls::client::TlsStream;

/// Connects to `host:port` and completes a TLS handshake with `config`. `host` may be an IP
/// (in brackets or not) or a name; the peer's name is not what is checked (see
/// `chain_only.rs`), but it is sent as SNI when it is a name.
pub async fn connect(
    config: Arc<rustls::ClientConfig>,
    host: &str,
    port: u16,
) -> std::io::Result<TlsStream<TcpStream>> {
    let host = host.trim_start_matches('[').trim_end_matches(']');
    let server_name = ServerName::try_from(host.to_string()).map_err(|error| {
        std::io::Error::new(std::io::ErrorKind::InvalidInput, format!("{host}: {error}"))
    })?;
    let tcp = TcpStream::connect((host, port)).await?;
    let _nodelay_is_best_effort = tcp.set_nodelay(true);
    TlsConnector::from(config).connect(server_name, tcp).await
}
