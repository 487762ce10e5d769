//! How much history a job keeps: the count limits (ages are the pruning pass's business).

use dkron_model::Job;

/// How many of `count` records are over `limit`: the oldest of them go. At least one
/// record is always kept.
pub fn excess(count: u32, limit: u32) -> usize {
    count.saturating_sub(limit.max(1)) as usize
}

/// Returns how many executions `job` keeps: its own `execution_retention`, or the
/// cluster's default when it has none (0).
pub fn executions_kept(job: &Job, cluster_default: u32) -> u32 {
    match job.execution_retention {
        0 => cluster_default,
        own => own,
    }
}
