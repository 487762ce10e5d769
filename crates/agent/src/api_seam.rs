//! The REST API's backend on this node: reads from the local store, writes through Raft.

use std::sync::{Arc, LazyLock};
use std::time::Duration;

use chrono::Utc;
use dkron_api::{
    AgentInfo, ApiBackend, AuditQuery, BackendError, JobSelection, JobStream, ListingVisitor,
    SchedulerHealth,
};
use dkron_cluster::LeaderView;
use dkron_cluster::rpc::{LeaderCalls, NodeCalls, RpcError};
use dkron_exec::Registry;
use dkron_model::{
    AuditEntry, ConfigFault, Execution, Job, LedgerEntry, Member, MemberStatus, PluginInfo,
    StringMap,
};
use dkron_store::{ApplyError, AuditRetention, Command, CommandResult, StoreError};
use dkron_worker::{KillOrder, execution_belongs_to_node};

use crate::bounded_write::{API_WRITE_LIMIT, answer_by, require_believable_leader};
use crate::error::PeerError;
use crate::kill::kill_at;
use crate::members;
use crate::node::Node;

/// Longest a manual run waits for this server's scheduler to commit it (it queues behind a
/// commit that is being retried, e.g. while the disk is failing). A follower asking the
/// leader waits as long: `LeaderCalls::run_job` has the same limit.
/// The executors of this build, asked only to check the `executor_config` of a submitted job
/// (their checks need no network and keep no state, so one table serves every request).
static SUBMISSION_CHECKS: LazyLock<Registry> = LazyLock::new(Registry::builtin);

const RUN_ACCEPT_LIMIT: Duration = Duration::from_secs(30);

/// Longest a manual run waits for the scheduler of a server that has just become leader.
const SCHEDULER_START_WAIT: Duration = Duration::from_secs(5);

/// Longest a `?wait=true` manual run is waited for.
const RUN_WAIT_LIMIT: Duration = Duration::from_secs(3600);

/// Implements [`ApiBackend`] over the node, appending to the audit log with the retention
/// given.
pub struct ApiSeam(pub Arc<Node>, pub AuditRetention);

fn internal(error: StoreError) -> BackendError {
    BackendError::Internal(error.to_string())
}

fn apply_error(error: ApplyError) -> BackendError {
    match error {
        ApplyError::JobNotFound(name) => BackendError::NotFound(format!("job {name} not found")),
        ApplyError::ExecutionNotFound(id) => {
            BackendError::NotFound(format!("execution {id} not found"))
        }
        ApplyError::ParentNotFound => BackendError::ParentNotFound,
        ApplyError::Rejected(message) => BackendError::Rejected(message),
        ApplyError::AclNotFound(message) => BackendError::NotFound(message),
    }
}

impl ApiSeam {
    /// Proposes a command through Raft (forwarded to the leader) and returns its result.
    /// Answers within `API_WRITE_LIMIT` (issue 14).
    pub(crate) async fn write(&self, command: Command) -> Result<CommandResult, BackendError> {
        let deadline = tokio::time::Instant::now() + API_WRITE_LIMIT;
        require_believable_leader(&self.0.raft).await?;
        answer_by(deadline, async {
            match self.0.recorder.record(command).await {
                Ok(CommandResult::Failed(error)) => Err(apply_error(error)),
                Ok(result) => Ok(result),
                Err(error) => Err(BackendError::Unavailable(error.to_string())),
            }
        })
        .await
    }

    async fn write_job(&self, command: Command) -> Result<Job, BackendError> {
        match self.write(command).await? {
            CommandResult::Job(job) => Ok(*job),
            other => Err(BackendError::Internal(format!(
                "unexpected result {other:?}"
            ))),
        }
    }

    /// Reads a job back after a write, as the API shows it. (The leader's scheduler learns
    /// of the change from the state machine, whichever server took the request.)
    fn reload_after_write(&self, name: &str) -> Result<Option<Job>, BackendError> {
        let stored = self.0.raft.store().job(name).map_err(internal)?;
        Ok(stored.map(|stored| self.0.present(stored, Utc::now())))
    }

