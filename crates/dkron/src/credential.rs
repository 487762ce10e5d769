//! How the client commands prove themselves to a protected cluster: the certificate flags
//! (Dkron Pro's names), or for node RPC a credential derived from the gossip key
//! (`--encrypt`, or `encrypt` in the `--config` file), as the nodes themselves do (ADR 15).

use std::path::Path;
use std::sync::Arc;

use dkron_cluster::rpc::Channels;
use dkron_config::ConfigSources;

use crate::tls_flags::ClientTlsArgs;

/// The name a command's own certificate carries under the gossip-key CA.
const CLI_NODE_NAME: &str = "dkron-cli";

/// Why a command cannot set up its TLS; the message names the flag or file.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct CredentialError(String);

fn tls_error(error: dkron_tls::TlsError) -> CredentialError {
    CredentialError(error.to_string())
}

/// Returns the client TLS the certificate flags describe, or `None` when none is given.
fn from_flags(tls: &ClientTlsArgs) -> Result<Option<rustls::ClientConfig>, CredentialError> {
    let Some(ca_file) = &tls.trusted_ca_file else {
        if tls.cert_file.is_some() {
            return Err(CredentialError(
                "--cert-file needs --trusted-ca-file: the CA the node's certificate must chain to"
                    .into(),
            ));
        }
        return Ok(None);
    };
    let roots = dkron_tls::read_roots("trusted-ca-file", ca_file).map_err(tls_error)?;
    let identity = match (&tls.cert_file, &tls.key_file) {
        (Some(cert), Some(key)) => Some(dkron_tls::read_identity(cert, key).map_err(tls_error)?),
        _ => None,
    };
    dkron_tls::client_config(identity, roots)
        .map(Some)
        .map_err(tls_error)
}

/// Returns the channels a gRPC command dials with: the certificate flags first, then
/// `--encrypt`, then the certificates or key of the `--config` file; plain without any.
pub fn rpc_channels(
    tls: &ClientTlsArgs,
    encrypt: Option<&str>,
    config_file: Option<&Path>,
) -> Result<Channels, CredentialError> {
    if let Some(mut config) = from_flags(tls)? {
        config.alpn_protocols = vec![b"h2".to_vec()];
        return Ok(Channels::with_tls(Some(Arc::new(config))));
    }
    if let Some(key) = encrypt {
        let key = dkron_config::GossipKey::from_base64(key)
            .map_err(|error| CredentialError(format!("--encrypt: {error}")))?;
        return derived_channels(key.as_bytes());
    }
    let Some(config_file) = config_file else {
        return Ok(Channels::default());
    };
    let config = dkron_config::load(ConfigSources {
        config_file: Some(config_file.to_path_buf()),
        ..ConfigSources::from_process()
    })
    .map_err(|error| CredentialError(format!("invalid configuration: {error}")))?;
    let from_config = ClientTlsArgs {
        cert_file: config.cert_file.clone(),
        key_file: config.key_file.clone(),
        trusted_ca_file: config.trusted_ca_file.clone(),
    };
    if from_config.trusted_ca_file.is_some() && from_config.cert_file.is_some() {
        return rpc_channels(&from_config, None, None);
    }
    match &config.encrypt {
        Some(key) => derived_channels(key.as_bytes()),
        None => Ok(Channels::default()),
    }
}

fn derived_channels(key: &[u8]) -> Result<Channels, CredentialError> {
    let tls = dkron_tls::derive_rpc_tls(key, CLI_NODE_NAME).map_err(tls_error)?;
    Ok(Channels::with_tls(Some(tls.client)))
}

/// Returns the HTTP(S) client of `dkron backup` and `restore`: with the certificate flags
/// it trusts the cluster CA (and presents the certificate, for `client-cert-auth`).
pub fn http_client(
    tls: &ClientTlsArgs,
    deadline: std::time::Duration,
) -> Result<reqwest::Client, CredentialError> {
    // https:// addresses need a TLS provider; plain http does not touch it.
    let _already_installed = rustls::crypto::ring::default_provider().install_default();
    let builder = reqwest::Client::builder().timeout(deadline);
    let builder = match from_flags(tls)? {
        Some(mut config) => {
            config.alpn_protocols = vec![b"http/1.1".to_vec()];
            builder.use_preconfigured_tls(config)
        }
        None => builder,
    };
    builder
        .build()
        .map_err(|error| CredentialError(format!("cannot build the http client: {error}")))
}
