//! An in-memory [`ApiBackend`] for tests of the API and of crates that serve it.
//!
//! It keeps jobs, executions, ledger entries and members in a mutex and applies a small part
//! of Dkron's store rules (parents must exist, children are listed in `dependent_jobs`, a job
//! with children cannot be deleted). Setters let a test shape the cluster view and inject a
//! backend error for every write.

use std::collections::BTreeMap;
use std::sync::{Mutex, MutexGuard};

use dkron_model::{
    AuditEntry, Execution, Job, LedgerEntry, Member, MemberStatus, PluginInfo, StringMap,
};

use crate::audit::AuditQuery;

use crate::backend::{AgentInfo, ApiBackend, BackendError, SchedulerHealth};

/// A manual run request the backend received.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RunRequest {
    /// The job asked to run.
    pub job: String,
    /// Whether the caller asked to wait for the run.
    pub wait: bool,
}

#[derive(Debug, Default)]
struct Inner {
    jobs: BTreeMap<String, Job>,
    executions: BTreeMap<String, Vec<Execution>>,
    ledger: BTreeMap<String, Vec<LedgerEntry>>,
    busy: Vec<Execution>,
    paused: bool,
    members: Vec<Member>,
    plugins: Vec<PluginInfo>,
    leader: Option<Member>,
    is_leader: bool,
    runs: Vec<RunRequest>,
    left: bool,
    write_error: Option<BackendError>,
    scheduler: Option<SchedulerHealth>,
    health_problems: Vec<String>,
    /// The audit log, oldest first.
    audit: Vec<AuditEntry>,
    audit_error: Option<BackendError>,
    /// Whole jobs the list reads handed out (the compact listings are not counted).
    whole_jobs_listed: usize,
}

/// An [`ApiBackend`] that keeps everything in memory.
#[derive(Debug)]
pub struct InMemoryBackend {
    info: AgentInfo,
    inner: Mutex<Inner>,
    /// The ACL state (see `testsuite_acl_memory.rs`).
    pub(crate) acl: Mutex<crate::testsuite_acl_memory::AclMemory>,
}

impl InMemoryBackend {
    /// Returns an empty backend for node `node_name` (a leader, with itself as only member).
    pub fn new(node_name: &str) -> Self {
        let me = test_member(node_name);
        let inner = Inner {
            members: vec![me.clone()],
            plugins: Vec::new(),
            leader: Some(me),
            is_leader: true,
            ..Inner::default()
        };
        InMemoryBackend {
            info: AgentInfo {
                name: node_name.to_owned(),
                version: "test".to_owned(),
                tags: StringMap::from([("role".to_owned(), "dkron".to_owned())]),
                stats: StringMap::from([("members".to_owned(), "1".to_owned())]),
            },
            inner: Mutex::new(inner),
            acl: Mutex::default(),
        }
    }

    fn lock(&self) -> MutexGuard<'_, Inner> {
        // A panicking test thread poisons the lock; the data is still fine to read.
        self.inner
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Returns every stored job, by name.
    pub fn jobs(&self) -> Vec<Job> {
        self.lock().jobs.values().cloned().collect()
    }

    /// Returns how many whole jobs the list reads handed out so far (`list_jobs`,
    /// `jobs_by_name`, `jobs_named`, `stream_jobs`): what a list costs beyond its listings.
    pub fn whole_jobs_listed(&self) -> usize {
        self.lock().whole_jobs_listed
    }

    /// Stores a job as is (normalised, no checks), e.g. to seed a test.
    pub fn insert_job(&self, job: Job) {
        let job = job.normalized_for_storage();
        self.lock().jobs.insert(job.name.clone(), job);
    }

    /// Appends an execution to its job's history.
    pub fn insert_execution(&self, execution: Execution) {
        let mut inner = self.lock();
        let list = inner
            .executions
            .entry(execution.job_name.clone())
            .or_default();
        // Keyed by id, as in the real store: a later record of the same run replaces it.
        list.retain(|stored| stored.id != execution.id);
        list.push(execution);
    }

    /// Appends a ledger entry (newest last).
    pub fn insert_ledger_entry(&self, entry: LedgerEntry) {
        self.lock()
            .ledger
            .entry(entry.job_name.clone())
            .or_default()
            .push(entry);
    }

    /// Replaces the running executions.
    pub fn set_busy(&self, running: Vec<Execution>) {
        self.lock().busy = running;
    }

