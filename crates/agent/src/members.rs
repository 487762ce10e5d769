//! Gossip membership as the rest of the node sees it: Dkron-shaped members, the servers to
//! write to, and the alive nodes a job can run on.

use std::collections::BTreeMap;
use std::time::Duration;

use dkron_membership::{Gossip, MemberView};
use dkron_model::{Member, MemberStatus};

/// Tag carrying a server's Raft id (ours; Dkron identifies servers by name).
pub const RAFT_ID_TAG: &str = "raft_id";

/// Returns true when the member is a dkron server (Dkron §12.3).
pub fn is_server(member: &MemberView) -> bool {
    member.tags.get("role").map(String::as_str) == Some("dkron")
        && member.tags.get("server").map(String::as_str) == Some("true")
}

/// A server seen through gossip: name, Raft id, gRPC address.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServerSeen {
    /// Node name.
    pub name: String,
    /// Raft id (tag `raft_id`).
    pub raft_id: u64,
    /// gRPC address (tag `rpc_addr`).
    pub rpc_addr: String,
    /// Bootstrap expectation it advertises (tag `expect`).
    pub expect: u32,
    /// Gossip status.
    pub status: MemberStatus,
}

/// Every server gossip knows of, whatever its status.
pub fn servers(gossip: &Gossip) -> Vec<ServerSeen> {
    gossip
        .members()
        .into_iter()
        .filter(is_server)
        .filter_map(|member| {
            Some(ServerSeen {
                raft_id: member.tags.get(RAFT_ID_TAG)?.parse().ok()?,
                rpc_addr: member.tags.get("rpc_addr")?.clone(),
                expect: member
                    .tags
                    .get("expect")
                    .and_then(|expect| expect.parse().ok())
                    .unwrap_or(0),
                name: member.name,
                status: member.status,
            })
        })
        .collect()
}

/// gRPC addresses of the alive servers.
pub fn server_rpc_addrs(gossip: &Gossip) -> Vec<String> {
    servers(gossip)
        .into_iter()
        .filter(|server| server.status == MemberStatus::Alive)
        .map(|server| server.rpc_addr)
        .collect()
}

/// The gRPC address of an alive node, by name.
pub fn rpc_addr_of(gossip: &Gossip, node_name: &str) -> Option<String> {
    gossip
        .member(node_name)
        .filter(|member| member.status == MemberStatus::Alive)
        .and_then(|member| member.tags.get("rpc_addr").cloned())
}

/// The gossip status of a node, by name (`None` if gossip has never seen it or forgot it).
pub fn status_of(gossip: &Gossip, node_name: &str) -> Option<MemberStatus> {
    gossip.member(node_name).map(|member| member.status)
}

/// One member in Dkron's JSON shape (Serf's fields).
pub fn to_member(member: MemberView) -> Member {
    Member::new(
        member.name,
        member.addr.ip().to_string(),
        member.addr.port(),
        member.tags,
        member.status,
    )
}

/// Counts of members by status, for `/v1/agent`'s `serf` stats.
pub fn stats(gossip: &Gossip, encrypted: bool) -> BTreeMap<String, String> {
    let members = gossip.members();
    let count = |status: MemberStatus| members.iter().filter(|m| m.status == status).count();
    BTreeMap::from([
        ("members".to_string(), members.len().to_string()),
        (
            "failed".to_string(),
            count(MemberStatus::Failed).to_string(),
        ),
        ("left".to_string(), count(MemberStatus::Left).to_string()),
        ("encrypted".to_string(), encrypted.to_string()),
        ("health_score".to_string(), "0".to_string()),
    ])
}

/// Joins through `seeds` once (Dkron's `join`): a failure is logged, not fatal.
pub async fn join_once(gossip: &Gossip, seeds: &[String]) {
    if seeds.is_empty() {
        return;
    }
    match gossip.join(seeds).await {
        Ok(alive) => tracing::info!(seeds = ?seeds, alive, "joined the cluster"),
        Err(error) => tracing::warn!(seeds = ?seeds, error = %error, "could not join the cluster"),
    }
}

/// Joins through `seeds` until it works (Dkron's `retry-join`); gives up after `max`
/// attempts when `max` is not 0.
pub async fn retry_join(
    gossip: &Gossip,
    seeds: &[String],
    interval: Duration,
    max: u32,
) -> anyhow::Result<()> {
    let mut attempt = 0u32;
    loop {
        attempt += 1;
        match gossip.join(seeds).await {
            Ok(alive) => {
                tracing::info!(seeds = ?seeds, alive, attempt, "joined the cluster");
                return Ok(());
            }
            Err(error) if max != 0 && attempt >= max => {
                anyhow::bail!(
                    "could not join the cluster through {seeds:?} after {attempt} attempts: {error}"
                );
            }
            Err(error) => {
                tracing::warn!(seeds = ?seeds, attempt, retry_in_secs = interval.as_secs_f64(), error = %error, "could not join the cluster; retrying");
                tokio::time::sleep(interval).await;
            }
        }
    }
}
