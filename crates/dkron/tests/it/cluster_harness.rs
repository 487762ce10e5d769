//! A cluster of real `dkron` processes on 127.0.0.1: servers and agents with their own ports
//! and data directories, every node joining through the servers' gossip ports.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::harness::free_port;

/// One node of a test cluster.
pub struct ClusterNode {
    pub name: String,
    pub server: bool,
    pub http_port: u16,
    pub gossip_port: u16,
    pub rpc_port: u16,
    pub data_dir: PathBuf,
    pub log_path: PathBuf,
    pub tags: Vec<String>,
    /// Further command-line arguments (servers only).
    pub extra_args: Vec<String>,
    /// Further command-line arguments of every node (certificates, say).
    pub node_args: Vec<String>,
    child: Option<Child>,
}

/// Servers and agents started from the built binary.
pub struct Cluster {
    pub nodes: Vec<ClusterNode>,
    /// With `--acl-enabled` servers: the bootstrap (management) token every request sends.
    pub token: Option<String>,
    client: reqwest::Client,
    expect: usize,
    /// `http`, or `https` for a cluster started with certificates.
    scheme: &'static str,
}

impl ClusterNode {
    fn spawn(&mut self, seeds: &[String], expect: usize) {
        let log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&self.log_path)
            .unwrap();
        let mut command = Command::new(env!("CARGO_BIN_EXE_dkron"));
        command
            .args(["agent", "--node-name", &self.name, "--profile", "local"])
            .arg("--data-dir")
            .arg(&self.data_dir)
            .arg("--bind-addr")
            .arg(format!("127.0.0.1:{}", self.gossip_port))
            .arg("--rpc-port")
            .arg(self.rpc_port.to_string())
            .args(["--retry-interval", "500ms", "--log-level", "debug"])
            .env("TZ", "UTC")
            .env(
                "RUST_LOG",
                "openraft=warn,dkron_membership=info,h2=info,hyper=info,tower=info,foca=info",
            )
            .stdout(log.try_clone().unwrap())
            .stderr(log)
            .stdin(Stdio::null());
        for seed in seeds {
            command.args(["--retry-join", seed]);
        }
        for tag in &self.tags {
            command.args(["--tag", tag]);
        }
        command.args(&self.node_args);
        if self.server {
            command
                .args(["--server", "--bootstrap-expect", &expect.to_string()])
                .arg("--http-addr")
                .arg(format!("127.0.0.1:{}", self.http_port))
                .args(&self.extra_args);
        }
        self.child = Some(command.spawn().expect("the dkron binary starts"));
    }

    /// Kills the process with SIGKILL.
    pub fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            child.kill().unwrap();
            child.wait().unwrap();
        }
    }

    /// Sends a signal (`STOP`, `CONT`, `TERM`) to the process.
    pub fn signal(&self, name: &str) {
        let child = self.child.as_ref().expect("node is running");
        Command::new("kill")
            .args([&format!("-{name}"), &child.id().to_string()])
            .status()
            .unwrap();
    }

    /// Waits up to `limit` for the process to exit by itself; returns how long it took, or
    /// `None` if it still runs (it is left running).
    pub async fn wait_exit(&mut self, limit: Duration) -> Option<Duration> {
        let started = Instant::now();
        loop {
            let child = self.child.as_mut().expect("node is running");
            if child.try_wait().unwrap().is_some() {
                self.child = None;
                return Some(started.elapsed());
            }
            if started.elapsed() > limit {
                return None;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    pub fn running(&self) -> bool {
        self.child.is_some()
    }

    pub fn log(&self) -> String {
        std::fs::read_to_string(&self.log_path).unwrap_or_default()
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
    /// Starts `servers` servers (bootstrap-expect = servers) and agents with the given tags.
    pub async fn start(dir: &Path, servers: usize, agents: &[&[&str]]) -> Cluster {
        Cluster::start_with(dir, servers, agents, &[]).await
    }

    /// Like `start`, with further command-line arguments for every server.
    pub async fn start_with(
        dir: &Path,
        servers: usize,
        agents: &[&[&str]],
        server_args: &[&str],
    ) -> Cluster {
        let _already_installed = rustls::crypto::ring::default_provider()
            .install_default()
            .is_err();
        let client = reqwest::Client::builder()
            .timeout(Duration::from_secs(10))
            .build()
            .unwrap();
        Cluster::launch(dir, servers, agents, server_args, &[], client, "http").await
    }

    /// Like `start`, with `node_args` (certificate flags) for every node, talking HTTPS to
    /// the servers through `client`.
    pub async fn start_secured(
        dir: &Path,
        servers: usize,
        agents: &[&[&str]],
        node_args: &[&str],
        client: reqwest::Client,
    ) -> Cluster {
        Cluster::launch(dir, servers, agents, &[], node_args, client, "https").await
    }

    async fn launch(
        dir: &Path,
        servers: usize,
        agents: &[&[&str]],
        server_args: &[&str],
        node_args: &[&str],
        client: reqwest::Client,
        scheme: &'static str,
    ) -> Cluster {
        let owned = |args: &[&str]| args.iter().map(|arg| arg.to_string()).collect::<Vec<_>>();
        let mut nodes = Vec::new();
        for index in 1..=servers {
            let mut node = new_node(dir, &format!("server{index}"), true, &[]);
            node.extra_args = owned(server_args);
            nodes.push(node);
        }
        for (index, tags) in agents.iter().enumerate() {
            nodes.push(new_node(dir, &format!("agent{}", index + 1), false, tags));
        }
        for node in &mut nodes {
            node.node_args = owned(node_args);
        }
        let mut cluster = Cluster {
            nodes,
            token: None,
            client,
            expect: servers,
            scheme,
        };
        let seeds = cluster.seeds();
        for node in &mut cluster.nodes {
            node.spawn(&seeds, servers);
        }
        let total = cluster.nodes.len();
        if server_args.contains(&"--acl-enabled") {
            cluster.token = Some(cluster.bootstrap_acl().await);
        }
        let deadline = Instant::now() + Duration::from_secs(60);
        while !cluster.formed(total).await {
            cluster.respawn_port_clashes();
            if Instant::now() > deadline {
                cluster.fail("every node is alive and a leader is elected");
            }
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
        cluster
    }

    /// Makes the first management token once a leader can take the write.
    async fn bootstrap_acl(&mut self) -> String {
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            for port in self.clone_handle().ports {
                // Servers still starting refuse connections; a leader not yet elected is 503.
                let url = format!("{}://127.0.0.1:{port}/v1/acl/bootstrap", self.scheme);
                let Ok(response) = self.client.post(&url).send().await else {
                    continue;
                };
                if response.status().is_success() {
                    let answer: Value = response.json().await.unwrap();
                    return answer["SecretID"].as_str().unwrap().to_string();
                }
            }
            self.respawn_port_clashes();
            if Instant::now() > deadline {
                self.fail("the ACL bootstrap succeeds");
            }
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    }

    async fn formed(&self, total: usize) -> bool {
        let handle = self.clone_handle();
        let Some(leader) = handle.leader_name().await else {
            return false;
        };
        let members = handle.get_json_any("/v1/members").await;
        let alive = members
            .as_ref()
            .and_then(Value::as_array)
            .map(|m| m.iter().filter(|m| m["Status"] == 1).count())
            .unwrap_or(0);
        !leader.is_empty() && alive == total
    }

    /// A free port can be taken by another test between choosing it and binding it: a node
    /// that exited for that reason is started again on fresh ports.
    fn respawn_port_clashes(&mut self) {
        let seeds = self.seeds();
        let expect = self.expect;
        for node in &mut self.nodes {
            let exited = node
                .child
                .as_mut()
                .is_some_and(|child| child.try_wait().ok().flatten().is_some());
            if exited && node.log().contains("Address already in use") {
                node.http_port = free_port();
                node.gossip_port = free_port();
                node.rpc_port = free_port();
                std::fs::write(&node.log_path, "").unwrap();
                node.spawn(&seeds, expect);
            }
        }
    }

    fn fail(&self, what: &str) -> ! {
        panic!("timed out waiting until {what}\n{}", self.log_tails(60));
    }

    /// The last `lines` lines of every node's log, for a failure message.
    pub fn log_tails(&self, lines: usize) -> String {
        let logs: Vec<String> = self
            .nodes
            .iter()
            .map(|node| format!("--- {} ---\n{}", node.name, tail(&node.log(), lines)))
            .collect();
        logs.join("\n")
    }

    fn seeds(&self) -> Vec<String> {
        self.nodes
            .iter()
            .filter(|node| node.server)
            .map(|node| format!("127.0.0.1:{}", node.gossip_port))
            .collect()
    }

    /// Starts a stopped node again with the same name, ports and data.
    pub fn restart(&mut self, index: usize) {
        let seeds = self.seeds();
        let expect = self.expect;
        self.nodes[index].spawn(&seeds, expect);
    }

    /// A cheap handle for closures: ports of the running servers and a client.
    pub fn clone_handle(&self) -> Handle {
        Handle {
            ports: self
                .nodes
                .iter()
                .filter(|node| node.server && node.running())
                .map(|node| node.http_port)
                .collect(),
            client: self.client.clone(),
            scheme: self.scheme,
            token: self.token.clone(),
        }
    }

    /// Polls `condition` until it holds, or fails with `what` and the logs.
    pub async fn wait_until<F, Fut>(&self, what: &str, limit: Duration, mut condition: F)
    where
        F: FnMut(&Cluster) -> Fut,
        Fut: std::future::Future<Output = bool>,
    {
        let deadline = Instant::now() + limit;
        while !condition(self).await {
            if Instant::now() > deadline {
                self.fail(what);
            }
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    }

    /// The index of the node that currently leads, as the running servers agree.
    pub async fn leader_index(&self) -> Option<usize> {
        let name = self.clone_handle().leader_name().await?;
        self.nodes.iter().position(|node| node.name == name)
    }

    /// Waits until `/v1/busy` shows a run on `node`.
    pub async fn wait_busy_on(&self, node: &str) {
        let what = format!("a run is reported busy on {node}");
        self.wait_until(&what, Duration::from_secs(20), |c| {
            let h = c.clone_handle();
            async move {
                let busy = h.get_json_any("/v1/busy").await;
                busy.is_some_and(|b| {
                    b.as_array()
                        .is_some_and(|b| b.iter().any(|e| e["node_name"] == node))
                })
            }
        })
        .await;
    }

    /// Waits until the newest ledger entry of `job` is in `state`, and returns that entry.
    pub async fn wait_latest_occurrence(&self, job: &str, state: &str) -> Value {
        let path = format!("/v1/jobs/{job}/ledger");
        let what = format!("the latest occurrence of {job} is {state}");
        self.wait_until(&what, Duration::from_secs(30), |c| {
            let h = c.clone_handle();
            let path = path.clone();
            async move {
                let ledger = h.get_json_any(&path).await;
                ledger.is_some_and(|l| l[0]["state"] == state)
            }
        })
        .await;
        self.clone_handle().get_json_any(&path).await.unwrap()[0].clone()
    }

    pub fn index_of(&self, name: &str) -> usize {
        self.nodes
            .iter()
            .position(|node| node.name == name)
            .unwrap()
    }
}

fn new_node(dir: &Path, name: &str, server: bool, tags: &[&str]) -> ClusterNode {
    ClusterNode {
        name: name.to_string(),
        server,
        http_port: free_port(),
        gossip_port: free_port(),
        rpc_port: free_port(),
        data_dir: dir.join(name),
        log_path: dir.join(format!("{name}.log")),
        tags: tags.iter().map(|tag| tag.to_string()).collect(),
        extra_args: Vec::new(),
        node_args: Vec::new(),
        child: None,
    }
}

/// A time field of a ledger entry (`nominal_time`, `decided_at`) or an execution
/// (`finished_at`).
pub fn time_field(entry: &Value, field: &str) -> chrono::DateTime<chrono::Utc> {
    entry[field]
        .as_str()
        .and_then(|text| text.parse().ok())
        .unwrap_or_else(|| panic!("a record without {field}: {entry}"))
}

fn tail(text: &str, lines: usize) -> String {
    let all: Vec<&str> = text.lines().collect();
    all[all.len().saturating_sub(lines)..].join("\n")
}

/// HTTP access to whichever servers are running.
#[derive(Clone)]
pub struct Handle {
    pub ports: Vec<u16>,
    pub client: reqwest::Client,
    /// `http` or `https`.
    pub scheme: &'static str,
    /// The ACL token sent with every request, when the servers enforce ACLs.
    pub token: Option<String>,
}

impl Handle {
    /// A request carrying the cluster's ACL token, if it has one.
    fn request(&self, method: reqwest::Method, url: &str) -> reqwest::RequestBuilder {
        let request = self.client.request(method, url);
        match &self.token {
            Some(token) => request.header("x-dkron-token", token),
            None => request,
        }
    }

    /// GET from the server on `port`; `None` unless it answers with success and JSON.
    pub async fn get_json_at(&self, port: u16, path: &str) -> Option<Value> {
        let url = format!("{}://127.0.0.1:{port}{path}", self.scheme);
        let response = self.request(reqwest::Method::GET, &url).send().await.ok()?;
        if !response.status().is_success() {
            return None;
        }
        response.json().await.ok()
    }

    /// GET from the first running server that answers.
    pub async fn get_json_any(&self, path: &str) -> Option<Value> {
        for port in &self.ports {
            let url = format!("{}://127.0.0.1:{port}{path}", self.scheme);
            if let Ok(response) = self.request(reqwest::Method::GET, &url).send().await
                && response.status().is_success()
                && let Ok(value) = response.json().await
            {
                return Some(value);
            }
        }
        None
    }

    /// The leader's name when every running server names the same one.
    pub async fn leader_name(&self) -> Option<String> {
        let mut seen = None;
        for port in &self.ports {
            let url = format!("{}://127.0.0.1:{port}/v1/leader", self.scheme);
            let response = self.request(reqwest::Method::GET, &url).send().await.ok()?;
            let value: Value = response.json().await.ok()?;
            let name = value["Name"].as_str()?.to_string();
            if seen.as_ref().is_some_and(|seen| seen != &name) {
                return None;
            }
            seen = Some(name);
        }
        seen
    }

    /// Creates a job through the server on `port`; fails the test unless it answers 201.
    pub async fn create_job(&self, port: u16, job: &Value) {
        let (status, body) = self.post(port, "/v1/jobs", &job.to_string()).await;
        assert_eq!(status, 201, "{body}");
    }

    /// POST to a given server; returns status and body.
    pub async fn post(&self, port: u16, path: &str, body: &str) -> (u16, String) {
        let url = format!("{}://127.0.0.1:{port}{path}", self.scheme);
        let response = self
            .request(reqwest::Method::POST, &url)
            .header("content-type", "application/json")
            .body(body.to_string())
            .send()
            .await
            .unwrap();
        (response.status().as_u16(), response.text().await.unwrap())
    }
}
