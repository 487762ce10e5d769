//! The running node's shared state: Raft, the recorder, the worker, identity.

use std::collections::BTreeMap;
use std::hash::{BuildHasher, Hasher};
use std::sync::{Arc, Mutex};

use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use dkron_cluster::RaftNode;
use dkron_cluster::rpc::Channels;
use dkron_membership::{Gossip, MemberView};
use dkron_model::{
    Candidate, Job, MemberStatus, Schedule, ScheduleError, TargetSpec, gotime, parse_job_tags,
    select_targets, select_targets_avoiding,
};
use dkron_scheduler::SchedulerHandle;
use dkron_store::{JobListing, StoreError, StoredJob};
use dkron_worker::Worker;
use tokio_util::sync::CancellationToken;

use crate::deliveries::Deliveries;
use crate::peer_trust::PeerTrust;
use crate::recorder::Recorder;
use crate::unreachable::Unreachable;

/// Everything the API and scheduler seams share.
pub struct Node {
    /// This node's name.
    pub node_name: String,
    /// This node's tags (user and automatic).
    pub tags: BTreeMap<String, String>,
    /// Gossip membership of the whole cluster.
    pub gossip: Gossip,
    /// Whether gossip is encrypted.
    pub encrypted: bool,
    /// gRPC channels to other nodes.
    pub channels: Channels,
    /// The server's local zone, for jobs without a `timezone`.
    pub local_zone: Tz,
    /// Consensus and the replicated state.
    pub raft: Arc<RaftNode>,
    /// Batching writer.
    pub recorder: Recorder,
    /// Runs executions on this node.
    pub worker: Arc<Worker>,
    /// The Dkron plugin binaries of this node.
    pub plugins: dkron_plugin::PluginHost,
    /// The scheduler, while this server leads.
    pub scheduler: Mutex<Option<SchedulerHandle>>,
    /// Runs other nodes accepted from this server while it led.
    pub deliveries: Deliveries,
    /// Fired to stop the node (signal or `POST /v1/leave`).
    pub shutdown: CancellationToken,
    /// When this process started (gossip needs a while to learn the cluster).
    pub started: std::time::Instant,
    /// The Raft term this server leads in, taken when its leadership is confirmed: what its
    /// run and kill orders carry, so nodes refuse them once a newer leader spoke (0 before it
    /// ever led).
    pub leader_term: std::sync::atomic::AtomicU64,
    /// Members whose node RPC failed this cluster's TLS handshake: never job targets.
    pub peer_trust: PeerTrust,
    /// Members this server failed to reach over node RPC a moment ago: other matching
    /// members are chosen first while the mark holds.
    pub unreachable: Unreachable,
}

impl Node {
    /// Parses a job's schedule in the job's zone (or the server's).
    pub fn schedule(&self, job: &Job) -> Result<Schedule, ScheduleError> {
        Schedule::parse(&job.schedule, &job.name, &job.timezone, self.local_zone)
    }

    /// Returns the job as the API shows it: `next` is the next time the scheduler will fire it.
    pub fn present(&self, stored: StoredJob, now: DateTime<Utc>) -> Job {
        let next = self
            .next_fire(&stored.job, stored.cursor, now)
            .unwrap_or_else(gotime::zero_time);
        Job { next, ..stored.job }
    }

    /// Returns a job's compact listing as the job list filters and sorts it, `next` included.
    pub fn present_listing(&self, listing: JobListing, now: DateTime<Utc>) -> Job {
        let next = self
            .next_fire(&listing.job, listing.cursor, now)
            .unwrap_or_else(gotime::zero_time);
        Job {
            next,
            ..listing.job
        }
    }

    fn next_fire(
        &self,
        job: &Job,
        cursor: Option<DateTime<Utc>>,
        now: DateTime<Utc>,
    ) -> Option<DateTime<Utc>> {
        if job.is_child() || job.schedule.is_empty() {
            return None;
        }
        let schedule = self.schedule(job).ok()?;
        let cursor = cursor.unwrap_or(now);
        dkron_scheduler::next_after_now(job, &schedule, cursor, now)
    }

    /// Reads one job as the API shows it.
    pub fn read_job(&self, name: &str) -> Result<Option<Job>, StoreError> {
        let now = Utc::now();
        Ok(self
            .raft
            .store()
            .job(name)?
            .map(|stored| self.present(stored, now)))
    }

    /// Returns the term this server's orders carry: the one it leads in.
    pub fn order_term(&self) -> u64 {
        self.leader_term.load(std::sync::atomic::Ordering::Acquire)
    }

    /// The scheduler while this server leads.
    pub fn scheduler(&self) -> Option<SchedulerHandle> {
        self.scheduler
            .lock()
            .expect("scheduler slot lock is never poisoned")
            .clone()
    }

    /// Returns how this server's scheduler keeps up, or `None` when it does not run here.
    pub fn scheduler_health(&self) -> Option<dkron_api::SchedulerHealth> {
        let status = self.scheduler()?.status();
        Some(dkron_api::SchedulerHealth {
            leader: self.node_name.clone(),
            lag_seconds: status.lag_ms as f64 / 1000.0,
            behind: status.behind_since.is_some(),
            behind_since: status.behind_since,
            max_lag_seconds: status.max_lag_ms as f64 / 1000.0,
            occurrences_overloaded: status.occurrences_overloaded,
        })
    }

    /// Picks the nodes that run an occurrence of `job` (Dkron §5): alive members of this
    /// server's region carrying every tag of the job, at most the tag count of them, chosen
    /// at random. `members` is a snapshot of gossip taken once for a whole batch of decisions.
    pub fn pick_targets(&self, job: &Job, members: &[MemberView]) -> Vec<String> {
        let spec = parse_job_tags(job.tags.as_ref());
        for warning in &spec.warnings {
            tracing::warn!(job = %job.name, "{warning}");
        }
        self.draw_targets(&spec, members, |_| false)
    }

    /// The draw behind [`Node::pick_targets`], for `spec`, among `members` except those
    /// `excluded` names. A member whose node RPC refused this cluster's credential is never
    /// a candidate; one this server just failed to reach is chosen only when no other member
    /// qualifies.
    pub fn draw_targets(
        &self,
        spec: &TargetSpec,
        members: &[MemberView],
        excluded: impl Fn(&str) -> bool,
    ) -> Vec<String> {
        let region = self.tags.get("region");
        let any_refused = self.peer_trust.any_refused();
        let candidates = members
            .iter()
            .filter(|member| member.tags.get("region") == region)
            .filter(|member| !excluded(&member.name))
            .filter(|member| !any_refused || !self.is_refused(member))
            .map(|member| Candidate {
                name: &member.name,
                tags: &member.tags,
                alive: member.status == MemberStatus::Alive,
            });
        let mut random = std::hash::RandomState::new().build_hasher();
        let mut pick = |count: usize| {
            random.write_u8(1);
            (random.finish() % count.max(1) as u64) as usize
        };
        // The usual case, nobody marked, stays the plain draw (the per-run path is counted).
        if !self.unreachable.any() {
            return select_targets(spec, candidates, &mut pick);
        }
        let now = std::time::Instant::now();
        let avoided = |name: &str| self.unreachable.is_marked(name, now);
        select_targets_avoiding(spec, candidates, avoided, &mut pick)
    }

    /// Whether the member failed this cluster's TLS handshake at the address it advertises.
    pub fn is_refused(&self, member: &MemberView) -> bool {
        let rpc_addr = member.tags.get("rpc_addr").map(String::as_str);
        self.peer_trust.refusal(&member.name, rpc_addr).is_some()
    }
}
