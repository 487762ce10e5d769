//! The cluster administration commands (`dkron leave`, `dkron raft list-peers`,
//! `dkron raft remove-peer`) run as processes against a real single-server cluster.

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, ExitStatus, Output, Stdio};
use std::time::{Duration, Instant};

/// How long one `dkron raft …` or `dkron leave` process may take.
const COMMAND_LIMIT: Duration = Duration::from_secs(30);

const NODE_NAME: &str = "admin-node";

/// A node (server or agent) started with its own gossip, RPC (and, for a server, HTTP) ports, so that its RPC
/// address is known.
struct RpcServer {
    rpc_addr: String,
    gossip_addr: String,
    home: PathBuf,
    log_path: PathBuf,
    child: Option<Child>,
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// Runs `dkron` with `args` in a clean environment whose `$HOME` is `home`.
async fn dkron(home: &Path, args: &[&str]) -> Output {
    let running = tokio::process::Command::new(env!("CARGO_BIN_EXE_dkron"))
        .args(args)
        .current_dir(home)
        .env_clear()
        .env("HOME", home)
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .stdin(Stdio::null())
        .kill_on_drop(true)
        .output();
    tokio::time::timeout(COMMAND_LIMIT, running)
        .await
        .unwrap_or_else(|_| panic!("dkron {args:?} did not finish within {COMMAND_LIMIT:?}"))
        .expect("the dkron binary runs")
}

impl RpcServer {
    /// Starts a single server (`--bootstrap-expect 1`) and waits until `dkron raft list-peers`
    /// shows it leading.
    async fn start(dir: &Path) -> RpcServer {
        let http_addr = format!("127.0.0.1:{}", free_port());
        let server_flags = [
            "--server",
            "--bootstrap-expect",
            "1",
            "--http-addr",
            &http_addr,
        ];
        let server = RpcServer::launch(dir, NODE_NAME, &server_flags);
        server
            .wait_for_answer("the server lists itself as leader", |output| {
                output.status.success() && text(&output.stdout).contains("leader")
            })
            .await;
        server
    }

    /// Starts an agent (not a server) that joins `server` and waits until its RPC port answers.
    async fn start_agent(dir: &Path, server: &RpcServer) -> RpcServer {
        let agent = RpcServer::launch(dir, "admin-agent", &["--join", &server.gossip_addr]);
        agent
            .wait_for_answer("the agent answers on its RPC port", |output| {
                !text(&output.stderr).contains("cannot reach")
            })
            .await;
        agent
    }

    /// Spawns `dkron agent` named `name`, with its own ports, its data and log under `dir`,
    /// and `role_flags` added.
    fn launch(dir: &Path, name: &str, role_flags: &[&str]) -> RpcServer {
        let gossip_addr = format!("127.0.0.1:{}", free_port());
        let rpc_port = free_port();
        let log_path = dir.join(format!("{name}.log"));
        let log = std::fs::File::create(&log_path).unwrap();
        let child = std::process::Command::new(env!("CARGO_BIN_EXE_dkron"))
            .args(["agent", "--node-name", name, "--profile", "local"])
            .arg("--data-dir")
            .arg(dir.join(name))
            .args(["--bind-addr", &gossip_addr])
            .args(["--rpc-port", &rpc_port.to_string()])
            .args(["--log-level", "debug"])
            .args(role_flags)
            .current_dir(dir)
            .env_clear()
            .env("HOME", dir)
            .env("TZ", "UTC")
            .stdin(Stdio::null())
            .stdout(log.try_clone().unwrap())
            .stderr(log)
            .spawn()
            .expect("the dkron binary starts");
        RpcServer {
            rpc_addr: format!("127.0.0.1:{rpc_port}"),
            gossip_addr,
            home: dir.to_path_buf(),
            log_path,
            child: Some(child),
        }
    }

    /// Runs `dkron raft list-peers` against the node until `ready` accepts its output.
    async fn wait_for_answer(&self, what: &str, ready: impl Fn(&Output) -> bool) {
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            let output = self.dkron(&["raft", "list-peers"]).await;
            if ready(&output) {
                return;
            }
            assert!(
                Instant::now() < deadline,
                "timed out waiting until {what}; last answer {output:?}\n\
                 --- node log ---\n{}",
                self.log()
            );
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    }

    /// Runs `dkron <args> --rpc-addr <this server>`.
    async fn dkron(&self, args: &[&str]) -> Output {
        let mut args = args.to_vec();
        args.extend(["--rpc-addr", &self.rpc_addr]);
        dkron(&self.home, &args).await
    }

    fn log(&self) -> String {
        std::fs::read_to_string(&self.log_path).unwrap_or_default()
    }

