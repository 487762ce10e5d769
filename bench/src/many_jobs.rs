//! Many jobs on one server: what 100,000 jobs with mixed schedules cost at rest and at start.
//!
//! Creates `--jobs` jobs through the REST API with ten schedule kinds (`@every 1m` to
//! `@daily`, cron with seconds, three time zones), all running `true`, then prints: how long
//! creating them took, RSS once idle, how long the first page of `GET /v1/jobs` takes (and a
//! page deep in the list, and one filtered by a search), then restarts the server on the same
//! data and prints how long it took to answer `/health` and to have its scheduler load every
//! job again (from the server's log), and RSS idle after the restart. With `--run-secs` it
//! then lets the jobs run that long, printing RSS every `--rss-every-secs`, and reports the
//! ledger of every job: occurrences by state, and start lateness.

use dkron_bench::{measure, server};
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use clap::Parser;
use futures::StreamExt;
use serde_json::{Value, json};

use dkron_bench::measure::Api;

/// Command-line options.
#[derive(Debug, Parser)]
#[command(about = "Load a dkron-rs server with many jobs of mixed schedules")]
struct Options {
    /// Path of the dkron binary (default: target/release/dkron next to this program).
    #[arg(long, env = "DKRON_BIN")]
    dkron: Option<std::path::PathBuf>,
    /// Number of jobs to create.
    #[arg(long, default_value_t = 100_000)]
    jobs: usize,
    /// Concurrent API requests while creating jobs.
    #[arg(long, default_value_t = 32)]
    concurrency: usize,
    /// After the restart, let the jobs run this long (0: do not).
    #[arg(long, default_value_t = 0)]
    run_secs: u64,
    /// While running, print the RSS this often, in seconds.
    #[arg(long, default_value_t = 30)]
    rss_every_secs: u64,
}

/// The schedule kinds, cycled through by job index: (schedule, time zone).
const SCHEDULES: [(&str, &str); 10] = [
    ("@every 1m", ""),
    ("@every 5m", ""),
    ("@every 15m", ""),
    ("@hourly", ""),
    ("@daily", ""),
    ("0 */10 * * * *", ""),
    ("30 15 3 * * *", "Europe/Berlin"),
    ("0 0 9 * * MON-FRI", "America/New_York"),
    ("@every 30m", ""),
    ("15 45 * * * *", "Asia/Tokyo"),
];

fn job_body(index: usize) -> Value {
    let (schedule, timezone) = SCHEDULES[index % SCHEDULES.len()];
    json!({
        "name": format!("many-{index:06}"),
        "schedule": schedule,
        "timezone": timezone,
        "executor": "shell",
        "executor_config": {"command": "true"},
        "metadata": {"kind": (index % SCHEDULES.len()).to_string()},
    })
}

async fn create_all(api: &Api<'_>, jobs: usize, concurrency: usize) -> anyhow::Result<()> {
    let started = Instant::now();
    let results: Vec<anyhow::Result<()>> = futures::stream::iter(0..jobs)
        .map(|index| async move {
            let response = api
                .client
                .post(format!("{}/v1/jobs", api.base))
                .json(&job_body(index))
                .send()
                .await?;
            if response.status().as_u16() != 201 {
                bail!("creating job {index}: {}", response.status());
            }
            if (index + 1) % 20_000 == 0 {
                println!("  {} jobs created", index + 1);
            }
            Ok(())
        })
        .buffer_unordered(concurrency)
        .collect()
        .await;
    results.into_iter().collect::<anyhow::Result<()>>()?;
    let secs = started.elapsed().as_secs_f64();
    println!(
        "created {jobs} jobs in {secs:.1} s ({:.0} per second)",
        jobs as f64 / secs
    );
    Ok(())
}

