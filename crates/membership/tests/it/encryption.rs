//! Nodes with another key, or none, never become members of an encrypted cluster.

use dkron_membership::{Gossip, GossipError};
use dkron_model::MemberStatus;

use crate::{config, init_tracing, seed, start, status_of, wait_until};

const CLUSTER_KEY: [u8; 32] = [7; 32];
const OTHER_KEY: [u8; 32] = [8; 32];

async fn start_with_key(name: &str, key: &[u8]) -> Gossip {
    init_tracing();
    Gossip::start(config(name, Some(key))).await.unwrap()
}

#[tokio::test]
async fn encrypted_nodes_form_a_cluster_and_refuse_other_keys() {
    let first = start_with_key("crypt-a", &CLUSTER_KEY).await;
    let second = start_with_key("crypt-b", &CLUSTER_KEY).await;
    assert_eq!(second.join(&seed(&first)).await.unwrap(), 2);
    wait_until("a sees b", || {
        status_of(&first, "crypt-b") == Some(MemberStatus::Alive)
    })
    .await;

    tracing::info!("d has another key: its join must fail and nobody may list it");
    let intruder = start_with_key("crypt-d", &OTHER_KEY).await;
    let error = intruder.join(&seed(&first)).await.unwrap_err();
    assert!(
        matches!(error, GossipError::NoSeedAnswered { .. }),
        "{error:?}"
    );
    assert!(error.to_string().contains("encryption key"), "{error}");

    tracing::info!("a node without any key cannot join either");
    let plain = start("crypt-plain").await;
    let error = plain.join(&seed(&second)).await.unwrap_err();
    assert!(
        matches!(error, GossipError::NoSeedAnswered { .. }),
        "{error:?}"
    );

    for member in [&first, &second] {
        assert_eq!(status_of(member, "crypt-d"), None);
        assert_eq!(status_of(member, "crypt-plain"), None);
        assert_eq!(member.members().len(), 2);
    }
    assert_eq!(intruder.members().len(), 1);
    assert_eq!(plain.members().len(), 1);
    for node in [first, second, intruder, plain] {
        node.shutdown().await;
    }
}

#[tokio::test]
async fn an_encrypted_node_cannot_join_a_plain_one() {
    let plain = start("mixed-plain").await;
    let encrypted = start_with_key("mixed-crypt", &CLUSTER_KEY).await;
    let error = encrypted.join(&seed(&plain)).await.unwrap_err();
    assert!(
        matches!(error, GossipError::NoSeedAnswered { .. }),
        "{error:?}"
    );
    assert_eq!(plain.members().len(), 1);
    plain.shutdown().await;
    encrypted.shutdown().await;
}
