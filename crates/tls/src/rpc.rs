//! Node RPC's mutual TLS: both ends present a certificate of the cluster CA and accept only
//! peers presenting one.

use std::path::Path;
use std::sync::Arc;

use rustls::RootCertStore;

use crate::chain_only::ClusterChainVerifier;
use crate::error::TlsError;
use crate::files::{CertFiles, Identity, client_verifier, read_identity, read_roots};
use crate::provider;

/// The two halves of a node's RPC TLS: what its gRPC server accepts, what its client dials
/// with.
#[derive(Clone)]
pub struct RpcTls {
    /// Requires a client certificate of the cluster CA.
    pub server: Arc<rustls::ServerConfig>,
    /// Presents this node's certificate and checks the peer's chain.
    pub client: Arc<rustls::ClientConfig>,
}

impl std::fmt::Debug for RpcTls {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter.write_str("RpcTls")
    }
}

/// Builds node RPC's TLS from the configured files: this node's certificate, checked
/// against `trusted_ca_file` in both directions.
pub fn rpc_tls_from_files(files: &CertFiles, ca_file: &Path) -> Result<RpcTls, TlsError> {
    let identity = read_identity(&files.cert_file, &files.key_file)?;
    let roots = read_roots("trusted-ca-file", ca_file)?;
    rpc_tls(identity, roots, files.client_crl_file.as_deref())
}

/// Builds node RPC's TLS from an identity and the cluster CA.
pub(crate) fn rpc_tls(
    identity: Identity,
    roots: RootCertStore,
    crl_file: Option<&Path>,
) -> Result<RpcTls, TlsError> {
    let mut server = rustls::ServerConfig::builder_with_provider(provider::ring())
        .with_safe_default_protocol_versions()
        .map_err(TlsError::rustls("rpc server configuration"))?
        .with_client_cert_verifier(client_verifier(roots.clone(), crl_file)?)
        .with_single_cert(identity.certs.clone(), identity.key.clone_key())
        .map_err(TlsError::rustls("rpc server certificate"))?;
    server.alpn_protocols = vec![b"h2".to_vec()];
    let mut client = client_config(Some(identity), roots)?;
    client.alpn_protocols = vec![b"h2".to_vec()];
    Ok(RpcTls {
        server: Arc::new(server),
        client: Arc::new(client),
    })
}

/// Returns a client configuration that checks the peer's chain against `roots` (not the
/// name it is dialled by) and presents `identity` when asked; for the administration
/// commands, which reach a node by whatever address the user typed.
pub fn client_config(
    identity: Option<Identity>,
    roots: RootCertStore,
) -> Result<rustls::ClientConfig, TlsError> {
    let builder = rustls::ClientConfig::builder_with_provider(provider::ring())
        .with_safe_default_protocol_versions()
        .map_err(TlsError::rustls("rpc client configuration"))?
        .dangerous()
        .with_custom_certificate_verifier(Arc::new(ClusterChainVerifier::new(roots)?));
    match identity {
        Some(identity) => builder
            .with_client_auth_cert(identity.certs, identity.key)
            .map_err(TlsError::rustls("client certificate")),
        None => Ok(builder.with_no_client_auth()),
    }
}
