//! A server that fell far behind catches up, however much was written meanwhile: the leader
//! sends it a few log entries at a time, each within what a peer accepts
//! (`limits::MAX_ENTRIES_PER_APPEND`, `limits::MAX_PEER_MESSAGE_BYTES`). Before that bound,
//! a follower that missed more than 4 MiB of log was refused the same append forever.

use std::time::Duration;

use serde_json::{Value, json};

use crate::cluster_harness::Cluster;

/// A job whose definition is about 600 KB, so a few dozen make a large log.
fn large_job(index: usize) -> Value {
    let command = format!("echo {}", "x".repeat(600 * 1024));
    json!({"name": format!("large-{index}"), "schedule": "@manually", "executor": "shell",
           "executor_config": {"command": command}})
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_server_that_missed_a_large_log_catches_up() {
    let dir = tempfile::tempdir().unwrap();
    let mut cluster = Cluster::start(dir.path(), 3, &[]).await;
    let leader = cluster.leader_index().await.expect("a leader");
    let behind = (0..3).find(|index| *index != leader).unwrap();
    tracing::info!("phase: one follower is down while 30 MB of jobs are written");
    cluster.nodes[behind].kill();
    let handle = cluster.clone_handle();
    let leader_port = cluster.nodes[leader].http_port;
    let jobs = 50;
    for index in 0..jobs {
        handle.create_job(leader_port, &large_job(index)).await;
    }
    tracing::info!("phase: back, it receives every job");
    cluster.restart(behind);
    let behind_port = cluster.nodes[behind].http_port;
    let client = reqwest::Client::new();
    cluster
        .wait_until(
            "the follower has every job",
            Duration::from_secs(60),
            |_| {
                let client = client.clone();
                async move {
                    let url = format!("http://127.0.0.1:{behind_port}/v1/jobs?_start=0&_end=1000");
                    let Ok(response) = client.get(&url).send().await else {
                        return false;
                    };
                    let count = response
                        .headers()
                        .get("x-total-count")
                        .and_then(|value| value.to_str().ok())
                        .and_then(|value| value.parse::<usize>().ok());
                    count == Some(jobs)
                }
            },
        )
        .await;
}
