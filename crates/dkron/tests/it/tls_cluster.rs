//! A cluster with certificates on every port (issue 13): three servers and an agent talk
//! HTTPS and mutual TLS, run jobs on the agent across a leader's death, and an agent whose
//! certificate comes from another CA is given no order it can receive.

use std::process::{Command, Stdio};
use std::time::Duration;

use serde_json::{Value, json};

use crate::cluster_harness::{Cluster, Handle};
use crate::harness::free_port;
use crate::transport::{agent_flags, make_certificates};

/// Returns the successful executions of `job` on `node`.
async fn successes_on(handle: &Handle, job: &str, node: &str) -> usize {
    let executions = handle
        .get_json_any(&format!("/v1/jobs/{job}/executions"))
        .await
        .unwrap_or(Value::Null);
    executions.as_array().map_or(0, |all| {
        all.iter()
            .filter(|e| e["node_name"] == node && e["success"] == true)
            .count()
    })
}

/// Asks for a run of `job` (again while a new leader's scheduler starts) and waits until
/// `node` has `count` successful runs of it.
async fn run_and_wait_for(cluster: &Cluster, job: &str, node: &str, count: usize) {
    let path = format!("/v1/jobs/{job}");
    cluster
        .wait_until("a run is accepted", Duration::from_secs(30), |c| {
            let handle = c.clone_handle();
            let path = path.clone();
            async move { handle.post(handle.ports[0], &path, "").await.0 == 202 }
        })
        .await;
    let what = format!("{count} successful runs of {job} on {node}");
    cluster
        .wait_until(&what, Duration::from_secs(30), |c| {
            let handle = c.clone_handle();
            let (job, node) = (job.to_string(), node.to_string());
            async move { successes_on(&handle, &job, &node).await >= count }
        })
        .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_tls_cluster_runs_jobs_across_a_failover_and_a_node_of_another_ca_gets_no_orders() {
    let dir = tempfile::tempdir().unwrap();
    let tls = make_certificates(dir.path(), "ca");
    let client = dkron::credential::http_client(&tls, Duration::from_secs(10)).unwrap();
    let flags = agent_flags(&tls);
    let flags: Vec<&str> = flags.iter().map(String::as_str).collect();
    let mut cluster =
        Cluster::start_secured(dir.path(), 3, &[&["pool=workers"]], &flags, client).await;
    let handle = cluster.clone_handle();
    for node in &cluster.nodes {
        assert!(
            !node.log().contains("node rpc is NOT authenticated"),
            "{}",
            node.name
        );
    }

    tracing::info!("phase: a job runs on the agent over mutual TLS");
    let job = json!({"name": "on-agent", "schedule": "@manually", "executor": "shell",
                     "executor_config": {"command": "echo hello"}, "tags": {"pool": "workers"}});
    handle.create_job(handle.ports[0], &job).await;
    run_and_wait_for(&cluster, "on-agent", "agent1", 1).await;

    tracing::info!("phase: the leader dies; a new one is elected and runs go on");
    let leader = cluster.leader_index().await.expect("a leader");
    cluster.nodes[leader].kill();
    let killed = cluster.nodes[leader].name.clone();
    cluster
        .wait_until("another server leads", Duration::from_secs(30), |c| {
            let handle = c.clone_handle();
            let killed = killed.clone();
            async move {
                handle
                    .leader_name()
                    .await
                    .is_some_and(|name| name != killed)
            }
        })
        .await;
    run_and_wait_for(&cluster, "on-agent", "agent1", 2).await;

    tracing::info!("phase: an agent with a certificate of another CA receives no order");
    let other = make_certificates(dir.path(), "other");
    let marker = dir.path().join("stranger-ran");
    let stranger_log = std::fs::File::create(dir.path().join("stranger.log")).unwrap();
    let seed = format!("127.0.0.1:{}", cluster.nodes[(leader + 1) % 3].gossip_port);
    let mut stranger = Command::new(env!("CARGO_BIN_EXE_dkron"))
        .args([
            "agent",
            "--node-name",
            "stranger",
            "--profile",
            "local",
            "--tag",
            "pool=strangers",
        ])
        .args(["--bind-addr", &format!("127.0.0.1:{}", free_port())])
        .args([
            "--rpc-port",
            &free_port().to_string(),
            "--retry-join",
            &seed,
        ])
        .arg("--data-dir")
        .arg(dir.path().join("stranger"))
        .args(agent_flags(&other))
        .stdout(Stdio::null())
        .stderr(stranger_log)
        .stdin(Stdio::null())
        .spawn()
        .unwrap();
    let lure = json!({"name": "to-stranger", "schedule": "@manually", "executor": "shell",
                      "executor_config": {"command": format!("touch {}", marker.display())},
                      "tags": {"pool": "strangers"}});
    let handle = cluster.clone_handle();
    handle.create_job(handle.ports[0], &lure).await;
    cluster
        .wait_until(
            "the stranger is a gossip member",
            Duration::from_secs(30),
            |c| {
                let handle = c.clone_handle();
                async move {
                    let members = handle.get_json_any("/v1/members").await;
                    members.is_some_and(|m| {
                        m.as_array().is_some_and(|all| {
                            all.iter()
                                .any(|m| m["Name"] == "stranger" && m["Status"] == 1)
                        })
                    })
                }
            },
        )
        .await;
    // Every server's gossip view must list the stranger before the leader picks it.
    cluster
        .wait_until(
            "a run for the stranger is launched",
            Duration::from_secs(30),
            |c| {
                let handle = c.clone_handle();
                async move {
                    handle
                        .post(handle.ports[0], "/v1/jobs/to-stranger", "")
                        .await
                        .0
                        == 202
                }
            },
        )
        .await;
    cluster
        .wait_latest_occurrence("to-stranger", "failed")
        .await;
    let executions = handle
        .get_json_any("/v1/jobs/to-stranger/executions")
        .await
        .unwrap();
    let output = executions[0]["output"].as_str().unwrap_or_default();
    assert!(
        output.contains("could not be delivered to node stranger"),
        "{executions}"
    );
    tokio::time::sleep(Duration::from_secs(2)).await;
    assert!(
        std::fs::symlink_metadata(&marker).is_err(),
        "the stranger never ran an order"
    );
    stranger.kill().unwrap();
    stranger.wait().unwrap();
}
