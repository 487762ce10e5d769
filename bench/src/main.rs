//! Single-server throughput and punctuality benchmark.
//!
//! Starts the real `dkron` binary on 127.0.0.1 with a fresh data directory, creates N jobs
//! at `@every <interval>` running a shell command, lets them run for the measured duration and
//! prints executions per second, start lateness (actual start minus nominal time) p50/p99/max,
//! occurrence accounting from the ledger, and the server's RSS and CPU. It asserts nothing:
//! the figures go to `bench/RESULTS.md` by hand, with the machine they came from.

mod load;
mod measure;
mod server;
mod usage;

use std::time::{Duration, Instant};

use anyhow::Context;
use clap::Parser;

/// Command-line options.
#[derive(Debug, Parser)]
#[command(about = "Load a single dkron-rs server with many @every jobs and print figures")]
struct Options {
    /// Path of the dkron binary (default: target/release/dkron next to this program).
    #[arg(long, env = "DKRON_BIN")]
    dkron: Option<std::path::PathBuf>,
    /// Number of jobs to create.
    #[arg(long, default_value_t = 10_000)]
    jobs: usize,
    /// Interval of every job, in seconds (`@every <n>s`).
    #[arg(long, default_value_t = 10)]
    every_secs: u64,
    /// Measured duration in seconds, after a warm-up of one interval.
    #[arg(long, default_value_t = 120)]
    duration_secs: u64,
    /// Shell command every job runs.
    #[arg(long, default_value = "true")]
    command: String,
    /// Create at most this many jobs per second (0 = as fast as the API takes them). Jobs
    /// created in the same second share their `@every` phase, so this sets how many are due
    /// at the same instant.
    #[arg(long, default_value_t = 0)]
    create_rate: usize,
    /// Concurrent API requests while creating jobs and collecting results.
    #[arg(long, default_value_t = 16)]
    concurrency: usize,
}

fn default_binary() -> anyhow::Result<std::path::PathBuf> {
    let me = std::env::current_exe().context("cannot find this program's path")?;
    let dir = me.parent().context("this program has no directory")?;
    Ok(dir.join("dkron"))
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let options = Options::parse();
    let binary = match &options.dkron {
        Some(path) => path.clone(),
        None => default_binary()?,
    };
    let pace = match options.create_rate {
        0 => "as fast as possible".to_string(),
        rate => format!("{rate} per second"),
    };
    println!(
        "dkron-bench: {} jobs at @every {}s running `{}`, created {pace}, measured for {} s",
        options.jobs, options.every_secs, options.command, options.duration_secs
    );
    println!("server binary: {}", binary.display());
    let server = server::Server::start(&binary).await?;

    let shape = load::JobShape {
        every_secs: options.every_secs,
        command: &options.command,
        tags: serde_json::Value::Null,
    };
    load::create_jobs(
        &(&server).into(),
        options.jobs,
        &shape,
        options.concurrency,
        options.create_rate,
    )
    .await?;

    let warm_up = Duration::from_secs(options.every_secs + 2);
    println!("warming up for {} s", warm_up.as_secs());
    tokio::time::sleep(warm_up).await;

    let window_start = chrono::Utc::now();
    let usage_start = server.usage()?;
    let mut peak_rss_kib = usage_start.rss_kib;
    let mut peak_threads = usage_start.threads;
    let measured = Instant::now();
    while measured.elapsed() < Duration::from_secs(options.duration_secs) {
        tokio::time::sleep(Duration::from_secs(1)).await;
        let usage = server.usage()?;
        peak_rss_kib = peak_rss_kib.max(usage.rss_kib);
        peak_threads = peak_threads.max(usage.threads);
    }
    let window_end = chrono::Utc::now();
    let usage_end = server.usage()?;
    let wall = measured.elapsed().as_secs_f64();
    println!("collecting results");
    let results = measure::collect(
        &(&server).into(),
        options.jobs,
        window_start,
        window_end,
        options.concurrency,
    )
    .await?;
    measure::report(
        &results,
        options.jobs,
        options.every_secs,
        window_start,
        window_end,
    );
    let cpu_secs = usage_end.cpu_secs - usage_start.cpu_secs;
    println!(
        "server: rss {:.1} MiB when the window opened, {:.1} MiB at end, peak {:.1} MiB; threads peak {}; cpu {:.1} s over {:.1} s = {:.0}% of one core",
        usage_start.rss_kib as f64 / 1024.0,
        usage_end.rss_kib as f64 / 1024.0,
        peak_rss_kib as f64 / 1024.0,
        peak_threads,
        cpu_secs,
        wall,
        100.0 * cpu_secs / wall
    );
    server.stop().await;
    Ok(())
}
