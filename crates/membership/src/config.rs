//! What a node needs to take part in gossip, and how that maps onto foca's settings.

use std::collections::BTreeMap;
use std::fmt;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::num::{NonZeroU8, NonZeroUsize};
use std::time::Duration;

use crate::GossipError;

/// The largest foca packet we produce or accept, before encryption.
///
/// Tags travel inside every node identity (see `identity.rs`), so packets are bigger than
/// the 1400 bytes foca suggests. 8 KiB datagrams fragment at the IP level, which loopback
/// and LANs handle fine; gossip is not meant to cross the internet.
pub(crate) const MAX_PACKET_SIZE: usize = 8 * 1024;

/// The largest encoded identity (name, address, tags) we let a node announce, so that a
/// packet always has room for a header and several member updates.
pub(crate) const MAX_IDENTITY_SIZE: usize = 1024;

/// Settings of one gossip node.
#[derive(Clone)]
pub struct GossipConfig {
    /// Unique node name; it is how Dkron names members.
    pub node_name: String,
    /// UDP address to bind; port 0 picks a free port (tests).
    pub bind: SocketAddr,
    /// Address the other nodes use to reach us. `None` means the bound address (with
    /// 127.0.0.1 in place of an unspecified IP); a port 0 here means the bound port.
    pub advertise: Option<SocketAddr>,
    /// Node tags every member sees (role, datacenter, RPC address, user tags).
    pub tags: BTreeMap<String, String>,
    /// Shared key: 16, 24 or 32 bytes turn on AES-128/192/256-GCM for every datagram.
    pub key: Option<Vec<u8>>,
    /// Failure-detection and bookkeeping periods.
    pub timing: GossipTiming,
}

/// How fast failures are detected and how long departed members stay listed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GossipTiming {
    /// How often each node probes one random member.
    pub probe_period: Duration,
    /// How long a direct probe may take before others are asked to probe indirectly;
    /// must be below `probe_period`.
    pub probe_rtt: Duration,
    /// How long a suspected member has to refute the suspicion before it is failed.
    pub suspect_to_failed: Duration,
    /// How long failed and left members stay in the member list.
    pub reap_after: Duration,
    /// How long `join` waits for a seed to answer.
    pub join_timeout: Duration,
}

impl GossipTiming {
    /// Returns the LAN defaults: a dead node is declared failed within about 4 to 6 s
    /// (up to two probe periods to be probed and found silent, then 3 s of suspicion),
    /// and departed members stay listed for 24 h like Serf's reconnect timeout.
    pub fn lan() -> Self {
        GossipTiming {
            probe_period: Duration::from_secs(1),
            probe_rtt: Duration::from_millis(500),
            suspect_to_failed: Duration::from_secs(3),
            reap_after: Duration::from_secs(24 * 60 * 60),
            join_timeout: Duration::from_secs(5),
        }
    }

    /// Returns timings for tests on loopback: failure is declared within about 1 to 2 s,
    /// with enough slack that a busy test machine does not cause false failures.
    pub fn fast_for_tests() -> Self {
        GossipTiming {
            probe_period: Duration::from_millis(300),
            probe_rtt: Duration::from_millis(100),
            suspect_to_failed: Duration::from_millis(900),
            reap_after: Duration::from_secs(60),
            join_timeout: Duration::from_secs(3),
        }
    }

    /// Checks the constraints foca puts on its periods.
    pub(crate) fn validate(&self) -> Result<(), GossipError> {
        let invalid = |reason: &str| {
            Err(GossipError::InvalidTiming {
                reason: reason.to_string(),
            })
        };
        if self.probe_rtt.is_zero() || self.suspect_to_failed.is_zero() {
            return invalid("probe_rtt and suspect_to_failed must not be zero");
        }
        if self.probe_rtt >= self.probe_period {
            return invalid("probe_rtt must be shorter than probe_period");
        }
        if self.reap_after.is_zero() || self.join_timeout.is_zero() {
            return invalid("reap_after and join_timeout must not be zero");
        }
        Ok(())
    }

