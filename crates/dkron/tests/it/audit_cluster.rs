//! The audit log in a three-server cluster: a write through any server is recorded once in
//! the replicated log, every server lists the same entries, and numbering goes on past a
//! leader's death.

use std::time::Duration;

use serde_json::{Value, json};

use crate::cluster_harness::{Cluster, Handle};

/// `(seq, action, target)` of every entry one server lists, oldest first.
async fn log_on(handle: &Handle, port: u16) -> Vec<(u64, String, String)> {
    let url = format!("http://127.0.0.1:{port}/v1/audit?_end=1000");
    let Ok(response) = handle.client.get(&url).send().await else {
        return Vec::new();
    };
    let entries: Value = response.json().await.unwrap_or(Value::Null);
    let mut listed: Vec<(u64, String, String)> = entries
        .as_array()
        .map(|entries| {
            entries
                .iter()
                .map(|entry| {
                    let text = |key: &str| entry[key].as_str().unwrap_or_default().to_owned();
                    (
                        entry["seq"].as_u64().unwrap_or(0),
                        text("action"),
                        text("target"),
                    )
                })
                .collect()
        })
        .unwrap_or_default();
    listed.reverse();
    listed
}

/// Waits until every running server lists exactly `wanted` (actions and targets, in order)
/// with the same sequence numbers; returns those numbers.
async fn wait_everywhere(cluster: &Cluster, wanted: &[(&str, &str)]) -> Vec<u64> {
    let what = format!("every server lists {wanted:?}");
    cluster
        .wait_until(&what, Duration::from_secs(20), |cluster| {
            let handle = cluster.clone_handle();
            async move {
                let mut logs = Vec::new();
                for port in &handle.ports {
                    logs.push(log_on(&handle, *port).await);
                }
                logs.iter().all(|log| {
                    let pairs: Vec<(&str, &str)> = log
                        .iter()
                        .map(|(_, action, target)| (action.as_str(), target.as_str()))
                        .collect();
                    pairs == wanted && *log == logs[0]
                })
            }
        })
        .await;
    let handle = cluster.clone_handle();
    log_on(&handle, handle.ports[0])
        .await
        .into_iter()
        .map(|(seq, _, _)| seq)
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn writes_through_any_server_are_recorded_once_and_listed_by_every_server() {
    let dir = tempfile::tempdir().unwrap();
    let mut cluster = Cluster::start(dir.path(), 3, &[]).await;
    let leader = cluster.leader_index().await.unwrap();
    let followers: Vec<usize> = (0..3).filter(|index| *index != leader).collect();
    let handle = cluster.clone_handle();

    tracing::info!("phase: a write through a follower and one through the leader");
    let job = json!({"name": "everywhere", "schedule": "@manually", "executor": "shell",
        "executor_config": {"command": "true"}});
    handle
        .create_job(cluster.nodes[followers[0]].http_port, &job)
        .await;
    let (status, body) = handle
        .post(
            cluster.nodes[leader].http_port,
            "/v1/jobs/everywhere/toggle",
            "",
        )
        .await;
    assert_eq!(status, 200, "{body}");
    let seqs = wait_everywhere(
        &cluster,
        &[("job.create", "everywhere"), ("job.toggle", "everywhere")],
    )
    .await;
    assert!(seqs[0] < seqs[1], "{seqs:?}");

    tracing::info!("phase: the leader dies; a write through a survivor is numbered after");
    cluster.nodes[leader].kill();
    let survivor = cluster.nodes[followers[1]].http_port;
    cluster
        .wait_until(
            "a new leader takes writes",
            Duration::from_secs(30),
            |cluster| {
                let handle = cluster.clone_handle();
                async move {
                    let (status, _) = handle.post(survivor, "/v1/pause", "").await;
                    status == 200
                }
            },
        )
        .await;
    let after = wait_everywhere(
        &cluster,
        &[
            ("job.create", "everywhere"),
            ("job.toggle", "everywhere"),
            ("cluster.pause", ""),
        ],
    )
    .await;
    assert_eq!(after[..2], seqs[..]);
    assert!(after[2] > seqs[1], "{after:?}");
}
