//! Cluster benchmark: three servers and `--agents` agents (one by default) on 127.0.0.1.
//!
//! Measures, on the real binary: executions per second sustained with start lateness
//! p50/p99 while jobs are spread over every node, the RSS of each server, and the failover
//! gap — the time from SIGKILL of the leader to the next run that starts on time — over
//! several kills. It asserts nothing; figures go to `bench/RESULTS.md` by hand.

use dkron_bench::{host_stalls, load, measure, usage, webhook_sink};
use std::time::{Duration, Instant};

use anyhow::Context;
use chrono::{DateTime, TimeDelta, Utc};
use clap::Parser;

use dkron_bench::cluster::Cluster;
use dkron_bench::measure::Api;

/// A run counts as on time when it starts less than this after its nominal time.
const ON_TIME_MS: i64 = 100;
/// Launches are committed this long ahead (the scheduler's default): runs due sooner than
/// this after the kill may have been committed and sent by the old leader, so they do not
/// show the new leader at work.
const LAUNCH_LEAD_MS: i64 = 200;

/// Command-line options.
#[derive(Debug, Parser)]
#[command(about = "Load a dkron-rs cluster of 3 servers and some agents and print figures")]
struct Options {
    /// Path of the dkron binary (default: target/release/dkron next to this program).
    #[arg(long, env = "DKRON_BIN")]
    dkron: Option<std::path::PathBuf>,
    /// Number of jobs; each runs on one node chosen at random (`role: dkron:1`).
    #[arg(long, default_value_t = 5_000)]
    jobs: usize,
    /// Interval of every job, in seconds.
    #[arg(long, default_value_t = 10)]
    every_secs: u64,
    /// Measured steady-state duration in seconds.
    #[arg(long, default_value_t = 60)]
    duration_secs: u64,
    /// Jobs created per second (sets how many fall due in the same second).
    #[arg(long, default_value_t = 500)]
    create_rate: usize,
    /// Agents (nodes that run jobs but are not servers) beside the three servers.
    #[arg(long, default_value_t = 1)]
    agents: usize,
    /// How many times the leader is killed after the steady-state window.
    #[arg(long, default_value_t = 3)]
    kills: usize,
    /// Concurrent API requests.
    #[arg(long, default_value_t = 16)]
    concurrency: usize,
    /// The servers' misfire policy (`run_once` is the default; `skip` drops what came due
    /// while there was no leader instead of running it late).
    #[arg(long, default_value = "run_once")]
    misfire_policy: String,
    /// Configure a webhook on every server, received by this program, and report how many
    /// runs were notified (the notification outbox under load).
    #[arg(long)]
    webhook: bool,
    /// Print every server's RSS every this many seconds of the window (0: only at the end).
    #[arg(long, default_value_t = 0)]
    rss_every_secs: u64,
}

fn default_binary() -> anyhow::Result<std::path::PathBuf> {
    let me = std::env::current_exe().context("cannot find this program's path")?;
    Ok(me.parent().context("no directory")?.join("dkron"))
}

/// Usage of every running server, by node index.
fn server_usage(cluster: &Cluster) -> Vec<(usize, usage::Usage)> {
    cluster
        .nodes
        .iter()
        .enumerate()
        .filter(|(_, node)| node.server)
        .filter_map(|(index, node)| Some((index, usage::usage_of(node.pid()?).ok()?)))
        .collect()
}

/// One leader kill: when it happened and how long until another server led.
struct Kill {
    at: DateTime<Utc>,
    victim: String,
    elected_after: Option<Duration>,
}

