//! The agent's typed errors: why a replicated write or a kill did not happen. Their texts
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

/// Why a run could not be asked to stop.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum KillError {
    /// The run's node is not an alive member of the cluster.
    #[error("node {node} is not alive in the cluster")]
    NodeNotAlive {
        /// The node's name.
        node: String,
    },
    /// The node did not take the order; the text names it.
    #[error("{0}")]
    Unanswered(String),
}
