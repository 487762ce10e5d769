//! Errors of the gossip layer.

use std::net::SocketAddr;
use std::time::Duration;

/// Everything that can go wrong when starting or joining the gossip layer.
#[derive(Debug, thiserror::Error)]
pub enum GossipError {
    /// The UDP socket could not be bound (port taken, address not local, no permission).
    #[error("cannot bind the gossip socket on {addr}: {source}")]
    Bind {
        /// The address we tried to bind.
        addr: SocketAddr,
        /// What the operating system said.
        source: std::io::Error,
    },
    /// The encryption key is not an AES key size.
    #[error("the gossip encryption key must be 16, 24 or 32 bytes long, got {length} bytes")]
    BadKeyLength {
        /// Length of the key that was given.
        length: usize,
    },
    /// The node tags do not fit into a gossip packet.
    #[error("the node tags take {size} bytes on the wire, more than the {limit} bytes allowed")]
    TagsTooLarge {
        /// Encoded size of the node identity with its tags.
        size: usize,
        /// The most we accept.
        limit: usize,
    },
    /// The node name is empty.
    #[error("the gossip node name must not be empty")]
    EmptyNodeName,
    /// The operating system gave no randomness to seed the generators.
    #[error("cannot seed the random generator from the operating system: {reason}")]
    Entropy {
        /// What the operating system said.
        reason: String,
    },
    /// The timings break a rule of the protocol.
    #[error("invalid gossip timing: {reason}")]
    InvalidTiming {
        /// Which rule is broken.
        reason: String,
    },
    /// `join` was called without any seed.
    #[error("no seed address given to join")]
    NoSeeds,
    /// A seed could not be turned into a socket address.
    #[error("cannot resolve the seed {seed:?}: {reason}")]
    BadSeed {
        /// The seed as given.
        seed: String,
        /// Why it could not be resolved.
        reason: String,
    },
    /// Nobody answered the join in time.
    #[error(
        "no seed answered within {timeout:?} (tried {seeds}); check that a node listens \
         there and that every node uses the same encryption key"
    )]
    NoSeedAnswered {
        /// The resolved seed addresses, comma separated.
        seeds: String,
        /// How long we waited.
        timeout: Duration,
    },
    /// The gossip task has stopped (after `leave` or `shutdown`).
    #[error("the gossip layer has stopped")]
    Stopped,
}
