//! One chaos run, inside the bridge namespace: start the cluster, create the jobs, inject the
//! planned faults while writing jobs, heal, wait for quiet, check.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use chrono::Utc;
use tokio::sync::watch;

use crate::acks::WriteLog;
use crate::api::Api;
use crate::check::{LedgerEntry, check};
use crate::cluster::Cluster;
use crate::faults::{self, DelayMethod};
use crate::figures::FaultWindow;
use crate::jobs::{PlannedJob, job_json, job_plan, parse_lines};
use crate::node::{Launch, Node};
use crate::plan::{FaultKind, fault_plan_of};
use crate::report::{Outcome, print_outcome, say};
use crate::writes;

/// What the command line asks for.
#[derive(Debug, Clone)]
pub struct Settings {
    pub seed: u64,
    pub run: Duration,
    pub every: Duration,
    pub jobs: usize,
    /// The kinds of fault to draw from (empty: all).
    pub kinds: Vec<FaultKind>,
    pub binary: PathBuf,
    pub work_dir: PathBuf,
}

/// The file every run appends its line to.
pub fn out_file(work_dir: &Path) -> PathBuf {
    work_dir.join("runs.log")
}

/// Runs the whole scenario; `Ok(true)` when no correctness violation was found.
pub async fn run_inside(settings: &Settings) -> anyhow::Result<bool> {
    let launch = Launch {
        binary: settings.binary.clone(),
        work_dir: settings.work_dir.clone(),
        seeds: crate::cluster::seeds(),
    };
    let mut cluster = Cluster::new(launch)?;
    let delay = if crate::net::netem_available(&cluster.nodes[0].address) {
        DelayMethod::Netem
    } else {
        DelayMethod::Shaping
    };
    say(&format!("delay fault: {}", delay.describe()));
    cluster.start_all()?;
    let leader = cluster.wait_ready(Duration::from_secs(120)).await?;
    say(&format!("cluster ready, leader {leader}"));
    let jobs = job_plan(settings.seed, settings.jobs);
    let out = out_file(&settings.work_dir);
    let base = cluster.base_of(&leader).unwrap_or_default();
    put_jobs(&cluster.api, &base, &jobs, &out, false).await?;
    say(&format!(
        "{} jobs created; faults for {:?}, one every {:?}",
        jobs.len(),
        settings.run,
        settings.every
    ));
    let (stop_writes, stopped) = watch::channel(false);
    let writer = tokio::spawn(writes::write_until(
        cluster.api.clone(),
        settings.seed,
        stopped,
    ));
    let windows = inject_faults(&mut cluster, settings, delay).await;
    heal_everything(&mut cluster).await;
    let leader = cluster.wait_ready(Duration::from_secs(180)).await?;
    say(&format!("settled, leader {leader}; disabling the jobs"));
    let _sent = stop_writes.send(true);
    let write_log = writer.await?;
    let base = cluster.base_of(&leader).unwrap_or_default();
    let outcome = finish(&mut cluster, &base, &jobs, &out, write_log, &windows).await?;
    print_outcome(settings.seed, &outcome);
    Ok(outcome.is_clean())
}

/// Disables the jobs, waits for quiet, reads the ledgers and the file, judges, stops the
/// cluster.
async fn finish(
    cluster: &mut Cluster,
    base: &str,
    jobs: &[PlannedJob],
    out: &Path,
    write_log: WriteLog,
    windows: &[FaultWindow],
) -> anyhow::Result<Outcome> {
    report_servers(cluster).await;
    // A cluster that takes no write once every fault healed did not recover: a finding, and
    // the ledgers are still read and checked as they are.
    let not_recovered = put_jobs(&cluster.api, base, jobs, out, true)
        .await
        .err()
        .map(|error| format!("{error:#}"));
    let ledger = quiet_ledgers(&cluster.api, base, jobs).await?;
    let (lines, torn) = parse_lines(&std::fs::read_to_string(out).unwrap_or_default());
    let shapes: Vec<_> = jobs.iter().map(|job| job.shape.clone()).collect();
    let found = writes::versions(&cluster.api, base, &write_log).await?;
    let violations = check(&shapes, &lines, &ledger);
    let mut ledger = ledger;
    let outputs = failed_run_outputs(&cluster.api, base, &ledger).await;
    crate::figures::explain_failures(&mut ledger, &outputs);
    say("checked; stopping every node at once (SIGTERM)");
    Ok(Outcome {
        violations,
        torn,
        lost_writes: write_log.lost(&found),
        write_totals: write_log.totals(),
        figures: crate::figures::figures(&ledger, windows, chrono::Duration::seconds(10)),
        lost_but_ran: crate::figures::lost_but_ran(&ledger, &lines),
        lines: lines.len(),
        hung_at_stop: cluster.stop_all(Duration::from_secs(20)).await,
        not_recovered,
    })
}

