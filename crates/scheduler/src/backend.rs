//! The seam between the scheduler and the rest of the leader: the trait the scheduler needs,
//! implemented by the agent over the replicated store and the dispatcher (STYLE rule 4).

use std::future::Future;

use chrono::{DateTime, Utc};
use dkron_model::{Job, Schedule, ScheduleError, SkipReason, Trigger};

use crate::decision::Decision;
use crate::error::SchedulerError;

/// A job as the scheduler tracks it, with its replicated schedule cursor.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScheduledJob {
    /// The job definition.
    pub job: Job,
    /// Last nominal time decided about; the backend sets it to the creation time for a new
    /// job (and to the change time when a job is re-enabled or rescheduled). `None` means
    /// "never decided": the scheduler then starts from its current time.
    pub cursor: Option<DateTime<Utc>>,
}

/// One planned run of an accepted launch on one node.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlannedRun {
    /// Execution id, derived from the occurrence (`dkron_model::execution_id`).
    pub execution_id: String,
    /// Node chosen to run it.
    pub node_name: String,
}

/// A launch the replicated log accepted: the occurrence is in the ledger as launched.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AcceptedLaunch {
    /// Job name.
    pub job: String,
    /// Nominal time of the occurrence.
    pub nominal: DateTime<Utc>,
    /// What caused it.
    pub trigger: Trigger,
    /// Where it runs.
    pub runs: Vec<PlannedRun>,
}

/// What the backend made of one committed decision.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CommitOutcome {
    /// A launch was accepted; the scheduler dispatches it at its nominal time.
    Launched(AcceptedLaunch),
    /// A launch was turned into a recorded skip (overlap under `forbid`, no target node…).
    Skipped(SkipReason),
    /// A skip or skip range was recorded.
    Recorded,
    /// A launch was accepted but waits for the job's active runs to end (`concurrency:
    /// queue`); the backend starts it then, so the scheduler does not dispatch it.
    Queued,
    /// The decision was refused and changed nothing, for example because the occurrence was
    /// already in the ledger. The scheduler treats the occurrence as decided.
    Rejected(String),
}

/// What the scheduler needs from the leader. Implemented by the agent; the `testsuite`
/// feature has an in-memory implementation.
///
/// Contract:
/// - `commit` is atomic: either every decision of the batch is applied (and an outcome is
///   returned for each, in order) or none is and an error is returned.
/// - Decisions are idempotent: an occurrence `(job, nominal)` already in the ledger is
///   `Rejected`, so the scheduler may retry a batch whose outcome it never saw.
/// - A decision whose trigger is `schedule` or `catch_up`, and every skip range, moves the
///   job's cursor forward to its nominal time (never backward); manual and parent launches
///   leave the cursor alone.
pub trait SchedulerBackend: Send + Sync + 'static {
    /// Returns up to `limit` jobs with their replicated cursors, in name order, starting after
    /// the job named `after` (from the first with `None`). The scheduler reads every job
    /// this way, page after page, when leadership starts.
    fn load_jobs(
        &self,
        after: Option<&str>,
        limit: usize,
    ) -> impl Future<Output = Result<Vec<ScheduledJob>, SchedulerError>> + Send;

    /// Returns one job with its cursor, `None` when it does not exist. Asked for a job the
    /// scheduler is told to run but has not heard of yet (created a moment ago, its change
    /// still on the way).
    fn load_job(
        &self,
        name: &str,
    ) -> impl Future<Output = Result<Option<ScheduledJob>, SchedulerError>> + Send;

    /// Commits a batch of decisions in one replicated write and returns one outcome per
    /// decision, in order. `SchedulerError::NotLeader` makes the scheduler stop; any other
    /// error makes it retry the same batch with backoff.
    fn commit(
        &self,
        decisions: Vec<Decision>,
    ) -> impl Future<Output = Result<Vec<CommitOutcome>, SchedulerError>> + Send;

    /// Hands a committed launch to the dispatcher; called `dispatch_lead` before its nominal
    /// time (at or just after it when the lead is zero, the default) from the scheduler's
    /// task, so it must return quickly. The backend starts the run at its nominal time.
    fn dispatch(&self, launch: AcceptedLaunch);

    /// Parses the job's schedule with the server's local zone.
    fn parse_schedule(&self, job: &Job) -> Result<Schedule, ScheduleError>;
}
