//! The running node's shared state: Raft, the recorder, the worker, identity.

use std::collections::BTreeMap;
use std::sync::{Arc, OnceLock};

use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use dkron_cluster::RaftNode;
use dkron_model::{
    Candidate, Job, Member, MemberStatus, Schedule, gotime, parse_job_tags, select_targets,
};
use dkron_scheduler::SchedulerHandle;
use dkron_store::{StoreError, StoredJob};
use tokio_util::sync::CancellationToken;

use crate::recorder::Recorder;
use crate::worker::Worker;

/// Everything the API and scheduler seams share.
pub struct Node {
    /// This node's name.
    pub node_name: String,
    /// This node's tags (user and automatic).
    pub tags: BTreeMap<String, String>,
    /// The address shown as the member's gossip address.
    pub member_addr: String,
    /// The port shown as the member's gossip port.
    pub member_port: u16,
    /// The server's local zone, for jobs without a `timezone`.
    pub local_zone: Tz,
    /// Consensus and the replicated state.
    pub raft: Arc<RaftNode>,
    /// Batching writer.
    pub recorder: Recorder,
    /// Runs executions on this node.
    pub worker: Arc<Worker>,
    /// The scheduler, once started.
    pub scheduler: OnceLock<SchedulerHandle>,
    /// Fired to stop the node (signal or `POST /v1/leave`).
    pub shutdown: CancellationToken,
}

impl Node {
    /// Parses a job's schedule in the job's zone (or the server's).
    pub fn schedule(&self, job: &Job) -> Result<Schedule, String> {
        Schedule::parse(&job.schedule, &job.name, &job.timezone, self.local_zone)
            .map_err(|e| e.to_string())
    }

    /// Returns the job as the API shows it: `next` is the next time the scheduler will fire it.
    pub fn present(&self, stored: StoredJob, now: DateTime<Utc>) -> Job {
        let next = self
            .next_fire(&stored, now)
            .unwrap_or_else(gotime::zero_time);
        Job { next, ..stored.job }
    }

    fn next_fire(&self, stored: &StoredJob, now: DateTime<Utc>) -> Option<DateTime<Utc>> {
        let job = &stored.job;
        if job.is_child() || job.schedule.is_empty() {
            return None;
        }
        let schedule = self.schedule(job).ok()?;
        let mut after = stored.cursor.map_or(now, |cursor| cursor.max(now));
        if let Some(starts_at) = job.starts_at.filter(|starts_at| *starts_at > after) {
            after = starts_at - chrono::TimeDelta::nanoseconds(1);
        }
        let next = schedule.next_after(after)?;
        match job.expires_at {
            Some(expires_at) if next > expires_at => None,
            _ => Some(next),
        }
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

    /// Returns this node as a Serf-shaped member.
    pub fn member(&self) -> Member {
        Member {
            name: self.node_name.clone(),
            addr: self.member_addr.clone(),
            port: self.member_port,
            tags: self.tags.clone(),
            status: MemberStatus::Alive.code(),
            protocol_min: 1,
            protocol_max: 5,
            protocol_cur: 2,
            delegate_min: 2,
            delegate_max: 5,
            delegate_cur: 4,
        }
    }

    /// Returns true when the job's tags select this node (Dkron §5 with this node as the only
    /// candidate: a mismatching value or a count of 0 selects nobody).
    pub fn job_targets_this_node(&self, job: &Job) -> bool {
        let spec = parse_job_tags(job.tags.as_ref());
        for warning in &spec.warnings {
            tracing::warn!(job = %job.name, "{warning}");
        }
        let me = Candidate {
            name: &self.node_name,
            tags: &self.tags,
            alive: true,
        };
        let mut only_choice = |_: usize| 0;
        !select_targets(&spec, [me], &mut only_choice).is_empty()
    }
}
