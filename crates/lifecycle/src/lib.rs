//! The lifecycle of an occurrence and its runs, as pure rules: the one place that decides
//! what happens to a run.
//!
//! An occurrence is `(job, nominal time)`. Its life, and the function that decides each
//! step:
//!
//! 1. **Launch** ([`launch`]): the leader's intent is refused if the occurrence is already
//!    recorded; otherwise it is skipped (paused, a parent-triggered run of a disabled job or
//!    outside its window, no target, `forbid` overlap, a second occurrence for `queue`),
//!    queued (`queue` while a run is active: at most one waits), or started (with
//!    `replace`, the active runs are to be stopped). Scheduled occurrences move the cursor.
//!    The scheduler's own skips go through [`skip`] and [`skip_range`].
//! 2. **Start** ([`start`]): a run that is active gets a running execution record.
//! 3. **Finish** ([`finish`]): the run's result is recorded and counted. A failed run with
//!    attempts left (and not lost, killed on purpose or replaced) gets its next attempt on
//!    the same node after its backoff, in the ledger's place of the failed one; otherwise
//!    the run is closed in the ledger, and once every run of the occurrence has a result
//!    the occurrence is succeeded or failed (a lost run makes it lost). Then, when the job
//!    has nothing left running, its queued occurrence starts. A success that closes the
//!    occurrence triggers the job's children ([`parent_succeeded`]) and deletes an
//!    ephemeral job.
//! 4. **Lost** ([`lost_report`], [`is_lost`]): a run whose node died or restarted ends as
//!    lost, decided like a report.
//!
//! Between launch and start, a run whose order never reached its node may move to another
//! node that fits ([`move_run`]).
//!
//! Each function takes plain values (the job with its bookkeeping, the ledger entry, the
//! report, the time) and returns what to write; the store loads, calls, and writes
//! (`crates/store/src/apply/runs.rs`). Nothing here does I/O or reads a clock, so the tests
//! beside each module, and the property tests in `tests/`, need no database.

mod finish;
mod job_state;
mod launch;
mod ledger;
mod lost;
mod parents;
mod refusal;
mod relocate;
mod retention;
mod run;
mod start;
mod status;

#[cfg(test)]
mod finish_test;
#[cfg(test)]
mod launch_test;
#[cfg(test)]
mod props_test;
#[cfg(test)]
mod test_support;

pub use finish::{Finish, FinishFacts, Retry, finish};
pub use job_state::{PendingRun, QueuedLaunch, StoredJob};
pub use launch::{Launch, LaunchIntent, LaunchOutcome, SkippedRange, launch, skip, skip_range};
pub use lost::{LostRun, is_lost, lost_report};
pub use parents::parent_succeeded;
pub use refusal::Refusal;
pub use relocate::{MoveFacts, MoveRequest, move_run};
pub use retention::{excess, executions_kept};
pub use run::{RunPlan, RunReport, StoredExecution, group_of};
pub use start::{StartFacts, StartReport, Started, start};
