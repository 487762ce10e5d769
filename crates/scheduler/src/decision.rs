//! What the scheduler decided about one occurrence (or a run of missed ones).

use chrono::{DateTime, Utc};
use dkron_model::{SkipReason, Trigger};

/// One decision the leader commits through the replicated log before acting on it.
///
/// Within one job the decisions a plan returns are in strictly increasing nominal order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Decision {
    /// Run the occurrence `(job, nominal)`.
    Launch {
        /// Job name.
        job: String,
        /// The time the occurrence is (or was) due.
        nominal: DateTime<Utc>,
        /// Why it runs: on schedule, as catch-up, manually or after a parent.
        trigger: Trigger,
    },
    /// Record the occurrence `(job, nominal)` as skipped.
    Skip {
        /// Job name.
        job: String,
        /// The time the occurrence was due.
        nominal: DateTime<Utc>,
        /// What caused the occurrence.
        trigger: Trigger,
        /// Why it does not run.
        reason: SkipReason,
    },
    /// Record `count` consecutive occurrences from `first` to `last` (inclusive) as skipped,
    /// so that a long outage of a frequent job does not write one ledger entry per occurrence.
    SkipRange {
        /// Job name.
        job: String,
        /// Nominal time of the oldest occurrence in the range.
        first: DateTime<Utc>,
        /// Nominal time of the newest occurrence in the range.
        last: DateTime<Utc>,
        /// How many occurrences the range holds (at least 1).
        count: u64,
        /// Why none of them runs.
        reason: SkipReason,
    },
}

impl Decision {
    /// Returns the job the decision is about.
    pub fn job(&self) -> &str {
        match self {
            Decision::Launch { job, .. }
            | Decision::Skip { job, .. }
            | Decision::SkipRange { job, .. } => job,
        }
    }

    /// Returns the newest nominal time the decision covers (`last` for a range).
    pub fn last_nominal(&self) -> DateTime<Utc> {
        match self {
            Decision::Launch { nominal, .. } | Decision::Skip { nominal, .. } => *nominal,
            Decision::SkipRange { last, .. } => *last,
        }
    }

    /// Returns the oldest nominal time the decision covers (`first` for a range).
    pub fn first_nominal(&self) -> DateTime<Utc> {
        match self {
            Decision::Launch { nominal, .. } | Decision::Skip { nominal, .. } => *nominal,
            Decision::SkipRange { first, .. } => *first,
        }
    }

    /// Returns how many occurrences the decision covers.
    pub fn occurrence_count(&self) -> u64 {
        match self {
            Decision::Launch { .. } | Decision::Skip { .. } => 1,
            Decision::SkipRange { count, .. } => *count,
        }
    }

    /// Returns true for a launch.
    pub fn is_launch(&self) -> bool {
        matches!(self, Decision::Launch { .. })
    }

    /// Returns true when the decision moves the job's schedule cursor, that is for every
    /// decision about a scheduled occurrence (not for manual or parent-triggered runs).
    pub fn advances_cursor(&self) -> bool {
        match self {
            Decision::Launch { trigger, .. } | Decision::Skip { trigger, .. } => {
                matches!(trigger, Trigger::Schedule | Trigger::CatchUp)
            }
            Decision::SkipRange { .. } => true,
        }
    }
}
