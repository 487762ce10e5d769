//! Commands: every change to the replicated state, as the Raft log carries it.
//!
//! Commands are applied identically on every replica, so everything that depends on the
//! clock or on configuration (`now`, retention limits) travels inside the command.

use chrono::{DateTime, Utc};
use dkron_acl::{Policy, Token};
use dkron_lifecycle::{RunPlan, RunReport};
use dkron_model::{AuditEntry, Job, SkipReason, Trigger};
use serde::{Deserialize, Serialize};

use crate::audit::AuditRetention;

/// How much history to keep, chosen by the leader and carried in the command.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Retention {
    /// Executions kept per job (oldest pruned first).
    pub executions_per_job: u32,
    /// Ledger entries kept per job (oldest pruned first).
    pub ledger_per_job: u32,
    /// Executions and ledger entries older than this many seconds are pruned (by
    /// `PruneAged`); `None` keeps them however old.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_age_secs: Option<u64>,
}

impl Default for Retention {
    fn default() -> Self {
        Retention {
            executions_per_job: 100,
            ledger_per_job: 500,
            max_age_secs: None,
        }
    }
}

/// A change to the replicated state.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum Command {
    /// Creates or replaces a job (merge rules of Dkron §2.4 apply).
    PutJob {
        /// The submitted job, validated by the API.
        job: Box<Job>,
        /// Leader time of the request: anchors the schedule cursor of new or rescheduled jobs.
        now: DateTime<Utc>,
    },
    /// Deletes a job with its executions and ledger.
    DeleteJob {
        /// Job name.
        name: String,
    },
    /// Flips `disabled`.
    ToggleJob {
        /// Job name.
        name: String,
        /// Leader time; re-enabling anchors the cursor here.
        now: DateTime<Utc>,
    },
    /// Commits the intent to run an occurrence; rejected if the occurrence is already known,
    /// recorded as skipped if the job forbids overlap and a run is active.
    Launch {
        /// Job name.
        job: String,
        /// Nominal time of the occurrence.
        nominal: DateTime<Utc>,
        /// What caused it.
        trigger: Trigger,
        /// Where it will run (empty = no target).
        runs: Vec<RunPlan>,
        /// Leader time of the decision.
        decided_at: DateTime<Utc>,
    },
    /// Records an occurrence that will not run.
    Skip {
        /// Job name.
        job: String,
        /// Nominal time.
        nominal: DateTime<Utc>,
        /// What caused it.
        trigger: Trigger,
        /// Why it is skipped.
        reason: SkipReason,
        /// Leader time of the decision.
        decided_at: DateTime<Utc>,
    },
    /// Records a run of missed occurrences as one ledger entry.
    SkipRange {
        /// Job name.
        job: String,
        /// First nominal time in the range.
        first: DateTime<Utc>,
        /// Last nominal time in the range.
        last: DateTime<Utc>,
        /// How many occurrences the range holds.
        count: u64,
        /// Why they are skipped.
        reason: SkipReason,
        /// Leader time of the decision.
        decided_at: DateTime<Utc>,
    },
    /// Marks a run as started (a "running" execution appears).
    RunStarted {
        /// Job name.
        job: String,
        /// Nominal time.
        nominal: DateTime<Utc>,
        /// Execution id.
        execution_id: String,
        /// Node running it.
        node_name: String,
        /// Attempt number.
        attempt: u32,
        /// Actual start time.
        started_at: DateTime<Utc>,
    },
    /// Records the result of a run.
    RunFinished {
        /// The result.
        report: RunReport,
    },
    /// Ends active runs of a node as lost (the node restarted or died mid-run).
    LoseRuns {
        /// Node whose runs are lost.
        node_name: String,
        /// Why.
        reason: String,
        /// Leader time.
        at: DateTime<Utc>,
        /// Set by a node ending its previous process's runs: when this process started, by
        /// the node's own clock (the clock its start records carry). Only runs whose
        /// recorded start is earlier are lost: those the previous process started. Runs
        /// without a start record may be on their way to the new process; the leader's
        /// reconciliation settles them with the node. `None` loses every active run of the
        /// node.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        started_before: Option<DateTime<Utc>>,
    },
    /// Ends one active run as lost (its node no longer knows it).
    LoseRun {
        /// Job name.
        job: String,
        /// Nominal time of the occurrence.
        nominal: DateTime<Utc>,
        /// Execution id.
        execution_id: String,
        /// Node it was sent to.
        node_name: String,
        /// Why.
        reason: String,
        /// Leader time.
        at: DateTime<Utc>,
    },
    /// Moves an active run that never reached its node to another node (issue 14, ADR 19):
    /// the leader sends it there once this is committed. Answers `Done`, or `Failed` when
    /// the lifecycle refuses (`dkron_lifecycle::move_run`): the run started, ended, is no
    /// longer on `from_node`, or `to_node` does not fit.
    MoveRun {
        /// Job name.
        job: String,
        /// Nominal time of the occurrence.
        nominal: DateTime<Utc>,
        /// Execution id (unchanged by the move).
        execution_id: String,
        /// The node the run is on, which never received it.
        from_node: String,
        /// The node it moves to.
        to_node: String,
        /// The new node's tags as the leader saw them, checked against the job's.
        to_node_tags: dkron_model::StringMap,
    },
    /// Sets the history limits every replica enforces from now on.
    SetRetention(Retention),
    /// Deletes executions and ledger entries older than their job's age limit (the job's
    /// `history_max_age`, else the retention's `max_age_secs`), at most `limit` records, so
    /// that one write never holds the state machine long. Answers `Pruned`.
    PruneAged {
        /// Leader time the ages are measured from.
        now: DateTime<Utc>,
        /// Most records deleted by this command.
        limit: u32,
        /// First job name to look at (the previous command's `Pruned::next`); `None` starts a
        /// pass at the first job. At most `limits::JOBS_PER_PRUNE_COMMAND` jobs are looked at.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        from: Option<String>,
    },
    /// Pauses or resumes scheduling cluster-wide: while paused, scheduled occurrences are
    /// recorded as skipped (manual runs still launch).
    SetPaused {
        /// True to pause.
        paused: bool,
    },
    /// Chooses which run records leave a notice in the notification outbox (the leader sets
    /// it from its notification settings).
    SetNotices(crate::NoticeSettings),
    /// Removes notices the leader has sent (or given up on).
    AckNotices {
        /// Sequence numbers of the notices.
        seqs: Vec<u64>,
    },
    /// Deletes a job's executions and resets its counters.
    DeleteExecutions {
        /// Job name.
        job: String,
    },
    /// Appends a write to the audit log (the store gives it its sequence number) and
    /// removes a few of the oldest entries past `keep`.
    AppendAudit {
        /// The entry; its `time` is also the time ages are measured from.
        entry: Box<AuditEntry>,
        /// How much of the log to keep.
        keep: AuditRetention,
    },
    /// Removes audit entries older than `max_age_secs` at `now`, at most `limit`, for a
    /// log that no write has pruned for a while. Answers `Pruned` (never with a `next`).
    PruneAudit {
        /// Leader time the ages are measured from.
        now: DateTime<Utc>,
        /// Age past which entries go, in seconds.
        max_age_secs: u64,
        /// Most entries removed by this command.
        limit: u32,
    },
    /// Several commands applied in one write; results come back in order.
    Batch(Vec<Command>),
    /// Stores the first management token; refused once any bootstrap happened (ADR 16).
    AclBootstrap {
        /// The token, with only its secret's hash.
        token: Box<Token>,
    },
    /// Creates or replaces a policy (its rules must parse).
    AclUpsertPolicy(Policy),
    /// Deletes a policy; tokens naming it keep the name and get nothing from it.
    AclDeletePolicy {
        /// Policy name.
        name: String,
    },
    /// Stores a new token (refused if its accessor or secret is already in use).
    AclCreateToken {
        /// The token, with only its secret's hash.
        token: Box<Token>,
    },
    /// Deletes a token by accessor id.
    AclDeleteToken {
        /// Accessor id.
        accessor_id: String,
    },
}

