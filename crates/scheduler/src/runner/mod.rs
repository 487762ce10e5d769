//! The scheduler task: the thin async shell around the pure planner.
//!
//! One task owns every piece of state (jobs, timer queue, dispatch queue), so nothing here is
//! locked except the dispatch gate. Each iteration reads the clock once, dispatches what is
//! due, decides about the jobs due within the launch lead (one batch at most), and sleeps until
//! the next timer, the next dispatch, a command or the stop signal.

mod commit;
mod track;

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, TimeDelta, Utc};
use dkron_model::{Schedule, Trigger};
use tokio::sync::{mpsc, oneshot, watch};
use tracing::{debug, info, warn};

use crate::backend::{AcceptedLaunch, ScheduledJob, SchedulerBackend};
use crate::clock::Clock;
use crate::config::{PlanRules, SchedulerConfig, saturating_delta};
use crate::error::SchedulerError;
use crate::gate::DispatchGate;
use crate::overload::{OverloadChange, OverloadWatch};
use crate::planned_job::PlanningFacts;
use crate::queues::{DispatchQueue, TimerQueue};
use crate::status::SchedulerStatus;

/// The longest the loop sleeps without looking at the clock, so that a wall-clock step (NTP)
/// delays a decision by at most this much.
pub(crate) const MAX_IDLE: TimeDelta = TimeDelta::seconds(1);

/// A request from a `SchedulerHandle` to the task.
#[derive(Debug)]
pub(crate) enum Command {
    /// A job was created or updated.
    JobChanged(Box<ScheduledJob>),
    /// A job was deleted.
    JobRemoved(String),
    /// A run outside the schedule was asked for: manual (nominal = the request time) or
    /// triggered by parents (nominal = when they completed).
    RunNow {
        job: String,
        nominal: DateTime<Utc>,
        trigger: Trigger,
        reply: oneshot::Sender<Result<AcceptedLaunch, SchedulerError>>,
    },
}

/// Whether the loop goes on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Flow {
    Continue,
    Stop,
}

/// One job as the task tracks it.
#[derive(Debug)]
struct TrackedJob {
    /// Only what planning reads: the job itself stays in the store.
    job: PlanningFacts,
    /// `None` when the schedule does not parse: the job only runs manually then.
    schedule: Option<Schedule>,
    /// The cursor as committed (or the start point, before the first decision).
    cursor: DateTime<Utc>,
    /// The nominal time the job waits for in the timer queue.
    next: Option<DateTime<Utc>>,
}

/// What woke the idle loop.
enum Wake {
    Stop,
    Command(Option<Command>),
    Timer,
}

/// The channels and shared pieces a runner is built from.
pub(crate) struct RunnerParts<B> {
    pub(crate) backend: Arc<B>,
    pub(crate) clock: Arc<dyn Clock>,
    pub(crate) config: SchedulerConfig,
    pub(crate) commands: mpsc::UnboundedReceiver<Command>,
    pub(crate) stop: watch::Receiver<bool>,
    pub(crate) gate: Arc<DispatchGate>,
    pub(crate) status: watch::Sender<SchedulerStatus>,
}

/// The state of the scheduler task.
pub(crate) struct Runner<B> {
    backend: Arc<B>,
    clock: Arc<dyn Clock>,
    config: SchedulerConfig,
    rules: PlanRules,
    launch_lead: TimeDelta,
    dispatch_lead: TimeDelta,
    jobs: HashMap<String, TrackedJob>,
    timers: TimerQueue,
    pending: DispatchQueue,
    commands: mpsc::UnboundedReceiver<Command>,
    stop: watch::Receiver<bool>,
    gate: Arc<DispatchGate>,
    status_sender: watch::Sender<SchedulerStatus>,
    counters: SchedulerStatus,
    overload: OverloadWatch,
}

