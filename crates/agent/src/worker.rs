//! The worker: runs launched executions on this node and records their start and result.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use bytes::Bytes;
use chrono::Utc;
use dkron_exec::{ExecLimits, ExecRequest, ProcessorContext, Processors, Registry};
use dkron_model::{Execution, Job};
use dkron_store::{Command, RunReport};
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

use crate::recorder::Recorder;

/// Most bytes of live output kept per running execution for `/v1/busy`.
const LIVE_TAIL_BYTES: usize = 64 * 1024;

/// How long a finished run is remembered, so a repeated order for it is refused.
const REMEMBER_FINISHED: std::time::Duration = std::time::Duration::from_secs(6 * 3600);

/// One run the scheduler asked this node to do.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct RunOrder {
    /// The job as stored when the run was dispatched.
    pub job: Job,
    /// Nominal time of the occurrence.
    pub nominal: chrono::DateTime<Utc>,
    /// Execution id.
    pub execution_id: String,
    /// Attempt number, from 1 (retries send the next attempts).
    #[serde(default = "first_attempt")]
    pub attempt: u32,
    /// A retry waits for its backoff: it starts at this time if that is later than `nominal`.
    #[serde(default)]
    pub not_before: Option<chrono::DateTime<Utc>>,
}

fn first_attempt() -> u32 {
    1
}

impl RunOrder {
    /// The first order of an occurrence on a node.
    pub fn first(job: Job, nominal: chrono::DateTime<Utc>, execution_id: String) -> RunOrder {
        RunOrder {
            job,
            nominal,
            execution_id,
            attempt: 1,
            not_before: None,
        }
    }

    /// When the run starts: its nominal time, or later for a retry's backoff.
    pub fn due(&self) -> chrono::DateTime<Utc> {
        self.not_before
            .map_or(self.nominal, |not_before| not_before.max(self.nominal))
    }
}

/// Execution ids are unique within a job only (two jobs due the same second on one node share
/// the nominal-time prefix), so running executions are keyed by job and id.
type RunKey = (String, String);

/// First line of the output of a run stopped through the kill endpoint.
pub const KILLED_ON_REQUEST: &str = "killed on request";

/// Why the worker stopped a run before it ended by itself.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum StopReason {
    /// The kill endpoint asked for it.
    KillRequest,
    /// A newer occurrence of a `concurrency: replace` job took its place.
    Replaced,
    /// The job's `timeout` passed.
    Timeout(std::time::Duration),
}

impl StopReason {
    /// A run stopped on purpose is not retried; one that ran out of time is.
    fn is_deliberate(self) -> bool {
        matches!(self, StopReason::KillRequest | StopReason::Replaced)
    }

    /// The first line of the stopped run's output.
    fn line(self) -> String {
        match self {
            StopReason::KillRequest => KILLED_ON_REQUEST.to_string(),
            StopReason::Replaced => {
                "killed: replaced by a newer run (concurrency: replace)".to_string()
            }
            StopReason::Timeout(limit) => {
                format!("killed: the job's timeout of {limit:?} passed")
            }
        }
    }
}

struct Running {
    execution: Execution,
    cancel: CancellationToken,
    /// Set when the worker stops the run, so the record says why.
    stop: Option<StopReason>,
}

/// What this node knows of a run, for a new leader reconciling launched runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RunState {
    /// Running now.
    Running,
    /// Finished here; its result is recorded or queued for recording.
    Finished,
    /// Never received by this node (or forgotten long ago).
    Unknown,
}

/// What happens to a run, for whoever dispatched it.
#[derive(Debug, Clone)]
pub enum RunEvent {
    /// A piece of output.
    Output(Bytes),
    /// The run ended.
    Finished {
        /// Whether it succeeded.
        success: bool,
    },
}

/// Whether an order started a run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Accepted {
    /// The run started.
    Started,
    /// This node already has (or had) this run; nothing was started.
    Duplicate,
}

/// Runs this node received: a repeated order (from a leader that was replaced while it
/// dispatched) must not start a run twice.
#[derive(Default)]
struct Received {
    runs: HashMap<RunKey, (RunState, std::time::Instant)>,
}

impl Received {
    fn admit(&mut self, key: &RunKey) -> bool {
        if self.runs.len() > 10_000 {
            self.runs.retain(|_, (state, at)| {
                *state == RunState::Running || at.elapsed() < REMEMBER_FINISHED
            });
        }
        if self.runs.contains_key(key) {
            return false;
        }
        self.runs
            .insert(key.clone(), (RunState::Running, std::time::Instant::now()));
        true
    }

    fn finish(&mut self, key: &RunKey) {
        self.runs
            .insert(key.clone(), (RunState::Finished, std::time::Instant::now()));
    }

    fn state(&self, key: &RunKey) -> RunState {
        self.runs
            .get(key)
            .map_or(RunState::Unknown, |(state, _)| *state)
    }
}

type Events = tokio::sync::mpsc::UnboundedSender<RunEvent>;

/// Runs executions and keeps the live view of what is running.
pub struct Worker {
    node_name: String,
    registry: Registry,
    limits: ExecLimits,
    recorder: Recorder,
    running: Arc<Mutex<HashMap<RunKey, Running>>>,
    received: Arc<Mutex<Received>>,
    waiting: Mutex<std::collections::BTreeMap<chrono::DateTime<Utc>, Vec<Waiting>>>,
    tasks: TaskTracker,
}

/// A run received ahead of its nominal time.
type Waiting = (RunOrder, RunKey, Option<Events>);

