//! What the worker is asked to do and what it answers: run orders, run states and events.

use bytes::Bytes;
use chrono::Utc;
use dkron_model::Job;

/// Execution ids are unique within a job only (two jobs due the same second on one node share
/// the nominal-time prefix), so runs are keyed by job and id.
pub(crate) type RunKey = (String, String);

/// Where the events of one run go, for whoever dispatched it.
pub(crate) type Events = tokio::sync::mpsc::UnboundedSender<RunEvent>;

/// One run the scheduler asked this node to do.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct RunOrder {
    /// The job as stored when the run was dispatched.
    pub job: Job,
    /// Nominal time of the occurrence.
    pub nominal: chrono::DateTime<Utc>,
    /// Execution id.
    pub execution_id: String,
    /// Attempt number, from 1 (retries send the next attempts).
    #[serde(default = "first_attempt")]
    pub attempt: u32,
    /// A retry waits for its backoff: it starts at this time if that is later than `nominal`.
    #[serde(default)]
    pub not_before: Option<chrono::DateTime<Utc>>,
    /// Raft term of the leader that sent the order; a node refuses orders from a term older
    /// than one it has heard (0: sent without a term).
    #[serde(default)]
    pub leader_term: u64,
}

fn first_attempt() -> u32 {
    1
}

impl RunOrder {
    /// The first order of an occurrence on a node.
    pub fn first(job: Job, nominal: chrono::DateTime<Utc>, execution_id: String) -> RunOrder {
        RunOrder {
            job,
            nominal,
            execution_id,
            attempt: 1,
            not_before: None,
            leader_term: 0,
        }
    }

    /// Returns the order stamped with the sender's leader term.
    pub fn in_term(self, leader_term: u64) -> RunOrder {
        RunOrder {
            leader_term,
            ..self
        }
    }

    /// When the run starts: its nominal time, or later for a retry's backoff.
    pub fn due(&self) -> chrono::DateTime<Utc> {
        self.not_before
            .map_or(self.nominal, |not_before| not_before.max(self.nominal))
    }
}

/// What this node knows of a run, for a new leader reconciling launched runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RunState {
    /// Running now.
    Running,
    /// Finished here; its result is recorded or queued for recording.
    Finished,
    /// Never received by this node (or forgotten long ago).
    Unknown,
}

/// What happens to a run, for whoever dispatched it.
#[derive(Debug, Clone)]
pub enum RunEvent {
    /// A piece of output.
    Output(Bytes),
    /// The run ended.
    Finished {
        /// Whether it succeeded.
        success: bool,
    },
}

/// Whether an order started a run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Accepted {
    /// The run started.
    Started,
    /// This node already has (or had) this run; nothing was started.
    Duplicate,
    /// The order came from a deposed leader; nothing was started.
    StaleLeader(crate::StaleLeader),
}
