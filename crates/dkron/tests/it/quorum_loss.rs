//! Issue 14, failure 2: a server cut off from a quorum answers a write with a 503 and the
//! reason within the bound, stops naming a leader, and the cluster recovers once the
//! others are back. Two of three servers are SIGSTOPped: that isolates the third without
//! network namespaces.

use std::time::{Duration, Instant};

use serde_json::{Value, json};

use crate::cluster_harness::{Cluster, Handle};

/// The documented bound of an API write (`docs/operations.md`), plus room for a loaded
/// machine to schedule the request.
const ANSWER_BOUND: Duration = Duration::from_secs(8);

fn job(name: &str) -> String {
    json!({"name": name, "schedule": "@manually", "executor": "shell",
           "executor_config": {"command": "true"}})
    .to_string()
}

/// POST to one server: status, body and how long the answer took.
async fn timed_post(handle: &Handle, port: u16, path: &str, body: &str) -> (u16, String, Duration) {
    let started = Instant::now();
    let (status, body) = handle.post(port, path, body).await;
    (status, body, started.elapsed())
}

/// GET from one server: status and body, whatever the status.
async fn get(handle: &Handle, port: u16, path: &str) -> (u16, String) {
    let url = format!("http://127.0.0.1:{port}{path}");
    let response = handle.client.get(&url).send().await.unwrap();
    (response.status().as_u16(), response.text().await.unwrap())
}

/// Waits until the server on `port` answers `/v1/leader` with 404 and `reason` in the body.
async fn wait_leader_unknown(cluster: &Cluster, port: u16, reason: &str) {
    let what = format!("the server on {port} names no leader ({reason})");
    cluster
        .wait_until(&what, Duration::from_secs(15), |c| {
            let handle = c.clone_handle();
            async move {
                let (status, body) = get(&handle, port, "/v1/leader").await;
                status == 404 && body.contains(reason)
            }
        })
        .await;
}

/// Waits until every server agrees on a leader and a new job can be written.
async fn wait_recovered(cluster: &Cluster, name: &str) {
    let body = job(name);
    cluster
        .wait_until(
            "the servers agree on a leader and take a write",
            Duration::from_secs(40),
            |c| {
                let handle = c.clone_handle();
                let body = body.clone();
                async move {
                    if handle.leader_name().await.is_none() {
                        return false;
                    }
                    handle.post(handle.ports[0], "/v1/jobs", &body).await.0 == 201
                }
            },
        )
        .await;
}

/// Asserts that every server has `present` and none has `absent`: what was refused with
/// "the write was not made" never applied, even after the partition healed.
async fn assert_jobs(cluster: &Cluster, present: &str, absent: &str) {
    let handle = cluster.clone_handle();
    let what = format!("every server has applied {present}");
    cluster
        .wait_until(&what, Duration::from_secs(20), |c| {
            let handle = c.clone_handle();
            let path = format!("/v1/jobs/{present}");
            async move {
                for port in &handle.ports {
                    if get(&handle, *port, &path).await.0 != 200 {
                        return false;
                    }
                }
                true
            }
        })
        .await;
    for port in &handle.ports {
        let (status, body) = get(&handle, *port, &format!("/v1/jobs/{absent}")).await;
        assert_eq!(status, 404, "server on {port} has {absent}: {body}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_isolated_leader_refuses_writes_in_time_and_names_no_leader() {
    let dir = tempfile::tempdir().unwrap();
    let cluster = Cluster::start(dir.path(), 3, &[]).await;
    let handle = cluster.clone_handle();
    let leader = cluster.leader_index().await.unwrap();
    let port = cluster.nodes[leader].http_port;
    let followers: Vec<usize> = (0..3).filter(|index| *index != leader).collect();
    let (status, body) = handle.post(port, "/v1/jobs", &job("existing")).await;
    assert_eq!(status, 201, "{body}");

    tracing::info!("phase: both followers stopped; a write sent at once is answered in time");
    for follower in &followers {
        cluster.nodes[*follower].signal("STOP");
    }
    let (status, body, took) = timed_post(&handle, port, "/v1/jobs", &job("early")).await;
    assert_eq!(status, 503, "{body}");
    assert!(took < ANSWER_BOUND, "answered after {took:?}: {body}");

    tracing::info!("phase: the leader knows it has no quorum: no leader, writes refused");
    wait_leader_unknown(&cluster, port, "no quorum reachable").await;
    let (status, body, took) = timed_post(&handle, port, "/v1/jobs", &job("refused")).await;
    assert_eq!(status, 503, "{body}");
    assert!(body.contains("no quorum reachable"), "{body}");
    assert!(body.contains("the write was not made"), "{body}");
    assert!(took < ANSWER_BOUND, "answered after {took:?}: {body}");
    let (status, body) = get(&handle, port, "/v1/isleader").await;
    assert_eq!(status, 404, "{body}");
    let (status, body, _) = timed_post(&handle, port, "/v1/jobs/existing", "").await;
    assert_eq!(status, 503, "a manual run is refused too: {body}");

    tracing::info!("phase: the followers resume; the cluster recovers and takes writes");
    for follower in &followers {
        cluster.nodes[*follower].signal("CONT");
    }
    wait_recovered(&cluster, "after-isolated-leader").await;
    assert_jobs(&cluster, "after-isolated-leader", "refused").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_follower_cut_off_from_its_leader_refuses_writes_and_names_no_leader() {
    let dir = tempfile::tempdir().unwrap();
    let cluster = Cluster::start(dir.path(), 3, &[]).await;
    let handle = cluster.clone_handle();
    let leader = cluster.leader_index().await.unwrap();
    let survivor = (0..3).find(|index| *index != leader).unwrap();
    let other = (0..3).find(|index| *index != leader && *index != survivor);
    let port = cluster.nodes[survivor].http_port;

    tracing::info!("phase: the leader and the other follower stopped");
    cluster.nodes[leader].signal("STOP");
    cluster.nodes[other.unwrap()].signal("STOP");
    wait_leader_unknown(&cluster, port, "no leader is known").await;
    let (status, body, took) = timed_post(&handle, port, "/v1/jobs", &job("refused")).await;
    assert_eq!(status, 503, "{body}");
    assert!(body.contains("no leader is known"), "{body}");
    assert!(body.contains("the write was not made"), "{body}");
    assert!(took < ANSWER_BOUND, "answered after {took:?}: {body}");

    tracing::info!("phase: both resume; the cluster recovers and takes writes");
    cluster.nodes[leader].signal("CONT");
    cluster.nodes[other.unwrap()].signal("CONT");
    wait_recovered(&cluster, "after-silent-leader").await;
    assert_jobs(&cluster, "after-silent-leader", "refused").await;
    let members: Value = handle.get_json_any("/v1/members").await.unwrap();
    assert_eq!(members.as_array().unwrap().len(), 3, "{members}");
}
