//! A node that stops without leaving is declared failed.

use dkron_membership::MembershipEvent;
use dkron_model::MemberStatus;

use crate::{next_event, status_of, three_node_cluster, wait_until};

#[tokio::test]
async fn a_node_that_stops_silently_is_seen_failed() {
    let [first, second, third] = three_node_cluster(["fail-a", "fail-b", "fail-c"]).await;
    let mut events = first.subscribe();

    tracing::info!("c stops without a word; a and b must declare it failed");
    third.shutdown().await;
    wait_until("a and b list c as failed", || {
        status_of(&first, "fail-c") == Some(MemberStatus::Failed)
            && status_of(&second, "fail-c") == Some(MemberStatus::Failed)
    })
    .await;
    let event = next_event(&mut events, "a failed event for c", |event| {
        event.member().name == "fail-c"
    })
    .await;
    assert!(matches!(event, MembershipEvent::Failed(_)), "{event:?}");

    tracing::info!("the survivors still see each other alive");
    assert_eq!(status_of(&first, "fail-b"), Some(MemberStatus::Alive));
    assert_eq!(status_of(&second, "fail-a"), Some(MemberStatus::Alive));
    first.shutdown().await;
    second.shutdown().await;
}

#[tokio::test]
async fn failed_members_are_reaped_after_the_configured_time() {
    crate::init_tracing();
    let mut timing = dkron_membership::GossipTiming::fast_for_tests();
    timing.reap_after = std::time::Duration::from_secs(2);
    let start_with = |name: &str| {
        let mut config = crate::config(name, None);
        config.timing = timing.clone();
        dkron_membership::Gossip::start(config)
    };
    let first = start_with("reap-a").await.unwrap();
    let second = start_with("reap-b").await.unwrap();
    second.join(&crate::seed(&first)).await.unwrap();
    wait_until("a sees b", || {
        status_of(&first, "reap-b") == Some(MemberStatus::Alive)
    })
    .await;

    tracing::info!("b stops; a lists it failed, then drops it after reap_after");
    second.shutdown().await;
    wait_until("a lists b as failed", || {
        status_of(&first, "reap-b") == Some(MemberStatus::Failed)
    })
    .await;
    wait_until("a no longer lists b", || {
        status_of(&first, "reap-b").is_none()
    })
    .await;
    first.shutdown().await;
}
