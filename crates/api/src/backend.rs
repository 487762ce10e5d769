//! The seam between the HTTP layer and the node: what the API needs, owned by the API.
//!
//! The agent implements this trait over Raft and the store; tests implement it in memory.
//! Handlers never see storage or consensus types.

use std::future::Future;

use chrono_tz::Tz;
use dkron_model::{
    AuditEntry, ConfigFault, Execution, Job, LedgerEntry, Member, PluginInfo, StringMap,
};

use crate::audit::AuditQuery;

/// Why the node could not do what a request asked. The API maps each variant to one HTTP
/// status in a single place (`error.rs`).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BackendError {
    /// The job (or execution) does not exist.
    #[error("{0}")]
    NotFound(String),
    /// The job's parent does not exist (Dkron answers 404 with this exact text).
    #[error("specified parent job not found")]
    ParentNotFound,
    /// The request is well-formed but breaks a rule (a cycle, a job with dependents…).
    #[error("{0}")]
    Rejected(String),
    /// No leader can take the write right now; the client may retry.
    #[error("{0}")]
    Unavailable(String),
    /// Anything else; the message is for the operator.
    #[error("{0}")]
    Internal(String),
}

/// What `GET /v1` reports about this node.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AgentInfo {
    /// Node name.
    pub name: String,
    /// Build version.
    pub version: String,
    /// Local node tags.
    pub tags: StringMap,
    /// Membership statistics (Serf's `serf` object; all values strings).
    pub stats: StringMap,
}

/// How the leader's scheduler keeps up with the schedules (our addition to `/v1/summary`).
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct SchedulerHealth {
    /// The server whose scheduler this is (the leader).
    pub leader: String,
    /// How long ago the oldest occurrence still waiting for the scheduler fell due, in
    /// seconds; 0 while it keeps up.
    pub lag_seconds: f64,
    /// True during an overload episode (a lag of 0.5 s or more, until it has stayed under
    /// 0.1 s for 5 s).
    pub behind: bool,
    /// When the current overload episode began.
    pub behind_since: Option<chrono::DateTime<chrono::Utc>>,
    /// The largest lag since this scheduler started, in seconds.
    pub max_lag_seconds: f64,
    /// Occurrences this scheduler skipped because it reached them too late.
    pub occurrences_overloaded: u64,
}

/// Which jobs a streamed list sends, and in which order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum JobSelection {
    /// Jobs in name order (reverse name order with `descending`), from the `skip`-th, at
    /// most `limit` of them (all with `None`).
    ByName {
        /// Jobs passed over first.
        skip: usize,
        /// Most jobs sent.
        limit: Option<usize>,
        /// Reverse name order.
        descending: bool,
    },
    /// These jobs in this order; a job deleted since it was named is left out.
    Named(Vec<String>),
}

/// Jobs handed over one at a time for a streamed answer: the node reads the next job only
/// when the answer has room for it, so memory stays at a few jobs whatever their number.
#[derive(Debug)]
pub struct JobStream {
    /// How many jobs the selection holds before `skip` (the list's `X-Total-Count` when it
    /// is not filtered), counted in the same read as the jobs.
    pub total: usize,
    /// The jobs, as the API shows them; an error ends the list.
    pub jobs: tokio::sync::mpsc::Receiver<Result<Job, BackendError>>,
}

/// Receives job listings one at a time (see [`ApiBackend::visit_job_listings`]).
pub trait ListingVisitor: Send + 'static {
    /// Takes the listing of one job.
    fn visit(&mut self, job: Job);
}

impl ListingVisitor for Vec<Job> {
    fn visit(&mut self, job: Job) {
        self.push(job);
    }
}