    /// Replaces the member list.
    pub fn set_members(&self, members: Vec<Member>) {
        self.lock().members = members;
    }

    /// Sets what `GET /v1/plugins` reports.
    pub fn set_plugins(&self, plugins: Vec<PluginInfo>) {
        self.lock().plugins = plugins;
    }

    /// Sets the known leader and whether this node is it.
    pub fn set_leader(&self, leader: Option<Member>, is_leader: bool) {
        let mut inner = self.lock();
        inner.leader = leader;
        inner.is_leader = is_leader;
    }

    /// Makes every write fail with `error` (or succeed again with `None`).
    pub fn set_write_error(&self, error: Option<BackendError>) {
        self.lock().write_error = error;
    }

    /// Sets what `health_problems` answers.
    pub fn set_health_problems(&self, problems: Vec<String>) {
        self.lock().health_problems = problems;
    }

    /// Sets what `scheduler_health` answers.
    pub fn set_scheduler_health(&self, health: Option<SchedulerHealth>) {
        self.lock().scheduler = health;
    }

    /// Returns the manual runs requested so far.
    pub fn runs(&self) -> Vec<RunRequest> {
        self.lock().runs.clone()
    }

    /// Returns the audit log, oldest first.
    pub fn audit_entries(&self) -> Vec<AuditEntry> {
        self.lock().audit.clone()
    }

    /// Makes every audit append fail with `error` (or succeed again with `None`).
    pub fn set_audit_error(&self, error: Option<BackendError>) {
        self.lock().audit_error = error;
    }

    /// Returns true once `leave` was called.
    pub fn has_left(&self) -> bool {
        self.lock().left
    }
}

/// Returns an alive member named `name` with plausible Serf fields.
pub fn test_member(name: &str) -> Member {
    Member::new(
        name,
        "127.0.0.1",
        8946,
        StringMap::from([("role".to_owned(), "dkron".to_owned())]),
        MemberStatus::Alive,
    )
}

fn not_found(name: &str) -> BackendError {
    BackendError::NotFound(format!("job {name} not found"))
}

impl Inner {
    fn check_writable(&self) -> Result<(), BackendError> {
        match &self.write_error {
            Some(error) => Err(error.clone()),
            None => Ok(()),
        }
    }

    fn upsert(&mut self, job: Job) -> Result<Job, BackendError> {
        self.check_writable()?;
        let parents = job.parents();
        if parents.iter().any(|parent| !self.jobs.contains_key(parent)) {
            return Err(BackendError::ParentNotFound);
        }
        let mut job = job.normalized_for_storage();
        job.next = next_fire(&job);
        let previous = self.jobs.get(&job.name).cloned();
        if let Some(previous) = &previous {
            job.dependent_jobs = previous.dependent_jobs.clone();
            job.success_count = job.success_count.max(previous.success_count);
            job.error_count = job.error_count.max(previous.error_count);
            if !previous.status.is_empty() {
                job.status = previous.status.clone();
            }
            for old_parent in previous.parents() {
                if !parents.contains(&old_parent)
                    && let Some(old_parent) = self.jobs.get_mut(&old_parent)
                {
                    remove_dependent(old_parent, &job.name);
                }
            }
        }
        for parent in &parents {
            if let Some(parent) = self.jobs.get_mut(parent) {
                let children = parent.dependent_jobs.get_or_insert_with(Vec::new);
                if !children.contains(&job.name) {
                    children.push(job.name.clone());
                }
            }
        }
        self.jobs.insert(job.name.clone(), job.clone());
        Ok(job)
    }
}

/// The next fire time from now, as a real node shows it (zero for jobs that never fire).
fn next_fire(job: &Job) -> chrono::DateTime<chrono::Utc> {
    let now = chrono::Utc::now();
    job.parse_schedule(chrono_tz::Tz::UTC)
        .ok()
        .filter(|_| !job.is_child())
        .and_then(|schedule| schedule.next_after(now))
        .unwrap_or_else(dkron_model::gotime::zero_time)
}

fn remove_dependent(parent: &mut Job, child: &str) {
    if let Some(children) = &mut parent.dependent_jobs {
        children.retain(|name| name != child);
        if children.is_empty() {
            parent.dependent_jobs = None;
        }
    }
}

impl ApiBackend for InMemoryBackend {
    fn agent_info(&self) -> AgentInfo {
        self.info.clone()
    }

