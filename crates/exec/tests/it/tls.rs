//! The http executor over TLS: a test CA, a server certificate and a client certificate made
//! with rcgen, served by tokio-rustls on 127.0.0.1 (ring provider only).

use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;

use rcgen::{
    BasicConstraints, CertificateParams, DnType, ExtendedKeyUsagePurpose, IsCa, Issuer, KeyPair,
};
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use crate::support::{request, run};

struct TestPki {
    directory: tempfile::TempDir,
    ca_der: CertificateDer<'static>,
    server_chain: Vec<CertificateDer<'static>>,
    server_key: PrivateKeyDer<'static>,
}

impl TestPki {
    fn path(&self, name: &str) -> String {
        self.directory
            .path()
            .join(name)
            .to_str()
            .unwrap()
            .to_string()
    }
}

/// Writes `ca.pem`, `client.pem` and `client-key.pem` and keeps the server's pair in memory.
fn make_pki() -> TestPki {
    let mut ca_params = CertificateParams::new(Vec::<String>::new()).unwrap();
    ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    ca_params
        .distinguished_name
        .push(DnType::CommonName, "dkron-exec test ca");
    let ca_key = KeyPair::generate().unwrap();
    let ca_cert = ca_params.self_signed(&ca_key).unwrap();
    let issuer = Issuer::new(ca_params, ca_key);

    let mut server_params =
        CertificateParams::new(vec!["127.0.0.1".to_string(), "localhost".to_string()]).unwrap();
    server_params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
    let server_key = KeyPair::generate().unwrap();
    let server_cert = server_params.signed_by(&server_key, &issuer).unwrap();

    let mut client_params = CertificateParams::new(Vec::<String>::new()).unwrap();
    client_params
        .distinguished_name
        .push(DnType::CommonName, "dkron-exec test client");
    client_params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ClientAuth];
    let client_key = KeyPair::generate().unwrap();
    let client_cert = client_params.signed_by(&client_key, &issuer).unwrap();

    let directory = tempfile::tempdir().unwrap();
    let write = |name: &str, text: String| std::fs::write(directory.path().join(name), text);
    write("ca.pem", ca_cert.pem()).unwrap();
    write("client.pem", client_cert.pem()).unwrap();
    write("client-key.pem", client_key.serialize_pem()).unwrap();
    TestPki {
        ca_der: ca_cert.der().clone(),
        server_chain: vec![server_cert.der().clone()],
        server_key: PrivatePkcs8KeyDer::from(server_key.serialize_der()).into(),
        directory,
    }
}

/// Serves HTTPS on 127.0.0.1, answering every request with whether a client certificate came.
async fn start_tls_server(pki: &TestPki, require_client_cert: bool) -> SocketAddr {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let builder = rustls::ServerConfig::builder_with_provider(provider.clone())
        .with_safe_default_protocol_versions()
        .unwrap();
    let builder = if require_client_cert {
        let mut roots = rustls::RootCertStore::empty();
        roots.add(pki.ca_der.clone()).unwrap();
        let verifier =
            rustls::server::WebPkiClientVerifier::builder_with_provider(Arc::new(roots), provider)
                .build()
                .unwrap();
        builder.with_client_cert_verifier(verifier)
    } else {
        builder.with_no_client_auth()
    };
    let config = builder
        .with_single_cert(pki.server_chain.clone(), pki.server_key.clone_key())
        .unwrap();
    let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(config));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    tokio::spawn(async move {
        loop {
            let Ok((stream, _)) = listener.accept().await else {
                return;
            };
            let acceptor = acceptor.clone();
            tokio::spawn(async move {
                // Handshake failures are what some tests expect; just drop the connection.
                let Ok(mut tls) = acceptor.accept(stream).await else {
                    return;
                };
                let mut request = Vec::new();
                let mut buffer = [0u8; 1024];
                while !request.windows(4).any(|window| window == b"\r\n\r\n") {
                    match tls.read(&mut buffer).await {
                        Ok(0) | Err(_) => return,
                        Ok(length) => request.extend_from_slice(&buffer[..length]),
                    }
                }
                let has_client_cert = tls.get_ref().1.peer_certificates().is_some();
                let body = format!("tls ok, client cert: {has_client_cert}");
                let response = format!(
                    "HTTP/1.1 200 OK\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                    body.len()
                );
                let _sent = tls.write_all(response.as_bytes()).await;
                let _closed = tls.shutdown().await;
            });
        }
    });
    address
}

fn https_request(address: SocketAddr, extra: &[(&str, &str)]) -> dkron_exec::ExecRequest {
    let url = format!("https://127.0.0.1:{}/", address.port());
    let mut config = vec![("method", "GET"), ("url", url.as_str())];
    config.extend_from_slice(extra);
    request("http", &config)
}

#[tokio::test]
async fn root_cas_file_trusts_a_private_ca() {
    let pki = make_pki();
    let address = start_tls_server(&pki, false).await;
    let ca = pki.path("ca.pem");
    let outcome = run(https_request(address, &[("tlsRootCAsFile", &ca)])).await;
    assert!(outcome.success, "{outcome:?}");
    assert_eq!(outcome.output, "tls ok, client cert: false");
}

#[tokio::test]
async fn unknown_ca_fails_unless_verification_is_off() {
    let pki = make_pki();
    let address = start_tls_server(&pki, false).await;
    let untrusted = run(https_request(address, &[])).await;
    assert!(!untrusted.success, "{untrusted:?}");
    assert!(
        untrusted.output.contains("certificate"),
        "{}",
        untrusted.output
    );

    let unverified = run(https_request(address, &[("tlsNoVerifyPeer", "true")])).await;
    assert!(unverified.success, "{unverified:?}");
}

#[tokio::test]
async fn missing_root_file_is_a_warning_then_system_roots() {
    let pki = make_pki();
    let address = start_tls_server(&pki, false).await;
    let missing = pki.path("missing.pem");
    let outcome = run(https_request(address, &[("tlsRootCAsFile", &missing)])).await;
    assert!(!outcome.success, "system roots do not know the test CA");
    assert!(
        outcome
            .output
            .contains("Warning: cannot load root CAs from"),
        "{}",
        outcome.output
    );
}

#[tokio::test]
async fn client_certificate_is_presented() {
    let pki = make_pki();
    let address = start_tls_server(&pki, true).await;
    let ca = pki.path("ca.pem");
    let certificate = pki.path("client.pem");
    let key = pki.path("client-key.pem");
    let with_cert = run(https_request(
        address,
        &[
            ("tlsRootCAsFile", &ca),
            ("tlsCertificateFile", &certificate),
            ("tlsCertificateKeyFile", &key),
        ],
    ))
    .await;
    assert!(with_cert.success, "{with_cert:?}");
    assert_eq!(with_cert.output, "tls ok, client cert: true");

    let without_cert = run(https_request(address, &[("tlsRootCAsFile", &ca)])).await;
    assert!(!without_cert.success, "{without_cert:?}");
    assert!(Path::new(&certificate).is_file());
}
