//! What one scrape reports, read from the node before anything is encoded: the replicated
//! state (jobs, their run counters, the ledger completeness, pause, the outbox) and this
//! node's own view (Raft, gossip, running executions, the scheduler, bounded structures).
//! Reading can fail (the store); encoding the figures afterwards cannot.

use std::collections::{BTreeMap, HashSet};

use dkron_cluster::{DiskStatus, RaftStatus};
use dkron_model::MemberStatus;
use dkron_store::{StoreError, StoredJob};

use super::completeness_cache::{CompletenessFigures, completeness};
use super::observed::Metrics;
use crate::node::Node;

/// Members seen by gossip, counted by role (`server`, `agent`) and status.
pub(super) type MemberCounts = BTreeMap<(&'static str, &'static str), u64>;

/// Everything one scrape reports, apart from the histograms (read while encoding).
#[derive(Debug)]
pub(super) struct ScrapeFigures {
    /// Every stored job.
    pub(super) jobs: Vec<StoredJob>,
    /// The ledger completeness per scheduled job and in total.
    pub(super) completeness: CompletenessFigures,
    /// This server's view of consensus.
    pub(super) raft: RaftStatus,
    /// This server's data volume.
    pub(super) disk: DiskStatus,
    /// Members seen by gossip.
    pub(super) members: MemberCounts,
    /// Whether scheduling is paused cluster-wide.
    pub(super) paused: bool,
    /// Notifications in the replicated outbox.
    pub(super) notifications_pending: u64,
    /// Notifications dropped because the outbox was full.
    pub(super) notifications_dropped: u64,
    /// Executions running on this node.
    pub(super) running_executions: usize,
    /// The scheduler's figures, on the server whose scheduler runs.
    pub(super) scheduler: Option<SchedulerFigures>,
    /// The bounded in-memory structures.
    pub(super) bounds: BoundFigures,
}

/// How far behind the leader's scheduler is.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(super) struct SchedulerFigures {
    /// How long ago the oldest occurrence still waiting fell due, in seconds.
    pub(super) lag_seconds: f64,
    /// Whether the scheduler is in an overload episode.
    pub(super) behind: bool,
    /// Occurrences skipped because the scheduler reached them too late.
    pub(super) occurrences_overloaded: u64,
}

/// One bounded in-memory structure: its name, its entries and its bound.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Bounded {
    /// The `structure` label (named in docs/operations.md and read by the load check).
    pub(super) structure: &'static str,
    /// Entries now.
    pub(super) entries: usize,
    /// The bound the entries never pass.
    pub(super) limit: usize,
}

/// Every bounded in-memory structure with its size and its bound (`dkron_model::limits`), so
/// an operator, and the load check in CI, can see that none outgrows its bound.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct BoundFigures {
    /// The structures, in the order they are reported.
    pub(super) structures: [Bounded; 3],
    /// Runs this node's worker remembers.
    pub(super) remembered_runs: usize,
}

impl ScrapeFigures {
    /// Reads the figures of one scrape. Drops the duration histograms of deleted jobs first,
    /// so the scrape never reports a job that is gone. Blocking: it reads the store.
    pub(super) fn read(node: &Node, metrics: &Metrics) -> Result<ScrapeFigures, StoreError> {
        let store = node.raft.store();
        let jobs = store.jobs()?;
        forget_deleted_jobs(metrics, &jobs);
        let completeness = completeness(node, metrics.completeness_cache(), &jobs)?;
        Ok(ScrapeFigures {
            jobs,
            completeness,
            raft: node.raft.raft_status(),
            disk: node.raft.disk().status(),
            members: members(node),
            paused: store.paused()?,
            notifications_pending: store.pending_notice_count()?,
            notifications_dropped: store.notices_dropped()?,
            running_executions: node.worker.running_count(),
            scheduler: scheduler(node),
            bounds: bounds(node, metrics),
        })
    }
}

/// Drops the duration histograms of jobs missing from `jobs`.
fn forget_deleted_jobs(metrics: &Metrics, jobs: &[StoredJob]) {
    let names: HashSet<&str> = jobs.iter().map(|stored| stored.job.name.as_str()).collect();
    metrics
        .lock_observed()
        .durations
        .keep_existing(|name| names.contains(name));
}

/// Counts the members gossip sees; alive servers and agents are always reported, as 0 if none.
fn members(node: &Node) -> MemberCounts {
    let mut members = MemberCounts::new();
    for member in node.gossip.members() {
        let is_server = member
            .tags
            .get("server")
            .is_some_and(|value| value == "true");
        let role = if is_server { "server" } else { "agent" };
        *members.entry((role, member.status.text())).or_default() += 1;
    }
    for role in ["server", "agent"] {
        members
            .entry((role, MemberStatus::Alive.text()))
            .or_default();
    }
    members
}

fn scheduler(node: &Node) -> Option<SchedulerFigures> {
    let status = node.scheduler()?.status();
    Some(SchedulerFigures {
        lag_seconds: status.lag_ms as f64 / 1000.0,
        behind: status.behind_since.is_some(),
        occurrences_overloaded: status.occurrences_overloaded,
    })
}

fn bounds(node: &Node, metrics: &Metrics) -> BoundFigures {
    let (recorded_runs, remembered_runs) = node.worker.remembered_runs();
    let (peer_channels, peer_channels_bound) = node.channels.len_and_capacity();
    let (duration_histograms, duration_histograms_bound) = metrics.duration_histograms();
    BoundFigures {
        structures: [
            Bounded {
                structure: "worker_recorded_runs",
                entries: recorded_runs,
                limit: dkron_model::limits::MAX_RECORDED_RUNS_REMEMBERED,
            },
            Bounded {
                structure: "rpc_peer_channels",
                entries: peer_channels,
                limit: peer_channels_bound,
            },
            Bounded {
                structure: "job_duration_histograms",
                entries: duration_histograms,
                limit: duration_histograms_bound,
            },
        ],
        remembered_runs,
    }
}
