//! Integration tests of the gossip layer: real UDP on 127.0.0.1, ephemeral ports, the
//! fast test timings, and conditions polled with a deadline instead of fixed sleeps.

#![allow(clippy::unwrap_used)]

mod encryption;
mod failure;
mod join;
mod leave;
mod restart;
mod tags;

use std::collections::BTreeMap;
use std::time::Duration;

use dkron_membership::{Gossip, GossipConfig, GossipTiming, MemberView, MembershipEvent};
use dkron_model::MemberStatus;
use tokio::sync::broadcast;

/// How long any condition may take before the test fails.
pub const PATIENCE: Duration = Duration::from_secs(10);

/// Installs a subscriber once so `RUST_LOG=debug` shows the gossip logs.
pub fn init_tracing() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        let filter = std::env::var("RUST_LOG").unwrap_or_else(|_| "warn".to_string());
        let _ignored = tracing_subscriber::fmt()
            .with_env_filter(filter)
            .with_test_writer()
            .try_init();
    });
}

/// Returns the tags a test node advertises.
pub fn tags_of(name: &str) -> BTreeMap<String, String> {
    BTreeMap::from([
        ("role".to_string(), "dkron".to_string()),
        ("node".to_string(), name.to_string()),
    ])
}

/// Returns a loopback config on an ephemeral port with the fast timings.
pub fn config(name: &str, key: Option<&[u8]>) -> GossipConfig {
    GossipConfig {
        node_name: name.to_string(),
        bind: "127.0.0.1:0".parse().unwrap(),
        advertise: None,
        tags: tags_of(name),
        key: key.map(<[u8]>::to_vec),
        timing: GossipTiming::fast_for_tests(),
    }
}

/// Starts a node without a key.
pub async fn start(name: &str) -> Gossip {
    init_tracing();
    Gossip::start(config(name, None)).await.unwrap()
}

/// Returns the seed list that points at `node`.
pub fn seed(node: &Gossip) -> Vec<String> {
    vec![node.local_addr().to_string()]
}

/// Returns what `observer` lists for `name`.
pub fn view_of(observer: &Gossip, name: &str) -> Option<MemberView> {
    observer
        .members()
        .into_iter()
        .find(|view| view.name == name)
}

/// Returns the status `observer` lists for `name`.
pub fn status_of(observer: &Gossip, name: &str) -> Option<MemberStatus> {
    view_of(observer, name).map(|view| view.status)
}

/// Polls `condition` until it holds, failing the test after `PATIENCE`.
pub async fn wait_until(what: &str, mut condition: impl FnMut() -> bool) {
    let deadline = tokio::time::Instant::now() + PATIENCE;
    while !condition() {
        assert!(
            tokio::time::Instant::now() < deadline,
            "timed out after {PATIENCE:?} waiting until {what}"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// Waits for the first event matching `wanted`, failing the test after `PATIENCE`.
pub async fn next_event(
    events: &mut broadcast::Receiver<MembershipEvent>,
    what: &str,
    wanted: impl Fn(&MembershipEvent) -> bool,
) -> MembershipEvent {
    let found = tokio::time::timeout(PATIENCE, async {
        loop {
            match events.recv().await {
                Ok(event) if wanted(&event) => return event,
                Ok(_) | Err(broadcast::error::RecvError::Lagged(_)) => {}
                Err(broadcast::error::RecvError::Closed) => panic!("events closed before {what}"),
            }
        }
    })
    .await;
    found.unwrap_or_else(|_| panic!("timed out after {PATIENCE:?} waiting for {what}"))
}

/// Starts `a`, `b` and `c`, joins `b` and `c` through `a`, and waits until all see all.
pub async fn three_node_cluster(names: [&str; 3]) -> [Gossip; 3] {
    let first = start(names[0]).await;
    let second = start(names[1]).await;
    let third = start(names[2]).await;
    second.join(&seed(&first)).await.unwrap();
    third.join(&seed(&first)).await.unwrap();
    let nodes = [first, second, third];
    wait_until("every node sees three alive members", || {
        nodes.iter().all(|node| {
            let members = node.members();
            members.len() == 3
                && members
                    .iter()
                    .all(|view| view.status == MemberStatus::Alive)
        })
    })
    .await;
    nodes
}
