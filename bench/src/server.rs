//! The server process under test and its resource usage.

use std::net::TcpListener;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use anyhow::{Context, bail};

use crate::measure::Api;
pub use crate::usage::{Usage, usage_of};

/// A running `dkron agent --server` with its own data directory.
pub struct Server {
    child: Child,
    _data: tempfile::TempDir,
    binary: std::path::PathBuf,
    args: Vec<std::ffi::OsString>,
    /// Where the server's log goes (its stderr), in the data directory.
    pub log_path: std::path::PathBuf,
    pub base: String,
    pub client: reqwest::Client,
}

/// Returns a TCP port nothing listens on right now.
fn free_port() -> anyhow::Result<u16> {
    Ok(TcpListener::bind("127.0.0.1:0")?.local_addr()?.port())
}

impl Server {
    /// Starts the server with extra flags and waits for `/health`.
    pub async fn start_with(binary: &Path, extra_args: &[String]) -> anyhow::Result<Server> {
        let _already_installed = rustls::crypto::ring::default_provider()
            .install_default()
            .is_err();
        let data = tempfile::tempdir().context("cannot create a data directory")?;
        let port = free_port()?;
        let mut args: Vec<std::ffi::OsString> = [
            "agent",
            "--server",
            "--bootstrap-expect",
            "1",
            "--node-name",
            "bench",
        ]
        .iter()
        .map(Into::into)
        .collect();
        args.push("--data-dir".into());
        args.push(data.path().join("data").into());
        args.push(format!("--http-addr=127.0.0.1:{port}").into());
        args.push(format!("--rpc-port={}", free_port()?).into());
        args.push(format!("--bind-addr=127.0.0.1:{}", free_port()?).into());
        if !extra_args.iter().any(|arg| arg.starts_with("--log-level")) {
            args.push("--log-level=warn".into());
        }
        args.extend(extra_args.iter().map(Into::into));
        let log_path = data.path().join("server.log");
        let child = spawn(binary, &args, &log_path)?;
        let client = reqwest::Client::builder()
            .timeout(Duration::from_secs(60))
            .build()?;
        let server = Server {
            child,
            _data: data,
            binary: binary.to_path_buf(),
            args,
            log_path,
            base: format!("http://127.0.0.1:{port}"),
            client,
        };
        server.wait_healthy().await?;
        Ok(server)
    }

    /// Stops the server with SIGTERM and starts it again on the same data; returns how long
    /// the new process took to answer `/health`.
    pub async fn restart(&mut self) -> anyhow::Result<Duration> {
        self.terminate().await;
        let started = std::time::Instant::now();
        self.child = spawn(&self.binary, &self.args, &self.log_path)?;
        self.wait_healthy().await?;
        Ok(started.elapsed())
    }

    async fn wait_healthy(&self) -> anyhow::Result<()> {
        for _ in 0..3000 {
            let health = self
                .client
                .get(format!("{}/health", self.base))
                .send()
                .await;
            if health.is_ok_and(|response| response.status().is_success()) {
                return Ok(());
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        bail!("the server did not answer /health within 30 s")
    }

    /// Returns the lines of the server's log that contain `needle`.
    pub fn log_lines(&self, needle: &str) -> Vec<String> {
        std::fs::read_to_string(&self.log_path)
            .unwrap_or_default()
            .lines()
            .filter(|line| line.contains(needle))
            .map(str::to_string)
            .collect()
    }

    /// The server's process id.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Reads the server's RSS and total CPU time from /proc.
    pub fn usage(&self) -> anyhow::Result<Usage> {
        usage_of(self.child.id())
    }

    /// Returns the text of `/metrics` (the server must run with `--enable-prometheus`).
    pub async fn metrics(&self) -> anyhow::Result<String> {
        let response = self
            .client
            .get(format!("{}/metrics", self.base))
            .send()
            .await?;
        if !response.status().is_success() {
            bail!("GET /metrics answered {}", response.status());
        }
        Ok(response.text().await?)
    }

    /// Stops the server with SIGTERM.
    pub async fn stop(mut self) {
        self.terminate().await;
    }

    async fn terminate(&mut self) {
        let pid = self.child.id().to_string();
        let _status = Command::new("kill").args(["-TERM", &pid]).status();
        for _ in 0..600 {
            if matches!(self.child.try_wait(), Ok(Some(_))) {
                return;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        let _killed = self.child.kill();
        let _reaped = self.child.wait();
    }
}

/// Starts the server, its stderr appended to `log_path` (a restart keeps the earlier log).
fn spawn(binary: &Path, args: &[std::ffi::OsString], log_path: &Path) -> anyhow::Result<Child> {
    let log = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(log_path)
        .with_context(|| format!("cannot open {}", log_path.display()))?;
    Command::new(binary)
        .args(args)
        .stdin(Stdio::null())
        .stderr(log)
        .spawn()
        .with_context(|| format!("cannot start {}", binary.display()))
}

impl<'a> From<&'a Server> for Api<'a> {
    fn from(server: &'a Server) -> Api<'a> {
        Api {
            client: &server.client,
            base: &server.base,
        }
    }
}