/// What every command takes in a log entry besides its variable part (names, times, ids).
const FIXED_COMMAND_BYTES: usize = 512;

impl Command {
    /// Returns about how many bytes the command takes once encoded in a log entry: its
    /// variable part (a run's output as escaped JSON, a job's definition) plus a fixed
    /// allowance for the rest. The recorder closes its batches by it (see
    /// `limits::MAX_RECORD_BATCH_BYTES`).
    pub fn encoded_size_estimate(&self) -> usize {
        match self {
            Command::RunFinished { report } => {
                FIXED_COMMAND_BYTES + json_text_bytes(&report.output)
            }
            Command::PutJob { job, .. } => {
                FIXED_COMMAND_BYTES + serde_json::to_vec(job).map_or(0, |encoded| encoded.len())
            }
            Command::AppendAudit { entry, .. } => {
                FIXED_COMMAND_BYTES + serde_json::to_vec(entry).map_or(0, |encoded| encoded.len())
            }
            Command::Launch { runs, .. } => FIXED_COMMAND_BYTES + 128 * runs.len(),
            Command::AckNotices { seqs } => FIXED_COMMAND_BYTES + 24 * seqs.len(),
            Command::Batch(commands) => commands.iter().map(Command::encoded_size_estimate).sum(),
            _ => FIXED_COMMAND_BYTES,
        }
    }
}

