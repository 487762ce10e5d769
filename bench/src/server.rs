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
        let rpc_port = free_port()?;
        let gossip_port = free_port()?;
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
            .arg("--rpc-port")
            .arg(rpc_port.to_string())
            .arg("--bind-addr")
            .arg(format!("127.0.0.1:{gossip_port}"))
            .args(extra_args)
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

impl<'a> From<&'a Server> for Api<'a> {
    fn from(server: &'a Server) -> Api<'a> {
        Api {
            client: &server.client,
            base: &server.base,
        }
    }
}
