//! Why a command about an occurrence changes nothing.

use chrono::{DateTime, Utc};
use dkron_model::gotime;

/// A command the lifecycle refuses; the state stays as it was.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refusal {
    /// The job does not exist (any more).
    JobNotFound(String),
    /// The occurrence is already in the ledger: launches and skips are at most once.
    AlreadyRecorded {
        /// Job name.
        job: String,
        /// Nominal time of the occurrence.
        nominal: DateTime<Utc>,
    },
    /// A start report for a run that is not active (it ended, or was never launched).
    NotActive(String),
    /// A final report for a run that already has one.
    AlreadyFinished(String),
    /// A run cannot move to another node (it may have reached its node, or the new node
    /// does not fit).
    NotMovable {
        /// Execution id.
        execution_id: String,
        /// Why it stays.
        why: String,
    },
}

impl std::fmt::Display for Refusal {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Refusal::JobNotFound(job) => write!(formatter, "job {job} not found"),
            Refusal::AlreadyRecorded { job, nominal } => write!(
                formatter,
                "occurrence {job}@{} is already recorded",
                gotime::format(nominal)
            ),
            Refusal::NotActive(execution_id) => {
                write!(formatter, "run {execution_id} is not active")
            }
            Refusal::AlreadyFinished(execution_id) => {
                write!(formatter, "run {execution_id} already has a final result")
            }
            Refusal::NotMovable { execution_id, why } => {
                write!(formatter, "run {execution_id} cannot move: {why}")
            }
        }
    }
}