/// Bytes of `text` as a JSON string: control characters take six (`\u001b`), quotes and
/// backslashes two.
fn json_text_bytes(text: &str) -> usize {
    text.bytes()
        .map(|byte| match byte {
            b'"' | b'\\' | b'\n' | b'\r' | b'\t' | 0x08 | 0x0c => 2,
            0..=0x1f => 6,
            _ => 1,
        })
        .sum()
}

/// Why a command changed nothing.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
pub enum ApplyError {
    /// The job does not exist.
    #[error("job {0} not found")]
    JobNotFound(String),
    /// The execution does not exist.
    #[error("execution {0} not found")]
    ExecutionNotFound(String),
    /// The parent named by `parent_job` does not exist.
    #[error("specified parent job not found")]
    ParentNotFound,
    /// A rule forbids the change; the message says which.
    #[error("{0}")]
    Rejected(String),
    /// An ACL policy or token does not exist; the message names it.
    #[error("{0}")]
    AclNotFound(String),
}

/// The answer to a command.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum CommandResult {
    /// Done; nothing to report.
    Done,
    /// The job after the change (or before deletion).
    Job(Box<Job>),
    /// The occurrence is launched with these runs.
    Launched(Vec<RunPlan>),
    /// The occurrence is launched with these runs (`runs`), and the job's runs that were
    /// active (`replaced`) are to be stopped: `concurrency: replace`.
    LaunchedReplacing {
        /// The new runs.
        runs: Vec<RunPlan>,
        /// The runs to stop.
        replaced: Vec<RunPlan>,
    },
    /// The occurrence is launched but waits for the job's active runs to end:
    /// `concurrency: queue` (see `StoredJob::queued`).
    Queued,
    /// The occurrence is recorded as skipped for this reason.
    Skipped(SkipReason),
    /// Number of runs ended by `LoseRuns`.
    Lost(u32),
    /// Records deleted by `PruneAged`, and where the pass goes on.
    Pruned {
        /// Executions and ledger entries deleted.
        removed: u32,
        /// The job to go on from when the record limit or the job count stopped the pass:
        /// send another command with it as `from`. `None`: the pass is complete.
        next: Option<String>,
    },
    /// The run's result was recorded and the leader has more to do (see [`Followups`]).
    Finished(Followups),
    /// The command changed nothing.
    Failed(ApplyError),
    /// Results of a batch, in order.
    Batch(Vec<CommandResult>),
    /// The ACL token stored by the command.
    AclToken(Box<Token>),
}

/// What a recorded run result leaves the leader to do.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Followups {
    /// The job whose run finished.
    pub job: String,
    /// Its children whose parents all succeeded: each now has a pending parent-triggered run
    /// (`StoredJob::pending_triggers`).
    pub children: Vec<String>,
    /// The job has runs to send (`StoredJob::pending_runs`): a retry, or its queued
    /// occurrence let out.
    pub runs_pending: bool,
    /// The job was `ephemeral`, succeeded, and was deleted with its history.
    pub deleted: bool,
}

impl std::fmt::Display for CommandResult {
    /// A one-line summary for logs: the result kind, never a job's configuration (it holds
    /// secrets, issue 13).
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            CommandResult::Job(job) => write!(formatter, "job({})", job.name),
            CommandResult::Batch(results) => {
                write!(formatter, "batch of {} results", results.len())
            }
            CommandResult::Failed(error) => write!(formatter, "failed: {error}"),
            other => write!(formatter, "{other:?}"),
        }
    }
}