    /// Waits until the process exits by itself, or fails the test after `limit`.
    async fn wait_for_exit(&mut self, limit: Duration) -> ExitStatus {
        let child = self.child.as_mut().expect("server is running");
        let deadline = Instant::now() + limit;
        loop {
            if let Some(status) = child.try_wait().unwrap() {
                self.child = None;
                return status;
            }
            assert!(
                Instant::now() < deadline,
                "the node did not exit within {limit:?}\n--- node log ---\n{}",
                self.log()
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }
}

impl Drop for RpcServer {
    fn drop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _already_exited = child.kill().is_err();
            let _reaped = child.wait().is_ok();
        }
    }
}

#[tokio::test]
async fn raft_list_peers_shows_the_server_as_leading_voter() {
    let dir = tempfile::tempdir().unwrap();
    let server = RpcServer::start(dir.path()).await;

    tracing::info!("phase: list-peers prints Dkron's header and one line for the server");
    let output = server.dkron(&["raft", "list-peers"]).await;
    assert!(output.status.success(), "{output:?}");
    let stdout = text(&output.stdout);
    let lines: Vec<Vec<&str>> = stdout
        .lines()
        .map(|line| line.split_whitespace().collect())
        .collect();
    assert_eq!(lines.len(), 2, "{stdout}");
    assert_eq!(
        lines[0],
        ["Node", "ID", "Address", "State", "Voter"],
        "{stdout}"
    );
    let row = &lines[1];
    assert_eq!(row[0], NODE_NAME, "{stdout}");
    assert!(
        row[1].parse::<u64>().is_ok(),
        "the ID is a Raft id: {stdout}"
    );
    assert_eq!(row[2], server.rpc_addr, "{stdout}");
    assert_eq!(row[3..], ["leader", "true"], "{stdout}");
}

#[tokio::test]
async fn raft_remove_peer_refuses_unknown_ids_and_the_leader_itself() {
    let dir = tempfile::tempdir().unwrap();
    let server = RpcServer::start(dir.path()).await;

    tracing::info!("phase: an id that is not in the configuration gets Dkron's message");
    let output = server
        .dkron(&["raft", "remove-peer", "--peer-id", "nosuch"])
        .await;
    assert_eq!(output.status.code(), Some(1), "{output:?}");
    let stderr = text(&output.stderr);
    assert!(
        stderr.contains(r#"id "nosuch" was not found in the Raft configuration"#),
        "{stderr}"
    );
    assert!(output.stdout.is_empty(), "{output:?}");

    tracing::info!("phase: the request reaches the leader, which will not remove itself");
    let output = server
        .dkron(&["raft", "remove-peer", "--peer-id", NODE_NAME])
        .await;
    assert_eq!(output.status.code(), Some(1), "{output:?}");
    let stderr = text(&output.stderr);
    assert!(stderr.contains("cannot remove itself"), "{stderr}");

    tracing::info!("phase: the server is still the leading voter");
    let output = server.dkron(&["raft", "list-peers"]).await;
    assert!(output.status.success(), "{output:?}");
    let stdout = text(&output.stdout);
    assert!(
        stdout.contains(NODE_NAME) && stdout.contains("leader"),
        "{stdout}"
    );
}

#[tokio::test]
async fn leave_stops_the_server() {
    let dir = tempfile::tempdir().unwrap();
    let mut server = RpcServer::start(dir.path()).await;

    tracing::info!("phase: leave answers with Dkron's line");
    let output = server.dkron(&["leave"]).await;
    assert!(output.status.success(), "{output:?}");
    assert_eq!(text(&output.stdout), "Left the cluster successfully\n");

    tracing::info!("phase: the server process exits by itself");
    let status = server.wait_for_exit(Duration::from_secs(60)).await;
    assert!(status.success(), "{status:?}\n{}", server.log());
}

#[tokio::test]
async fn raft_commands_on_an_agent_say_it_is_not_a_server() {
    let dir = tempfile::tempdir().unwrap();
    let server = RpcServer::start(dir.path()).await;
    let mut agent = RpcServer::start_agent(dir.path(), &server).await;

    tracing::info!("phase: an agent keeps no Raft configuration to list or change");
    for args in [
        vec!["raft", "list-peers"],
        vec!["raft", "remove-peer", "--peer-id", NODE_NAME],
    ] {
        let output = agent.dkron(&args).await;
        assert_eq!(output.status.code(), Some(1), "{args:?}: {output:?}");
        let stderr = text(&output.stderr);
        assert!(
            stderr.contains(&format!("{} is not a server", agent.rpc_addr)),
            "{args:?}: {stderr}"
        );
    }

    tracing::info!("phase: but it leaves like any node");
    let output = agent.dkron(&["leave"]).await;
    assert!(output.status.success(), "{output:?}");
    assert_eq!(text(&output.stdout), "Left the cluster successfully\n");
    let status = agent.wait_for_exit(Duration::from_secs(60)).await;
    assert!(status.success(), "{status:?}\n{}", agent.log());
}

#[tokio::test]
async fn admin_commands_say_when_nothing_listens() {
    let dir = tempfile::tempdir().unwrap();
    let address = format!("127.0.0.1:{}", free_port());
    for args in [
        vec!["raft", "list-peers"],
        vec!["raft", "remove-peer", "--peer-id", "s1"],
        vec!["leave"],
    ] {
        let mut args = args;
        args.extend(["--rpc-addr", &address]);
        let output = dkron(dir.path(), &args).await;
        assert_eq!(output.status.code(), Some(1), "{args:?}: {output:?}");
        let stderr = text(&output.stderr);
        assert!(
            stderr.contains(&format!("cannot reach {address}")),
            "{args:?}: {stderr}"
        );
        assert!(output.stdout.is_empty(), "{args:?}: {output:?}");
    }
}
