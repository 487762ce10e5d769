//! Every metric this node reports, declared once with its type and help text (STYLE rule 15):
//! the `/metrics` families, their label names, and the StatsD keys. Call sites name these
//! constants, never a metric name as a literal; `docs/metrics.md` documents each one.

use prometheus_client::metrics::MetricType;

/// One `/metrics` family: its name as a scraper sees it, its type and its help text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Family {
    /// The exposed name; a counter's ends in `_total`.
    pub(super) name: &'static str,
    /// The `# TYPE` of the family.
    pub(super) kind: MetricType,
    /// The `# HELP` text, written as it is.
    pub(super) help: &'static str,
}

impl Family {
    /// Returns the name to hand to the encoder: prometheus-client appends `_total` to a
    /// counter's name itself, so a counter is declared with the suffix a scraper sees and
    /// handed over without it.
    pub(super) fn encoder_name(&self) -> &'static str {
        match self.kind {
            MetricType::Counter => self.name.strip_suffix("_total").unwrap_or(self.name),
            _ => self.name,
        }
    }
}

const fn gauge(name: &'static str, help: &'static str) -> Family {
    Family {
        name,
        kind: MetricType::Gauge,
        help,
    }
}

const fn counter(name: &'static str, help: &'static str) -> Family {
    Family {
        name,
        kind: MetricType::Counter,
        help,
    }
}

const fn histogram(name: &'static str, help: &'static str) -> Family {
    Family {
        name,
        kind: MetricType::Histogram,
        help,
    }
}

/// Label: the job a series is about.
pub(super) const JOB_NAME: &str = "job_name";
/// Label: the status of a job's last run (`dkron_jobs`) or of a member (`dkron_members`).
pub(super) const STATUS: &str = "status";
/// Label: `server` or `agent`.
pub(super) const ROLE: &str = "role";
/// Label: which bounded in-memory structure.
pub(super) const STRUCTURE: &str = "structure";

// Jobs and their run counters, read from the replicated state at scrape time.

pub(super) const JOBS: Family = gauge("dkron_jobs", "Jobs by the status of their last run.");
pub(super) const JOBS_DISABLED: Family = gauge("dkron_jobs_disabled", "Disabled jobs.");
pub(super) const JOB_EXECUTIONS_SUCCEEDED: Family = counter(
    "dkron_job_executions_succeeded_total",
    "Successful executions per job (Dkron's name; reset when its history is deleted).",
);
pub(super) const JOB_EXECUTIONS_FAILED: Family = counter(
    "dkron_job_executions_failed_total",
    "Failed executions per job (Dkron's name; reset when its history is deleted).",
);

// Run records as this server applied them (fixed-bucket histograms).

pub(super) const JOB_EXECUTION_DURATION: Family = histogram(
    "dkron_job_execution_duration_seconds",
    "How long runs took, per job, since this server started.",
);
pub(super) const SCHEDULER_LATENESS: Family = histogram(
    "dkron_scheduler_lateness_seconds",
    "How long after its nominal time each run started, since this server started.",
);

// The ledger completeness.

pub(super) const LEDGER_COMPLETENESS: Family = gauge(
    "dkron_ledger_completeness",
    "Per job, of the occurrences its schedule called for in the last 10 minutes, the share the ledger records (ran, skipped or lost). Below 1: occurrences went by undecided.",
);
pub(super) const LEDGER_OCCURRENCES_EXPECTED: Family = gauge(
    "dkron_ledger_occurrences_expected",
    "Occurrences all schedules called for in the last 10 minutes.",
);
pub(super) const LEDGER_OCCURRENCES_RECORDED: Family = gauge(
    "dkron_ledger_occurrences_recorded",
    "Of those, occurrences the ledger records.",
);

// Raft, membership and this node.

pub(super) const RAFT_TERM: Family = gauge("dkron_raft_term", "The current Raft term.");
pub(super) const RAFT_LAST_LOG_INDEX: Family = gauge(
    "dkron_raft_last_log_index",
    "Index of the last entry in this server's log.",
);
pub(super) const RAFT_LAST_APPLIED_INDEX: Family = gauge(
    "dkron_raft_last_applied_index",
    "Index of the last entry applied to the state.",
);
pub(super) const RAFT_IS_LEADER: Family = gauge("dkron_raft_is_leader", "1 on the leader.");
pub(super) const RAFT_LEADER_KNOWN: Family = gauge(
    "dkron_raft_leader_known",
    "1 while this server knows a leader.",
);
pub(super) const RAFT_VOTERS: Family =
    gauge("dkron_raft_voters", "Voting servers in the configuration.");
pub(super) const DISK_FREE_BYTES: Family = gauge(
    "dkron_disk_free_bytes",
    "Bytes still free on the volume of this server's data directory.",
);
pub(super) const DISK_LOW_SPACE: Family = gauge(
    "dkron_disk_low_space",
    "1 while the data volume's free space is under the low-space warning (or full).",
);
pub(super) const STORAGE_WRITABLE: Family = gauge(
    "dkron_storage_writable",
    "1 while this server accepts writes; 0 while its data volume is full or a write failed for lack of room.",
);
pub(super) const MEMBERS: Family = gauge(
    "dkron_members",
    "Cluster members seen by gossip, by role and status.",
);
pub(super) const PAUSED: Family =
    gauge("dkron_paused", "1 while scheduling is paused cluster-wide.");