impl std::fmt::Display for Command {
    /// A one-line summary for logs: the command kind and its subject, never the payload.
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Command::PutJob { job, .. } => write!(formatter, "put_job({})", job.name),
            Command::DeleteJob { name } => write!(formatter, "delete_job({name})"),
            Command::ToggleJob { name, .. } => write!(formatter, "toggle_job({name})"),
            Command::Launch { job, nominal, .. } => write!(formatter, "launch({job}@{nominal})"),
            Command::Skip { job, nominal, .. } => write!(formatter, "skip({job}@{nominal})"),
            Command::SkipRange { job, count, .. } => {
                write!(formatter, "skip_range({job}, {count})")
            }
            Command::RunStarted { execution_id, .. } => {
                write!(formatter, "run_started({execution_id})")
            }
            Command::RunFinished { report } => {
                write!(formatter, "run_finished({})", report.execution_id)
            }
            Command::LoseRuns { node_name, .. } => write!(formatter, "lose_runs({node_name})"),
            Command::LoseRun { execution_id, .. } => write!(formatter, "lose_run({execution_id})"),
            Command::MoveRun {
                execution_id,
                to_node,
                ..
            } => write!(formatter, "move_run({execution_id} to {to_node})"),
            Command::DeleteExecutions { job } => write!(formatter, "delete_executions({job})"),
            Command::SetRetention(_) => formatter.write_str("set_retention"),
            Command::SetPaused { paused } => write!(formatter, "set_paused({paused})"),
            Command::SetNotices(kinds) => write!(
                formatter,
                "set_notices(started={}, finished={})",
                kinds.started, kinds.finished
            ),
            Command::AckNotices { seqs } => write!(formatter, "ack_notices({})", seqs.len()),
            Command::PruneAged { limit, .. } => write!(formatter, "prune_aged({limit})"),
            Command::AppendAudit { entry, .. } => {
                write!(formatter, "append_audit({})", entry.action)
            }
            Command::PruneAudit { limit, .. } => write!(formatter, "prune_audit({limit})"),
            Command::Batch(commands) => write!(formatter, "batch({})", commands.len()),
            Command::AclBootstrap { .. } => formatter.write_str("acl_bootstrap"),
            Command::AclUpsertPolicy(policy) => {
                write!(formatter, "acl_upsert_policy({})", policy.name)
            }
            Command::AclDeletePolicy { name } => write!(formatter, "acl_delete_policy({name})"),
            Command::AclCreateToken { token } => {
                write!(formatter, "acl_create_token({})", token.accessor_id)
            }
            Command::AclDeleteToken { accessor_id } => {
                write!(formatter, "acl_delete_token({accessor_id})")
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use chrono::Utc;

    use super::*;

    fn finished_with(output: String) -> Command {
        Command::RunFinished {
            report: RunReport {
                job: "a-job-with-a-fairly-long-name-to-be-safe".into(),
                nominal: Utc::now(),
                execution_id: "1767261600000000000-some-node-name-3".into(),
                node_name: "some-node-name".into(),
                attempt: 3,
                started_at: Utc::now(),
                finished_at: Utc::now(),
                success: false,
                output,
                exit_code: Some(2),
                killed: true,
                no_retry: true,
            },
        }
    }

    #[test]
    fn the_estimate_covers_the_encoded_size_of_any_output() {
        let outputs = [
            String::new(),
            "plain text\n".repeat(10_000),
            "\u{1b}[31mred\u{1b}[0m \"quoted\" \\ tab\t\r\n".repeat(5_000),
            (0u8..0x20)
                .map(char::from)
                .collect::<String>()
                .repeat(1_000),
            "ünïcödé ✓ ".repeat(3_000),
        ];
        for output in outputs {
            let command = finished_with(output);
            let encoded = serde_json::to_vec(&command).unwrap().len();
            let estimate = command.encoded_size_estimate();
            assert!(
                estimate >= encoded,
                "estimate {estimate} < encoded {encoded}"
            );
            assert!(
                estimate <= encoded + FIXED_COMMAND_BYTES,
                "estimate {estimate}, encoded {encoded}"
            );
            let batch = Command::Batch(vec![command.clone(), command]);
            assert_eq!(batch.encoded_size_estimate(), 2 * estimate);
        }
    }

    #[test]
    fn results_name_their_job_in_logs_but_never_its_configuration() {
        let job = Job {
            name: "deploy".into(),
            executor_config: Some(std::collections::BTreeMap::from([(
                "env".to_owned(),
                "TOKEN=s3cret".to_owned(),
            )])),
            ..Job::default()
        };
        let result = CommandResult::Batch(vec![CommandResult::Job(Box::new(job.clone()))]);
        assert_eq!(result.to_string(), "batch of 1 results");
        let shown = CommandResult::Job(Box::new(job)).to_string();
        assert_eq!(shown, "job(deploy)");
    }
}
