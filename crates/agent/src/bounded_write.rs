//! The time bound of an API write (issue 14): a client always gets an answer within
//! [`API_WRITE_LIMIT`], a 503 with the reason when no leader with a quorum takes the write.

use std::time::Duration;

use dkron_api::BackendError;
use dkron_cluster::{LeaderView, RaftNode};

/// Longest an API write waits for its answer, from the request to the leader's commit.
pub(crate) const API_WRITE_LIMIT: Duration = Duration::from_secs(5);

/// Longest an API write waits for a believable leader before it is refused (an election
/// takes well under this at `raft-multiplier` 1).
const LEADER_WAIT: Duration = Duration::from_secs(2);

/// Refuses at once (after up to `LEADER_WAIT`) when this server knows no leader that can
/// take a write: none elected, or this server leads without a quorum, or its leader went
/// silent. Nothing has been written then.
pub(crate) async fn require_believable_leader(raft: &RaftNode) -> Result<(), BackendError> {
    match raft.wait_leader_view(LEADER_WAIT).await {
        LeaderView::Unknown(reason) => Err(BackendError::Unavailable(format!(
            "{reason}; the write was not made, try again later"
        ))),
        LeaderView::Me | LeaderView::Other(_) => Ok(()),
    }
}

/// Waits for `write` until `deadline`; past it the answer says that the write may still
/// apply (it may already be in the leader's log, waiting for a quorum).
pub(crate) async fn answer_by<T>(
    deadline: tokio::time::Instant,
    write: impl Future<Output = Result<T, BackendError>>,
) -> Result<T, BackendError> {
    tokio::time::timeout_at(deadline, write)
        .await
        .unwrap_or_else(|_| {
            Err(BackendError::Unavailable(format!(
                "the write was not confirmed within {} s: the leader lost its quorum or is overloaded; it may or may not apply later, so read the state back before retrying",
                API_WRITE_LIMIT.as_secs()
            )))
        })
}
