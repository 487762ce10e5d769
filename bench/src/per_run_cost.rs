//! The work every run costs, in process and deterministic, for a count no noise moves.
//!
//! Pushes a fixed number of runs through the per-run path the way a single server does it:
//! the planner decides the occurrence, the state machine applies its launch, the worker's
//! memory of received runs admits it, the state machine applies its start and its result (in
//! one batch, as the recorder writes them for short runs), and the worker notes the result
//! written. A preload first takes history past every bound on
//! that path (the worker's memory of recorded runs, execution and ledger retention), then two
//! measured phases run the same number of runs each, the second after more history.
//!
//! Under `valgrind --tool=callgrind --collect-atstart=no --toggle-collect='*measured_phase*'`
//! the inclusive instruction count of each phase's function (`callgrind_annotate
//! --inclusive=yes`), divided by the runs it did, is the cost per run;
//! `scripts/check-per-run-cost` does that and compares it with the budget in
//! `bench/per-run-budget.txt`. Without valgrind the program prints the
//! time per run, for information only.

use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use chrono::{DateTime, TimeDelta, TimeZone, Utc};
use clap::Parser;
use dkron_model::{Job, Schedule, execution_id};
use dkron_scheduler::{Decision, PlanRules, plan_job};
use dkron_store::{Command, CommandResult, RunPlan, RunReport, StateStore};
use dkron_worker::{ReceivedRuns, RecordedRunBound};

/// Command-line options.
#[derive(Debug, Parser)]
#[command(about = "Push runs through the per-run path in process (run it under callgrind)")]
struct Options {
    /// Jobs the runs are spread over (fewer jobs: more history per job).
    #[arg(long, default_value_t = 20)]
    jobs: usize,
    /// Runs before the first measured phase: past the worker's bound on recorded runs
    /// (16,384) and, with 20 jobs, past the ledger retention (500 per job).
    #[arg(long, default_value_t = 17_000)]
    preload: usize,
    /// Runs in each measured phase.
    #[arg(long, default_value_t = 3_000)]
    measured: usize,
    /// Runs between the two measured phases, so the late one sees more history.
    #[arg(long, default_value_t = 6_000)]
    gap: usize,
}

const NODE: &str = "n1";

/// Everything one run touches.
struct Path {
    store: StateStore,
    received: ReceivedRuns,
    jobs: Vec<(Job, Schedule, DateTime<Utc>)>,
    rules: PlanRules,
    epoch: DateTime<Utc>,
    /// Occurrences decided so far, per job (the same for every job).
    rounds: i64,
    clock: Instant,
}

impl Path {
    fn new(jobs: usize) -> anyhow::Result<(Path, tempfile::TempDir)> {
        let dir = tempfile::tempdir()?;
        let store = StateStore::open(&dir.path().join("state.redb"), 32 << 20)?;
        let epoch = Utc
            .with_ymd_and_hms(2026, 1, 1, 0, 0, 0)
            .single()
            .context("valid epoch")?;
        let mut tracked = Vec::with_capacity(jobs);
        let mut puts = Vec::with_capacity(jobs);
        for index in 0..jobs {
            let job = Job {
                name: format!("cost-{index}"),
                schedule: "@every 10s".into(),
                executor: "shell".into(),
                ..Job::default()
            };
            let schedule = job.parse_schedule(chrono_tz::UTC)?;
            puts.push(Command::PutJob {
                job: Box::new(job.clone()),
                now: epoch,
            });
            tracked.push((job, schedule, epoch));
        }
        store.apply(puts, &[])?;
        let path = Path {
            store,
            received: ReceivedRuns::new(RecordedRunBound::default()),
            jobs: tracked,
            rules: PlanRules::default(),
            epoch,
            rounds: 0,
            clock: Instant::now(),
        };
        Ok((path, dir))
    }

