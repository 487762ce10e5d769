//! Cost of applying commands to the state store, by command kind.
//!
//! Creates N jobs, then applies batches of Launch, RunStarted and RunFinished commands the way
//! the scheduler and worker send them, and prints the time per batch and per command.

use std::time::Instant;

use chrono::{DateTime, TimeDelta, Utc};
use dkron_model::{Job, Trigger, execution_id};
use dkron_store::{Command, RunPlan, RunReport, StateStore};

fn main() -> anyhow::Result<()> {
    let jobs: usize = std::env::args()
        .nth(1)
        .and_then(|n| n.parse().ok())
        .unwrap_or(10_000);
    let batch: usize = std::env::args()
        .nth(2)
        .and_then(|n| n.parse().ok())
        .unwrap_or(500);
    let dir = tempfile::tempdir()?;
    let store = StateStore::open(&dir.path().join("state.redb"), 64 << 20)?;
    let now = Utc::now();
    let puts: Vec<Command> = (0..jobs)
        .map(|index| Command::PutJob {
            job: Box::new(Job {
                name: format!("bench-{index}"),
                schedule: "@every 10s".into(),
                executor: "shell".into(),
                ..Job::default()
            }),
            now,
        })
        .collect();
    let started = Instant::now();
    for chunk in puts.chunks(batch) {
        store.apply(chunk.to_vec(), &[])?;
    }
    report("put_job", jobs, batch, started);
    for round in 0..3 {
        let nominal = now + TimeDelta::seconds(10 * (round + 1));
        run_round(&store, jobs, batch, nominal, now)?;
    }
    Ok(())
}

/// The run of job `bench-<index>` at `nominal`, on node `n1-<index>`.
fn plan(nominal: DateTime<Utc>, index: usize) -> RunPlan {
    RunPlan {
        execution_id: execution_id(nominal, "n1", 1),
        node_name: format!("n1-{index}"),
    }
}

/// Applies `commands` in chunks of `batch` (as one `Batch` command each when `batched`) and
/// reports the rate under `name`.
fn apply_timed(
    store: &StateStore,
    name: &str,
    commands: &[Command],
    batch: usize,
    batched: bool,
) -> anyhow::Result<()> {
    let started = Instant::now();
    for chunk in commands.chunks(batch) {
        if batched {
            store.apply(vec![Command::Batch(chunk.to_vec())], &[])?;
        } else {
            store.apply(chunk.to_vec(), &[])?;
        }
    }
    report(name, commands.len(), batch, started);
    Ok(())
}

/// One occurrence of every job: launches, starts and results, each timed.
fn run_round(
    store: &StateStore,
    jobs: usize,
    batch: usize,
    nominal: DateTime<Utc>,
    now: DateTime<Utc>,
) -> anyhow::Result<()> {
    let launches: Vec<Command> = (0..jobs)
        .map(|index| Command::Launch {
            job: format!("bench-{index}"),
            nominal,
            trigger: Trigger::Schedule,
            runs: vec![plan(nominal, index)],
            decided_at: now,
        })
        .collect();
    apply_timed(store, "launch", &launches, batch, true)?;
    let starts: Vec<Command> = (0..jobs)
        .map(|index| Command::RunStarted {
            job: format!("bench-{index}"),
            nominal,
            execution_id: plan(nominal, index).execution_id,
            node_name: plan(nominal, index).node_name,
            attempt: 1,
            started_at: nominal,
        })
        .collect();
    apply_timed(store, "run_started", &starts, batch, false)?;
    let finishes: Vec<Command> = (0..jobs)
        .map(|index| Command::RunFinished {
            report: RunReport {
                job: format!("bench-{index}"),
                nominal,
                execution_id: plan(nominal, index).execution_id,
                node_name: plan(nominal, index).node_name,
                attempt: 1,
                started_at: nominal,
                finished_at: nominal,
                success: true,
                output: String::new(),
                exit_code: Some(0),
                killed: false,
                no_retry: false,
            },
        })
        .collect();
    apply_timed(store, "run_finished", &finishes, batch, false)
}

fn report(kind: &str, count: usize, batch: usize, started: Instant) {
    let elapsed = started.elapsed().as_secs_f64();
    println!(
        "{kind:>13}: {count} commands in batches of {batch}: {:.3} s, {:.1} µs per command, {:.1} ms per batch",
        elapsed,
        elapsed * 1e6 / count as f64,
        elapsed * 1e3 * batch as f64 / count as f64
    );
}
