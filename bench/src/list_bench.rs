//! Bounded work per request (issue 14, failure 6): what job lists cost a server.
//!
//! 1. Big jobs (`--big-jobs` of about `--command-bytes` each, 31 MB by default), then
//!    `--lists` concurrent unpaged `GET /v1/jobs`: RSS before, peak RSS during (`VmHWM`,
//!    started over just before), RSS after, how long they took and how many were first
//!    turned away with 503.
//! 2. `--jobs` small jobs, then the latency of single pages of several kinds and sizes.
//! 3. `--paged` concurrent paged lists, name-ordered and sorted by a counter: wall time and
//!    peak RSS.
//!
//! Run `--dkron <binary>` against an older build for a before/after pair.

use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use clap::Parser;
use dkron_bench::measure::time_get;
use dkron_bench::server::Server;
use dkron_bench::usage::{peak_rss_kib, reset_peak_rss};
use futures::StreamExt;
use serde_json::{Value, json};

/// Command-line options.
#[derive(Debug, Parser)]
#[command(about = "Measure what job lists cost a dkron-rs server (issue 14)")]
struct Options {
    /// Path of the dkron binary (default: target/release/dkron next to this program).
    #[arg(long, env = "DKRON_BIN")]
    dkron: Option<std::path::PathBuf>,
    /// Big jobs for the unpaged lists.
    #[arg(long, default_value_t = 2_000)]
    big_jobs: usize,
    /// Executor command length of a big job, in bytes.
    #[arg(long, default_value_t = 15_500)]
    command_bytes: usize,
    /// Concurrent unpaged lists.
    #[arg(long, default_value_t = 40)]
    lists: usize,
    /// Small jobs for the paged lists.
    #[arg(long, default_value_t = 10_000)]
    jobs: usize,
    /// Concurrent paged lists.
    #[arg(long, default_value_t = 2_000)]
    paged: usize,
}

fn mib(kib: u64) -> f64 {
    kib as f64 / 1024.0
}

/// Creates jobs through `POST /v1/restore`, 400 at a time.
async fn restore(server: &Server, client: &reqwest::Client, jobs: &[Value]) -> anyhow::Result<()> {
    for batch in jobs.chunks(400) {
        let response = client
            .post(format!("{}/v1/restore", server.base))
            .json(&batch)
            .send()
            .await?;
        if !response.status().is_success() {
            bail!(
                "restore answered {}: {}",
                response.status(),
                response.text().await?
            );
        }
    }
    Ok(())
}

/// One list, asked again after a 503 as its `Retry-After` says; returns the jobs it held and
/// how many times it was turned away.
async fn list_until_served(client: &reqwest::Client, url: &str) -> anyhow::Result<(usize, usize)> {
    for turned_away in 0..600 {
        let response = client.get(url).send().await?;
        if response.status().as_u16() == 503 {
            let wait = response
                .headers()
                .get("retry-after")
                .and_then(|value| value.to_str().ok()?.parse().ok())
                .unwrap_or(1);
            tokio::time::sleep(Duration::from_secs(wait)).await;
            continue;
        }
        if !response.status().is_success() {
            bail!("GET {url} answered {}", response.status());
        }
        let jobs: Vec<Value> = response.json().await.context("not a complete JSON array")?;
        return Ok((jobs.len(), turned_away));
    }
    bail!("GET {url} was turned away 600 times")
}

/// Runs `count` requests for `url` at once; prints wall time, 503s and the peak RSS.
async fn concurrent(
    server: &Server,
    client: &reqwest::Client,
    label: &str,
    url: &str,
    count: usize,
) -> anyhow::Result<()> {
    reset_peak_rss(server.pid())?;
    let before = server.usage()?.rss_kib;
    let started = Instant::now();
    let answers: Vec<anyhow::Result<(usize, usize)>> = futures::stream::iter(0..count)
        .map(|_| list_until_served(client, url))
        .buffer_unordered(count)
        .collect()
        .await;
    let elapsed = started.elapsed().as_secs_f64();
    let Ok(peak) = peak_rss_kib(server.pid()) else {
        let failed = answers.iter().filter(|answer| answer.is_err()).count();
        println!(
            "{label}: {count} at once: the server process is gone after {elapsed:.1} s \
             ({failed} requests failed; RSS {:.0} MiB before)",
            mib(before)
        );
        return Ok(());
    };
    let mut sizes = std::collections::BTreeSet::new();
    let mut turned_away = 0;
    let mut failed = Vec::new();
    for answer in answers {
        match answer {
            Ok((size, refused)) => {
                sizes.insert(size);
                turned_away += refused;
            }
            Err(error) => failed.push(format!("{error:#}")),
        }
    }
    if let Some(first) = failed.first() {
        println!(
            "{label}: {} requests failed, the first: {first}",
            failed.len()
        );
    }
    tokio::time::sleep(Duration::from_secs(5)).await;
    let after = server.usage()?.rss_kib;
    println!(
        "{label}: {count} at once in {elapsed:.1} s; {turned_away} answers 503 first; \
         jobs per answer {sizes:?}; RSS {:.0} MiB before, peak {:.0} MiB, {:.0} MiB 5 s after",
        mib(before),
        mib(peak),
        mib(after)
    );
    Ok(())
}