impl<B: SchedulerBackend> Runner<B> {
    pub(crate) fn new(parts: RunnerParts<B>) -> Self {
        Runner {
            rules: parts.config.plan_rules(),
            launch_lead: saturating_delta(parts.config.launch_lead),
            dispatch_lead: saturating_delta(parts.config.dispatch_lead),
            backend: parts.backend,
            clock: parts.clock,
            config: parts.config,
            jobs: HashMap::new(),
            timers: TimerQueue::default(),
            pending: DispatchQueue::default(),
            commands: parts.commands,
            stop: parts.stop,
            gate: parts.gate,
            status_sender: parts.status,
            counters: SchedulerStatus {
                running: true,
                ..SchedulerStatus::default()
            },
            overload: OverloadWatch::default(),
        }
    }

    /// Runs until stopped; returns the launches that were committed but not dispatched.
    pub(crate) async fn run(mut self) -> Vec<AcceptedLaunch> {
        // From here on a scheduler runs: whatever falls due now and is reached late was
        // missed because this one fell behind, not because none ran.
        self.rules.overload_since = self.clock.now();
        info!(
            misfire_policy = %self.config.misfire_policy,
            catch_up_window_secs = self.config.catch_up_window.as_secs(),
            launch_lead_ms = self.config.launch_lead.as_millis(),
            "scheduler starting"
        );
        if self.load_jobs().await == Flow::Continue {
            self.run_loop().await;
        }
        let undispatched = self.pending.drain();
        self.counters.running = false;
        self.counters.pending_dispatch = 0;
        self.status_sender.send_replace(self.counters.clone());
        info!(
            undispatched = undispatched.len(),
            launches_dispatched = self.counters.launches_dispatched,
            "scheduler stopped"
        );
        undispatched
    }

    async fn run_loop(&mut self) {
        loop {
            if self.stop_requested() {
                return;
            }
            while let Ok(command) = self.commands.try_recv() {
                if self.handle_command(command).await == Flow::Stop {
                    return;
                }
            }
            let now = self.clock.now();
            self.watch_lag(now);
            self.dispatch_due(now);
            if self.decide_due(now).await == Flow::Stop {
                return;
            }
            self.dispatch_due(now);
            if self.has_due(now) {
                // A bounded unit of work is done; let commands and the runtime in. Publish
                // too, so a scheduler that stays behind still reports its lag.
                self.publish(None);
                tokio::task::yield_now().await;
                continue;
            }
            self.publish(Some(now));
            let sleep = self.clock.sleep_until(self.wake_at(now));
            let mut stop = self.stop.clone();
            let wake = tokio::select! {
                biased;
                () = stop_signal(&mut stop) => Wake::Stop,
                command = self.commands.recv() => Wake::Command(command),
                () = sleep => Wake::Timer,
            };
            match wake {
                Wake::Stop => return,
                Wake::Command(None) => {
                    info!("every scheduler handle is gone");
                    return;
                }
                Wake::Command(Some(command)) => {
                    if self.handle_command(command).await == Flow::Stop {
                        return;
                    }
                }
                Wake::Timer => {}
            }
        }
    }

    async fn handle_command(&mut self, command: Command) -> Flow {
        self.counters.commands_handled += 1;
        match command {
            Command::JobChanged(scheduled) => {
                let now = self.clock.now();
                self.track(*scheduled, now);
                Flow::Continue
            }
            Command::JobRemoved(name) => {
                if self.untrack(&name).is_some() {
                    debug!(job = %name, "job removed");
                }
                Flow::Continue
            }
            Command::RunNow {
                job,
                nominal,
                trigger,
                reply,
            } => self.run_now(job, nominal, trigger, reply).await,
        }
    }

    fn stop_requested(&self) -> bool {
        *self.stop.borrow() || self.gate.is_closed()
    }

    fn horizon(&self, now: DateTime<Utc>) -> DateTime<Utc> {
        now.checked_add_signed(self.launch_lead)
            .unwrap_or(DateTime::<Utc>::MAX_UTC)
    }