    /// Tests see the server's zone as UTC, so schedules without a zone are predictable.
    fn local_zone(&self) -> chrono_tz::Tz {
        chrono_tz::Tz::UTC
    }

    async fn jobs_by_name(
        &self,
        start: usize,
        limit: Option<usize>,
        descending: bool,
    ) -> Result<(Vec<Job>, usize), BackendError> {
        let inner = self.lock();
        let total = inner.jobs.len();
        let ordered: Box<dyn Iterator<Item = &Job>> = if descending {
            Box::new(inner.jobs.values().rev())
        } else {
            Box::new(inner.jobs.values())
        };
        let page: Vec<Job> = ordered
            .skip(start)
            .take(limit.unwrap_or(usize::MAX))
            .cloned()
            .collect();
        drop(inner);
        self.lock().whole_jobs_listed += page.len();
        Ok((page, total))
    }

    async fn list_jobs(&self) -> Result<Vec<Job>, BackendError> {
        let jobs = self.jobs();
        self.lock().whole_jobs_listed += jobs.len();
        Ok(jobs)
    }

    async fn visit_job_listings<V: crate::ListingVisitor>(
        &self,
        mut visitor: V,
    ) -> Result<V, BackendError> {
        for job in self.jobs() {
            visitor.visit(crate::testsuite_lists::listing_of(job));
        }
        Ok(visitor)
    }

    async fn jobs_named(&self, names: Vec<String>) -> Result<Vec<Job>, BackendError> {
        let jobs = crate::testsuite_lists::named(&self.jobs(), &names);
        self.lock().whole_jobs_listed += jobs.len();
        Ok(jobs)
    }

    async fn stream_jobs(
        &self,
        selection: crate::JobSelection,
    ) -> Result<crate::JobStream, BackendError> {
        let all = self.jobs();
        let total = all.len();
        let jobs = crate::testsuite_lists::select(all, selection);
        self.lock().whole_jobs_listed += jobs.len();
        Ok(crate::testsuite_lists::stream(total, jobs))
    }

    async fn get_job(&self, name: &str) -> Result<Option<Job>, BackendError> {
        Ok(self.lock().jobs.get(name).cloned())
    }

    async fn upsert_job(&self, job: Job) -> Result<Job, BackendError> {
        self.lock().upsert(job)
    }

    async fn delete_job(&self, name: &str) -> Result<Job, BackendError> {
        let mut inner = self.lock();
        inner.check_writable()?;
        let job = inner
            .jobs
            .get(name)
            .cloned()
            .ok_or_else(|| not_found(name))?;
        if job
            .dependent_jobs
            .as_ref()
            .is_some_and(|list| !list.is_empty())
        {
            return Err(BackendError::Rejected(format!(
                "job {name} has dependent jobs; delete them first"
            )));
        }
        for parent in job.parents() {
            if let Some(parent) = inner.jobs.get_mut(&parent) {
                remove_dependent(parent, name);
            }
        }
        inner.jobs.remove(name);
        inner.executions.remove(name);
        Ok(job)
    }

    async fn run_job(&self, name: &str, wait: bool) -> Result<Job, BackendError> {
        let mut inner = self.lock();
        inner.check_writable()?;
        let job = inner
            .jobs
            .get(name)
            .cloned()
            .ok_or_else(|| not_found(name))?;
        inner.runs.push(RunRequest {
            job: name.to_owned(),
            wait,
        });
        Ok(job)
    }

    async fn toggle_job(&self, name: &str) -> Result<Job, BackendError> {
        let mut inner = self.lock();
        inner.check_writable()?;
        let job = inner.jobs.get_mut(name).ok_or_else(|| not_found(name))?;
        job.disabled = !job.disabled;
        Ok(job.clone())
    }

    async fn list_executions(&self, job: &str) -> Result<Vec<Execution>, BackendError> {
        let inner = self.lock();
        if !inner.jobs.contains_key(job) {
            return Err(not_found(job));
        }
        Ok(inner.executions.get(job).cloned().unwrap_or_default())
    }

    async fn get_execution(
        &self,
        job: &str,
        execution_id: &str,
    ) -> Result<Execution, BackendError> {
        let inner = self.lock();
        if !inner.jobs.contains_key(job) {
            return Err(not_found(job));
        }
        inner
            .executions
            .get(job)
            .and_then(|list| list.iter().find(|item| item.id == execution_id))
            .cloned()
            .ok_or_else(|| BackendError::NotFound(format!("execution {execution_id} not found")))
    }

