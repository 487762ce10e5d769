//! The agent's typed errors: why a replicated write or a call to another node did not happen.
//! Their texts
//! reach logs and API answers unchanged from when they were plain strings.

/// Why a replicated write from this node did not happen. Cloned to every caller whose
/// command was in the failed batch.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum WriteError {
    /// An agent knows no alive server to send its write to.
    #[error("no alive server is known to this agent")]
    NoServerKnown,
    /// This server's Raft node did not take the write (no leader yet, the leader failed).
    #[error("{0}")]
    Consensus(String),
    /// No server took the agent's forwarded write; the last one's reason.
    #[error("{0}")]
    Forwarded(String),
    /// The recorder's writer task is gone: the node is stopping.
    #[error("the recorder has stopped")]
    RecorderStopped,
    /// The recorder dropped the command without an answer: the node is stopping.
    #[error("the recorder dropped the command")]
    Dropped,
}

/// Why a call to another node (a run order, a kill, a question) got no usable answer.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PeerError {
    /// The node is not an alive member of the cluster.
    #[error("node {node} is not alive in the cluster")]
    NotAlive {
        /// The node's name.
        node: String,
    },
    /// Gossip lists the node without its RPC address.
    #[error("node {node} has no rpc address")]
    NoAddress {
        /// The node's name.
        node: String,
    },
    /// No leader is elected to ask.
    #[error("no leader is elected")]
    NoLeader,
    /// The node ended a run's stream before saying whether it took the order.
    #[error("node {node} closed the run stream at once")]
    StreamClosed {
        /// The node's name.
        node: String,
    },
    /// The node refused or did not answer; the text names it and says why.
    #[error("{0}")]
    Answer(String),
}
