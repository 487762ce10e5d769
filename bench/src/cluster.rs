//! A cluster of real `dkron` processes for benchmarks: servers and agents on 127.0.0.1 with
//! free ports and temporary data directories.

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use anyhow::{Context, bail};
use serde_json::Value;

/// One node process.
pub struct Node {
    pub name: String,
    pub server: bool,
    pub base: String,
    gossip_port: u16,
    rpc_port: u16,
    http_port: u16,
    data_dir: PathBuf,
    child: Option<Child>,
}

/// Servers and agents sharing a temporary directory.
pub struct Cluster {
    pub nodes: Vec<Node>,
    pub client: reqwest::Client,
    binary: PathBuf,
    expect: usize,
    server_args: Vec<String>,
    _dir: tempfile::TempDir,
}

fn free_port() -> anyhow::Result<u16> {
    Ok(TcpListener::bind("127.0.0.1:0")?.local_addr()?.port())
}

impl Node {
    fn spawn(
        &mut self,
        binary: &Path,
        seeds: &[String],
        expect: usize,
        server_args: &[String],
    ) -> anyhow::Result<()> {
        let mut command = Command::new(binary);
        command
            .args(["agent", "--node-name", &self.name, "--log-level", "warn"])
            .arg("--data-dir")
            .arg(&self.data_dir)
            .arg("--bind-addr")
            .arg(format!("127.0.0.1:{}", self.gossip_port))
            .arg("--rpc-port")
            .arg(self.rpc_port.to_string())
            .args(["--retry-interval", "1s"])
            .stdin(Stdio::null())
            .stdout(Stdio::null());
        // DKRON_BENCH_LOG_DIR keeps each node's log (stderr) for a closer look.
        if let Some(dir) = std::env::var_os("DKRON_BENCH_LOG_DIR") {
            let path = Path::new(&dir).join(format!("{}.log", self.name));
            let log = std::fs::OpenOptions::new()
                .create(true)
                .append(true)
                .open(&path)?;
            command.stderr(log);
        }
        for seed in seeds {
            command.args(["--retry-join", seed]);
        }
        if self.server {
            command
                .args(["--server", "--bootstrap-expect", &expect.to_string()])
                .arg("--http-addr")
                .arg(format!("127.0.0.1:{}", self.http_port))
                .args(server_args);
        }
        self.child = Some(
            command
                .spawn()
                .with_context(|| format!("cannot start {}", binary.display()))?,
        );
        Ok(())
    }

    /// The process id, while running.
    pub fn pid(&self) -> Option<u32> {
        self.child.as_ref().map(Child::id)
    }

    /// Kills the process with SIGKILL.
    pub fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _killed = child.kill();
            let _reaped = child.wait();
        }
    }
}

impl Drop for Cluster {
    fn drop(&mut self) {
        for node in &mut self.nodes {
            node.kill();
        }
    }
}

impl Cluster {
    /// Starts `servers` servers and `agents` agents and waits for a leader and every member.
    /// `server_args` are added to every server's command line.
    pub async fn start(
        binary: &Path,
        servers: usize,
        agents: usize,
        server_args: &[String],
    ) -> anyhow::Result<Cluster> {
        let dir = tempfile::tempdir().context("cannot create a data directory")?;
        let mut nodes = Vec::new();
        for index in 0..servers + agents {
            let server = index < servers;
            let name = if server {
                format!("server{}", index + 1)
            } else {
                format!("agent{}", index - servers + 1)
            };
            let http_port = free_port()?;
            nodes.push(Node {
                data_dir: dir.path().join(&name),
                name,
                server,
                base: format!("http://127.0.0.1:{http_port}"),
                gossip_port: free_port()?,
                rpc_port: free_port()?,
                http_port,
                child: None,
            });
        }
        let mut cluster = Cluster {
            nodes,
            client: reqwest::Client::builder()
                .timeout(Duration::from_secs(60))
                .build()?,
            binary: binary.to_path_buf(),
            expect: servers,
            server_args: server_args.to_vec(),
            _dir: dir,
        };
        let seeds = cluster.seeds();
        for node in &mut cluster.nodes {
            node.spawn(binary, &seeds, servers, server_args)?;
        }
        for _ in 0..600 {
            if cluster.leader().await.is_some() && cluster.alive_members().await == servers + agents
            {
                return Ok(cluster);
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        bail!("the cluster did not form within 60 s")
    }

    fn seeds(&self) -> Vec<String> {
        self.nodes
            .iter()
            .filter(|node| node.server)
            .map(|node| format!("127.0.0.1:{}", node.gossip_port))
            .collect()
    }

    /// Starts a killed node again on its data directory.
    pub fn restart(&mut self, index: usize) -> anyhow::Result<()> {
        let seeds = self.seeds();
        let (binary, expect) = (self.binary.clone(), self.expect);
        let server_args = self.server_args.clone();
        self.nodes[index].spawn(&binary, &seeds, expect, &server_args)
    }

    /// Servers that are running.
    pub fn live_servers(&self) -> impl Iterator<Item = &Node> {
        self.nodes
            .iter()
            .filter(|node| node.server && node.child.is_some())
    }

    async fn get(&self, base: &str, path: &str) -> Option<Value> {
        let response = self
            .client
            .get(format!("{base}{path}"))
            .timeout(Duration::from_secs(1))
            .send()
            .await
            .ok()?;
        response.json().await.ok()
    }

    /// The index of the leader, when every running server names the same one.
    pub async fn leader(&self) -> Option<usize> {
        let mut seen: Option<String> = None;
        for node in self.live_servers() {
            let leader = self.get(&node.base, "/v1/leader").await?;
            let name = leader["Name"].as_str()?.to_string();
            if seen.as_ref().is_some_and(|seen| *seen != name) {
                return None;
            }
            seen = Some(name);
        }
        let name = seen?;
        self.nodes.iter().position(|node| node.name == name)
    }

    async fn alive_members(&self) -> usize {
        let Some(node) = self.live_servers().next() else {
            return 0;
        };
        self.get(&node.base, "/v1/members")
            .await
            .and_then(|members| {
                members
                    .as_array()
                    .map(|m| m.iter().filter(|m| m["Status"] == 1).count())
            })
            .unwrap_or(0)
    }
}