    async fn delete_executions(&self, job: &str) -> Result<Job, BackendError> {
        let mut inner = self.lock();
        inner.check_writable()?;
        let stored = inner.jobs.get_mut(job).ok_or_else(|| not_found(job))?;
        stored.success_count = 0;
        stored.error_count = 0;
        stored.last_success = None;
        stored.last_error = None;
        let stored = stored.clone();
        inner.executions.remove(job);
        Ok(stored)
    }

    async fn running_execution(
        &self,
        job: &str,
        execution_id: &str,
    ) -> Result<Option<Execution>, BackendError> {
        Ok(self
            .lock()
            .busy
            .iter()
            .find(|execution| execution.job_name == job && execution.id == execution_id)
            .cloned())
    }

    async fn scheduler_health(&self) -> Option<SchedulerHealth> {
        self.lock().scheduler.clone()
    }

    fn health_problems(&self) -> Vec<String> {
        self.lock().health_problems.clone()
    }

    async fn paused(&self) -> Result<bool, BackendError> {
        Ok(self.lock().paused)
    }

    async fn set_paused(&self, paused: bool) -> Result<(), BackendError> {
        let mut inner = self.lock();
        inner.check_writable()?;
        inner.paused = paused;
        Ok(())
    }

    async fn append_audit(&self, entry: AuditEntry) -> Result<(), BackendError> {
        let mut inner = self.lock();
        if let Some(error) = &inner.audit_error {
            return Err(error.clone());
        }
        let seq = inner.audit.last().map_or(0, |last| last.seq + 1);
        inner.audit.push(AuditEntry { seq, ..entry });
        Ok(())
    }

    async fn audit_page(
        &self,
        query: AuditQuery,
    ) -> Result<(Vec<AuditEntry>, usize), BackendError> {
        let wanted = |filter: &Option<String>, value: &str| {
            filter.as_deref().is_none_or(|filter| filter == value)
        };
        let matching: Vec<AuditEntry> = self
            .lock()
            .audit
            .iter()
            .rev()
            .filter(|entry| {
                wanted(&query.actor, &entry.actor)
                    && wanted(&query.action, &entry.action)
                    && wanted(&query.target, &entry.target)
            })
            .cloned()
            .collect();
        let total = matching.len();
        let page = matching
            .into_iter()
            .skip(query.start)
            .take(query.limit)
            .collect();
        Ok((page, total))
    }

    async fn kill_execution(
        &self,
        job: &str,
        execution_id: &str,
    ) -> Result<Option<Execution>, BackendError> {
        let mut inner = self.lock();
        let position = inner
            .busy
            .iter()
            .position(|execution| execution.job_name == job && execution.id == execution_id);
        Ok(position.map(|index| inner.busy.remove(index)))
    }

    async fn busy(&self) -> Result<Vec<Execution>, BackendError> {
        Ok(self.lock().busy.clone())
    }

    async fn members(&self) -> Result<Vec<Member>, BackendError> {
        Ok(self.lock().members.clone())
    }

    fn plugins(&self) -> Vec<PluginInfo> {
        self.lock().plugins.clone()
    }

    async fn leader(&self) -> Result<Option<Member>, BackendError> {
        Ok(self.lock().leader.clone())
    }

    async fn is_leader(&self) -> bool {
        self.lock().is_leader
    }

    async fn leave(&self) -> Result<(), BackendError> {
        self.lock().left = true;
        Ok(())
    }

    async fn restore(&self, jobs: Vec<Job>) -> Result<Vec<String>, BackendError> {
        let mut inner = self.lock();
        Ok(jobs
            .into_iter()
            .map(|job| {
                let name = job.name.clone();
                match inner.upsert(job) {
                    Ok(_) => format!("success create {name}"),
                    Err(_) => format!("fail create {name}"),
                }
            })
            .collect())
    }

    async fn ledger(&self, job: &str, limit: usize) -> Result<Vec<LedgerEntry>, BackendError> {
        let inner = self.lock();
        if !inner.jobs.contains_key(job) {
            return Err(not_found(job));
        }
        let entries = inner.ledger.get(job).cloned().unwrap_or_default();
        Ok(entries.into_iter().rev().take(limit).collect())
    }
}