/// Everything the REST API asks of the node it runs on.
pub trait ApiBackend: crate::acl::AclBackend + Send + Sync + 'static {
    /// Returns this node's identity and tags.
    fn agent_info(&self) -> AgentInfo;

    /// Returns the zone of jobs whose `timezone` is empty or `Local` (the server's zone).
    fn local_zone(&self) -> Tz;

    /// Returns every stored job; the API filters, sorts and pages.
    fn list_jobs(&self) -> impl Future<Output = Result<Vec<Job>, BackendError>> + Send;

    /// Returns the jobs in name order (reverse name order with `descending`) from the
    /// `start`-th, at most `limit` of them, and how many jobs there are in all. Reads only the
    /// jobs it returns, so a page of a long list costs a page.
    fn jobs_by_name(
        &self,
        start: usize,
        limit: Option<usize>,
        descending: bool,
    ) -> impl Future<Output = Result<(Vec<Job>, usize), BackendError>> + Send;

    /// Hands `visitor` every job in name order, one at a time, each with only the fields
    /// the job list filters and sorts on (names, counters, status, `disabled`, metadata,
    /// schedule and `next`; the executor configuration, processors and tags are left
    /// empty), and returns the visitor when done. Memory stays at one job.
    fn visit_job_listings<V: ListingVisitor>(
        &self,
        visitor: V,
    ) -> impl Future<Output = Result<V, BackendError>> + Send;

    /// Returns the named jobs that exist, whole, in the order given (one page of a list).
    fn jobs_named(
        &self,
        names: Vec<String>,
    ) -> impl Future<Output = Result<Vec<Job>, BackendError>> + Send;

    /// Starts handing over the selected jobs one at a time, from one consistent read.
    fn stream_jobs(
        &self,
        selection: JobSelection,
    ) -> impl Future<Output = Result<JobStream, BackendError>> + Send;

    /// Returns one stored job, or `None`.
    fn get_job(&self, name: &str)
    -> impl Future<Output = Result<Option<Job>, BackendError>> + Send;

    /// Creates or replaces a job (already validated by the API) and returns it as stored.
    fn upsert_job(&self, job: Job) -> impl Future<Output = Result<Job, BackendError>> + Send;

    /// Deletes a job with its history and returns it as it was.
    fn delete_job(&self, name: &str) -> impl Future<Output = Result<Job, BackendError>> + Send;

    /// Starts a manual run; with `wait`, returns after every run of it finished.
    fn run_job(
        &self,
        name: &str,
        wait: bool,
    ) -> impl Future<Output = Result<Job, BackendError>> + Send;

    /// Flips `disabled` and returns the job as stored.
    fn toggle_job(&self, name: &str) -> impl Future<Output = Result<Job, BackendError>> + Send;

    /// Returns the stored executions of a job, oldest first; `NotFound` if the job is unknown.
    fn list_executions(
        &self,
        job: &str,
    ) -> impl Future<Output = Result<Vec<Execution>, BackendError>> + Send;

    /// Returns one execution with its full stored output.
    fn get_execution(
        &self,
        job: &str,
        execution_id: &str,
    ) -> impl Future<Output = Result<Execution, BackendError>> + Send;

    /// Deletes a job's executions, resets its counters and returns the job.
    fn delete_executions(
        &self,
        job: &str,
    ) -> impl Future<Output = Result<Job, BackendError>> + Send;

    /// Returns one execution with its output so far while it runs on some node of the
    /// cluster; `None` when no node runs it (not started yet, or finished).
    fn running_execution(
        &self,
        job: &str,
        execution_id: &str,
    ) -> impl Future<Output = Result<Option<Execution>, BackendError>> + Send;

    /// Kills a running execution on whichever node runs it and returns it as it was just
    /// before; `None` when no node runs it (the handler then says why, from the store).
    fn kill_execution(
        &self,
        job: &str,
        execution_id: &str,
    ) -> impl Future<Output = Result<Option<Execution>, BackendError>> + Send;

    /// Returns the executions running anywhere in the cluster, with output so far.
    fn busy(&self) -> impl Future<Output = Result<Vec<Execution>, BackendError>> + Send;

    /// Returns the cluster members with their status.
    fn members(&self) -> impl Future<Output = Result<Vec<Member>, BackendError>> + Send;

    /// Returns this node's plugin binaries (Dkron executor and processor plugins) and where
    /// each stands.
    fn plugins(&self) -> Vec<PluginInfo>;

    /// Returns the current leader, if one is known.
    fn leader(&self) -> impl Future<Output = Result<Option<Member>, BackendError>> + Send;

    /// Returns true when this node is the leader.
    fn is_leader(&self) -> impl Future<Output = bool> + Send;

    /// Makes this node leave the cluster and stop.
    fn leave(&self) -> impl Future<Output = Result<(), BackendError>> + Send;

    /// Creates the given jobs (parents before children) and reports one line per job:
    /// `success create <name>` or `fail create <name>`.
    fn restore(
        &self,
        jobs: Vec<Job>,
    ) -> impl Future<Output = Result<Vec<String>, BackendError>> + Send;

    /// Returns whether scheduling and job submissions are paused cluster-wide.
    fn paused(&self) -> impl Future<Output = Result<bool, BackendError>> + Send;

    /// Pauses or resumes scheduling and job submissions cluster-wide.
    fn set_paused(&self, paused: bool) -> impl Future<Output = Result<(), BackendError>> + Send;

    /// Returns how the leader's scheduler keeps up, or `None` when no scheduler answers (no
    /// leader, or it cannot be reached).
    fn scheduler_health(&self) -> impl Future<Output = Option<SchedulerHealth>> + Send;

    /// Returns why this node cannot do its work now (each reason a sentence for the operator,
    /// such as a full data volume); empty while it is healthy. `/health` answers 503 with
    /// them.
    fn health_problems(&self) -> Vec<String> {
        Vec::new()
    }

    /// Checks a submitted job's `executor_config` with the checks of the executor it names,
    /// without the network, so a bad key is refused at submission. The default accepts
    /// everything (a backend that runs no executors has no rules to apply).
    fn check_executor_config(&self, executor: &str, config: &StringMap) -> Result<(), ConfigFault> {
        let _ = (executor, config);
        Ok(())
    }

    /// Returns the newest ledger entries of a job, newest first, at most `limit`.
    fn ledger(
        &self,
        job: &str,
        limit: usize,
    ) -> impl Future<Output = Result<Vec<LedgerEntry>, BackendError>> + Send;

    /// Appends an entry to the audit log; the store gives it its sequence number and keeps
    /// the log within its retention.
    fn append_audit(
        &self,
        entry: AuditEntry,
    ) -> impl Future<Output = Result<(), BackendError>> + Send;

    /// Returns the audit entries `query` asks for, newest first, and how many entries match
    /// its filters in all.
    fn audit_page(
        &self,
        query: AuditQuery,
    ) -> impl Future<Output = Result<(Vec<AuditEntry>, usize), BackendError>> + Send;
}