async fn kill_leader(cluster: &mut Cluster) -> anyhow::Result<Kill> {
    let leader = cluster.leader().await.context("no leader to kill")?;
    let victim = cluster.nodes[leader].name.clone();
    let at = Utc::now();
    let started = Instant::now();
    cluster.nodes[leader].kill();
    let mut elected_after = None;
    while started.elapsed() < Duration::from_secs(30) {
        if cluster.leader().await.is_some_and(|index| index != leader) {
            elected_after = Some(started.elapsed());
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    tokio::time::sleep(Duration::from_secs(8)).await;
    cluster.restart(leader)?;
    tokio::time::sleep(Duration::from_secs(12)).await;
    Ok(Kill {
        at,
        victim,
        elected_after,
    })
}

/// Time from the kill to the first run (of any job) that starts on time after it.
fn failover_gap(
    starts: &[(DateTime<Utc>, DateTime<Utc>)],
    kill: DateTime<Utc>,
) -> Option<TimeDelta> {
    starts
        .iter()
        .filter(|(nominal, started)| {
            *nominal > kill + TimeDelta::milliseconds(LAUNCH_LEAD_MS)
                && (*started - *nominal).num_milliseconds() < ON_TIME_MS
        })
        .map(|(_, started)| *started - kill)
        .min()
}

/// Per second after a kill: runs whose nominal time falls in it, how many started on time,
/// and the median lateness of those that started.
fn print_timeline(starts: &[(DateTime<Utc>, DateTime<Utc>)], kill: DateTime<Utc>) {
    for second in -1..6i64 {
        let from = kill + TimeDelta::seconds(second);
        let to = from + TimeDelta::seconds(1);
        let mut late: Vec<i64> = starts
            .iter()
            .filter(|(nominal, _)| *nominal >= from && *nominal < to)
            .map(|(nominal, started)| (*started - *nominal).num_milliseconds())
            .collect();
        late.sort_unstable();
        let on_time = late.iter().filter(|ms| **ms < ON_TIME_MS).count();
        let median = late.get(late.len() / 2).copied();
        println!(
            "    nominal in [kill{second:+}s, kill{:+}s): {} started, {on_time} on time, median lateness {}",
            second + 1,
            late.len(),
            median.map_or("-".to_string(), |ms| format!("{ms} ms"))
        );
    }
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let options = Options::parse();
    let binary = options.dkron.clone().map_or_else(default_binary, Ok)?;
    let _installed = rustls::crypto::ring::default_provider().install_default();
    announce(&options);
    let mut server_args = vec![
        "--misfire-policy".to_string(),
        options.misfire_policy.clone(),
    ];
    let webhook = if options.webhook {
        let (endpoint, received) = webhook_sink::start().await?;
        server_args.push(format!("--webhook-endpoint={endpoint}"));
        server_args.push("--webhook-payload={{.JobName}} {{.ExecutionID}}".to_string());
        println!("webhook: every server notifies {endpoint} of each finished run");
        Some(received)
    } else {
        None
    };
    let mut cluster = Cluster::start(&binary, 3, options.agents, &server_args).await?;
    create_jobs(&cluster, &options).await?;
    tokio::time::sleep(Duration::from_secs(options.every_secs + 2)).await;

    let stall_watch = host_stalls::StallWatch::start();
    let window = watch_window(&cluster, &options).await;
    // Let runs of the window finish and be recorded before a kill ends some of them as lost.
    tokio::time::sleep(Duration::from_secs(5)).await;
    let kills = kill_leaders(&mut cluster, options.kills).await?;
    let machine_stalls = stall_watch.finish();

    println!("collecting results");
    let live = cluster
        .live_servers()
        .next()
        .context("no server left")?
        .base
        .clone();
    let api = Api {
        client: &cluster.client,
        base: &live,
    };
    let results = measure::collect(
        &api,
        options.jobs,
        window.start,
        window.end,
        options.concurrency,
    )
    .await?;
    println!("--- steady state ---");
    measure::report(
        &results,
        options.jobs,
        options.every_secs,
        window.start,
        window.end,
    );
    window.print_usage(&cluster);
    machine_stalls.print();
    report_failovers(&results, &kills);
    if let Some(received) = webhook {
        report_webhooks(&api, &received).await?;
    }
    Ok(())
}

fn announce(options: &Options) {
    println!(
        "cluster-bench: 3 servers + {} agent(s), {} jobs at @every {}s on one random node each, created {}/s; {} s measured; {} leader kills",
        options.agents,
        options.jobs,
        options.every_secs,
        options.create_rate,
        options.duration_secs,
        options.kills
    );
    println!(
        "settings: defaults (raft heartbeat {} ms, election timeout {}-{} ms, gossip profile lan), misfire policy {}",
        dkron_cluster::HEARTBEAT_MS,
        dkron_cluster::ELECTION_MIN_MS,
        dkron_cluster::ELECTION_MAX_MS,
        options.misfire_policy
    );
}

/// Creates the benchmark's jobs through the first server, each on one random node.
async fn create_jobs(cluster: &Cluster, options: &Options) -> anyhow::Result<()> {
    let first = cluster.nodes[0].base.clone();
    let api = Api {
        client: &cluster.client.clone(),
        base: &first,
    };
    let shape = load::JobShape::shell(
        options.every_secs,
        "true",
        serde_json::json!({"role": "dkron:1"}),
    );
    load::create_jobs(
        &api,
        options.jobs,
        &shape,
        options.concurrency,
        options.create_rate,
    )
    .await
}

/// The measured window and what the servers used in it.
struct Window {
    start: DateTime<Utc>,
    end: DateTime<Utc>,
    usage_start: Vec<(usize, usage::Usage)>,
    usage_end: Vec<(usize, usage::Usage)>,
    peak: std::collections::BTreeMap<usize, u64>,
}

/// Waits out the measured window, sampling every server's memory each second.
async fn watch_window(cluster: &Cluster, options: &Options) -> Window {
    let start = Utc::now();
    let usage_start = server_usage(cluster);
    let mut peak: std::collections::BTreeMap<usize, u64> = Default::default();
    let measured = Instant::now();
    let mut second = 0u64;
    while measured.elapsed() < Duration::from_secs(options.duration_secs) {
        tokio::time::sleep(Duration::from_secs(1)).await;
        second += 1;
        let usages = server_usage(cluster);
        for (index, usage) in &usages {
            let entry = peak.entry(*index).or_default();
            *entry = (*entry).max(usage.rss_kib);
        }
        if options.rss_every_secs > 0 && second.is_multiple_of(options.rss_every_secs) {
            let samples: Vec<String> = usages
                .iter()
                .map(|(index, usage)| {
                    let name = &cluster.nodes[*index].name;
                    format!("{name} {:.1}", usage.rss_kib as f64 / 1024.0)
                })
                .collect();
            println!("  t+{second:>5} s: rss MiB {}", samples.join(", "));
        }
    }
    Window {
        start,
        end: Utc::now(),
        usage_start,
        usage_end: server_usage(cluster),
        peak,
    }
}

impl Window {
    fn print_usage(&self, cluster: &Cluster) {
        let wall = (self.end - self.start).num_milliseconds() as f64 / 1000.0;
        for (index, end) in &self.usage_end {
            let cpu_start = self
                .usage_start
                .iter()
                .find(|(i, _)| i == index)
                .map_or(end.cpu_secs, |(_, u)| u.cpu_secs);
            println!(
                "{}: rss {:.1} MiB at end of window, peak {:.1} MiB; {} threads; cpu {:.0}% of one core",
                cluster.nodes[*index].name,
                end.rss_kib as f64 / 1024.0,
                *self.peak.get(index).unwrap_or(&end.rss_kib) as f64 / 1024.0,
                end.threads,
                100.0 * (end.cpu_secs - cpu_start) / wall
            );
        }
    }
}

/// Kills the leader `count` times, each time once a new one answers.
async fn kill_leaders(cluster: &mut Cluster, count: usize) -> anyhow::Result<Vec<Kill>> {
    let mut kills = Vec::new();
    for round in 1..=count {
        let kill = kill_leader(cluster).await?;
        println!(
            "kill {round}: SIGKILL {} at {}; a new leader answered after {}",
            kill.victim,
            kill.at.format("%H:%M:%S%.3f"),
            kill.elected_after
                .map_or("(none within 30 s)".to_string(), |d| format!(
                    "{} ms",
                    d.as_millis()
                ))
        );
        kills.push(kill);
    }
    Ok(kills)
}

fn report_failovers(results: &measure::Results, kills: &[Kill]) {
    println!(
        "--- failover (gap = SIGKILL of the leader → first run due > {LAUNCH_LEAD_MS} ms after it that started < {ON_TIME_MS} ms late) ---"
    );
    for (round, kill) in kills.iter().enumerate() {
        match failover_gap(&results.starts, kill.at) {
            Some(gap) => println!("kill {}: gap {} ms", round + 1, gap.num_milliseconds()),
            None => println!("kill {}: no on-time run after the kill", round + 1),
        }
        print_timeline(&results.starts, kill.at);
    }
}

/// Pauses scheduling, waits for the notifications to settle, then compares them with the
/// runs recorded.
async fn report_webhooks(api: &Api<'_>, received: &webhook_sink::Received) -> anyhow::Result<()> {
    api.client
        .post(format!("{}/v1/pause", api.base))
        .send()
        .await?
        .error_for_status()?;
    let mut last = webhook_sink::totals(received);
    let mut quiet = 0;
    let waited = Instant::now();
    while quiet < 5 && waited.elapsed() < Duration::from_secs(120) {
        tokio::time::sleep(Duration::from_secs(1)).await;
        let now = webhook_sink::totals(received);
        quiet = if now == last { quiet + 1 } else { 0 };
        last = now;
    }
    let jobs: serde_json::Value = api
        .client
        .get(format!("{}/v1/jobs", api.base))
        .send()
        .await?
        .json()
        .await?;
    let recorded: u64 = jobs
        .as_array()
        .context("job list")?
        .iter()
        .map(|job| {
            job["success_count"].as_u64().unwrap_or(0) + job["error_count"].as_u64().unwrap_or(0)
        })
        .sum();
    let (calls, distinct) = last;
    println!("--- webhooks ---");
    println!(
        "runs recorded {recorded}; webhook calls {calls} for {distinct} distinct executions ({} repeated, {} not notified)",
        calls - distinct as u64,
        recorded.saturating_sub(distinct as u64)
    );
    Ok(())
}
