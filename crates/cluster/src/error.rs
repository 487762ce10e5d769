//! Errors of the consensus layer.

/// How the text of [`ClusterError::DiskFull`] starts: callers that only see the text (it
/// crosses the recorder and RPC as a string) tell a full disk, which passes, from a lost
/// leadership with [`is_disk_full`].
pub const DISK_FULL_TEXT: &str = "write refused, not applied";

/// Returns true when an error's text is a [`ClusterError::DiskFull`]'s.
pub fn is_disk_full(text: &str) -> bool {
    text.contains(DISK_FULL_TEXT)
}

/// Why a replicated write or the node itself failed.
#[derive(Debug, thiserror::Error)]
pub enum ClusterError {
    /// The data directory or a database could not be opened.
    #[error("cannot open {what} at {path}: {message}")]
    Open {
        /// Which file or directory.
        what: &'static str,
        /// Its path.
        path: String,
        /// The underlying error.
        message: String,
    },
    /// This node is not the leader (and forwarding is not available).
    #[error("this node is not the leader{}", leader.as_ref().map(|l| format!(" (leader: {l})")).unwrap_or_default())]
    NotLeader {
        /// The leader's id, when known.
        leader: Option<u64>,
    },
    /// Raft stopped (storage failure or shutdown).
    #[error("consensus stopped: {0}")]
    Stopped(String),
    /// The data volume is full (or a write failed for lack of room): the write was refused
    /// before it reached the log, so it was not applied.
    #[error("write refused, not applied: {0}")]
    DiskFull(String),
    /// Raft refused or failed the operation.
    #[error("consensus error: {0}")]
    Raft(String),
    /// A write could not be forwarded to the leader, or the leader refused it.
    #[error("{0}")]
    Forward(String),
    /// `peers.json` could not be applied.
    #[error("cannot recover the raft configuration from {0}")]
    Recovery(String),
    /// No believable leader can take the write now (none elected, this leader has no quorum,
    /// the last leader went silent); the write was not appended to any log.
    #[error("{0}; the write was not made")]
    LeaderUnknown(crate::UnknownLeader),
    /// No leader was elected in time.
    #[error("no leader elected within {0:?}")]
    NoLeader(std::time::Duration),
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_disk_full_refusal_is_told_by_its_text() {
        let text = ClusterError::DiskFull("the data volume is full".into()).to_string();
        assert!(is_disk_full(&text), "{text}");
        assert!(!is_disk_full(
            &ClusterError::NotLeader { leader: None }.to_string()
        ));
    }
}
