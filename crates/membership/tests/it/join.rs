//! Joining: through a seed, to nobody, to ourselves, with bad input.

use std::time::{Duration, Instant};

use dkron_membership::{Gossip, GossipError};
use dkron_model::MemberStatus;

use crate::{config, init_tracing, seed, start, tags_of, three_node_cluster, view_of};

#[tokio::test]
async fn three_nodes_see_each_other_with_tags_and_addresses() {
    tracing::info!("b and c join through a; every node must list all three, alive");
    let nodes = three_node_cluster(["join-a", "join-b", "join-c"]).await;

    tracing::info!("each view carries the member's own address and tags");
    for observer in &nodes {
        for member in &nodes {
            let name = member_name(member);
            let view = view_of(observer, &name).unwrap();
            assert_eq!(view.addr, member.local_addr(), "address of {name}");
            assert_eq!(view.tags, tags_of(&name), "tags of {name}");
            assert_eq!(view.status, MemberStatus::Alive);
        }
        let names: Vec<String> = observer
            .members()
            .into_iter()
            .map(|view| view.name)
            .collect();
        assert_eq!(names, ["join-a", "join-b", "join-c"], "sorted by name");
    }
    for node in &nodes {
        node.shutdown().await;
    }
}

#[tokio::test]
async fn join_reports_the_alive_members() {
    let first = start("count-a").await;
    let second = start("count-b").await;
    let alive = second.join(&seed(&first)).await.unwrap();
    assert_eq!(alive, 2);

    tracing::info!("joining ourselves is not an error and changes nothing");
    let lonely = start("count-lonely").await;
    assert_eq!(lonely.join(&seed(&lonely)).await.unwrap(), 1);
    for node in [first, second, lonely] {
        node.shutdown().await;
    }
}

#[tokio::test]
async fn join_to_a_port_nobody_listens_on_fails_with_a_clear_message() {
    let node = start("nobody-a").await;
    let vacant = {
        let probe = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
        probe.local_addr().unwrap()
    };
    let started = Instant::now();
    let error = node.join(&[vacant.to_string()]).await.unwrap_err();
    let waited = started.elapsed();

    assert!(
        matches!(error, GossipError::NoSeedAnswered { .. }),
        "{error:?}"
    );
    let message = error.to_string();
    assert!(message.contains("no seed answered"), "{message}");
    assert!(message.contains(&vacant.to_string()), "{message}");
    let join_timeout = config("x", None).timing.join_timeout;
    assert!(
        waited < join_timeout + Duration::from_secs(2),
        "took {waited:?}"
    );
    assert_eq!(node.members().len(), 1);
    node.shutdown().await;
}

#[tokio::test]
async fn bad_input_is_refused_with_clear_errors() {
    init_tracing();
    let short_key = [1u8; 10];
    let error = Gossip::start(config("bad-key", Some(&short_key)))
        .await
        .unwrap_err();
    assert!(
        matches!(error, GossipError::BadKeyLength { length: 10 }),
        "{error:?}"
    );
    assert!(error.to_string().contains("16, 24 or 32 bytes"));

    let taken = start("bad-taken").await;
    let mut clash = config("bad-clash", None);
    clash.bind = taken.local_addr();
    let error = Gossip::start(clash).await.unwrap_err();
    assert!(matches!(error, GossipError::Bind { .. }), "{error:?}");
    assert!(error.to_string().contains(&taken.local_addr().to_string()));

    assert!(matches!(taken.join(&[]).await, Err(GossipError::NoSeeds)));
    let error = taken
        .join(&["host:notaport".to_string()])
        .await
        .unwrap_err();
    assert!(matches!(error, GossipError::BadSeed { .. }), "{error:?}");
    taken.shutdown().await;
}

fn member_name(node: &Gossip) -> String {
    let own = node
        .members()
        .into_iter()
        .find(|view| view.addr == node.local_addr())
        .unwrap();
    own.name
}