    fn has_due(&self, now: DateTime<Utc>) -> bool {
        self.timers
            .earliest()
            .is_some_and(|nominal| nominal <= self.horizon(now))
    }

    /// Returns the earliest of: the next timer minus the lead, the next dispatch, and the
    /// idle limit.
    fn next_event(&self) -> Option<DateTime<Utc>> {
        let timer_wake = self.timers.earliest().map(|nominal| {
            nominal
                .checked_sub_signed(self.launch_lead)
                .unwrap_or(nominal)
        });
        let dispatch_wake = self.pending.earliest().map(|nominal| {
            nominal
                .checked_sub_signed(self.dispatch_lead)
                .unwrap_or(nominal)
        });
        [timer_wake, dispatch_wake].into_iter().flatten().min()
    }

    fn wake_at(&self, now: DateTime<Utc>) -> DateTime<Utc> {
        let idle_limit = now.checked_add_signed(MAX_IDLE).unwrap_or(now);
        self.next_event()
            .map_or(idle_limit, |event| event.min(idle_limit))
    }

    /// How long ago the oldest undecided occurrence or undispatched launch fell due.
    fn lag(&self, now: DateTime<Utc>) -> TimeDelta {
        [self.timers.earliest(), self.pending.earliest()]
            .into_iter()
            .flatten()
            .map(|due| now - due)
            .max()
            .unwrap_or(TimeDelta::zero())
            .max(TimeDelta::zero())
    }

    /// Records the lag and logs once when an overload episode begins and once when it ends.
    fn watch_lag(&mut self, now: DateTime<Utc>) {
        let lag = self.lag(now);
        let lag_ms = u64::try_from(lag.num_milliseconds()).unwrap_or(0);
        self.counters.lag_ms = lag_ms;
        self.counters.max_lag_ms = self.counters.max_lag_ms.max(lag_ms);
        match self.overload.observe(now, lag) {
            Some(OverloadChange::Began { lag }) => warn!(
                lag_ms = lag.num_milliseconds(),
                jobs_scheduled = self.timers.len(),
                "the scheduler is falling behind: occurrences are decided late; those later than the on-time grace follow the misfire policy and are recorded as overloaded"
            ),
            Some(OverloadChange::Ended { lasted, max_lag }) => info!(
                lasted_ms = lasted.num_milliseconds(),
                max_lag_ms = max_lag.num_milliseconds(),
                occurrences_overloaded = self.counters.occurrences_overloaded,
                "the scheduler caught up"
            ),
            None => {}
        }
        self.counters.behind_since = self.overload.behind_since();
    }

    fn publish(&mut self, tick: Option<DateTime<Utc>>) {
        if tick.is_some() {
            self.counters.last_tick = tick;
        }
        self.counters.jobs_tracked = self.jobs.len();
        self.counters.jobs_scheduled = self.timers.len();
        self.counters.pending_dispatch = self.pending.len();
        self.counters.next_wake = self.next_event();
        self.status_sender.send_replace(self.counters.clone());
    }
}

/// Completes when a stop is requested or every handle is gone.
async fn stop_signal(stop: &mut watch::Receiver<bool>) {
    if stop.wait_for(|stopped| *stopped).await.is_err() {
        debug!("stop channel closed");
    }
}

/// Exponential backoff for retried backend calls: 100 ms, doubling, at most 5 s.
#[derive(Debug)]
struct Backoff {
    next: Duration,
}

impl Backoff {
    const FIRST: Duration = Duration::from_millis(100);
    const MAX: Duration = Duration::from_secs(5);

    fn new() -> Self {
        Backoff { next: Self::FIRST }
    }

    fn next_delay(&mut self) -> Duration {
        let delay = self.next;
        self.next = (self.next * 2).min(Self::MAX);
        delay
    }
}
