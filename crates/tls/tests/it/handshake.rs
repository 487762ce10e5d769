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
