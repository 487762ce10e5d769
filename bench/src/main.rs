//! Single-server throughput and punctuality benchmark, and the load check CI runs.
//!
//! Starts the real `dkron` binary on 127.0.0.1 with a fresh data directory, creates N jobs
//! at `@every <interval>` running a shell command (or, with `--http`, calling a fast local
//! HTTP endpoint), lets them run for the measured duration and prints executions per second,
//! start lateness (actual start minus nominal time) p50/p99/max, occurrence accounting from
//! the ledger, and the server's RSS and CPU. The figures go to `bench/RESULTS.md` by hand,
//! with the machine they came from.
//!
//! With `--check` it also fails (exit code 1) when an occurrence in the window was skipped or
//! lost, a run started more than `--max-late-ms` late, or the RSS grew more than
//! `--rss-margin-mib` in the window: facts that hold on any machine at a load well below its
//! capacity (`scripts/check-load`).

use dkron_bench::{check, host_stalls, http_sink, load, measure, server, usage};
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
    /// Measured duration in seconds, after the warm-up.
    #[arg(long, default_value_t = 120)]
    duration_secs: u64,
    /// Warm-up before the window opens, in seconds (default: one interval and 2 s).
    #[arg(long)]
    warm_up_secs: Option<u64>,
    /// Shell command every job runs.
    #[arg(long, default_value = "true")]
    command: String,
    /// Jobs use the `http` executor against a fast local endpoint instead of a shell command.
    #[arg(long)]
    http: bool,
    /// Create at most this many jobs per second (0 = as fast as the API takes them). Jobs
    /// created in the same second share their `@every` phase, so this sets how many are due
    /// at the same instant.
    #[arg(long, default_value_t = 0)]
    create_rate: usize,
    /// Concurrent API requests while creating jobs and collecting results.
    #[arg(long, default_value_t = 16)]
    concurrency: usize,
    /// An extra flag for the server (repeat for several), e.g. `--server-arg=--ledger-retention=20`.
    #[arg(long = "server-arg", allow_hyphen_values = true)]
    server_args: Vec<String>,
    /// Print the server's RSS every this many seconds of the window (0: only at the end).
    #[arg(long, default_value_t = 0)]
    rss_every_secs: u64,
    /// Fail unless every occurrence in the window ran on time and memory stayed flat.
    #[arg(long)]
    check: bool,
    /// With `--check`: the latest start accepted, in ms after the nominal time.
    #[arg(long, default_value_t = 1000.0)]
    max_late_ms: f64,
    /// With `--check`: the most the RSS may grow within the window, in MiB.
    #[arg(long, default_value_t = 16.0)]
    rss_margin_mib: f64,
    /// With `--check`: how many runs the worker may remember above the bound on recorded
    /// runs (running, or with results not written yet).
    #[arg(long, default_value_t = 5_000.0)]
    in_flight_allowance: f64,
}

/// How long after the window results are read, so the window's last runs are recorded.
const RECORDS_SETTLE: Duration = Duration::from_secs(3);

fn default_binary() -> anyhow::Result<std::path::PathBuf> {
    let me = std::env::current_exe().context("cannot find this program's path")?;
    let dir = me.parent().context("this program has no directory")?;
    Ok(dir.join("dkron"))
}

/// RSS samples (one a second) and the usage at both ends of the window.
struct Window {
    start: chrono::DateTime<chrono::Utc>,
    end: chrono::DateTime<chrono::Utc>,
    rss_kib: Vec<u64>,
    usage_start: usage::Usage,
    usage_end: usage::Usage,
    /// This program's own usage, and the machine's busy CPU seconds, at both ends.
    bench_cpu: (f64, f64),
    machine_busy: (f64, f64),
    cpus: usize,
    peak_threads: u64,
    wall_secs: f64,
    machine_stalls: host_stalls::StallReport,
}

async fn measure_window(server: &server::Server, options: &Options) -> anyhow::Result<Window> {
    let start = chrono::Utc::now();
    let stall_watch = host_stalls::StallWatch::start();
    let usage_start = server.usage()?;
    let bench_start = usage::usage_of(std::process::id())?.cpu_secs;
    let (machine_start, cpus) = usage::machine_busy_secs()?;
    let mut rss_kib = vec![usage_start.rss_kib];
    let mut peak_threads = usage_start.threads;
    let measured = Instant::now();
    let mut second = 0;
    while measured.elapsed() < Duration::from_secs(options.duration_secs) {
        tokio::time::sleep(Duration::from_secs(1)).await;
        second += 1;
        let usage = server.usage()?;
        rss_kib.push(usage.rss_kib);
        peak_threads = peak_threads.max(usage.threads);
        if options.rss_every_secs > 0 && second % options.rss_every_secs == 0 {
            println!(
                "  t+{second:>5} s: rss {:.1} MiB",
                usage.rss_kib as f64 / 1024.0
            );
        }
    }
    Ok(Window {
        start,
        end: chrono::Utc::now(),
        rss_kib,
        usage_start,
        usage_end: server.usage()?,
        bench_cpu: (bench_start, usage::usage_of(std::process::id())?.cpu_secs),
        machine_busy: (machine_start, usage::machine_busy_secs()?.0),
        cpus,
        peak_threads,
        wall_secs: measured.elapsed().as_secs_f64(),
        machine_stalls: stall_watch.finish(),
    })
}

