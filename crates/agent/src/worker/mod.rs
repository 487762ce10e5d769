//! The worker: runs launched executions on this node and records their start and result.

mod launch;
mod order;
mod received;

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use chrono::Utc;
use dkron_exec::{ExecLimits, Registry};
use dkron_model::Execution;
use dkron_store::Command;
use tokio_util::task::TaskTracker;

use self::launch::{Running, StopReason};
pub use self::order::{Accepted, RunEvent, RunOrder, RunState};
pub use self::received::{ReceivedRuns, RecordedRunBound};
use crate::recorder::Recorder;

/// Execution ids are unique within a job only (two jobs due the same second on one node share
/// the nominal-time prefix), so running executions are keyed by job and id.
type RunKey = (String, String);

type Events = tokio::sync::mpsc::UnboundedSender<RunEvent>;

/// Runs executions and keeps the live view of what is running.
pub struct Worker {
    node_name: String,
    registry: Registry,
    limits: ExecLimits,
    recorder: Recorder,
    running: Arc<Mutex<HashMap<RunKey, Running>>>,
    received: Arc<Mutex<ReceivedRuns>>,
    waiting: Mutex<std::collections::BTreeMap<chrono::DateTime<Utc>, Vec<Waiting>>>,
    /// When this worker was created, before it could take any run: the start of this
    /// process, as far as runs are concerned.
    created_at: chrono::DateTime<Utc>,
    tasks: TaskTracker,
}

/// The built-in executors, with the shell executor giving jobs the environment this process
/// had before it restarted itself for its allocator (see `allocator`).
fn builtin_registry() -> Registry {
    let env: std::collections::BTreeMap<String, String> = std::env::vars_os()
        .filter_map(|(key, value)| Some((key.into_string().ok()?, value.into_string().ok()?)))
        .collect();
    let changes = crate::allocator::job_environment_changes(&env);
    let mut registry = Registry::builtin();
    if !changes.is_empty() {
        registry.register(
            "shell",
            Arc::new(dkron_exec::ShellExecutor::with_inherited_changes(changes)),
        );
    }
    registry
}

/// A run received ahead of its nominal time.
type Waiting = (RunOrder, RunKey, Option<Events>);

impl Worker {
    /// Creates a worker recording through `recorder`.
    pub fn new(node_name: String, limits: ExecLimits, recorder: Recorder) -> Worker {
        Worker {
            node_name,
            registry: builtin_registry(),
            limits,
            recorder,
            running: Arc::default(),
            received: Arc::default(),
            waiting: Mutex::default(),
            created_at: Utc::now(),
            tasks: TaskTracker::new(),
        }
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
    pub fn start(self: &Arc<Self>, order: RunOrder, events: Option<Events>) -> Accepted {
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

    /// The command that ends, as lost, the runs this node's previous process started. Runs
    /// this process takes meanwhile are not touched: their start records carry a later time,
    /// or none yet (see `Command::LoseRuns`).
    pub fn end_previous_runs_command(&self) -> Command {
        Command::LoseRuns {
            node_name: self.node_name.clone(),
            reason: "the node restarted while the run was in progress; its result is unknown"
                .into(),
            at: Utc::now(),
            started_before: Some(self.created_at),
        }
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

    /// Kills one running execution (its process group, for shell jobs); returns false when
    /// this node does not run it. The run then ends as usual and is recorded as killed.
    pub fn kill(&self, order: &crate::kill::KillOrder) -> bool {
        let key: RunKey = (order.job.clone(), order.execution_id.clone());
        let mut running = self
            .running
            .lock()
            .expect("running map lock is never poisoned");
        let Some(run) = running.get_mut(&key) else {
            return false;
        };
        let reason = if order.replaced {
            StopReason::Replaced
        } else {
            StopReason::KillRequest
        };
        tracing::info!(job = %order.job, execution = %order.execution_id, ?reason, "stopping the run");
        run.stop = Some(reason);
        run.cancel.cancel();
        true
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
