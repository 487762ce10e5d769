//! Shared set-up: a manual clock, the in-memory backend and a started scheduler.

use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, TimeDelta, TimeZone, Utc};
use dkron_model::Job;
use dkron_scheduler::testsuite::{InMemoryBackend, ManualClock, wait_for_status, wait_settled};
use dkron_scheduler::{Clock, Scheduler, SchedulerConfig, SchedulerHandle, SchedulerStatus};

/// How long a test waits (real time) for the scheduler to get somewhere.
pub const PATIENCE: Duration = Duration::from_secs(20);

/// Noon, 1 March 2026 (UTC): where every test's clock starts.
pub fn t0() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 3, 1, 12, 0, 0)
        .single()
        .expect("valid start time")
}

/// Returns `t0` plus some seconds.
pub fn t0_plus(seconds: i64) -> DateTime<Utc> {
    t0() + TimeDelta::seconds(seconds)
}

/// A shell job with the given schedule.
pub fn job(name: &str, schedule: &str) -> Job {
    Job {
        name: name.to_string(),
        schedule: schedule.to_string(),
        executor: "shell".to_string(),
        ..Job::default()
    }
}

/// Installs a subscriber once so `RUST_LOG=debug` shows the scheduler's logs.
pub fn init_tracing() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        let filter = std::env::var("RUST_LOG").unwrap_or_else(|_| "warn".to_string());
        let _ignored = tracing_subscriber::fmt()
            .with_env_filter(filter)
            .with_test_writer()
            .try_init();
    });
}

/// A clock, a backend and (once started) a scheduler over them.
pub struct Harness {
    pub clock: Arc<ManualClock>,
    pub backend: Arc<InMemoryBackend>,
    pub handle: Option<SchedulerHandle>,
}

impl Harness {
    /// Returns a harness whose clock stands at `t0` and whose backend is empty.
    pub fn new() -> Self {
        init_tracing();
        let clock = Arc::new(ManualClock::new(t0()));
        let dyn_clock: Arc<dyn Clock> = clock.clone();
        let backend = Arc::new(InMemoryBackend::new(dyn_clock));
        Harness {
            clock,
            backend,
            handle: None,
        }
    }

    /// Starts a scheduler (a "new leader") over the backend.
    pub fn start(&mut self, config: SchedulerConfig) -> SchedulerHandle {
        let clock: Arc<dyn Clock> = self.clock.clone();
        let handle = Scheduler::start(Arc::clone(&self.backend), config, clock);
        self.handle = Some(handle.clone());
        handle
    }

    /// Returns the running scheduler's handle.
    pub fn handle(&self) -> &SchedulerHandle {
        self.handle.as_ref().expect("scheduler started")
    }

    /// Sets the clock to `at` and waits until the scheduler has handled everything due.
    pub async fn advance_to(&self, at: DateTime<Utc>) -> SchedulerStatus {
        self.clock.set(at);
        wait_settled(self.handle(), at, PATIENCE)
            .await
            .unwrap_or_else(|error| panic!("scheduler did not settle at {at}: {error}"))
    }

    /// Moves the clock to `until` in steps of `step`, letting the scheduler settle each time.
    pub async fn step_to(&self, until: DateTime<Utc>, step: TimeDelta) {
        let mut at = self.clock.now();
        while at < until {
            at = (at + step).min(until);
            self.advance_to(at).await;
        }
    }

    /// Waits until the scheduler has handled `count` commands in total.
    pub async fn wait_commands(&self, count: u64) {
        wait_for_status(self.handle(), PATIENCE, |status| {
            status.commands_handled >= count
        })
        .await
        .unwrap_or_else(|error| panic!("commands not handled: {error}"));
    }

    /// Returns the nominal times dispatched for `job`, in dispatch order.
    pub fn dispatched_nominals(&self, job: &str) -> Vec<DateTime<Utc>> {
        self.backend
            .dispatched()
            .into_iter()
            .filter(|dispatched| dispatched.launch.job == job)
            .map(|dispatched| dispatched.launch.nominal)
            .collect()
    }
}