    /// Returns foca's configuration for these timings.
    pub(crate) fn foca_config(&self) -> foca::Config {
        let three = NonZeroUsize::new(3).expect("3 is not zero");
        let one = NonZeroUsize::new(1).expect("1 is not zero");
        foca::Config {
            probe_period: self.probe_period,
            probe_rtt: self.probe_rtt,
            num_indirect_probes: three,
            // enough rounds to reach a few hundred nodes, as memberlist does on a LAN
            max_transmissions: NonZeroU8::new(10).expect("10 is not zero"),
            suspect_to_down_after: self.suspect_to_failed,
            remove_down_after: Some(self.reap_after),
            max_packet_size: NonZeroUsize::new(MAX_PACKET_SIZE).expect("not zero"),
            // lets a node wrongly declared down learn it and renew its identity
            notify_down_members: true,
            // asking a peer for its member list now and then completes a partial view
            periodic_announce: Some(foca::PeriodicParams {
                frequency: self.probe_period * 30,
                num_members: one,
            }),
            // talking to down members heals partitions and notices restarts
            periodic_announce_to_down_members: Some(foca::PeriodicParams {
                frequency: self.probe_period * 30,
                num_members: NonZeroUsize::new(2).expect("2 is not zero"),
            }),
            // spreads updates (joins, tag changes) faster than piggybacking on probes alone
            periodic_gossip: Some(foca::PeriodicParams {
                frequency: self.probe_period / 5,
                num_members: three,
            }),
        }
    }
}

impl fmt::Debug for GossipConfig {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        // the key must never reach a log line
        let key = self
            .key
            .as_ref()
            .map(|key| format!("<{} bytes>", key.len()));
        formatter
            .debug_struct("GossipConfig")
            .field("node_name", &self.node_name)
            .field("bind", &self.bind)
            .field("advertise", &self.advertise)
            .field("tags", &self.tags)
            .field("key", &key)
            .field("timing", &self.timing)
            .finish()
    }
}

impl GossipConfig {
    /// Returns the address peers must use to reach a node bound on `bound`.
    pub(crate) fn advertise_addr(&self, bound: SocketAddr) -> SocketAddr {
        let mut advertised = self.advertise.unwrap_or(bound);
        if advertised.ip().is_unspecified() {
            // an unspecified IP cannot be dialled; on one machine loopback always works
            advertised.set_ip(IpAddr::V4(Ipv4Addr::LOCALHOST));
        }
        if advertised.port() == 0 {
            advertised.set_port(bound.port());
        }
        advertised
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(advertise: Option<&str>) -> GossipConfig {
        GossipConfig {
            node_name: "node1".into(),
            bind: "0.0.0.0:0".parse().expect("valid address"),
            advertise: advertise.map(|text| text.parse().expect("valid address")),
            tags: BTreeMap::new(),
            key: None,
            timing: GossipTiming::fast_for_tests(),
        }
    }

    #[test]
    fn advertise_defaults_to_loopback_and_the_bound_port() {
        let bound: SocketAddr = "0.0.0.0:7946".parse().expect("valid address");
        assert_eq!(
            config(None).advertise_addr(bound).to_string(),
            "127.0.0.1:7946"
        );
        let explicit = config(Some("10.0.0.5:0")).advertise_addr(bound);
        assert_eq!(explicit.to_string(), "10.0.0.5:7946");
        let full = config(Some("10.0.0.5:9000")).advertise_addr(bound);
        assert_eq!(full.to_string(), "10.0.0.5:9000");
    }

    #[test]
    fn debug_output_hides_the_key() {
        let mut with_key = config(None);
        with_key.key = Some(b"super-secret-key".to_vec());
        let printed = format!("{with_key:?}");
        assert!(!printed.contains("super-secret"), "{printed}");
        assert!(printed.contains("<16 bytes>"), "{printed}");
    }

    #[test]
    fn both_presets_are_valid() {
        GossipTiming::lan()
            .validate()
            .expect("lan timings are valid");
        GossipTiming::fast_for_tests()
            .validate()
            .expect("test timings are valid");
        let mut broken = GossipTiming::lan();
        broken.probe_rtt = broken.probe_period;
        assert!(broken.validate().is_err());
    }
}
