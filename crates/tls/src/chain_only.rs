//! The client side's check of a peer node: its certificate must chain to the cluster CA;
//! the name it was dialled by is not compared.
//!
//! Nodes dial each other by the IP:port gossip advertises, and Pro users' certificates name
//! hosts, not those addresses. What makes a peer trustworthy here is holding a certificate
//! of the cluster's own CA (a private CA for this cluster, or the gossip-key CA), so the
//! chain is checked in full (signature, validity, serverAuth usage) and only the name
//! mismatch is forgiven (ADR 15).

use std::sync::Arc;

use rustls::client::WebPkiServerVerifier;
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{CertificateError, DigitallySignedStruct, Error, RootCertStore, SignatureScheme};

use crate::error::TlsError;
use crate::provider;

/// Verifies a server's chain against the cluster CA, whatever name it was dialled by.
#[derive(Debug)]
pub(crate) struct ClusterChainVerifier {
    webpki: Arc<WebPkiServerVerifier>,
}

impl ClusterChainVerifier {
    pub(crate) fn new(roots: RootCertStore) -> Result<Self, TlsError> {
        let webpki = WebPkiServerVerifier::builder_with_provider(Arc::new(roots), provider::ring())
            .build()
            .map_err(|error| TlsError::Rustls {
                what: "peer certificate verifier",
                source: Error::General(error.to_string()),
            })?;
        Ok(ClusterChainVerifier { webpki })
    }
}

impl ServerCertVerifier for ClusterChainVerifier {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        ocsp_response: &[u8],
        now: UnixTime,
    ) -> Result<ServerCertVerified, Error> {
        let verified = self.webpki.verify_server_cert(
            end_entity,
            intermediates,
            server_name,
            ocsp_response,
            now,
        );
        match verified {
            // webpki checks the name only after the chain: this error means the chain passed.
            Err(Error::InvalidCertificate(
                CertificateError::NotValidForName | CertificateError::NotValidForNameContext { .. },
            )) => Ok(ServerCertVerified::assertion()),
            other => other,
        }
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, Error> {
        self.webpki.verify_tls12_signature(message, cert, dss)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, Error> {
        self.webpki.verify_tls13_signature(message, cert, dss)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.webpki.supported_verify_schemes()
    }
}
