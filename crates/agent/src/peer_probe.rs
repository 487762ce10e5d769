//! Probes gossip members over node RPC so that only members holding this cluster's
//! credential are chosen as job targets (ADR 15). Every server runs it (a new leader then
//! already knows the verdicts, and any server can show them in `/v1/members`); it does
//! nothing when node RPC is not protected, since a plain call proves nothing.

use std::sync::Arc;
use std::time::{Duration, Instant};

use dkron_cluster::rpc::{NodeCalls, RpcError};
use dkron_model::MemberStatus;
use tokio_util::sync::CancellationToken;

use crate::node::Node;
use crate::peer_trust::{Due, Probe};

/// Tag `/v1/members` adds to a member whose node RPC refused this cluster's credential.
pub const RPC_TRUST_TAG: &str = "dkron_rpc_trust";

/// Every member in Dkron's JSON shape; a refused one carries `dkron_rpc_trust: refused`.
pub fn members_with_trust(node: &Node) -> Vec<dkron_model::Member> {
    node.gossip
        .members()
        .into_iter()
        .map(|mut member| {
            if node.is_refused(&member) {
                member
                    .tags
                    .insert(RPC_TRUST_TAG.to_string(), "refused".to_string());
            }
            crate::members::to_member(member)
        })
        .collect()
}

/// How often alive members are compared with the verdicts.
const PROBE_EVERY: Duration = Duration::from_secs(1);
/// How long a member has to answer a probe.
const PROBE_LIMIT: Duration = Duration::from_secs(3);

/// Probes members until `shutdown`, when node RPC is protected.
pub async fn follow(node: Arc<Node>, shutdown: CancellationToken) {
    if !node.channels.is_protected() {
        return;
    }
    let mut tick = tokio::time::interval(PROBE_EVERY);
    loop {
        tokio::select! {
            _ = shutdown.cancelled() => return,
            _ = tick.tick() => {}
        }
        for member in node.peer_trust.due(&alive_members(&node), Instant::now()) {
            tokio::spawn(probe(node.clone(), member));
        }
    }
}

/// Alive members other than this node that advertise an RPC address.
fn alive_members(node: &Node) -> Vec<Due> {
    node.gossip
        .members()
        .into_iter()
        .filter(|member| member.status == MemberStatus::Alive && member.name != node.node_name)
        .filter_map(|member| {
            Some(Due {
                rpc_addr: member.tags.get("rpc_addr")?.clone(),
                name: member.name,
            })
        })
        .collect()
}

/// Calls the member once and records what the call proved.
async fn probe(node: Arc<Node>, member: Due) {
    let answer = NodeCalls::new(&node.channels, &member.rpc_addr)
        .with_deadline(PROBE_LIMIT)
        .running()
        .await;
    let found = match answer {
        // Any answer, even an error, came over a completed handshake.
        Ok(_)
        | Err(
            RpcError::Remote { .. } | RpcError::Unimplemented { .. } | RpcError::Malformed { .. },
        ) => Probe::Trusted,
        Err(error) if error.is_handshake_refused() => {
            // The connection may be kept: a later call must dial again, not reuse it.
            node.channels.forget(&member.rpc_addr);
            Probe::Refused(handshake_reason(&error))
        }
        Err(error) => {
            if error.never_reached_peer() {
                // Issue 14: a member the leader cannot connect to gets no new runs for a while.
                node.unreachable.mark(&member.name, Instant::now());
            }
            Probe::Unanswered
        }
    };
    if found == Probe::Trusted {
        node.unreachable.clear(&member.name);
    }
    let trusted = found == Probe::Trusted;
    let reason = match &found {
        Probe::Refused(reason) => reason.clone(),
        _ => String::new(),
    };
    if node.peer_trust.record(&member, found, Instant::now()) {
        warn_refused(&member, &reason);
    } else if trusted {
        tracing::debug!(member = %member.name, rpc_addr = %member.rpc_addr, "member holds this cluster's credential");
    }
}

/// Marks `target` refused when an order to it at `rpc_addr` failed the TLS handshake, so the
/// next occurrences skip it even if no probe has reached it yet.
pub fn refused_by_call(node: &Node, target: &str, rpc_addr: &str, error: &RpcError) {
    if !error.is_handshake_refused() {
        return;
    }
    let member = Due {
        name: target.to_string(),
        rpc_addr: rpc_addr.to_string(),
    };
    let reason = handshake_reason(error);
    node.channels.forget(rpc_addr);
    if node
        .peer_trust
        .refuse(&member, reason.clone(), Instant::now())
    {
        warn_refused(&member, &reason);
    }
}

/// The handshake's reason with the transport's causes (the top message may be vague).
fn handshake_reason(error: &RpcError) -> String {
    match error {
        RpcError::Unreachable { detail, .. } => detail.clone(),
        other => other.to_string(),
    }
}

fn warn_refused(member: &Due, reason: &str) {
    tracing::warn!(member = %member.name, rpc_addr = %member.rpc_addr, reason = %reason, "member refused: its node rpc does not hold this cluster's credential (tls handshake failed); it is never chosen to run jobs");
}