    /// One occurrence of every job, each through the whole path.
    fn round(&mut self) -> anyhow::Result<()> {
        self.rounds += 1;
        let now = self.epoch + TimeDelta::seconds(10 * self.rounds) - TimeDelta::milliseconds(100);
        let mut launches = Vec::with_capacity(self.jobs.len());
        for (job, schedule, cursor) in &mut self.jobs {
            let plan = plan_job(job, schedule, Some(*cursor), now, &self.rules);
            *cursor = plan.cursor;
            for decision in plan.decisions {
                let Decision::Launch {
                    job,
                    nominal,
                    trigger,
                } = decision
                else {
                    bail!("the planner skipped an on-time occurrence: {decision:?}");
                };
                launches.push(Command::Launch {
                    job,
                    nominal,
                    trigger,
                    runs: vec![RunPlan {
                        execution_id: execution_id(nominal, NODE, 1),
                        node_name: NODE.into(),
                    }],
                    decided_at: now,
                });
            }
        }
        let launched = self.apply_batch(launches)?;
        let mut starts = Vec::with_capacity(launched.len());
        for (job, nominal) in &launched {
            let key = (job.clone(), execution_id(*nominal, NODE, 1));
            if !self.received.admit(&key, self.clock) {
                bail!("a new run was refused as a repeat: {key:?}");
            }
            starts.push(Command::RunStarted {
                job: job.clone(),
                nominal: *nominal,
                execution_id: key.1,
                node_name: NODE.into(),
                attempt: 1,
                started_at: *nominal,
            });
        }
        // Starts and results of short runs reach the recorder together and are written in
        // one batch, as a server does under load.
        let mut records = starts;
        for (job, nominal) in &launched {
            let key = (job.clone(), execution_id(*nominal, NODE, 1));
            self.received.finish(&key);
            records.push(Command::RunFinished {
                report: RunReport {
                    job: job.clone(),
                    nominal: *nominal,
                    execution_id: key.1,
                    node_name: NODE.into(),
                    attempt: 1,
                    started_at: *nominal,
                    finished_at: *nominal + TimeDelta::milliseconds(3),
                    success: true,
                    output: String::new(),
                    exit_code: Some(0),
                    killed: false,
                    no_retry: false,
                },
            });
        }
        self.apply_batch(records)?;
        // The worker's clock moves 1 ms a run, as at 1,000 runs/s: the count bound on
        // recorded runs is crossed long before their age bound.
        self.clock += Duration::from_millis(launched.len() as u64);
        for (job, nominal) in &launched {
            let key = (job.clone(), execution_id(*nominal, NODE, 1));
            self.received.recorded(&key, self.clock);
        }
        Ok(())
    }

    /// Applies one batch; returns (job, nominal) of the launches it accepted.
    fn apply_batch(&self, commands: Vec<Command>) -> anyhow::Result<Vec<(String, DateTime<Utc>)>> {
        let keys: Vec<(String, DateTime<Utc>)> = commands
            .iter()
            .filter_map(|command| match command {
                Command::Launch { job, nominal, .. } => Some((job.clone(), *nominal)),
                _ => None,
            })
            .collect();
        let results = self.store.apply(vec![Command::Batch(commands)], &[])?;
        let Some(CommandResult::Batch(results)) = results.into_iter().next() else {
            bail!("a batch did not answer with a batch");
        };
        let mut launched = Vec::new();
        for (index, result) in results.into_iter().enumerate() {
            match result {
                CommandResult::Launched(_) => launched.push(keys[index].clone()),
                CommandResult::Failed(error) => bail!("a run record was refused: {error}"),
                _ => {}
            }
        }
        Ok(launched)
    }

    fn runs(&self) -> usize {
        self.rounds as usize * self.jobs.len()
    }
}

/// Runs `count` runs (rounded up to whole rounds); returns how many it ran.
fn push_runs(path: &mut Path, count: usize) -> anyhow::Result<usize> {
    let before = path.runs();
    while path.runs() - before < count {
        path.round()?;
    }
    Ok(path.runs() - before)
}

// Two functions, so callgrind reports each phase on its own; the labels keep the compiler
// from folding their identical bodies into one.
#[inline(never)]
fn measured_phase_early(path: &mut Path, count: usize) -> anyhow::Result<usize> {
    std::hint::black_box("early");
    push_runs(path, count)
}

#[inline(never)]
fn measured_phase_late(path: &mut Path, count: usize) -> anyhow::Result<usize> {
    std::hint::black_box("late");
    push_runs(path, count)
}

fn main() -> anyhow::Result<()> {
    let options = Options::parse();
    let (mut path, _dir) = Path::new(options.jobs)?;
    let started = Instant::now();
    let preloaded = push_runs(&mut path, options.preload)?;
    let early_started = Instant::now();
    let early = measured_phase_early(&mut path, options.measured)?;
    let early_time = early_started.elapsed();
    // More history before the late phase, so a cost that grows with history shows as a late
    // phase dearer than the early one.
    let gap = push_runs(&mut path, options.gap)?;
    let late_started = Instant::now();
    let late = measured_phase_late(&mut path, options.measured)?;
    let late_time = late_started.elapsed();
    println!(
        "per-run-cost: {} jobs, {} runs in all in {:.1} s; remembered runs {} (recorded {})",
        options.jobs,
        path.runs(),
        started.elapsed().as_secs_f64(),
        path.received.len(),
        path.received.recorded_len(),
    );
    println!("phase early: {early} runs after {preloaded} runs of history");
    println!(
        "phase late: {late} runs after {} runs of history",
        preloaded + early + gap
    );
    println!(
        "time per run (information only): early {:.1} µs, late {:.1} µs",
        early_time.as_secs_f64() * 1e6 / early as f64,
        late_time.as_secs_f64() * 1e6 / late as f64
    );
    Ok(())
}
