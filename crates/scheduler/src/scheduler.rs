//! Starting the scheduler task, and the handle that talks to it.

use std::future::Future;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use chrono::{DateTime, Utc};
use dkron_model::Trigger;
use tokio::sync::{mpsc, oneshot, watch};
use tokio::task::JoinHandle;
use tracing::{Instrument, debug, error, info_span, warn};

use crate::backend::{AcceptedLaunch, ScheduledJob, SchedulerBackend};
use crate::clock::Clock;
use crate::config::{MAX_LAUNCH_LEAD, SchedulerConfig};
use crate::error::SchedulerError;
use crate::gate::DispatchGate;
use crate::runner::{Command, Runner, RunnerParts};
use crate::status::SchedulerStatus;

/// How long `stop` waits for the task to finish before aborting it.
pub const STOP_DEADLINE: Duration = Duration::from_secs(5);

/// Name of the scheduler task in logs.
const TASK_NAME: &str = "scheduler";

/// The leader's scheduler. Start it when leadership is gained; stop it when it is lost.
#[derive(Debug)]
pub struct Scheduler;

impl Scheduler {
    /// Spawns the scheduler task and returns its handle.
    ///
    /// The task loads every job, decides about the occurrences missed since each job's cursor
    /// (misfire policy), then commits launch intents `launch_lead` ahead of their nominal time
    /// and dispatches them at that time. Out-of-range configuration values are clamped with a
    /// warning; call `SchedulerConfig::validate` first to reject them instead.
    ///
    /// # Panics
    ///
    /// Panics when called outside a tokio runtime.
    pub fn start<B: SchedulerBackend>(
        backend: Arc<B>,
        config: SchedulerConfig,
        clock: Arc<dyn Clock>,
    ) -> SchedulerHandle {
        let config = clamp(config);
        let (command_sender, commands) = mpsc::unbounded_channel();
        let (stop_sender, stop) = watch::channel(false);
        let (status, status_receiver) = watch::channel(SchedulerStatus {
            running: true,
            ..SchedulerStatus::default()
        });
        let gate = Arc::new(DispatchGate::default());
        let runner = Runner::new(RunnerParts {
            backend,
            clock,
            config,
            commands,
            stop,
            gate: Arc::clone(&gate),
            status,
        });
        let task = spawn_named(TASK_NAME, runner.run());
        SchedulerHandle {
            commands: command_sender,
            status: status_receiver,
            shared: Arc::new(HandleShared {
                stop: stop_sender,
                gate,
                task: Mutex::new(Some(task)),
            }),
        }
    }
}

/// Spawns a background task inside a span that names it.
fn spawn_named<F>(name: &'static str, future: F) -> JoinHandle<F::Output>
where
    F: Future + Send + 'static,
    F::Output: Send + 'static,
{
    tokio::spawn(future.instrument(info_span!("task", name)))
}

fn clamp(mut config: SchedulerConfig) -> SchedulerConfig {
    if let Err(error) = config.validate() {
        warn!(error = %error, "scheduler configuration out of range; clamping");
        config.max_batch = config.max_batch.max(1);
        config.max_occurrences_per_plan = config.max_occurrences_per_plan.max(1);
        config.launch_lead = config.launch_lead.min(MAX_LAUNCH_LEAD);
    }
    config
}

/// What every clone of a handle shares; dropping the last one stops the task.
#[derive(Debug)]
struct HandleShared {
    stop: watch::Sender<bool>,
    gate: Arc<DispatchGate>,
    task: Mutex<Option<JoinHandle<Vec<AcceptedLaunch>>>>,
}

/// Talks to a running scheduler. Clones share the task; when every clone is dropped the
/// task stops (without the deadline `stop` offers).
#[derive(Debug, Clone)]
pub struct SchedulerHandle {
    commands: mpsc::UnboundedSender<Command>,
    status: watch::Receiver<SchedulerStatus>,
    shared: Arc<HandleShared>,
}

impl SchedulerHandle {
    /// Inserts or replaces a job; its next occurrence is computed from the newer of the cursor
    /// the scheduler holds and the one given.
    pub fn job_changed(&self, job: ScheduledJob) {
        self.send(Command::JobChanged(Box::new(job)));
    }

    /// Forgets a job: none of its occurrences is decided any more.
    pub fn job_removed(&self, name: &str) {
        self.send(Command::JobRemoved(name.to_string()));
    }

    /// Runs a job now: commits a manual launch with nominal time `now` through the same path
    /// as scheduled ones and dispatches it as soon as it is accepted.
    pub async fn run_now(
        &self,
        job: &str,
        now: DateTime<Utc>,
    ) -> Result<AcceptedLaunch, SchedulerError> {
        self.run_triggered(job, now, Trigger::Manual).await
    }

    /// Runs a job outside its schedule for `trigger` with nominal time `nominal` (for a
    /// parent trigger: the stored pending time, so a repeated request is refused as the same
    /// occurrence).
    pub async fn run_triggered(
        &self,
        job: &str,
        nominal: DateTime<Utc>,
        trigger: Trigger,
    ) -> Result<AcceptedLaunch, SchedulerError> {
        let (reply, answer) = oneshot::channel();
        let command = Command::RunNow {
            job: job.to_string(),
            nominal,
            trigger,
            reply,
        };
        if self.commands.send(command).is_err() {
            return Err(SchedulerError::Stopped);
        }
        answer.await.unwrap_or(Err(SchedulerError::Stopped))
    }

    /// Stops the scheduler and returns the launches it had committed but not dispatched yet
    /// (they stay `launched` in the ledger; the next leader reconciles them).
    ///
    /// No dispatch happens once this is called: the dispatch gate closes first, waiting for
    /// a dispatch in progress. The task then gets `STOP_DEADLINE` to finish before it is
    /// aborted. Later calls (from any clone) return an empty list.
    pub async fn stop(&self) -> Vec<AcceptedLaunch> {
        self.shared.gate.close();
        self.shared.stop.send_replace(true);
        let task = self
            .shared
            .task
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .take();
        let Some(mut task) = task else {
            return Vec::new();
        };
        match tokio::time::timeout(STOP_DEADLINE, &mut task).await {
            Ok(Ok(undispatched)) => undispatched,
            Ok(Err(join_error)) => {
                error!(error = %join_error, "scheduler task failed");
                Vec::new()
            }
            Err(_elapsed) => {
                warn!(
                    deadline_secs = STOP_DEADLINE.as_secs(),
                    "scheduler did not stop in time; aborting it"
                );
                task.abort();
                Vec::new()
            }
        }
    }

    /// Returns a snapshot of the scheduler's state and counters.
    pub fn status(&self) -> SchedulerStatus {
        self.status.borrow().clone()
    }

    /// Returns a receiver that sees every status update (for metrics and tests).
    pub fn watch_status(&self) -> watch::Receiver<SchedulerStatus> {
        self.status.clone()
    }

    fn send(&self, command: Command) {
        if self.commands.send(command).is_err() {
            debug!("scheduler stopped; command dropped");
        }
    }
}
