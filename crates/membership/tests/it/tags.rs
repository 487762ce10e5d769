//! Tag changes reach every member.

use std::collections::BTreeMap;

use dkron_membership::MembershipEvent;
use dkron_model::MemberStatus;

use crate::{next_event, status_of, three_node_cluster, view_of, wait_until};

#[tokio::test]
async fn a_tag_change_propagates_to_every_member() {
    let [first, second, third] = three_node_cluster(["tags-a", "tags-b", "tags-c"]).await;
    let mut events = first.subscribe();

    tracing::info!("b switches to new tags; a and c must see them");
    let new_tags = BTreeMap::from([
        ("role".to_string(), "agent".to_string()),
        ("dc".to_string(), "eu-west".to_string()),
    ]);
    second.set_tags(new_tags.clone()).await;
    assert_eq!(view_of(&second, "tags-b").unwrap().tags, new_tags);
    wait_until("a and c see b's new tags", || {
        [&first, &third]
            .iter()
            .all(|node| view_of(node, "tags-b").is_some_and(|view| view.tags == new_tags))
    })
    .await;
    let event = next_event(&mut events, "an update of b", |event| {
        event.member().name == "tags-b"
    })
    .await;
    assert!(
        matches!(&event, MembershipEvent::Updated(view) if view.tags == new_tags),
        "{event:?}"
    );

    tracing::info!("the change is not mistaken for a failure, and b keeps working");
    for node in [&first, &second, &third] {
        assert!(
            node.members()
                .iter()
                .all(|view| view.status == MemberStatus::Alive)
        );
    }
    third.shutdown().await;
    wait_until("b still detects c's failure", || {
        status_of(&second, "tags-c") == Some(MemberStatus::Failed)
    })
    .await;
    first.shutdown().await;
    second.shutdown().await;
}