impl Worker {
    /// Creates a worker recording through `recorder`.
    pub fn new(node_name: String, limits: ExecLimits, recorder: Recorder) -> Worker {
        Worker {
            node_name,
            registry: Registry::builtin(),
            limits,
            recorder,
            running: Arc::default(),
            received: Arc::default(),
            waiting: Mutex::default(),
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
            .admit(&key)
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
        let worker = self.clone();
        self.tasks.spawn(async move {
            tokio::time::sleep(wait).await;
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

    fn launch(&self, order: RunOrder, key: RunKey, events: Option<Events>) {
        let started_at = Utc::now();
        let attempt = order.attempt;
        let lateness_ms = (started_at - order.nominal).num_milliseconds();
        tracing::debug!(job = %order.job.name, execution = %order.execution_id, lateness_ms, "starting run");
        self.recorder.record_later(Command::RunStarted {
            job: order.job.name.clone(),
            nominal: order.nominal,
            execution_id: order.execution_id.clone(),
            node_name: self.node_name.clone(),
            attempt,
            started_at,
        });
        let cancel = CancellationToken::new();
        let execution = Execution {
            id: order.execution_id.clone(),
            job_name: order.job.name.clone(),
            started_at,
            node_name: self.node_name.clone(),
            group: order.nominal.timestamp_nanos_opt().unwrap_or(0),
            attempt,
            ..Execution::default()
        };
        self.running
            .lock()
            .expect("running map lock is never poisoned")
            .insert(
                key.clone(),
                Running {
                    execution,
                    cancel: cancel.clone(),
                    stop: None,
                },
            );
        let request = ExecRequest {
            job_name: order.job.name.clone(),
            execution_id: order.execution_id.clone(),
            nominal_time: order.nominal,
            attempt,
            executor: order.job.executor.clone(),
            config: order.job.executor_config.clone().unwrap_or_default(),
        };
        let timeout = order.job.run_timeout();
        let registry = self.registry.clone();
        let limits = self.limits.clone();
        let recorder = self.recorder.clone();
        let running = self.running.clone();
        let received = self.received.clone();
        let node_name = self.node_name.clone();
        let context = ProcessorContext {
            job_name: order.job.name.clone(),
            execution_id: order.execution_id.clone(),
            node_name: self.node_name.clone(),
        };
        let processors = Processors::new(order.job.processors.as_ref(), &context);
        self.tasks.spawn(async move {
            let (live_sender, live) = tokio::sync::mpsc::unbounded_channel::<Bytes>();
            let follow = tokio::spawn(follow_output(
                live,
                running.clone(),
                key.clone(),
                events.clone(),
                processors,
            ));
            let deadline =
                timeout.map(|limit| tokio::spawn(stop_after(limit, running.clone(), key.clone())));
            let outcome = registry
                .run(request, &limits, Some(live_sender), cancel)
                .await;
            if let Some(deadline) = deadline {
                deadline.abort();
            }
            // The follower ends with the channel and hands the processors back.
            let mut processors = follow
                .await
                .unwrap_or_else(|_| Processors::new(None, &context));
            let stopped = running
                .lock()
                .expect("running map lock is never poisoned")
                .remove(&key)
                .and_then(|run| run.stop);
            received
                .lock()
                .expect("received lock is never poisoned")
                .finish(&key);
            if let Some(events) = &events {
                let _dispatcher_may_be_gone = events.send(RunEvent::Finished {
                    success: outcome.success,
                });
            }
            let stored = match stopped {
                Some(reason) => format!("{}\n{}", reason.line(), outcome.output),
                None => outcome.output,
            };
            let success = outcome.success;
            // Processors may write files or call a log server: off the async threads.
            let output = tokio::task::spawn_blocking(move || processors.finish(success, stored))
                .await
                .unwrap_or_else(|error| format!("dkron-rs: output processors failed: {error}"));
            recorder.record_later(Command::RunFinished {
                report: RunReport {
                    job: order.job.name,
                    nominal: order.nominal,
                    execution_id: order.execution_id,
                    node_name,
                    attempt,
                    started_at,
                    finished_at: Utc::now(),
                    success: outcome.success,
                    output,
                    exit_code: outcome.exit_code,
                    killed: outcome.killed || stopped.is_some(),
                    no_retry: stopped.is_some_and(StopReason::is_deliberate),
                },
            });
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

/// Stops a run when the job's `timeout` passes (aborted when the run ends first).
async fn stop_after(
    limit: std::time::Duration,
    running: Arc<Mutex<HashMap<RunKey, Running>>>,
    key: RunKey,
) {
    tokio::time::sleep(limit).await;
    let mut running = running.lock().expect("running map lock is never poisoned");
    if let Some(run) = running.get_mut(&key) {
        tracing::info!(job = %key.0, execution = %key.1, ?limit, "the job's timeout passed; stopping the run");
        run.stop.get_or_insert(StopReason::Timeout(limit));
        run.cancel.cancel();
    }
}

async fn follow_output(
    mut live: tokio::sync::mpsc::UnboundedReceiver<Bytes>,
    running: Arc<Mutex<HashMap<RunKey, Running>>>,
    key: RunKey,
    events: Option<Events>,
    mut processors: Processors,
) -> Processors {
    while let Some(chunk) = live.recv().await {
        processors.chunk(&chunk);
        if let Some(events) = &events {
            let _dispatcher_may_be_gone = events.send(RunEvent::Output(chunk.clone()));
        }
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
    processors
}
