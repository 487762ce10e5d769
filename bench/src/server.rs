//! The server process under test and its resource usage.

use std::net::TcpListener;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use anyhow::{Context, bail};
use futures::StreamExt;

/// A running `dkron agent --server` with its own data directory.
pub struct Server {
    child: Child,
    _data: tempfile::TempDir,
    pub base: String,
    pub client: reqwest::Client,
}

/// CPU and memory of the server process.
pub struct Usage {
    pub rss_kib: u64,
    pub threads: u64,
    pub cpu_secs: f64,
}

impl Server {
    /// Starts the server and waits for `/health`.
    pub async fn start(binary: &Path) -> anyhow::Result<Server> {
        let _already_installed = rustls::crypto::ring::default_provider()
            .install_default()
            .is_err();
        let data = tempfile::tempdir().context("cannot create a data directory")?;
        let port = TcpListener::bind("127.0.0.1:0")?.local_addr()?.port();
        let child = Command::new(binary)
            .args([
                "agent",
                "--server",
                "--bootstrap-expect",
                "1",
                "--node-name",
                "bench",
                "--log-level",
                "warn",
            ])
            .arg("--data-dir")
            .arg(data.path().join("data"))
            .arg("--http-addr")
            .arg(format!("127.0.0.1:{port}"))
            .stdin(Stdio::null())
            .spawn()
            .with_context(|| format!("cannot start {}", binary.display()))?;
        let client = reqwest::Client::builder()
            .timeout(Duration::from_secs(60))
            .build()?;
        let server = Server {
            child,
            _data: data,
            base: format!("http://127.0.0.1:{port}"),
            client,
        };
        for _ in 0..300 {
            let health = server
                .client
                .get(format!("{}/health", server.base))
                .send()
                .await;
            if health.is_ok_and(|response| response.status().is_success()) {
                return Ok(server);
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        bail!("the server did not answer /health within 30 s")
    }

    /// Creates `count` jobs named `bench-<i>`.
    pub async fn create_jobs(
        &self,
        count: usize,
        every_secs: u64,
        command: &str,
        concurrency: usize,
        per_second: usize,
    ) -> anyhow::Result<()> {
        if per_second == 0 {
            return self
                .create_range(0..count, every_secs, command, concurrency)
                .await;
        }
        let mut next = 0;
        while next < count {
            let second = tokio::time::Instant::now();
            let end = (next + per_second).min(count);
            self.create_range(next..end, every_secs, command, concurrency)
                .await?;
            next = end;
            tokio::time::sleep_until(second + Duration::from_secs(1)).await;
        }
        Ok(())
    }

    async fn create_range(
        &self,
        range: std::ops::Range<usize>,
        every_secs: u64,
        command: &str,
        concurrency: usize,
    ) -> anyhow::Result<()> {
        let results: Vec<anyhow::Result<()>> = futures::stream::iter(range)
            .map(|index| async move {
                let body = serde_json::json!({
                    "name": format!("bench-{index}"),
                    "schedule": format!("@every {every_secs}s"),
                    "executor": "shell",
                    "executor_config": {"command": command},
                });
                let response = self
                    .client
                    .post(format!("{}/v1/jobs", self.base))
                    .json(&body)
                    .send()
                    .await?;
                if response.status().as_u16() != 201 {
                    bail!(
                        "creating job {index}: {} {}",
                        response.status(),
                        response.text().await?
                    );
                }
                Ok(())
            })
            .buffer_unordered(concurrency)
            .collect()
            .await;
        results.into_iter().collect()
    }

    /// Reads the server's RSS and total CPU time from /proc.
    pub fn usage(&self) -> anyhow::Result<Usage> {
        let pid = self.child.id();
        let status = std::fs::read_to_string(format!("/proc/{pid}/status"))?;
        let rss_kib = status
            .lines()
            .find_map(|line| line.strip_prefix("VmRSS:"))
            .and_then(|rest| rest.split_whitespace().next())
            .and_then(|kib| kib.parse().ok())
            .unwrap_or(0);
        let threads = status
            .lines()
            .find_map(|line| line.strip_prefix("Threads:"))
            .and_then(|rest| rest.trim().parse().ok())
            .unwrap_or(0);
        let stat = std::fs::read_to_string(format!("/proc/{pid}/stat"))?;
        let after_name = stat
            .rsplit_once(')')
            .map(|(_, rest)| rest)
            .unwrap_or_default();
        let fields: Vec<&str> = after_name.split_whitespace().collect();
        let ticks = |index: usize| {
            fields
                .get(index)
                .and_then(|v| v.parse::<f64>().ok())
                .unwrap_or(0.0)
        };
        // utime and stime are fields 14 and 15 of stat; after the name they are 11 and 12.
        let cpu_secs = (ticks(11) + ticks(12)) / 100.0;
        Ok(Usage {
            rss_kib,
            threads,
            cpu_secs,
        })
    }

    /// Stops the server with SIGTERM.
    pub async fn stop(mut self) {
        let pid = self.child.id().to_string();
        let _status = Command::new("kill").args(["-TERM", &pid]).status();
        for _ in 0..600 {
            if matches!(self.child.try_wait(), Ok(Some(_))) {
                return;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        let _killed = self.child.kill();
    }
}
