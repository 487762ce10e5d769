//! What the scheduler reports about itself, for `/metrics`, logs and tests.

use chrono::{DateTime, Utc};

/// A snapshot of the scheduler's state and counters since it started.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SchedulerStatus {
    /// True from start until the loop has exited.
    pub running: bool,
    /// Jobs known to the scheduler (scheduled or not).
    pub jobs_tracked: usize,
    /// Jobs with a future nominal time waiting in the timer queue.
    pub jobs_scheduled: usize,
    /// When the loop next wakes (a nominal time minus the launch lead, or a dispatch time).
    pub next_wake: Option<DateTime<Utc>>,
    /// Clock time at the end of the last completed loop iteration: everything due by then
    /// has been decided and dispatched.
    pub last_tick: Option<DateTime<Utc>>,
    /// Accepted launches waiting for their nominal time.
    pub pending_dispatch: usize,
    /// Launches the backend accepted.
    pub launches_committed: u64,
    /// Launches handed to the dispatcher.
    pub launches_dispatched: u64,
    /// Occurrences recorded as skipped (a range counts each occurrence in it).
    pub occurrences_skipped: u64,
    /// Decisions the backend rejected (typically: already decided by an earlier leader).
    pub decisions_rejected: u64,
    /// Commits that failed and were retried.
    pub commit_failures: u64,
    /// Commands (job changes, removals, manual runs) handled.
    pub commands_handled: u64,
    /// How far behind the scheduler is: how long ago the oldest occurrence still waiting for
    /// a decision (or launch waiting for dispatch) fell due; 0 when nothing is overdue.
    pub lag_ms: u64,
    /// The largest lag seen since the scheduler started.
    pub max_lag_ms: u64,
    /// When the current overload episode began (lag at or over `BEHIND_AT`), if any.
    pub behind_since: Option<DateTime<Utc>>,
    /// Occurrences skipped because the scheduler reached them too late (a range counts each).
    pub occurrences_overloaded: u64,
}
