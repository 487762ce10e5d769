//! The audit log on this node: appends go through Raft, reads come from the local replica,
//! and while this server leads it removes entries past their age that no write has pruned.

use std::sync::Arc;
use std::time::Duration;

use dkron_api::{AuditQuery, BackendError};
use dkron_model::AuditEntry;
use dkron_store::{AuditFilter, AuditRetention, Command, CommandResult};
use tokio_util::sync::CancellationToken;

use crate::node::Node;

/// How often the leader looks for audit entries past their age.
const PRUNE_AUDIT_EVERY: Duration = Duration::from_secs(60);

/// Most audit entries one prune write removes.
const PRUNE_AUDIT_BATCH: u32 = 1_000;

/// Appends `entry` through Raft, with this server's retention.
pub(crate) async fn append(
    node: &Node,
    entry: AuditEntry,
    keep: AuditRetention,
) -> Result<(), BackendError> {
    let command = Command::AppendAudit {
        entry: Box::new(entry),
        keep,
    };
    match node.recorder.record(command).await {
        Ok(CommandResult::Done) => Ok(()),
        Ok(other) => Err(BackendError::Internal(format!(
            "unexpected answer to an audit append: {other:?}"
        ))),
        Err(error) => Err(BackendError::Unavailable(error.to_string())),
    }
}

/// Reads a page of the local replica's audit log, off the async threads (a filtered read
/// decodes the whole log).
pub(crate) async fn page(
    node: Arc<Node>,
    query: AuditQuery,
) -> Result<(Vec<AuditEntry>, usize), BackendError> {
    let filter = AuditFilter {
        actor: query.actor,
        action: query.action,
        target: query.target,
    };
    tokio::task::spawn_blocking(move || {
        node.raft
            .store()
            .audit_page(&filter, query.start, query.limit)
            .map_err(|error| BackendError::Internal(error.to_string()))
    })
    .await
    .map_err(|error| BackendError::Internal(format!("reading the audit log stopped: {error}")))?
}

/// Returns the audit log's retention from this server's settings.
pub(crate) fn retention(max_entries: u64, max_age: Duration) -> AuditRetention {
    AuditRetention {
        max_entries,
        max_age_secs: Some(max_age.as_secs()).filter(|secs| *secs > 0),
    }
}

/// While this server leads, removes audit entries past `keep`'s age every minute, a batch
/// per write until none is left: a quiet cluster's log still ages out.
pub(crate) async fn prune_aged(node: Arc<Node>, keep: AuditRetention, term: CancellationToken) {
    let Some(max_age_secs) = keep.max_age_secs else {
        return;
    };
    let mut tick = tokio::time::interval(PRUNE_AUDIT_EVERY);
    loop {
        tokio::select! {
            _ = term.cancelled() => return,
            _ = tick.tick() => {}
        }
        loop {
            let command = Command::PruneAudit {
                now: chrono::Utc::now(),
                max_age_secs,
                limit: PRUNE_AUDIT_BATCH,
            };
            match node.recorder.record(command).await {
                Ok(CommandResult::Pruned { removed, .. }) if removed == PRUNE_AUDIT_BATCH => {}
                Ok(CommandResult::Pruned { removed, .. }) => {
                    if removed > 0 {
                        tracing::info!(removed, "audit entries past their age deleted");
                    }
                    break;
                }
                Ok(other) => {
                    tracing::warn!(result = ?other, "unexpected answer to an audit prune");
                    break;
                }
                Err(error) => {
                    tracing::warn!(error = %error, "cannot prune the audit log; will try again");
                    break;
                }
            }
        }
    }
}