/// Times `GET path` a few times; prints the median and the slowest.
async fn time_get(api: &Api<'_>, label: &str, path: &str) -> anyhow::Result<()> {
    let url = format!("{}{path}", api.base);
    let times = measure::time_get(api.client, &url, 7).await?;
    println!(
        "{label}: median {:.1} ms, slowest {:.1} ms (X-Total-Count {}) — GET {path}",
        times.median_ms, times.slowest_ms, times.total_count
    );
    Ok(())
}

async fn report_idle_rss(server: &server::Server, when: &str) -> anyhow::Result<()> {
    tokio::time::sleep(Duration::from_secs(10)).await;
    println!(
        "rss idle {when}: {:.1} MiB",
        server.usage()?.rss_kib as f64 / 1024.0
    );
    Ok(())
}

async fn time_pages(api: &Api<'_>) -> anyhow::Result<()> {
    time_get(api, "first page", "/v1/jobs?_start=0&_end=25").await?;
    time_get(
        api,
        "first page by name",
        "/v1/jobs?_start=0&_end=25&_sort=name&_order=ASC",
    )
    .await?;
    time_get(
        api,
        "a page deep in the list",
        "/v1/jobs?_start=90000&_end=90025",
    )
    .await?;
    time_get(api, "a search", "/v1/jobs?q=many-09999&_start=0&_end=25").await?;
    Ok(())
}

/// Waits until the server's log says the scheduler loaded its jobs; returns when, measured
/// from `since`.
async fn wait_scheduler_loaded(
    server: &server::Server,
    already: usize,
    since: Instant,
) -> anyhow::Result<Duration> {
    let deadline = Instant::now() + Duration::from_secs(300);
    while Instant::now() < deadline {
        let loaded = server.log_lines("jobs loaded");
        if loaded.len() > already {
            println!("  {}", loaded[loaded.len() - 1]);
            return Ok(since.elapsed());
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    bail!("the scheduler did not log 'jobs loaded' within 300 s")
}

async fn run_for(server: &server::Server, options: &Options) -> anyhow::Result<()> {
    let started = chrono::Utc::now();
    let clock = Instant::now();
    println!("running for {} s", options.run_secs);
    while clock.elapsed() < Duration::from_secs(options.run_secs) {
        tokio::time::sleep(Duration::from_secs(options.rss_every_secs)).await;
        let usage = server.usage()?;
        println!(
            "  t+{:>5} s: rss {:.1} MiB, cpu {:.1} s",
            clock.elapsed().as_secs(),
            usage.rss_kib as f64 / 1024.0,
            usage.cpu_secs
        );
    }
    let ended = chrono::Utc::now() - chrono::TimeDelta::seconds(5);
    let results = measure::collect_named(
        &server.into(),
        (0..options.jobs).map(|index| format!("many-{index:06}")),
        started,
        ended,
        32,
    )
    .await?;
    measure::print_window(&results);
    Ok(())
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let options = Options::parse();
    let binary = match &options.dkron {
        Some(path) => path.clone(),
        None => std::env::current_exe()?
            .parent()
            .context("this program has no directory")?
            .join("dkron"),
    };
    println!(
        "many-jobs: {} jobs of {} schedule kinds",
        options.jobs,
        SCHEDULES.len()
    );
    let mut server = server::Server::start_with(&binary, &["--log-level=info".into()]).await?;
    create_all(&(&server).into(), options.jobs, options.concurrency).await?;
    report_idle_rss(&server, "after creating them").await?;
    time_pages(&(&server).into()).await?;

    println!("restarting the server on the same data");
    let before = server.log_lines("jobs loaded").len();
    let restart_began = Instant::now();
    let health = server.restart().await?;
    println!(
        "answering /health {:.2} s after the restart",
        health.as_secs_f64()
    );
    let loaded = wait_scheduler_loaded(&server, before, restart_began).await?;
    println!(
        "scheduler had loaded every job {:.2} s after the restart",
        loaded.as_secs_f64()
    );
    report_idle_rss(&server, "after the restart").await?;
    time_pages(&(&server).into()).await?;
    if options.run_secs > 0 {
        run_for(&server, &options).await?;
    }
    server.stop().await;
    Ok(())
}