/// Times a page a few times; prints the median and the slowest.
async fn time_page(server: &Server, client: &reqwest::Client, path: &str) -> anyhow::Result<()> {
    let times = time_get(client, &format!("{}{path}", server.base), 9).await?;
    println!(
        "  median {:>7.2} ms, slowest {:>7.2} ms — GET {path}",
        times.median_ms, times.slowest_ms
    );
    Ok(())
}

async fn big_lists(binary: &std::path::Path, options: &Options) -> anyhow::Result<()> {
    let server = Server::start_with(binary, &[]).await?;
    let client = client()?;
    let jobs: Vec<Value> = (0..options.big_jobs)
        .map(|index| {
            json!({
                "name": format!("big-{index:05}"),
                "schedule": "@manually",
                "executor": "shell",
                "executor_config": {"command": "x".repeat(options.command_bytes)},
            })
        })
        .collect();
    let bytes: usize = jobs.iter().map(|job| job.to_string().len()).sum();
    restore(&server, &client, &jobs).await?;
    println!(
        "{} big jobs, {:.1} MB of job JSON",
        options.big_jobs,
        bytes as f64 / 1e6
    );
    let url = format!("{}/v1/jobs", server.base);
    concurrent(&server, &client, "unpaged lists", &url, options.lists).await?;
    server.stop().await;
    Ok(())
}

async fn paged_lists(binary: &std::path::Path, options: &Options) -> anyhow::Result<()> {
    let server = Server::start_with(binary, &[]).await?;
    let client = client()?;
    let jobs: Vec<Value> = (0..options.jobs)
        .map(|index| {
            json!({
                "name": format!("job-{index:05}"),
                "schedule": "@manually",
                "executor": "shell",
                "executor_config": {"command": "true"},
                "metadata": {"team": format!("t{}", index % 10)},
            })
        })
        .collect();
    restore(&server, &client, &jobs).await?;
    println!("{} small jobs; single pages:", options.jobs);
    for path in [
        "/v1/jobs?_sort=name&_order=ASC&_start=0&_end=25",
        "/v1/jobs?_sort=name&_order=ASC&_start=0&_end=500",
        "/v1/jobs?_sort=name&_order=DESC&_start=5000&_end=5025",
        "/v1/jobs?_sort=success_count&_order=DESC&_start=0&_end=25",
        "/v1/jobs?_sort=next&_order=ASC&_start=0&_end=500",
        "/v1/jobs?metadata[team]=t3&_start=0&_end=25",
        "/v1/jobs?q=job-09&_start=0&_end=25",
    ] {
        time_page(&server, &client, path).await?;
    }
    for (label, path) in [
        (
            "paged lists by name",
            "/v1/jobs?_sort=name&_order=ASC&_start=0&_end=25",
        ),
        (
            "paged lists by success count",
            "/v1/jobs?_sort=success_count&_order=DESC&_start=0&_end=25",
        ),
    ] {
        let url = format!("{}{path}", server.base);
        concurrent(&server, &client, label, &url, options.paged).await?;
    }
    server.stop().await;
    Ok(())
}

fn client() -> anyhow::Result<reqwest::Client> {
    Ok(reqwest::Client::builder()
        .timeout(Duration::from_secs(600))
        .build()?)
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
    println!("list-bench against {}", binary.display());
    big_lists(&binary, &options).await?;
    paged_lists(&binary, &options).await?;
    Ok(())
}