fn print_usage(window: &Window) {
    let cpu_secs = window.usage_end.cpu_secs - window.usage_start.cpu_secs;
    let peak = window.rss_kib.iter().copied().max().unwrap_or(0);
    println!(
        "server: rss {:.1} MiB when the window opened, {:.1} MiB at end, peak {:.1} MiB; threads peak {}; cpu {:.1} s over {:.1} s = {:.0}% of one core",
        window.usage_start.rss_kib as f64 / 1024.0,
        window.usage_end.rss_kib as f64 / 1024.0,
        peak as f64 / 1024.0,
        window.peak_threads,
        cpu_secs,
        window.wall_secs,
        100.0 * cpu_secs / window.wall_secs
    );
    let share = |seconds: f64| 100.0 * seconds / window.wall_secs;
    let jobs = window.usage_end.children_cpu_secs - window.usage_start.children_cpu_secs;
    let bench = window.bench_cpu.1 - window.bench_cpu.0;
    let machine = window.machine_busy.1 - window.machine_busy.0;
    println!(
        "machine: {:.0}% busy of {} cores = server {:.0}% + jobs' processes {:.0}% + this program {:.0}% + the rest {:.0}% (of one core)",
        share(machine) / window.cpus.max(1) as f64,
        window.cpus,
        share(cpu_secs),
        share(jobs),
        share(bench),
        share(machine - cpu_secs - jobs - bench).max(0.0),
    );
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
    let shape = job_shape(&options)?;
    println!(
        "dkron-bench: {} {} jobs at @every {}s, created {pace}, measured for {} s; server flags {:?}",
        options.jobs,
        shape.executor,
        options.every_secs,
        options.duration_secs,
        options.server_args
    );
    println!("server binary: {}", binary.display());
    let mut server_args = options.server_args.clone();
    if options.check {
        // The check reads the bounded structures' sizes from /metrics.
        server_args.push("--enable-prometheus".into());
    }
    let server = server::Server::start_with(&binary, &server_args).await?;
    load::create_jobs(
        &(&server).into(),
        options.jobs,
        &shape,
        options.concurrency,
        options.create_rate,
    )
    .await?;

    let warm_up = Duration::from_secs(options.warm_up_secs.unwrap_or(options.every_secs + 2));
    println!("warming up for {} s", warm_up.as_secs());
    tokio::time::sleep(warm_up).await;
    let window = measure_window(&server, &options).await?;
    // Runs due at the end of the window are still being recorded (results are written in
    // batches): give them a moment, so the figures see them finished.
    tokio::time::sleep(RECORDS_SETTLE).await;
    println!("collecting results");
    let results = measure::collect(
        &(&server).into(),
        options.jobs,
        window.start,
        window.end,
        options.concurrency,
    )
    .await?;
    let expected = measure::report(
        &results,
        options.jobs,
        options.every_secs,
        window.start,
        window.end,
    );
    print_usage(&window);
    window.machine_stalls.print();
    for line in server
        .log_lines(" WARN ")
        .iter()
        .chain(&server.log_lines(" ERROR "))
    {
        println!("server log: {line}");
    }
    let metrics = if options.check {
        server.metrics().await?
    } else {
        String::new()
    };
    server.stop().await;
    if options.check {
        check_load(&options, &results, expected, &window, &metrics);
    }
    Ok(())
}

/// The jobs to create: `http` calls to a local sink, or the shell command.
fn job_shape(options: &Options) -> anyhow::Result<load::JobShape> {
    Ok(if options.http {
        let (url, _calls) = http_sink::start()?;
        load::JobShape::http(options.every_secs, &url)
    } else {
        load::JobShape::shell(
            options.every_secs,
            &options.command,
            serde_json::Value::Null,
        )
    })
}

/// `--check`: exits with status 1, listing why, unless every occurrence of the window ran on
/// time in flat memory and every bounded structure stayed within its bound.
fn check_load(
    options: &Options,
    results: &measure::Results,
    expected: f64,
    window: &Window,
    metrics: &str,
) {
    let limits = check::Limits {
        max_late_ms: options.max_late_ms,
        rss_margin_mib: options.rss_margin_mib,
    };
    let mut failures = check::failures(results, expected, &window.rss_kib, &limits);
    failures.extend(check::bound_failures(metrics, options.in_flight_allowance));
    if !failures.is_empty() {
        for failure in &failures {
            println!("FAIL: {failure}");
        }
        println!("the load check failed ({} problems)", failures.len());
        std::process::exit(1);
    }
    println!("check passed: every occurrence in the window ran, on time, in flat memory");
}
