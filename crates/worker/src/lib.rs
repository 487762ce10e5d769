//! The node side of a run: what a dkron-rs node does with the runs the leader sends it.
//!
//! A [`Worker`] takes [`RunOrder`]s (starting each at its nominal time, at most once thanks to
//! the bounded memory of [`ReceivedRuns`]), runs the executor of `dkron-exec`, keeps the live
//! view `/v1/busy` shows, stops runs on a [`KillOrder`] or when the job's timeout passes, and
//! records every start and result through [`RunRecords`], the seam the agent implements over
//! the replicated log. [`kill_orphans`] and [`kill_orphans_of_node`] end the processes a
//! crashed predecessor left running. This crate's `README.md` states its bounds.

mod job_environment;
mod leader_term;
mod order;
mod orphans;
mod received;
mod records;
mod running;
mod worker;

#[cfg(any(test, feature = "testsuite"))]
pub mod testsuite;

pub use job_environment::{
    GLIBC_TUNABLES, ORIGINAL_TUNABLES, job_environment_changes,
    this_process_job_environment_changes,
};
pub use leader_term::{LeaderTerms, StaleLeader};
pub use order::{Accepted, RunEvent, RunOrder, RunState};
pub use orphans::{RunIdentity, execution_belongs_to_node, kill_orphans, kill_orphans_of_node};
pub use received::{ReceivedRuns, RecordedRunBound};
pub use records::{OnWritten, RunRecords, RunStart};
pub use worker::{KillOrder, Worker};
