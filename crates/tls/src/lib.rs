//! TLS for a node (issue 13): reading PEM files into rustls configurations for the HTTPS API
//! and for node-to-node RPC, the credential derived from the gossip key, issuing
//! certificates for `dkron tls`, and the accept loop that does handshakes off the accept path.
//!
//! rustls with the `ring` provider only. Node RPC is mutual TLS in both directions against
//! one cluster CA; names are not checked, only the chain (nodes dial each other by IP, and
//! holding a certificate of the cluster CA is what makes a node a member; see ADR 15).

mod accept;
mod cap;
mod chain_only;
mod connect;
mod derived;
mod error;
mod files;
mod issue;
mod provider;
mod rpc;

pub use accept::{TlsAcceptLoop, TlsAccepted, TlsConnection};
pub use cap::ConnectionCap;
pub use connect::connect;
pub use derived::derive_rpc_tls;
pub use error::TlsError;
pub use files::{CertFiles, Identity, http_server_config, read_identity, read_roots};
pub use issue::{CaRequest, CertRequest, IssuedPem, create_ca, create_cert};
pub use rpc::{RpcTls, client_config, rpc_tls_from_files};

/// The rustls types callers hand around.
pub use rustls::{ClientConfig, ServerConfig};
