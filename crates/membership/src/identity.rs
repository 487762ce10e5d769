//! The identity foca gossips about: who a node is, where to reach it, and its tags.
//!
//! Tags live inside the identity instead of travelling as custom broadcasts: foca sends
//! identities in every header and member update, so a node that joins late learns every
//! tag from the member list alone, with no extra anti-entropy. That mirrors Serf, which
//! puts tags in memberlist's node metadata. A tag change is an identity change (a new
//! generation), which foca spreads as a rename. The cost is bigger packets, hence foca's
//! packet size limit is raised (see `config.rs`).

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::time::{SystemTime, UNIX_EPOCH};

use dkron_model::MemberStatus;
use serde::{Deserialize, Serialize};

use crate::{GossipError, MemberView, config::MAX_IDENTITY_SIZE};

/// One incarnation of a node as the cluster knows it.
///
/// foca's unique address is the socket address, not the name: a seed is known only by
/// its address, and foca accepts an announce only when the address in the target
/// identity matches. A node restarted on the same address therefore replaces its old
/// self at once, because its generation is newer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct NodeIdentity {
    /// Where the node receives gossip.
    pub(crate) addr: SocketAddr,
    /// The node name (empty only in the placeholder used to announce to a seed).
    pub(crate) name: String,
    /// Grows with every restart (start time in ms), renewal and tag change.
    pub(crate) generation: u64,
    /// Node tags.
    pub(crate) tags: BTreeMap<String, String>,
}

impl NodeIdentity {
    /// Returns the first identity of a node that starts now.
    pub(crate) fn new(name: String, addr: SocketAddr, tags: BTreeMap<String, String>) -> Self {
        NodeIdentity {
            addr,
            name,
            generation: start_generation(),
            tags,
        }
    }

    /// Returns an identity addressed to a seed whose name we do not know yet.
    ///
    /// foca accepts an announce sent to any identity with its own address.
    pub(crate) fn seed_placeholder(addr: SocketAddr) -> Self {
        NodeIdentity {
            addr,
            name: String::new(),
            generation: 0,
            tags: BTreeMap::new(),
        }
    }

    /// Returns the next generation of this identity with other tags.
    pub(crate) fn with_tags(&self, tags: BTreeMap<String, String>) -> Self {
        NodeIdentity {
            generation: self.generation + 1,
            tags,
            ..self.clone()
        }
    }

    /// Fails when the identity would crowd out member updates from packets.
    pub(crate) fn check_size(&self) -> Result<(), GossipError> {
        let size = postcard::to_allocvec(self)
            .map(|bytes| bytes.len())
            .unwrap_or(usize::MAX);
        if size > MAX_IDENTITY_SIZE {
            return Err(GossipError::TagsTooLarge {
                size,
                limit: MAX_IDENTITY_SIZE,
            });
        }
        Ok(())
    }

    /// Returns what the member list shows for this identity.
    pub(crate) fn view(&self, status: MemberStatus) -> MemberView {
        MemberView {
            name: self.name.clone(),
            addr: self.addr,
            tags: self.tags.clone(),
            status,
        }
    }
}

impl foca::Identity for NodeIdentity {
    type Addr = SocketAddr;

    /// Comes back under a newer generation when the cluster wrongly declared us down.
    fn renew(&self) -> Option<Self> {
        Some(NodeIdentity {
            generation: self.generation + 1,
            ..self.clone()
        })
    }

    fn addr(&self) -> SocketAddr {
        self.addr
    }

    fn win_addr_conflict(&self, adversary: &Self) -> bool {
        // the newest generation wins; the rest only makes a tie (two nodes started in the
        // same millisecond on one address, which is a misconfiguration) deterministic
        (self.generation, &self.name, &self.tags)
            > (adversary.generation, &adversary.name, &adversary.tags)
    }
}

/// Returns the generation of a node starting now: the wall clock in milliseconds, so
/// that a restarted node always outranks its previous run.
fn start_generation() -> u64 {
    let since_epoch = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default();
    u64::try_from(since_epoch.as_millis()).unwrap_or(u64::MAX / 2)
}

#[cfg(test)]
mod tests {
    use foca::Identity;

    use super::*;

    fn node(generation: u64) -> NodeIdentity {
        NodeIdentity {
            addr: "127.0.0.1:8946".parse().expect("valid address"),
            name: "node1".into(),
            generation,
            tags: BTreeMap::from([("role".into(), "dkron".into())]),
        }
    }

    #[test]
    fn newer_generation_wins_and_renewal_outranks() {
        assert!(node(2).win_addr_conflict(&node(1)));
        assert!(!node(1).win_addr_conflict(&node(2)));
        let renewed = node(5).renew().expect("identities always renew");
        assert!(renewed.win_addr_conflict(&node(5)));
        assert!(
            node(5)
                .with_tags(BTreeMap::new())
                .win_addr_conflict(&node(5))
        );
    }

    #[test]
    fn oversized_tags_are_refused() {
        let mut big = node(1);
        big.tags
            .insert("blob".into(), "x".repeat(MAX_IDENTITY_SIZE));
        assert!(matches!(
            big.check_size(),
            Err(GossipError::TagsTooLarge { .. })
        ));
        node(1).check_size().expect("small tags fit");
    }
}
