//! Issuing certificates without other tools (`dkron tls ca create`, `dkron tls cert create`):
//! a cluster CA, and node certificates that serve as both server and client certificate, as
//! Dkron Pro's docs ask of the server certificate.

use rcgen::{
    BasicConstraints, CertificateParams, DistinguishedName, DnType, ExtendedKeyUsagePurpose, IsCa,
    Issuer, KeyPair, KeyUsagePurpose,
};
use time::{Duration, OffsetDateTime};

use crate::error::TlsError;

/// A certificate and its private key, PEM.
#[derive(Debug, Clone)]
pub struct IssuedPem {
    /// The certificate.
    pub cert_pem: String,
    /// Its private key (PKCS#8).
    pub key_pem: String,
}

/// What `dkron tls ca create` makes.
#[derive(Debug, Clone)]
pub struct CaRequest {
    /// The CA's common name.
    pub common_name: String,
    /// Days from now until it expires.
    pub days: u32,
}

/// What `dkron tls cert create` makes.
#[derive(Debug, Clone)]
pub struct CertRequest {
    /// The certificate's common name.
    pub common_name: String,
    /// Host names and IP addresses the certificate is for (subject alternative names).
    pub names: Vec<String>,
    /// Days from now until it expires.
    pub days: u32,
    /// The signing CA's certificate, PEM.
    pub ca_cert_pem: String,
    /// The signing CA's private key, PEM.
    pub ca_key_pem: String,
}

fn validity(params: &mut CertificateParams, days: u32) {
    let now = OffsetDateTime::now_utc();
    // A little slack for nodes whose clocks are slightly behind the issuer's.
    params.not_before = now - Duration::hours(1);
    params.not_after = now + Duration::days(i64::from(days));
}

fn named(common_name: &str) -> DistinguishedName {
    let mut name = DistinguishedName::new();
    name.push(DnType::OrganizationName, "dkron-rs");
    name.push(DnType::CommonName, common_name);
    name
}

/// Returns a CA certificate and key.
pub fn create_ca(request: &CaRequest) -> Result<IssuedPem, TlsError> {
    let mut params = CertificateParams::default();
    params.distinguished_name = named(&request.common_name);
    params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    params.key_usages = vec![
        KeyUsagePurpose::KeyCertSign,
        KeyUsagePurpose::CrlSign,
        KeyUsagePurpose::DigitalSignature,
    ];
    validity(&mut params, request.days);
    let key = KeyPair::generate().map_err(TlsError::issue("CA key"))?;
    let cert = params
        .self_signed(&key)
        .map_err(TlsError::issue("CA certificate"))?;
    Ok(IssuedPem {
        cert_pem: cert.pem(),
        key_pem: key.serialize_pem(),
    })
}

/// Returns the parameters of a node certificate: `common_name`, the subject alternative
/// names `names` (IPs become IP entries), both TLS usages, valid `days` from now.
pub(crate) fn leaf_params(
    common_name: &str,
    names: &[String],
    days: u32,
) -> Result<CertificateParams, TlsError> {
    let mut params =
        CertificateParams::new(names.to_vec()).map_err(TlsError::issue("certificate names"))?;
    params.distinguished_name = named(common_name);
    params.is_ca = IsCa::ExplicitNoCa;
    params.key_usages = vec![
        KeyUsagePurpose::DigitalSignature,
        KeyUsagePurpose::KeyEncipherment,
    ];
    params.extended_key_usages = vec![
        ExtendedKeyUsagePurpose::ServerAuth,
        ExtendedKeyUsagePurpose::ClientAuth,
    ];
    validity(&mut params, days);
    Ok(params)
}

/// Returns a node certificate signed by the request's CA, good for serving HTTPS and RPC
/// and for presenting as a client.
pub fn create_cert(request: &CertRequest) -> Result<IssuedPem, TlsError> {
    let ca_key = KeyPair::from_pem(&request.ca_key_pem).map_err(TlsError::issue("CA key"))?;
    let issuer = Issuer::from_ca_cert_pem(&request.ca_cert_pem, &ca_key)
        .map_err(TlsError::issue("CA certificate"))?;
    let params = leaf_params(&request.common_name, &request.names, request.days)?;
    let key = KeyPair::generate().map_err(TlsError::issue("certificate key"))?;
    let cert = params
        .signed_by(&key, &issuer)
        .map_err(TlsError::issue("certificate"))?;
    check_chain(cert.der(), &request.ca_cert_pem)?;
    Ok(IssuedPem {
        cert_pem: cert.pem(),
        key_pem: key.serialize_pem(),
    })
}

/// Checks the new certificate against its CA as a peer would, so that a CA key that does not
/// belong to the CA certificate fails here and not at the first handshake.
fn check_chain(cert: &rustls::pki_types::CertificateDer<'_>, ca_pem: &str) -> Result<(), TlsError> {
    use rustls::client::danger::ServerCertVerifier;
    use rustls::pki_types::pem::PemObject;

    let mut roots = rustls::RootCertStore::empty();
    for ca in rustls::pki_types::CertificateDer::pem_slice_iter(ca_pem.as_bytes()) {
        let ca = ca.map_err(|error| TlsError::Issue {
            what: "certificate",
            message: format!("the CA certificate is not PEM: {error}"),
        })?;
        roots.add(ca).map_err(TlsError::rustls("CA certificate"))?;
    }
    let verifier = crate::chain_only::ClusterChainVerifier::new(roots)?;
    let any_name = rustls::pki_types::ServerName::try_from("dkron-node").expect("a valid DNS name");
    verifier
        .verify_server_cert(
            cert,
            &[],
            &any_name,
            &[],
            rustls::pki_types::UnixTime::now(),
        )
        .map(|_| ())
        .map_err(|error| TlsError::Issue {
            what: "certificate",
            message: format!(
                "it does not verify against the CA (is the CA key the CA's?): {error}"
            ),
        })
}
