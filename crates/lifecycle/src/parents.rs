//! Chaining: a job runs once every one of its parents has succeeded since its last
//! parent-triggered run.

use chrono::{DateTime, Utc};

use crate::job_state::StoredJob;

/// Records in `child` that `parent` succeeded at `at`. Returns true when that completes the
/// set of its parents: the set starts over, and a parent-triggered run at `at` becomes
/// pending (once, however many parents finish at the same time).
pub fn parent_succeeded(child: &mut StoredJob, parent: &str, at: DateTime<Utc>) -> bool {
    if !child.parents_done.iter().any(|done| done == parent) {
        child.parents_done.push(parent.to_string());
    }
    let parents = child.job.parents();
    if !parents.iter().all(|name| child.parents_done.contains(name)) {
        return false;
    }
    child.parents_done.clear();
    if !child.pending_triggers.contains(&at) {
        child.pending_triggers.push(at);
    }
    true
}
