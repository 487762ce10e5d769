//! A node restarted under the same name and address replaces its old entry.

use dkron_membership::Gossip;
use dkron_model::MemberStatus;

use crate::{config, seed, status_of, three_node_cluster, wait_until};

#[tokio::test]
async fn a_restarted_node_is_alive_again_under_one_entry() {
    let [first, second, third] = three_node_cluster(["restart-a", "restart-b", "restart-c"]).await;
    let address = third.local_addr();

    tracing::info!("c crashes and is declared failed");
    third.shutdown().await;
    wait_until("a lists c as failed", || {
        status_of(&first, "restart-c") == Some(MemberStatus::Failed)
    })
    .await;

    tracing::info!("c comes back on the same address and joins through a");
    let mut restarted_config = config("restart-c", None);
    restarted_config.bind = address;
    let restarted = Gossip::start(restarted_config).await.unwrap();
    assert_eq!(restarted.local_addr(), address);
    restarted.join(&seed(&first)).await.unwrap();

    wait_until("a, b and c list c alive again", || {
        [&first, &second, &restarted]
            .iter()
            .all(|node| status_of(node, "restart-c") == Some(MemberStatus::Alive))
    })
    .await;
    wait_until("c sees a and b alive", || {
        status_of(&restarted, "restart-a") == Some(MemberStatus::Alive)
            && status_of(&restarted, "restart-b") == Some(MemberStatus::Alive)
    })
    .await;
    for node in [&first, &second, &restarted] {
        let entries = node
            .members()
            .iter()
            .filter(|view| view.name == "restart-c")
            .count();
        assert_eq!(entries, 1, "one entry for c");
        assert_eq!(node.members().len(), 3);
    }
    for node in [first, second, restarted] {
        node.shutdown().await;
    }
}