/// Creates (or disables) every job, retrying each until a server acknowledges it.
async fn put_jobs(
    api: &Api,
    base: &str,
    jobs: &[PlannedJob],
    out: &Path,
    disabled: bool,
) -> anyhow::Result<()> {
    for job in jobs {
        let body = job_json(job, out, disabled);
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            match api.put_job(base, &body).await {
                Ok(status) if (200..300).contains(&status) => break,
                answer if Instant::now() > deadline => anyhow::bail!(
                    "no write taken for 60 s (job {}): {}",
                    job.shape.name,
                    match answer {
                        Ok(status) => format!("status {status}"),
                        Err(error) => format!("{error:#}"),
                    }
                ),
                _ => tokio::time::sleep(Duration::from_millis(500)).await,
            }
        }
    }
    Ok(())
}

async fn inject_faults(
    cluster: &mut Cluster,
    settings: &Settings,
    delay: DelayMethod,
) -> Vec<FaultWindow> {
    let start = Instant::now();
    let mut windows = Vec::new();
    for fault in fault_plan_of(settings.seed, settings.run, settings.every, &settings.kinds) {
        tokio::time::sleep_until((start + fault.at).into()).await;
        let from = Utc::now();
        let active = match faults::inject(cluster, &fault, delay).await {
            Ok(active) => active,
            Err(error) => {
                say(&format!(
                    "{:>5}s {} could not be injected: {error:#}",
                    fault.at.as_secs(),
                    fault.kind.name()
                ));
                continue;
            }
        };
        let nodes = active.nodes.join("+");
        say(&format!(
            "{:>5}s {} on {nodes} for {}s{}",
            fault.at.as_secs(),
            fault.kind.name(),
            fault.lasts.as_secs(),
            if fault.amount != 0 {
                format!(" ({:+})", fault.amount)
            } else {
                String::new()
            }
        ));
        tokio::time::sleep_until((start + fault.at + fault.lasts).into()).await;
        if let Err(error) = faults::heal(cluster, active) {
            say(&format!("healing {} failed: {error:#}", fault.kind.name()));
        }
        windows.push(FaultWindow {
            kind: fault.kind.name().into(),
            node: nodes,
            from,
            to: Utc::now(),
        });
    }
    tokio::time::sleep_until((start + settings.run).into()).await;
    windows
}

/// Every node running and continued (healing restarts and continues; this catches a heal
/// that failed).
async fn heal_everything(cluster: &mut Cluster) {
    for node in &mut cluster.nodes {
        let _continued = node.signal(nix::sys::signal::Signal::SIGCONT);
    }
    let launch = cluster.launch.clone();
    for node in cluster
        .nodes
        .iter_mut()
        .filter(|node| !Node::is_running(node))
    {
        if let Err(error) = node.start(&launch) {
            say(&format!("restarting {} failed: {error:#}", node.name()));
        }
    }
    say("faults over; waiting for the cluster to settle");
}

/// Each server's health and leader after the faults: a server that did not recover by itself
/// (from a full disk, say) shows here; an availability finding, not a correctness one.
async fn report_servers(cluster: &Cluster) {
    for node in cluster.nodes.iter().filter(|node| node.server) {
        let (health, leader) = cluster.api.health_and_leader(&node.http_base()).await;
        say(&format!(
            "{}: /health {health}; leader {leader}",
            node.name()
        ));
    }
}

/// Waits until no run is going on and no occurrence is still `launched` (bounded), then
/// returns every job's ledger.
async fn quiet_ledgers(
    api: &Api,
    base: &str,
    jobs: &[PlannedJob],
) -> anyhow::Result<Vec<LedgerEntry>> {
    let deadline = Instant::now() + Duration::from_secs(120);
    loop {
        tokio::time::sleep(Duration::from_secs(3)).await;
        let busy = api.busy(base).await.unwrap_or(usize::MAX);
        let mut ledger = Vec::new();
        for job in jobs {
            ledger.extend(api.ledger(base, &job.shape.name).await?);
        }
        let launched = ledger
            .iter()
            .filter(|entry| entry.state == "launched")
            .count();
        if (busy == 0 && launched == 0) || Instant::now() > deadline {
            say(&format!(
                "quiet: {busy} runs busy, {launched} occurrences launched, {} in the ledgers",
                ledger.len()
            ));
            return Ok(ledger);
        }
    }
}

/// The last output line of the failed runs' executions (for the figures' reasons).
async fn failed_run_outputs(
    api: &Api,
    base: &str,
    ledger: &[LedgerEntry],
) -> BTreeMap<String, String> {
    let failing: BTreeSet<&str> = ledger
        .iter()
        .filter(|entry| entry.state == "failed")
        .map(|entry| entry.job.as_str())
        .collect();
    let mut outputs = BTreeMap::new();
    for job in failing {
        if let Ok(lines) = api.last_output_lines(base, job).await {
            outputs.extend(lines);
        }
    }
    outputs
}
