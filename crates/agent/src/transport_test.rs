//! Which credential node RPC gets from which settings, file errors, and HTTPS keeping the
//! peer's address for handlers.

use std::path::{Path, PathBuf};

use axum::extract::ConnectInfo;
use std::net::SocketAddr;

use dkron_config::{AgentConfig, GossipKey};

use super::*;

struct Files {
    ca: PathBuf,
    cert: PathBuf,
    key: PathBuf,
}

fn write_certificates(dir: &Path) -> Files {
    let ca = dkron_tls::create_ca(&dkron_tls::CaRequest {
        common_name: "test CA".into(),
        days: 1,
    })
    .expect("a CA");
    let node = dkron_tls::create_cert(&dkron_tls::CertRequest {
        common_name: "node".into(),
        names: vec!["127.0.0.1".into()],
        days: 1,
        ca_cert_pem: ca.cert_pem.clone(),
        ca_key_pem: ca.key_pem.clone(),
    })
    .expect("a certificate");
    let write = |name: &str, text: &str| {
        let path = dir.join(name);
        std::fs::write(&path, text).expect("written");
        path
    };
    Files {
        ca: write("ca.pem", &ca.cert_pem),
        cert: write("node.pem", &node.cert_pem),
        key: write("node-key.pem", &node.key_pem),
    }
}

fn config() -> AgentConfig {
    AgentConfig {
        node_name: "node".into(),
        ..AgentConfig::default()
    }
}

fn key() -> Option<GossipKey> {
    Some(GossipKey::from_base64("AAECAwQFBgcICQoLDA0ODw==").expect("a valid key"))
}

#[test]
fn certificates_win_then_the_gossip_key_then_nothing() {
    let dir = tempfile::tempdir().expect("a temp dir");
    let files = write_certificates(dir.path());
    let credential = |config: AgentConfig| transport(&config).expect("usable").rpc_credential;

    assert_eq!(credential(config()), RpcCredential::Open);
    let keyed = AgentConfig {
        encrypt: key(),
        ..config()
    };
    assert_eq!(credential(keyed.clone()), RpcCredential::GossipKey);
    let certificates = AgentConfig {
        cert_file: Some(files.cert.clone()),
        key_file: Some(files.key.clone()),
        trusted_ca_file: Some(files.ca.clone()),
        ..keyed.clone()
    };
    assert_eq!(
        credential(certificates.clone()),
        RpcCredential::Certificates
    );
    let https = transport(&certificates).expect("usable");
    assert!(https.http.is_some(), "cert-file serves HTTPS");
    let without_ca = AgentConfig {
        trusted_ca_file: None,
        ..certificates.clone()
    };
    assert_eq!(
        credential(without_ca),
        RpcCredential::GossipKey,
        "RPC needs the CA"
    );
    let plain_http = AgentConfig {
        disable_http_tls: true,
        ..certificates
    };
    assert!(transport(&plain_http).expect("usable").http.is_none());
}

#[test]
fn a_missing_file_is_an_error_naming_the_key_and_file() {
    let config = AgentConfig {
        cert_file: Some(PathBuf::from("/nonexistent/node.pem")),
        key_file: Some(PathBuf::from("/nonexistent/node-key.pem")),
        ..config()
    };
    let error = transport(&config).err().expect("refused").to_string();
    assert!(
        error.contains("cert-file") && error.contains("/nonexistent/node.pem"),
        "{error}"
    );
}

#[tokio::test]
async fn https_handlers_see_the_clients_address() {
    let dir = tempfile::tempdir().expect("a temp dir");
    let files = write_certificates(dir.path());
    let config = AgentConfig {
        cert_file: Some(files.cert),
        key_file: Some(files.key),
        ..config()
    };
    let tls = transport(&config).expect("usable").http.expect("https");
    let tcp = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bound");
    let cap = dkron_tls::ConnectionCap::new(4);
    let tls_loop =
        dkron_tls::TlsAcceptLoop::start_capped(tcp, tls, "http", cap.clone()).expect("started");
    let port = tls_loop.local_addr().port();
    let router = axum::Router::new().route(
        "/peer",
        axum::routing::get(|ConnectInfo(peer): ConnectInfo<SocketAddr>| async move {
            peer.ip().to_string()
        }),
    );
    let deadlines = crate::http_activity::ConnectionDeadlines {
        idle: std::time::Duration::from_secs(60),
        header: std::time::Duration::from_secs(10),
    };
    let listener = crate::http_server::HttpListener::Tls(tls_loop);
    let shutdown = tokio_util::sync::CancellationToken::new();
    tokio::spawn(crate::http_server::serve_http(
        listener, router, cap, deadlines, shutdown,
    ));

    let roots = dkron_tls::read_roots("trusted-ca-file", &files.ca).expect("the CA");
    let mut client_tls = dkron_tls::client_config(None, roots).expect("a client config");
    client_tls.alpn_protocols = vec![b"http/1.1".to_vec()];
    let client = reqwest::Client::builder()
        .use_preconfigured_tls(client_tls)
        .build()
        .expect("a client");
    let answer = client
        .get(format!("https://127.0.0.1:{port}/peer"))
        .send()
        .await
        .expect("an answer")
        .text()
        .await
        .expect("a body");
    assert_eq!(answer, "127.0.0.1");
}
