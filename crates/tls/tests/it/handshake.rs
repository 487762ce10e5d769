//! Mutual TLS between nodes: certificates of the cluster CA (made by `dkron tls` or derived
//! from the gossip key) get in; another CA, no certificate or another key do not.

use std::sync::Arc;

use dkron_tls::{RpcTls, TlsAcceptLoop, connect, derive_rpc_tls, rpc_tls_from_files};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use super::{new_ca, node_under};

/// Serves one echo connection with `server`, dials it with `client`; returns whether a byte
/// made the round trip.
async fn round_trip(server: Arc<rustls::ServerConfig>, client: Arc<rustls::ClientConfig>) -> bool {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let mut accepted = TlsAcceptLoop::start(listener, server, "test").unwrap();
    let port = accepted.local_addr().port();
    tokio::spawn(async move {
        while let Some((mut connection, _peer)) = accepted.next().await {
            let mut byte = [0u8; 1];
            if connection.read_exact(&mut byte).await.is_ok() {
                let _ignored = connection.write_all(&byte).await;
            }
        }
    });
    let Ok(mut stream) = connect(client, "127.0.0.1", port).await else {
        return false;
    };
    // TLS 1.3 reports a refused client certificate only on the first read.
    if stream.write_all(b"x").await.is_err() {
        return false;
    }
    let mut byte = [0u8; 1];
    matches!(
        tokio::time::timeout(
            std::time::Duration::from_secs(5),
            stream.read_exact(&mut byte)
        )
        .await,
        Ok(Ok(_))
    ) && byte == *b"x"
}

fn from_files(written: &super::Written) -> RpcTls {
    rpc_tls_from_files(&written.files, &written.ca_file).unwrap()
}

#[tokio::test]
async fn nodes_of_one_ca_talk_and_a_node_of_another_ca_is_refused_both_ways() {
    let dir = tempfile::tempdir().unwrap();
    let (ca, ca_file) = new_ca(dir.path(), "cluster");
    let one = from_files(&node_under(dir.path(), &ca, &ca_file, "one"));
    let two = from_files(&node_under(dir.path(), &ca, &ca_file, "two"));
    let (other_ca, other_ca_file) = new_ca(dir.path(), "other");
    let stranger = from_files(&node_under(
        dir.path(),
        &other_ca,
        &other_ca_file,
        "stranger",
    ));

    assert!(round_trip(one.server.clone(), two.client.clone()).await);
    assert!(
        !round_trip(one.server.clone(), stranger.client.clone()).await,
        "a client of another CA is refused"
    );
    assert!(
        !round_trip(stranger.server.clone(), one.client.clone()).await,
        "a server of another CA is not trusted"
    );
}

#[tokio::test]
async fn a_client_without_a_certificate_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let (ca, ca_file) = new_ca(dir.path(), "cluster");
    let node = from_files(&node_under(dir.path(), &ca, &ca_file, "node"));
    let roots = dkron_tls::read_roots("trusted-ca-file", &ca_file).unwrap();
    let anonymous = Arc::new(dkron_tls::client_config(None, roots).unwrap());
    assert!(!round_trip(node.server.clone(), anonymous).await);
}

#[tokio::test]
async fn nodes_sharing_a_gossip_key_talk_and_a_node_with_another_key_is_refused() {
    let key = [42u8; 32];
    let one = derive_rpc_tls(&key, "one").unwrap();
    let two = derive_rpc_tls(&key, "two").unwrap();
    let outsider = derive_rpc_tls(&[43u8; 32], "outsider").unwrap();
    assert!(round_trip(one.server.clone(), two.client.clone()).await);
    assert!(round_trip(two.server.clone(), one.client.clone()).await);
    assert!(!round_trip(one.server.clone(), outsider.client.clone()).await);
    assert!(!round_trip(outsider.server.clone(), one.client.clone()).await);
}

/// A client certificate under `ca` with serial `serial`, written to `dir`.
fn client_with_serial(
    dir: &std::path::Path,
    ca: &dkron_tls::IssuedPem,
    serial: u8,
) -> dkron_tls::Identity {
    let ca_key = rcgen::KeyPair::from_pem(&ca.key_pem).unwrap();
    let issuer = rcgen::Issuer::from_ca_cert_pem(&ca.cert_pem, &ca_key).unwrap();
    let mut params = rcgen::CertificateParams::new(vec!["client".to_string()]).unwrap();
    params.serial_number = Some(rcgen::SerialNumber::from_slice(&[serial]));
    params.extended_key_usages = vec![rcgen::ExtendedKeyUsagePurpose::ClientAuth];
    let key = rcgen::KeyPair::generate().unwrap();
    let cert = params.signed_by(&key, &issuer).unwrap();
    let (cert_file, key_file) = super::write_pair(
        dir,
        &format!("client-{serial}"),
        &dkron_tls::IssuedPem {
            cert_pem: cert.pem(),
            key_pem: key.serialize_pem(),
        },
    );
    dkron_tls::read_identity(&cert_file, &key_file).unwrap()
}

#[tokio::test]
async fn https_with_a_revocation_list_refuses_a_revoked_client_and_admits_others() {
    let dir = tempfile::tempdir().unwrap();
    let (ca, ca_file) = new_ca(dir.path(), "cluster");
    let server = node_under(dir.path(), &ca, &ca_file, "server");
    let ca_key = rcgen::KeyPair::from_pem(&ca.key_pem).unwrap();
    let issuer = rcgen::Issuer::from_ca_cert_pem(&ca.cert_pem, &ca_key).unwrap();
    let now = time::OffsetDateTime::now_utc();
    let crl = rcgen::CertificateRevocationListParams {
        this_update: now - time::Duration::hours(1),
        next_update: now + time::Duration::days(1),
        crl_number: rcgen::SerialNumber::from_slice(&[1]),
        issuing_distribution_point: None,
        revoked_certs: vec![rcgen::RevokedCertParams {
            serial_number: rcgen::SerialNumber::from_slice(&[66]),
            revocation_time: now - time::Duration::minutes(5),
            reason_code: None,
            invalidity_date: None,
        }],
        key_identifier_method: rcgen::KeyIdMethod::Sha256,
    }
    .signed_by(&issuer)
    .unwrap();
    let crl_file = dir.path().join("crl.pem");
    std::fs::write(&crl_file, crl.pem().unwrap()).unwrap();
    let files = dkron_tls::CertFiles {
        client_crl_file: Some(crl_file),
        ..server.files.clone()
    };
    let https = dkron_tls::http_server_config(&files, true).unwrap();
    let roots = || dkron_tls::read_roots("trusted-ca-file", &ca_file).unwrap();
    let client = |identity| Arc::new(dkron_tls::client_config(Some(identity), roots()).unwrap());

    let revoked = client_with_serial(dir.path(), &ca, 66);
    assert!(
        !round_trip(https.clone(), client(revoked)).await,
        "a revoked client is refused"
    );
    let valid = client_with_serial(dir.path(), &ca, 67);
    assert!(round_trip(https, client(valid)).await, "others get in");
}
