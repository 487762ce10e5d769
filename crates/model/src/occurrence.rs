//! Occurrences and the ledger: the identity of a scheduled firing and what became of it.
//!
//! An occurrence is `(job, nominal time)` (DESIGN §2). Every occurrence the scheduler decides
//! about ends in the ledger in exactly one final state, so nothing is missed silently.

use std::fmt;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::gotime;

/// What caused an occurrence.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Trigger {
    /// The job's schedule, on time.
    Schedule,
    /// The job's schedule, run late by the misfire policy after downtime.
    CatchUp,
    /// A manual run through the API or CLI.
    Manual,
    /// A successful parent run (chaining).
    Parent,
}

impl fmt::Display for Trigger {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        let text = match self {
            Trigger::Schedule => "schedule",
            Trigger::CatchUp => "catch_up",
            Trigger::Manual => "manual",
            Trigger::Parent => "parent",
        };
        formatter.write_str(text)
    }
}

/// Where an occurrence stands. `Launched` is the only non-final state.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OccurrenceState {
    /// The launch intent is committed; results are pending.
    Launched,
    /// Every run finished and succeeded.
    Succeeded,
    /// Every run finished and at least one failed.
    Failed,
    /// Not run, on purpose; the reason says why.
    Skipped,
    /// Launched, but no result can ever arrive (the node died or restarted mid-run).
    Lost,
}

impl OccurrenceState {
    /// Returns true when the state can no longer change.
    pub fn is_final(self) -> bool {
        self != OccurrenceState::Launched
    }
}

/// Why an occurrence was skipped or lost.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SkipReason {
    /// `concurrency: forbid` and a run of the job was still active.
    Overlap,
    /// Missed while no scheduler ran, and the misfire policy chose not to run it.
    Misfire,
    /// Reached late because the running scheduler fell behind (it was this far behind when
    /// it decided), and the misfire policy chose not to run it.
    Overloaded {
        /// How long after its nominal time the scheduler decided about it.
        behind_ms: u64,
    },
    /// The job was disabled when the occurrence came due.
    Disabled,
    /// Before `starts_at` or after `expires_at`.
    OutsideWindow,
    /// No alive node matched the job's tags.
    NoTarget,
    /// Scheduling was paused cluster-wide (`POST /v1/pause`).
    Paused,
    /// The run could not be started (bad executor, spawn failure before any output).
    Other(String),
}

impl fmt::Display for SkipReason {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SkipReason::Overlap => formatter.write_str("overlap: a previous run was still active"),
            SkipReason::Misfire => {
                formatter.write_str("misfire: missed while no scheduler was running")
            }
            SkipReason::Overloaded { behind_ms } => write!(
                formatter,
                "overloaded: the scheduler was {:.1} s behind",
                *behind_ms as f64 / 1000.0
            ),
            SkipReason::Disabled => formatter.write_str("disabled"),
            SkipReason::OutsideWindow => formatter.write_str("outside starts_at/expires_at"),
            SkipReason::NoTarget => {
                formatter.write_str("no target: no alive node matches the job's tags")
            }
            SkipReason::Paused => formatter.write_str("paused: scheduling was paused cluster-wide"),
            SkipReason::Other(text) => formatter.write_str(text),
        }
    }
}

fn first_attempt() -> u32 {
    1
}

fn is_first_attempt(attempt: &u32) -> bool {
    *attempt <= 1
}

/// One run of an occurrence on one node, as the ledger lists it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LedgerRun {
    /// Execution id (see `execution_id`).
    pub execution_id: String,
    /// Node that ran it.
    pub node_name: String,
    /// Process exit code, when the executor had one.
    pub exit_code: Option<i32>,
    /// `None` while running.
    pub success: Option<bool>,
    /// Which attempt this is: a failed run that is retried is replaced by its next attempt,
    /// so the entry ends with the last one. Omitted for the first.
    #[serde(default = "first_attempt", skip_serializing_if = "is_first_attempt")]
    pub attempt: u32,
}

/// What became of one occurrence.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LedgerEntry {
    /// Job name.
    pub job_name: String,
    /// The time the occurrence was due.
    #[serde(with = "gotime::required")]
    pub nominal_time: DateTime<Utc>,
    /// What caused it.
    pub trigger: Trigger,
    /// Where it stands.
    pub state: OccurrenceState,
    /// Why it was skipped or lost; empty otherwise.
    pub reason: String,
    /// When the scheduler decided about it.
    #[serde(with = "gotime::required")]
    pub decided_at: DateTime<Utc>,
    /// The runs it produced.
    pub runs: Vec<LedgerRun>,
    /// For an entry that summarises a range of skipped occurrences (a long outage): the last
    /// one it covers, and how many. Omitted for a single occurrence.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub range: Option<LedgerRange>,
}

/// The occurrences one summarising ledger entry covers, from its `nominal_time` to `last`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct LedgerRange {
    /// The last occurrence covered.
    #[serde(with = "gotime::required")]
    pub last: DateTime<Utc>,
    /// How many occurrences are covered, the first and the last included.
    pub count: u64,
}
