//! The worker: runs launched executions on this node and records their start and result.

mod kill;
mod launch;

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use chrono::{DateTime, Utc};
use dkron_exec::{ExecLimits, Executor, ExternalProcessors, Registry};
use dkron_model::Execution;
use tokio_util::task::TaskTracker;

pub use self::kill::KillOrder;
use crate::job_environment::builtin_registry;
use crate::leader_term::LeaderTerms;
use crate::order::{Accepted, Events, RunKey, RunOrder, RunState};
use crate::received::ReceivedRuns;
use crate::records::RunRecords;
use crate::running::RunningRuns;

/// A run received ahead of its nominal time.
type Waiting = (RunOrder, RunKey, Option<Events>);

/// Runs executions and keeps the live view of what is running.
pub struct Worker {
    node_name: String,
    registry: Registry,
    /// Processors from outside (Dkron processor plugins), looked up by name for every run.
    external_processors: Option<Arc<dyn ExternalProcessors>>,
    limits: ExecLimits,
    records: Arc<dyn RunRecords>,
    running: RunningRuns,
    received: Arc<Mutex<ReceivedRuns>>,
    waiting: Mutex<BTreeMap<DateTime<Utc>, Vec<Waiting>>>,
    /// When this worker was created, before it could take any run: the start of this
    /// process, as far as runs are concerned.
    created_at: DateTime<Utc>,
    tasks: TaskTracker,
    /// The newest leader term heard; older leaders' orders are refused.
    leader_terms: LeaderTerms,
}

impl Worker {
    /// Creates a worker recording through `records`.
    pub fn new(
        node_name: String,
        limits: ExecLimits,
        records: impl RunRecords + 'static,
    ) -> Worker {
        Worker {
            node_name,
            registry: builtin_registry(),
            external_processors: None,
            limits,
            records: Arc::new(records),
            running: Arc::default(),
            received: Arc::default(),
            waiting: Mutex::default(),
            created_at: Utc::now(),
            tasks: TaskTracker::new(),
            leader_terms: LeaderTerms::default(),
        }
    }

    /// Adds executors and processors from outside this crate (Dkron plugin binaries): an
    /// executor replaces a built-in one of the same name; processors are looked up by name for
    /// every run, before the built-in ones.
    pub fn with_plugins(
        mut self,
        executors: Vec<(String, Arc<dyn Executor>)>,
        processors: Arc<dyn ExternalProcessors>,
    ) -> Worker {
        for (name, executor) in executors {
            self.registry.register(name, executor);
        }
        self.external_processors = Some(processors);
        self
    }

    /// Returns the name of the node this worker runs on.
    pub fn node_name(&self) -> &str {
        &self.node_name
    }

    /// Returns when this worker was created, before it could take any run: runs whose start
    /// record carries an earlier time were started by this node's previous process.
    pub fn created_at(&self) -> DateTime<Utc> {
        self.created_at
    }

    /// Returns the executions running on this node, with their latest output.
    pub fn running(&self) -> Vec<Execution> {
        let running = self
            .running
            .lock()
            .expect("running map lock is never poisoned");
        let mut list: Vec<Execution> = running.values().map(|run| run.execution.clone()).collect();
        list.sort_by(|a, b| a.started_at.cmp(&b.started_at).then(a.id.cmp(&b.id)));
        list
    }

    /// Returns one execution running on this node, with its latest output.
    pub fn running_execution(&self, job: &str, execution_id: &str) -> Option<Execution> {
        let key: RunKey = (job.to_owned(), execution_id.to_owned());
        self.running
            .lock()
            .expect("running map lock is never poisoned")
            .get(&key)
            .map(|run| run.execution.clone())
    }

    /// Returns how many executions are running.
    pub fn running_count(&self) -> usize {
        self.running
            .lock()
            .expect("running map lock is never poisoned")
            .len()
    }

    /// Returns how many runs this node remembers: those with a written result (the bounded
    /// part) and all of them (also running and not yet written).
    pub fn remembered_runs(&self) -> (usize, usize) {
        let received = self
            .received
            .lock()
            .expect("received lock is never poisoned");
        (received.recorded_len(), received.len())
    }

    /// Reports what this node knows of each run.
    pub fn states(&self, runs: &[(String, String)]) -> Vec<RunState> {
        let received = self
            .received
            .lock()
            .expect("received lock is never poisoned");
        runs.iter().map(|key| received.state(key)).collect()
    }

    /// Starts a run at its nominal time (now, if that has passed) unless this node already
    /// has it: records its start, runs the executor, records the result; `events` follows the
    /// run's output and end. Orders arrive slightly ahead of their nominal time, so the
    /// transport is not between the tick and the start.
    ///
    /// An order from a leader older than one already heard from is refused before anything
    /// else ([`Accepted::StaleLeader`]): it is not even remembered as received.
    pub fn start(self: &Arc<Self>, order: RunOrder, events: Option<Events>) -> Accepted {
        if let Err(stale) = self.leader_terms.admit(order.leader_term) {
            tracing::warn!(job = %order.job.name, execution = %order.execution_id, term = stale.term, highest = stale.highest, "run order from a deposed leader refused");
            return Accepted::StaleLeader(stale);
        }
        let key: RunKey = (order.job.name.clone(), order.execution_id.clone());
        if !self
            .received
            .lock()
            .expect("received lock is never poisoned")
            .admit(&key, std::time::Instant::now())
        {
            tracing::info!(job = %order.job.name, execution = %order.execution_id, "run already received; not starting it again");
            return Accepted::Duplicate;
        }
        match (order.due() - Utc::now()).to_std() {
            Ok(wait) if !wait.is_zero() => self.start_later(wait, order, key, events),
            _ => self.launch(order, key, events),
        }
        Accepted::Started
    }

    /// Queues a run for its nominal time. Runs due at the same instant share one timer that
    /// starts them all in one go, as the local scheduler's dispatch does.
    fn start_later(
        self: &Arc<Self>,
        wait: std::time::Duration,
        order: RunOrder,
        key: RunKey,
        events: Option<Events>,
    ) {
        let due = order.due();
        let first_for_instant = {
            let mut waiting = self.waiting.lock().expect("waiting lock is never poisoned");
            let queue = waiting.entry(due).or_default();
            queue.push((order, key, events));
            queue.len() == 1
        };
        if !first_for_instant {
            return;
        }
        // The deadline is taken now: the task first runs only once the caller yields, which
        // can be milliseconds later while a whole instant's runs are being handed over.
        let deadline = tokio::time::Instant::now() + wait;
        let worker = self.clone();
        self.tasks.spawn(async move {
            tokio::time::sleep_until(deadline).await;
            let due = worker
                .waiting
                .lock()
                .expect("waiting lock is never poisoned")
                .remove(&due)
                .unwrap_or_default();
            for (order, key, events) in due {
                worker.launch(order, key, events);
            }
        });
    }

    /// Cancels every running execution (their process groups are killed).
    pub fn cancel_all(&self) {
        for run in self
            .running
            .lock()
            .expect("running map lock is never poisoned")
            .values()
        {
            run.cancel.cancel();
        }
    }

    /// Waits until every started run has recorded its result.
    pub async fn wait_idle(&self) {
        self.tasks.close();
        self.tasks.wait().await;
        self.tasks.reopen();
    }
}
