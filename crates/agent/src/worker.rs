//! The worker: runs launched executions on this node and records their start and result.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use bytes::Bytes;
use chrono::Utc;
use dkron_exec::{ExecLimits, ExecRequest, Registry};
use dkron_model::{Execution, Job};
use dkron_store::{Command, RunReport};
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

use crate::recorder::Recorder;

/// Most bytes of live output kept per running execution for `/v1/busy`.
const LIVE_TAIL_BYTES: usize = 64 * 1024;

/// One run the scheduler asked this node to do.
#[derive(Debug, Clone)]
pub struct RunOrder {
    /// The job as stored when the run was dispatched.
    pub job: Job,
    /// Nominal time of the occurrence.
    pub nominal: chrono::DateTime<Utc>,
    /// Execution id.
    pub execution_id: String,
}

/// Execution ids are unique within a job only (two jobs due the same second on one node share
/// the nominal-time prefix), so running executions are keyed by job and id.
type RunKey = (String, String);

struct Running {
    execution: Execution,
    cancel: CancellationToken,
}

/// Runs executions and keeps the live view of what is running.
pub struct Worker {
    node_name: String,
    registry: Registry,
    limits: ExecLimits,
    recorder: Recorder,
    running: Arc<Mutex<HashMap<RunKey, Running>>>,
    tasks: TaskTracker,
}

impl Worker {
    /// Creates a worker recording through `recorder`.
    pub fn new(node_name: String, limits: ExecLimits, recorder: Recorder) -> Worker {
        Worker {
            node_name,
            registry: Registry::builtin(),
            limits,
            recorder,
            running: Arc::default(),
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

    /// Returns how many executions are running.
    pub fn running_count(&self) -> usize {
        self.running
            .lock()
            .expect("running map lock is never poisoned")
            .len()
    }

    /// Starts a run now: records its start, runs the executor, records the result.
    pub fn start(&self, order: RunOrder) {
        let started_at = Utc::now();
        let lateness_ms = (started_at - order.nominal).num_milliseconds();
        tracing::debug!(job = %order.job.name, execution = %order.execution_id, lateness_ms, "starting run");
        self.recorder.record_later(Command::RunStarted {
            job: order.job.name.clone(),
            nominal: order.nominal,
            execution_id: order.execution_id.clone(),
            node_name: self.node_name.clone(),
            attempt: 1,
            started_at,
        });
        let cancel = CancellationToken::new();
        let execution = Execution {
            id: order.execution_id.clone(),
            job_name: order.job.name.clone(),
            started_at,
            node_name: self.node_name.clone(),
            group: order.nominal.timestamp_nanos_opt().unwrap_or(0),
            attempt: 1,
            ..Execution::default()
        };
        let key: RunKey = (order.job.name.clone(), order.execution_id.clone());
        self.running
            .lock()
            .expect("running map lock is never poisoned")
            .insert(
                key.clone(),
                Running {
                    execution,
                    cancel: cancel.clone(),
                },
            );
        let request = ExecRequest {
            job_name: order.job.name.clone(),
            execution_id: order.execution_id.clone(),
            nominal_time: order.nominal,
            attempt: 1,
            executor: order.job.executor.clone(),
            config: order.job.executor_config.clone().unwrap_or_default(),
        };
        let registry = self.registry.clone();
        let limits = self.limits.clone();
        let recorder = self.recorder.clone();
        let running = self.running.clone();
        let node_name = self.node_name.clone();
        self.tasks.spawn(async move {
            let (live_sender, live) = tokio::sync::mpsc::unbounded_channel::<Bytes>();
            let follow = tokio::spawn(follow_output(live, running.clone(), key.clone()));
            let outcome = registry
                .run(request, &limits, Some(live_sender), cancel)
                .await;
            let _output_follower_ends_with_the_channel = follow.await;
            running
                .lock()
                .expect("running map lock is never poisoned")
                .remove(&key);
            recorder.record_later(Command::RunFinished {
                report: RunReport {
                    job: order.job.name,
                    nominal: order.nominal,
                    execution_id: order.execution_id,
                    node_name,
                    attempt: 1,
                    started_at,
                    finished_at: Utc::now(),
                    success: outcome.success,
                    output: outcome.output,
                    exit_code: outcome.exit_code,
                },
            });
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

async fn follow_output(
    mut live: tokio::sync::mpsc::UnboundedReceiver<Bytes>,
    running: Arc<Mutex<HashMap<RunKey, Running>>>,
    key: RunKey,
) {
    while let Some(chunk) = live.recv().await {
        let mut running = running.lock().expect("running map lock is never poisoned");
        let Some(run) = running.get_mut(&key) else {
            continue;
        };
        let output = &mut run.execution.output;
        output.push_str(&String::from_utf8_lossy(&chunk));
        if output.len() > LIVE_TAIL_BYTES {
            let mut cut = output.len() - LIVE_TAIL_BYTES;
            while !output.is_char_boundary(cut) {
                cut += 1;
            }
            output.drain(..cut);
        }
    }
}
