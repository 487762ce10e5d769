//! A node that leaves is listed as left, never as failed.

use std::time::Duration;

use dkron_membership::{GossipTiming, MembershipEvent};
use dkron_model::MemberStatus;

use crate::{next_event, status_of, three_node_cluster, wait_until};

#[tokio::test]
async fn a_node_that_leaves_is_seen_left_not_failed() {
    let [first, second, third] = three_node_cluster(["leave-a", "leave-b", "leave-c"]).await;
    let mut events = first.subscribe();

    tracing::info!("c leaves gracefully; a and b must list it as left");
    third.leave().await;
    assert_eq!(status_of(&third, "leave-c"), Some(MemberStatus::Left));
    wait_until("a and b list c as left", || {
        status_of(&first, "leave-c") == Some(MemberStatus::Left)
            && status_of(&second, "leave-c") == Some(MemberStatus::Left)
    })
    .await;
    let event = next_event(&mut events, "an event about c", |event| {
        event.member().name == "leave-c"
    })
    .await;
    assert!(matches!(event, MembershipEvent::Left(_)), "{event:?}");

    tracing::info!("once failure detection has had its time, c is still left, not failed");
    let timing = GossipTiming::fast_for_tests();
    tokio::time::sleep(2 * (timing.probe_period + timing.suspect_to_failed)).await;
    assert_eq!(status_of(&first, "leave-c"), Some(MemberStatus::Left));
    assert_eq!(status_of(&second, "leave-c"), Some(MemberStatus::Left));
    while let Ok(event) = events.try_recv() {
        assert!(
            !matches!(&event, MembershipEvent::Failed(view) if view.name == "leave-c"),
            "c was reported failed: {event:?}"
        );
    }
    assert!(Duration::ZERO < timing.reap_after, "c must still be listed");
    first.shutdown().await;
    second.shutdown().await;
}
