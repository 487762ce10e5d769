//! The REST API's backend on this node: reads from the local store, writes through Raft.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use chrono::Utc;
use dkron_api::{AgentInfo, ApiBackend, BackendError};
use dkron_model::{Execution, Job, LedgerEntry, Member};
use dkron_scheduler::ScheduledJob;
use dkron_store::{ApplyError, Command, CommandResult, StoreError};

use crate::node::Node;

/// Longest a manual run waits for the scheduler to commit it (it queues behind a commit that
/// is being retried, e.g. while the disk is failing).
const RUN_ACCEPT_LIMIT: Duration = Duration::from_secs(30);

/// Longest a `?wait=true` manual run is waited for.
const RUN_WAIT_LIMIT: Duration = Duration::from_secs(3600);

/// Implements [`ApiBackend`] over the node.
pub struct ApiSeam(pub Arc<Node>);

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
    }
}

impl ApiSeam {
    async fn write(&self, command: Command) -> Result<CommandResult, BackendError> {
        match self.0.recorder.record(command).await {
            Ok(CommandResult::Failed(error)) => Err(apply_error(error)),
            Ok(result) => Ok(result),
            Err(message) => Err(BackendError::Unavailable(message)),
        }
    }

    async fn write_job(&self, command: Command) -> Result<Job, BackendError> {
        match self.write(command).await? {
            CommandResult::Job(job) => Ok(*job),
            other => Err(BackendError::Internal(format!(
                "unexpected result {other:?}"
            ))),
        }
    }

    /// Reloads a job after a write: tells the scheduler its new state (a no-op before the
    /// scheduler runs) and returns it as the API shows it; one read serves both.
    fn reload_after_write(&self, name: &str) -> Result<Option<Job>, BackendError> {
        let stored = self.0.raft.store().job(name).map_err(internal)?;
        if let Some(scheduler) = self.0.scheduler.get() {
            match &stored {
                Some(stored) => scheduler.job_changed(ScheduledJob {
                    job: stored.job.clone(),
                    cursor: stored.cursor,
                }),
                None => scheduler.job_removed(name),
            }
        }
        Ok(stored.map(|stored| self.0.present(stored, Utc::now())))
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
        let stats = BTreeMap::from([
            ("members".to_string(), "1".to_string()),
            ("failed".to_string(), "0".to_string()),
            ("left".to_string(), "0".to_string()),
            ("encrypted".to_string(), "false".to_string()),
            ("health_score".to_string(), "0".to_string()),
        ]);
        AgentInfo {
            name: self.0.node_name.clone(),
            version: env!("CARGO_PKG_VERSION").to_string(),
            tags: self.0.tags.clone(),
            stats,
        }
    }

    async fn list_jobs(&self) -> Result<Vec<Job>, BackendError> {
        let now = Utc::now();
        let stored = self.0.raft.store().jobs().map_err(internal)?;
        Ok(stored
            .into_iter()
            .map(|job| self.0.present(job, now))
            .collect())
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
        let scheduler =
            self.0.scheduler.get().ok_or_else(|| {
                BackendError::Unavailable("the scheduler is not running yet".into())
            })?;
        if self.0.raft.store().job(name).map_err(internal)?.is_none() {
            return Err(BackendError::NotFound(format!("job {name} not found")));
        }
        let launch = tokio::time::timeout(RUN_ACCEPT_LIMIT, scheduler.run_now(name, Utc::now()))
            .await
            .map_err(|_| {
                BackendError::Unavailable(format!(
                    "the scheduler did not accept the run within {} s; try again",
                    RUN_ACCEPT_LIMIT.as_secs()
                ))
            })?
            .map_err(|error| BackendError::Rejected(error.to_string()))?;
        if wait {
            self.wait_for_occurrence(name, launch.nominal).await;
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

    async fn busy(&self) -> Result<Vec<Execution>, BackendError> {
        Ok(self.0.worker.running())
    }

    async fn members(&self) -> Result<Vec<Member>, BackendError> {
        Ok(vec![self.0.member()])
    }

    async fn leader(&self) -> Result<Option<Member>, BackendError> {
        Ok(self.0.raft.is_leader().then(|| self.0.member()))
    }

    async fn is_leader(&self) -> bool {
        self.0.raft.is_leader()
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
            job.parent_job.is_empty()
                || !names.contains(&job.parent_job)
                || placed.contains(&job.parent_job)
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
