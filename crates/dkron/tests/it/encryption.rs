//! Gossip encryption end to end: a node with the cluster's key joins, a node with another key
//! cannot.

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use crate::harness::{Server, free_port};

const CLUSTER_KEY: &str = "AAECAwQFBgcICQoLDA0ODw==";
const OTHER_KEY: &str = "DwAOAQ0CDAMLBAoFCQYIBw==";

fn agent_command(dir: &std::path::Path, name: &str, key: &str, seed: u16) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_dkron"));
    command
        .args([
            "agent",
            "--node-name",
            name,
            "--encrypt",
            key,
            "--profile",
            "local",
        ])
        .arg("--data-dir")
        .arg(dir.join(name))
        .arg("--bind-addr")
        .arg(format!("127.0.0.1:{}", free_port()))
        .arg("--rpc-port")
        .arg(free_port().to_string())
        .args(["--retry-join", &format!("127.0.0.1:{seed}")])
        .stdin(Stdio::null());
    command
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn only_nodes_with_the_clusters_key_can_join() {
    let dir = tempfile::tempdir().unwrap();
    let mut server = Server::start_with(dir.path(), &["--encrypt", CLUSTER_KEY]).await;
    let agent_info = server.get_json("/v1").await;
    assert_eq!(agent_info["serf"]["encrypted"], "true", "{agent_info}");

    tracing::info!("phase: an agent with another key gives up joining");
    let log_path = dir.path().join("stranger.log");
    let log = std::fs::File::create(&log_path).unwrap();
    let mut stranger = agent_command(dir.path(), "stranger", OTHER_KEY, server.gossip_port)
        .args(["--retry-max", "1"])
        .stdout(Stdio::null())
        .stderr(log)
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(30);
    let status = loop {
        if let Some(status) = stranger.try_wait().unwrap() {
            break status;
        }
        if Instant::now() > deadline {
            stranger.kill().unwrap();
            panic!("the agent with another key joined and kept running");
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    let stderr = std::fs::read_to_string(&log_path).unwrap();
    assert_eq!(status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("could not join the cluster"), "{stderr}");

    tracing::info!("phase: an agent with the cluster's key joins and is listed alive");
    let mut friend = agent_command(dir.path(), "friend", CLUSTER_KEY, server.gossip_port)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let members = server.get_json("/v1/members").await;
        let names: Vec<&str> = members
            .as_array()
            .unwrap()
            .iter()
            .filter(|m| m["Status"] == 1)
            .map(|m| m["Name"].as_str().unwrap())
            .collect();
        assert!(!names.contains(&"stranger"), "{members}");
        if names.contains(&"friend") {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "the agent never joined: {members}"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    friend.kill().unwrap();
    friend.wait().unwrap();
    assert!(server.terminate().await.success());
}