    /// The scheduler of this server when it leads. Just after winning an election the
    /// server leads before its scheduler runs; wait a little for it rather than refuse.
    async fn own_scheduler(&self) -> Option<dkron_scheduler::SchedulerHandle> {
        let deadline = tokio::time::Instant::now() + SCHEDULER_START_WAIT;
        loop {
            if let Some(scheduler) = self.0.scheduler() {
                return Some(scheduler);
            }
            if !self.0.raft.is_leader() || tokio::time::Instant::now() >= deadline {
                return None;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    /// Starts a manual run: on the leader's scheduler, here or over gRPC.
    async fn start_run(&self, name: &str) -> Result<chrono::DateTime<Utc>, BackendError> {
        require_believable_leader(&self.0.raft).await?;
        if let Some(scheduler) = self.own_scheduler().await {
            let launch =
                tokio::time::timeout(RUN_ACCEPT_LIMIT, scheduler.run_now(name, Utc::now()))
                    .await
                    .map_err(|_| {
                        BackendError::Unavailable(format!(
                            "the scheduler did not accept the run within {} s; try again",
                            RUN_ACCEPT_LIMIT.as_secs()
                        ))
                    })?
                    .map_err(|error| BackendError::Rejected(error.to_string()))?;
            return Ok(launch.nominal);
        }
        let (_, leader) =
            self.0.raft.leader_node().ok_or_else(|| {
                BackendError::Unavailable("no leader is elected; try again".into())
            })?;
        let answer = LeaderCalls::new(&self.0.channels, &leader.addr)
            .run_job(name)
            .await
            .map_err(|error| match error {
                RpcError::Timeout { .. } => {
                    BackendError::Unavailable("the leader did not answer in time".into())
                }
                RpcError::Malformed { message } => BackendError::Internal(message),
                other => {
                    BackendError::Unavailable(other.about_peer(format_args!("leader {leader}")))
                }
            })?;
        answer.map_err(BackendError::Rejected)
    }

    /// Asks the leader how its scheduler keeps up.
    async fn leader_scheduler_health(&self) -> Result<Option<SchedulerHealth>, PeerError> {
        let (_, leader) = self.0.raft.leader_node().ok_or(PeerError::NoLeader)?;
        LeaderCalls::new(&self.0.channels, &leader.addr)
            .scheduler_health()
            .await
            .map_err(|error| PeerError::Answer(error.about_peer(format_args!("leader {leader}"))))
    }

    /// Finds a running execution: on this node (owner `None`), or on the alive node its id
    /// names (owner = that node's gRPC address).
    async fn find_running(
        &self,
        job: &str,
        execution_id: &str,
    ) -> Result<Option<(Execution, Option<String>)>, BackendError> {
        if let Some(local) = self.0.worker.running_execution(job, execution_id) {
            return Ok(Some((local, None)));
        }
        let Some(addr) = self
            .0
            .gossip
            .members()
            .into_iter()
            .find(|member| {
                member.name != self.0.node_name
                    && member.status == MemberStatus::Alive
                    && execution_belongs_to_node(execution_id, &member.name)
            })
            .and_then(|member| member.tags.get("rpc_addr").cloned())
        else {
            return Ok(None);
        };
        let running = self
            .running_one_on(&addr, job, execution_id)
            .await
            .map_err(|error| BackendError::Unavailable(error.to_string()))?;
        Ok(running.map(|execution| (execution, Some(addr))))
    }

    /// One running execution of one node, asked over gRPC.
    async fn running_one_on(
        &self,
        addr: &str,
        job: &str,
        execution_id: &str,
    ) -> Result<Option<Execution>, PeerError> {
        NodeCalls::new(&self.0.channels, addr)
            .running_one(job, execution_id)
            .await
            .map_err(|error| PeerError::Answer(error.about_peer(addr)))
    }

    /// Running executions of one node, asked over gRPC.
    async fn running_on(&self, addr: &str) -> Result<Vec<Execution>, PeerError> {
        NodeCalls::new(&self.0.channels, addr)
            .running()
            .await
            .map_err(|error| PeerError::Answer(error.about_peer(addr)))
    }

    fn present(&self, job: Job) -> Result<Job, BackendError> {
        Ok(self.0.read_job(&job.name).map_err(internal)?.unwrap_or(job))
    }

    async fn wait_for_occurrence(&self, job: &str, nominal: chrono::DateTime<Utc>) {
        let deadline = tokio::time::Instant::now() + RUN_WAIT_LIMIT;
        while tokio::time::Instant::now() < deadline {
            match self.0.raft.store().ledger_entry(job, nominal) {
                Ok(Some(entry)) if entry.state.is_final() => return,
                Ok(None) | Err(_) => return,
                Ok(Some(_)) => tokio::time::sleep(Duration::from_millis(100)).await,
            }
        }
    }
}

impl ApiBackend for ApiSeam {
    fn agent_info(&self) -> AgentInfo {
        let stats = members::stats(&self.0.gossip, self.0.encrypted);
        AgentInfo {
            name: self.0.node_name.clone(),
            version: env!("CARGO_PKG_VERSION").to_string(),
            tags: self.0.tags.clone(),
            stats,
        }
    }

    async fn list_jobs(&self) -> Result<Vec<Job>, BackendError> {
        // Every job is read and presented: off the async threads, which schedule runs.
        let node = self.0.clone();
        tokio::task::spawn_blocking(move || {
            let now = Utc::now();
            let stored = node.raft.store().jobs().map_err(internal)?;
            Ok(stored
                .into_iter()
                .map(|job| node.present(job, now))
                .collect())
        })
        .await
        .map_err(|error| BackendError::Internal(format!("listing jobs stopped: {error}")))?
    }

    async fn jobs_by_name(
        &self,
        start: usize,
        limit: Option<usize>,
        descending: bool,
    ) -> Result<(Vec<Job>, usize), BackendError> {
        let node = self.0.clone();
        tokio::task::spawn_blocking(move || {
            let now = Utc::now();
            let (stored, total) = node
                .raft
                .store()
                .jobs_page(start, limit, descending)
                .map_err(internal)?;
            let page = stored
                .into_iter()
                .map(|job| node.present(job, now))
                .collect();
            Ok((page, total))
        })
        .await
        .map_err(|error| BackendError::Internal(format!("listing jobs stopped: {error}")))?
    }

    async fn visit_job_listings<V: ListingVisitor>(&self, visitor: V) -> Result<V, BackendError> {
        self.listings(visitor).await
    }

    async fn jobs_named(&self, names: Vec<String>) -> Result<Vec<Job>, BackendError> {
        self.named(names).await
    }

    async fn stream_jobs(&self, selection: JobSelection) -> Result<JobStream, BackendError> {
        self.stream(selection).await
    }

    async fn get_job(&self, name: &str) -> Result<Option<Job>, BackendError> {
        self.0.read_job(name).map_err(internal)
    }

    async fn upsert_job(&self, job: Job) -> Result<Job, BackendError> {
        let stored = self
            .write_job(Command::PutJob {
                job: Box::new(job),
                now: Utc::now(),
            })
            .await?;
        Ok(self.reload_after_write(&stored.name)?.unwrap_or(stored))
    }

    async fn delete_job(&self, name: &str) -> Result<Job, BackendError> {
        let before = self.0.read_job(name).map_err(internal)?;
        let deleted = self
            .write_job(Command::DeleteJob {
                name: name.to_string(),
            })
            .await?;
        self.reload_after_write(name)?;
        Ok(before.unwrap_or(deleted))
    }

    async fn run_job(&self, name: &str, wait: bool) -> Result<Job, BackendError> {
        if self.0.raft.store().job(name).map_err(internal)?.is_none() {
            return Err(BackendError::NotFound(format!("job {name} not found")));
        }
        let nominal = self.start_run(name).await?;
        if wait {
            self.wait_for_occurrence(name, nominal).await;
        }
        self.0
            .read_job(name)
            .map_err(internal)?
            .ok_or_else(|| BackendError::NotFound(format!("job {name} not found")))
    }

    async fn toggle_job(&self, name: &str) -> Result<Job, BackendError> {
        let job = self
            .write_job(Command::ToggleJob {
                name: name.to_string(),
                now: Utc::now(),
            })
            .await?;
        Ok(self.reload_after_write(name)?.unwrap_or(job))
    }

    async fn list_executions(&self, job: &str) -> Result<Vec<Execution>, BackendError> {
        let executions = self.0.raft.store().executions(job).map_err(internal)?;
        let executions =
            executions.ok_or_else(|| BackendError::NotFound(format!("job {job} not found")))?;
        Ok(executions
            .into_iter()
            .map(|stored| stored.execution)
            .collect())
    }

    async fn get_execution(
        &self,
        job: &str,
        execution_id: &str,
    ) -> Result<Execution, BackendError> {
        let store = self.0.raft.store();
        if store.job(job).map_err(internal)?.is_none() {
            return Err(BackendError::NotFound(format!("job {job} not found")));
        }
        store
            .execution(job, execution_id)
            .map_err(internal)?
            .map(|stored| stored.execution)
            .ok_or_else(|| BackendError::NotFound(format!("execution {execution_id} not found")))
    }

    async fn delete_executions(&self, job: &str) -> Result<Job, BackendError> {
        let job = self
            .write_job(Command::DeleteExecutions {
                job: job.to_string(),
            })
            .await?;
        self.present(job)
    }

    fn local_zone(&self) -> chrono_tz::Tz {
        self.0.local_zone
    }

    async fn running_execution(
        &self,
        job: &str,
        execution_id: &str,
    ) -> Result<Option<Execution>, BackendError> {
        Ok(self
            .find_running(job, execution_id)
            .await?
            .map(|(execution, _)| execution))
    }

    async fn paused(&self) -> Result<bool, BackendError> {
        self.0.raft.store().paused().map_err(internal)
    }

    async fn set_paused(&self, paused: bool) -> Result<(), BackendError> {
        self.write(Command::SetPaused { paused }).await.map(|_| ())
    }

    async fn kill_execution(
        &self,
        job: &str,
        execution_id: &str,
    ) -> Result<Option<Execution>, BackendError> {
        let Some((execution, owner)) = self.find_running(job, execution_id).await? else {
            return Ok(None);
        };
        let order = KillOrder {
            job: job.to_string(),
            execution_id: execution_id.to_string(),
            replaced: false,
            leader_term: self.0.raft.current_term(),
        };
        let killed = match owner {
            None => self
                .0
                .worker
                .kill(&order)
                .map_err(|stale| BackendError::Unavailable(stale.to_string()))?,
            Some(addr) => kill_at(&self.0, &addr, &order)
                .await
                .map_err(|error| BackendError::Unavailable(error.to_string()))?,
        };
        Ok(killed.then_some(execution))
    }

    async fn busy(&self) -> Result<Vec<Execution>, BackendError> {
        let mut running = self.0.worker.running();
        let others: Vec<String> = self
            .0
            .gossip
            .members()
            .into_iter()
            .filter(|member| {
                member.name != self.0.node_name && member.status == MemberStatus::Alive
            })
            .filter_map(|member| member.tags.get("rpc_addr").cloned())
            .collect();
        let answers =
            futures::future::join_all(others.iter().map(|addr| self.running_on(addr))).await;
        for answer in answers {
            match answer {
                Ok(executions) => running.extend(executions),
                Err(error) => {
                    return Err(BackendError::Unavailable(format!(
                        "cannot ask a node for its running jobs: {error}"
                    )));
                }
            }
        }
        running.sort_by(|a, b| a.started_at.cmp(&b.started_at).then(a.id.cmp(&b.id)));
        Ok(running)
    }

    async fn members(&self) -> Result<Vec<Member>, BackendError> {
        Ok(crate::peer_probe::members_with_trust(&self.0))
    }

    fn plugins(&self) -> Vec<PluginInfo> {
        self.0.plugins.status()
    }

    async fn leader(&self) -> Result<Option<Member>, BackendError> {
        let id = match self.0.raft.leader_view() {
            // Each reason starts with what is missing: "no leader is …", "no quorum …".
            LeaderView::Unknown(reason) => return Err(BackendError::NotFound(reason.to_string())),
            LeaderView::Me => self.0.raft.node_id(),
            LeaderView::Other(id) => id,
        };
        let Some(leader) = self.0.raft.server_node_of(id) else {
            return Ok(None);
        };
        Ok(self.0.gossip.member(&leader.name).map(members::to_member))
    }

    async fn scheduler_health(&self) -> Option<SchedulerHealth> {
        if let Some(health) = self.0.scheduler_health() {
            return Some(health);
        }
        match self.leader_scheduler_health().await {
            Ok(health) => health,
            Err(error) => {
                tracing::debug!(error = %error, "cannot ask the leader about its scheduler");
                None
            }
        }
    }

    async fn is_leader(&self) -> bool {
        // A leader without a quorum behind it does not call itself one (issue 14).
        self.0.raft.leader_view() == LeaderView::Me
    }

    fn health_problems(&self) -> Vec<String> {
        self.0.raft.disk().refusal().into_iter().collect()
    }

    fn check_executor_config(&self, executor: &str, config: &StringMap) -> Result<(), ConfigFault> {
        SUBMISSION_CHECKS.check_config(executor, config)
    }

    async fn leave(&self) -> Result<(), BackendError> {
        tracing::info!("leave requested through the API; stopping this node");
        self.0.shutdown.cancel();
        Ok(())
    }

    async fn restore(&self, jobs: Vec<Job>) -> Result<Vec<String>, BackendError> {
        let mut lines = Vec::with_capacity(jobs.len());
        for job in parents_first(jobs) {
            let name = job.name.clone();
            match self.upsert_job(job).await {
                Ok(_) => lines.push(format!("success create {name}")),
                Err(error) => {
                    tracing::warn!(job = %name, error = %error, "restore could not create a job");
                    lines.push(format!("fail create {name}"));
                }
            }
        }
        Ok(lines)
    }

    async fn append_audit(&self, entry: AuditEntry) -> Result<(), BackendError> {
        crate::audit_log::append(&self.0, entry, self.1).await
    }

    async fn audit_page(
        &self,
        query: AuditQuery,
    ) -> Result<(Vec<AuditEntry>, usize), BackendError> {
        crate::audit_log::page(self.0.clone(), query).await
    }

    async fn ledger(&self, job: &str, limit: usize) -> Result<Vec<LedgerEntry>, BackendError> {
        let store = self.0.raft.store();
        if store.job(job).map_err(internal)?.is_none() {
            return Err(BackendError::NotFound(format!("job {job} not found")));
        }
        store.ledger(job, limit).map_err(internal)
    }
}

/// Orders jobs so that every parent in the list comes before its children, keeping file order
/// otherwise (Dkron restores depth-first from the top-level jobs).
fn parents_first(jobs: Vec<Job>) -> Vec<Job> {
    let names: std::collections::HashSet<String> =
        jobs.iter().map(|job| job.name.clone()).collect();
    let mut placed = std::collections::HashSet::new();
    let mut pending = jobs;
    let mut ordered = Vec::with_capacity(pending.len());
    while !pending.is_empty() {
        let before = pending.len();
        let (ready, rest): (Vec<Job>, Vec<Job>) = pending.into_iter().partition(|job| {
            job.parents()
                .iter()
                .all(|parent| !names.contains(parent) || placed.contains(parent))
        });
        for job in &ready {
            placed.insert(job.name.clone());
        }
        ordered.extend(ready);
        pending = rest;
        if pending.len() == before {
            // A cycle inside the file: let the store reject those jobs with its message.
            ordered.append(&mut pending);
        }
    }
    ordered
}