pub(super) const NOTIFICATIONS_PENDING: Family = gauge(
    "dkron_notifications_pending",
    "Notifications in the replicated outbox, not sent yet.",
);
pub(super) const NOTIFICATIONS_DROPPED: Family = counter(
    "dkron_notifications_dropped_total",
    "Notifications dropped unsent because the outbox was full.",
);
pub(super) const RUNNING_EXECUTIONS: Family = gauge(
    "dkron_running_executions",
    "Executions running on this node.",
);

// The leader's scheduler (only the server whose scheduler runs reports these).

pub(super) const SCHEDULER_LAG: Family = gauge(
    "dkron_scheduler_lag_seconds",
    "How long ago the oldest occurrence still waiting for the scheduler fell due (0 when it keeps up).",
);
pub(super) const SCHEDULER_BEHIND: Family = gauge(
    "dkron_scheduler_behind",
    "1 while the scheduler is in an overload episode (lag of 0.5 s or more, until 5 s back under 0.1 s).",
);
pub(super) const SCHEDULER_OCCURRENCES_OVERLOADED: Family = counter(
    "dkron_scheduler_occurrences_overloaded_total",
    "Occurrences skipped because this scheduler reached them too late, since it started.",
);

// Bounded in-memory structures (docs/operations.md; read by the load check in CI).

pub(super) const BOUNDED_ENTRIES: Family = gauge(
    "dkron_bounded_entries",
    "Entries in each bounded in-memory structure (see docs/operations.md).",
);
pub(super) const BOUNDED_LIMIT: Family = gauge(
    "dkron_bounded_limit",
    "The bound of each bounded in-memory structure.",
);
pub(super) const WORKER_REMEMBERED_RUNS: Family = gauge(
    "dkron_worker_remembered_runs",
    "Runs this node remembers so a repeated order is refused: running, finished with the result not yet written, and recently written (bounded).",
);

/// StatsD keys (`statsd-addr`, `dog-statsd-addr`): dotted, as Dkron's metrics library names
/// them; plain StatsD appends label values to them.
pub(super) mod statsd_keys {
    /// Timer: how late a run started after its nominal time, in milliseconds.
    pub(in crate::metrics) const JOB_START_LATENESS: &str = "dkron.job.start_lateness";
    /// Counter: one per successful run.
    pub(in crate::metrics) const JOB_EXECUTIONS_SUCCEEDED: &str =
        "dkron.job.executions_succeeded_total";
    /// Counter: one per failed or lost run.
    pub(in crate::metrics) const JOB_EXECUTIONS_FAILED: &str = "dkron.job.executions_failed_total";
    /// Timer: how long a run took, in milliseconds.
    pub(in crate::metrics) const JOB_EXECUTION_DURATION: &str = "dkron.job.execution_duration";
    /// Gauge: runs executing on this server.
    pub(in crate::metrics) const AGENT_RUNNING_EXECUTIONS: &str = "dkron.agent.running_executions";
    /// Gauge: 1 on the leader.
    pub(in crate::metrics) const AGENT_LEADER: &str = "dkron.agent.leader";
}

#[cfg(test)]
mod tests {
    use std::collections::HashSet;

    use super::*;

    const ALL: &[Family] = &[
        JOBS,
        JOBS_DISABLED,
        JOB_EXECUTIONS_SUCCEEDED,
        JOB_EXECUTIONS_FAILED,
        JOB_EXECUTION_DURATION,
        SCHEDULER_LATENESS,
        LEDGER_COMPLETENESS,
        LEDGER_OCCURRENCES_EXPECTED,
        LEDGER_OCCURRENCES_RECORDED,
        RAFT_TERM,
        RAFT_LAST_LOG_INDEX,
        RAFT_LAST_APPLIED_INDEX,
        RAFT_IS_LEADER,
        RAFT_LEADER_KNOWN,
        RAFT_VOTERS,
        MEMBERS,
        PAUSED,
        NOTIFICATIONS_PENDING,
        NOTIFICATIONS_DROPPED,
        RUNNING_EXECUTIONS,
        SCHEDULER_LAG,
        SCHEDULER_BEHIND,
        SCHEDULER_OCCURRENCES_OVERLOADED,
        BOUNDED_ENTRIES,
        BOUNDED_LIMIT,
        WORKER_REMEMBERED_RUNS,
    ];

    #[test]
    fn names_are_unique_prefixed_and_counters_end_in_total() {
        let mut seen = HashSet::new();
        for family in ALL {
            assert!(seen.insert(family.name), "{} declared twice", family.name);
            assert!(family.name.starts_with("dkron_"), "{}", family.name);
            assert!(!family.help.is_empty(), "{} has no help", family.name);
            let is_counter = family.kind == MetricType::Counter;
            assert_eq!(
                is_counter,
                family.name.ends_with("_total"),
                "{}",
                family.name
            );
        }
    }

    #[test]
    fn a_counter_goes_to_the_encoder_without_its_suffix() {
        assert_eq!(
            NOTIFICATIONS_DROPPED.encoder_name(),
            "dkron_notifications_dropped"
        );
        assert_eq!(PAUSED.encoder_name(), "dkron_paused");
    }
}
