//! Reading Dkron Pro's PEM files (`cert-file`, `key-file`, `trusted-ca-file`,
//! `client-crl-file`) and the HTTPS configuration built from them.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use rustls::RootCertStore;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, CertificateRevocationListDer, PrivateKeyDer};
use rustls::server::WebPkiClientVerifier;

use crate::error::TlsError;
use crate::provider;

/// The certificate files of a node, as configured.
#[derive(Debug, Clone, Default)]
pub struct CertFiles {
    /// This node's certificate (chain), PEM.
    pub cert_file: PathBuf,
    /// Its private key, PEM.
    pub key_file: PathBuf,
    /// The CA that peers' and clients' certificates must chain to, PEM.
    pub trusted_ca_file: Option<PathBuf>,
    /// Revocation lists checked on client certificates, PEM.
    pub client_crl_file: Option<PathBuf>,
}

/// A certificate chain and its private key.
#[derive(Debug)]
pub struct Identity {
    /// The certificate first, then any intermediates.
    pub certs: Vec<CertificateDer<'static>>,
    /// The certificate's private key.
    pub key: PrivateKeyDer<'static>,
}

impl Clone for Identity {
    fn clone(&self) -> Self {
        Identity {
            certs: self.certs.clone(),
            key: self.key.clone_key(),
        }
    }
}

fn read(key: &'static str, path: &Path) -> Result<Vec<u8>, TlsError> {
    std::fs::read(path).map_err(|source| TlsError::Read {
        key,
        path: path.to_path_buf(),
        source,
    })
}

fn bad_pem(key: &'static str, path: &Path, problem: impl ToString) -> TlsError {
    TlsError::BadPem {
        key,
        path: path.to_path_buf(),
        problem: problem.to_string(),
    }
}

/// Reads a certificate chain from `cert_file` and its key from `key_file`.
pub fn read_identity(cert_file: &Path, key_file: &Path) -> Result<Identity, TlsError> {
    let cert_pem = read("cert-file", cert_file)?;
    let certs = CertificateDer::pem_slice_iter(&cert_pem)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|error| bad_pem("cert-file", cert_file, error))?;
    if certs.is_empty() {
        return Err(bad_pem("cert-file", cert_file, "no CERTIFICATE block"));
    }
    let key_pem = read("key-file", key_file)?;
    let key = PrivateKeyDer::from_pem_slice(&key_pem)
        .map_err(|error| bad_pem("key-file", key_file, format!("no private key ({error})")))?;
    // A key of another certificate would only fail at the first handshake; say it now.
    let signing_key = provider::ring()
        .key_provider
        .load_private_key(key.clone_key())
        .map_err(|error| bad_pem("key-file", key_file, error))?;
    let certified = rustls::sign::CertifiedKey::new(certs.clone(), signing_key);
    certified.keys_match().map_err(|_| {
        bad_pem(
            "key-file",
            key_file,
            format!(
                "the key does not belong to the certificate in {}",
                cert_file.display()
            ),
        )
    })?;
    Ok(Identity { certs, key })
}

/// Reads the trusted CA certificates of setting `key` from `path`.
pub fn read_roots(key: &'static str, path: &Path) -> Result<RootCertStore, TlsError> {
    let pem = read(key, path)?;
    let mut roots = RootCertStore::empty();
    for cert in CertificateDer::pem_slice_iter(&pem) {
        let cert = cert.map_err(|error| bad_pem(key, path, error))?;
        roots
            .add(cert)
            .map_err(|error| bad_pem(key, path, format!("not a CA certificate ({error})")))?;
    }
    if roots.is_empty() {
        return Err(bad_pem(key, path, "no CERTIFICATE block"));
    }
    Ok(roots)
}

fn read_crls(path: &Path) -> Result<Vec<CertificateRevocationListDer<'static>>, TlsError> {
    let pem = read("client-crl-file", path)?;
    let crls = CertificateRevocationListDer::pem_slice_iter(&pem)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|error| bad_pem("client-crl-file", path, error))?;
    if crls.is_empty() {
        return Err(bad_pem("client-crl-file", path, "no X509 CRL block"));
    }
    Ok(crls)
}

/// Returns a verifier that accepts only client certificates chaining to `roots` and not
/// revoked by the lists in `crl_file`.
pub(crate) fn client_verifier(
    roots: RootCertStore,
    crl_file: Option<&Path>,
) -> Result<Arc<dyn rustls::server::danger::ClientCertVerifier>, TlsError> {
    let crls = crl_file.map(read_crls).transpose()?.unwrap_or_default();
    WebPkiClientVerifier::builder_with_provider(Arc::new(roots), provider::ring())
        .with_crls(crls)
        .build()
        .map_err(|error| TlsError::Rustls {
            what: "client certificate verifier",
            source: rustls::Error::General(error.to_string()),
        })
}

/// Builds the HTTPS configuration of the API and UI: this node's certificate, and with
/// `client_cert_auth` a client certificate signed by `trusted_ca_file` is required.
pub fn http_server_config(
    files: &CertFiles,
    client_cert_auth: bool,
) -> Result<Arc<rustls::ServerConfig>, TlsError> {
    let identity = read_identity(&files.cert_file, &files.key_file)?;
    let builder = rustls::ServerConfig::builder_with_provider(provider::ring())
        .with_safe_default_protocol_versions()
        .map_err(TlsError::rustls("https configuration"))?;
    let builder = match (&files.trusted_ca_file, client_cert_auth) {
        (Some(ca_file), true) => {
            let roots = read_roots("trusted-ca-file", ca_file)?;
            builder.with_client_cert_verifier(client_verifier(
                roots,
                files.client_crl_file.as_deref(),
            )?)
        }
        _ => builder.with_no_client_auth(),
    };
    let mut config = builder
        .with_single_cert(identity.certs, identity.key)
        .map_err(TlsError::rustls("https certificate"))?;
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(Arc::new(config))
}
