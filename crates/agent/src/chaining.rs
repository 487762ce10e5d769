//! Runs triggered by parents: the state machine records a pending run on a child once its
//! parents succeeded (`StoredJob::pending_triggers`); the leader launches each one through
//! the scheduler. The launch clears the pending entry in the same write, and a repeated launch
//! of the same pending time is refused as the same occurrence, so each trigger runs once even
//! across leader changes.

use std::sync::Arc;

use dkron_model::Trigger;
use dkron_scheduler::{SchedulerError, SchedulerHandle};
use dkron_store::StoredJob;

use crate::node::Node;

/// Launches the pending parent-triggered runs of one job, without waiting for them.
pub fn launch_pending(scheduler: &SchedulerHandle, stored: &StoredJob) {
    for nominal in &stored.pending_triggers {
        let scheduler = scheduler.clone();
        let job = stored.job.name.clone();
        let nominal = *nominal;
        tokio::spawn(async move {
            match scheduler
                .run_triggered(&job, nominal, Trigger::Parent)
                .await
            {
                Ok(_) => {
                    tracing::info!(job = %job, %nominal, "run triggered by its parents launched")
                }
                Err(SchedulerError::Skipped { reason, .. }) => {
                    tracing::info!(job = %job, %nominal, %reason, "run triggered by its parents skipped")
                }
                Err(error) => {
                    tracing::debug!(job = %job, %nominal, error = %error, "parent-triggered run not launched here")
                }
            }
        });
    }
}

/// Launches every pending parent-triggered run: what a previous leader left undone. Jobs are
/// read one at a time off the async threads (a new leader's takeover is not held up, and
/// memory does not grow with the number of jobs); only those with pending runs are kept.
pub async fn launch_all_pending(node: Arc<Node>, scheduler: SchedulerHandle) {
    let read = tokio::task::spawn_blocking(move || {
        let mut pending = Vec::new();
        node.raft
            .store()
            .for_each_job(|stored| {
                if !stored.pending_triggers.is_empty() {
                    pending.push(stored);
                }
            })
            .map(|()| pending)
    })
    .await;
    let jobs = match read.map_err(|error| error.to_string()) {
        Ok(Ok(jobs)) => jobs,
        Ok(Err(error)) => return warn_unread(&error.to_string()),
        Err(error) => return warn_unread(&error),
    };
    for stored in &jobs {
        launch_pending(&scheduler, stored);
    }
}

fn warn_unread(error: &str) {
    tracing::warn!(error = %error, "cannot read jobs for pending parent triggers");
}
