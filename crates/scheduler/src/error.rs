//! Errors of the scheduler and of its backend seam.

use dkron_model::SkipReason;

/// Everything that can go wrong between the scheduler, its backend and its callers.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SchedulerError {
    /// This node is no longer the leader; the scheduler must stop.
    #[error("not the leader: {detail}")]
    NotLeader {
        /// What the backend reported.
        detail: String,
    },
    /// The backend failed (storage, replication); the write may be retried.
    #[error("backend failed: {detail}")]
    Backend {
        /// What the backend reported.
        detail: String,
    },
    /// The scheduler does not know this job.
    #[error("unknown job {job}")]
    UnknownJob {
        /// The job name asked for.
        job: String,
    },
    /// The backend decided not to launch a manual run and recorded why.
    #[error("run of job {job} skipped: {reason}")]
    Skipped {
        /// The job name.
        job: String,
        /// Why it was skipped.
        reason: SkipReason,
    },
    /// The backend refused the decision (for example, the occurrence was already decided).
    #[error("run of job {job} rejected: {detail}")]
    Rejected {
        /// The job name.
        job: String,
        /// What the backend reported.
        detail: String,
    },
    /// The scheduler has stopped (or is stopping) and takes no more work.
    #[error("scheduler stopped")]
    Stopped,
}

/// A scheduler configuration value out of range.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ConfigError {
    /// A count that must be at least one is zero.
    #[error("{field} must be at least 1")]
    Zero {
        /// The configuration field.
        field: &'static str,
    },
    /// A duration is larger than the scheduler accepts.
    #[error("{field} must not exceed {max_secs} s")]
    TooLong {
        /// The configuration field.
        field: &'static str,
        /// The largest accepted value, in seconds.
        max_secs: u64,
    },
    /// Launches would be handed out before they are committed.
    #[error("dispatch_lead must not exceed launch_lead")]
    DispatchAfterLaunch,
}
