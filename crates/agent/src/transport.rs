//! How this node's ports are protected (issue 13, ADR 15): HTTPS for the API and UI, and
//! mutual TLS on node RPC from the certificate files or, failing those, from the gossip key.
//! Read before anything else at start, so a bad file stops the agent before it touches its
//! data directory or its ports.

use std::sync::Arc;

use anyhow::Context;
use dkron_config::AgentConfig;
use dkron_tls::{CertFiles, RpcTls};

/// What node RPC is protected with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum RpcCredential {
    /// Certificates of `trusted-ca-file`.
    Certificates,
    /// The CA derived from the gossip key.
    GossipKey,
    /// Nothing: anyone reaching the port is obeyed.
    Open,
}

/// The TLS of this node's two TCP ports.
pub(crate) struct Transport {
    /// Node RPC's mutual TLS; `None` leaves RPC open (and warns).
    pub rpc: Option<RpcTls>,
    /// Where `rpc` comes from.
    pub rpc_credential: RpcCredential,
    /// The API's HTTPS; `None` serves plain HTTP.
    pub http: Option<Arc<rustls::ServerConfig>>,
}

impl Transport {
    /// Returns the client TLS of node RPC, for the channel pool.
    pub(crate) fn rpc_client(&self) -> Option<Arc<rustls::ClientConfig>> {
        self.rpc.as_ref().map(|tls| tls.client.clone())
    }

    /// Returns the server TLS of node RPC.
    pub(crate) fn rpc_server(&self) -> Option<Arc<rustls::ServerConfig>> {
        self.rpc.as_ref().map(|tls| tls.server.clone())
    }
}

fn cert_files(config: &AgentConfig) -> Option<CertFiles> {
    Some(CertFiles {
        cert_file: config.cert_file.clone()?,
        key_file: config.key_file.clone()?,
        trusted_ca_file: config.trusted_ca_file.clone(),
        client_crl_file: config.client_crl_file.clone(),
    })
}

/// Reads the TLS material the configuration names; every error names the setting and file.
pub(crate) fn transport(config: &AgentConfig) -> anyhow::Result<Transport> {
    let files = cert_files(config);
    let http = match &files {
        Some(files) if !config.disable_http_tls => Some(dkron_tls::http_server_config(
            files,
            config.client_cert_auth,
        )?),
        _ => None,
    };
    let (rpc, rpc_credential) = rpc_tls(config, files.as_ref())?;
    Ok(Transport {
        http,
        rpc,
        rpc_credential,
    })
}

/// Certificates win; then the gossip key; with neither, RPC is open and the node says so.
fn rpc_tls(
    config: &AgentConfig,
    files: Option<&CertFiles>,
) -> anyhow::Result<(Option<RpcTls>, RpcCredential)> {
    let port = config.rpc_port;
    if let Some(files) = files {
        if let Some(ca_file) = &files.trusted_ca_file {
            let tls = dkron_tls::rpc_tls_from_files(files, ca_file)?;
            tracing::info!(
                port,
                "node rpc: mutual TLS with the certificates of trusted-ca-file"
            );
            return Ok((Some(tls), RpcCredential::Certificates));
        }
        tracing::warn!(
            port,
            "cert-file is set without trusted-ca-file: node rpc cannot check its peers' certificates and does not use it"
        );
    }
    if let Some(key) = &config.encrypt {
        let tls = dkron_tls::derive_rpc_tls(key.as_bytes(), &config.node_name)
            .context("cannot derive the node rpc credential from the gossip key (encrypt)")?;
        tracing::info!(
            port,
            "node rpc: mutual TLS with a credential derived from the gossip key"
        );
        return Ok((Some(tls), RpcCredential::GossipKey));
    }
    tracing::warn!(
        port,
        "node rpc is NOT authenticated: anyone who can reach port {port} can run commands on this node and stop it; set encrypt (see dkron keygen) or cert-file, key-file and trusted-ca-file"
    );
    Ok((None, RpcCredential::Open))
}

#[cfg(test)]
#[path = "transport_test.rs"]
mod tests;
