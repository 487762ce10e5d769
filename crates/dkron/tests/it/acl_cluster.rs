//! ACLs in a 3-server cluster: tokens and policies made through a follower hold on every
//! server, survive the leader's death, and a deleted token stops working everywhere.

use std::time::Duration;

use serde_json::{Value, json};

use crate::cluster_harness::Cluster;

const READONLY: &str = r#"{"path": {"/v1/jobs": {"capabilities": ["list", "read"]}, "/v1/jobs/*": {"capabilities": ["read"]}}}"#;

/// Status of a request to the server on `port` with `token`.
async fn status_with(
    port: u16,
    method: &str,
    path: &str,
    token: &str,
    body: &str,
) -> (u16, String) {
    let response = reqwest::Client::new()
        .request(
            reqwest::Method::from_bytes(method.as_bytes()).unwrap(),
            format!("http://127.0.0.1:{port}{path}"),
        )
        .header("x-dkron-token", token)
        .header("content-type", "application/json")
        .body(body.to_owned())
        .send()
        .await
        .unwrap();
    (response.status().as_u16(), response.text().await.unwrap())
}

/// True when every running server answers `path` for `token` with `expected`.
async fn every_server_answers(ports: Vec<u16>, path: &str, token: &str, expected: u16) -> bool {
    for port in ports {
        if status_with(port, "GET", path, token, "").await.0 != expected {
            return false;
        }
    }
    true
}

#[tokio::test]
async fn tokens_made_through_a_follower_hold_on_every_server_and_after_the_leader_dies() {
    let dir = tempfile::tempdir().unwrap();
    let mut cluster = Cluster::start_with(dir.path(), 3, &[], &["--acl-enabled"]).await;
    let manager = cluster
        .token
        .clone()
        .expect("the harness bootstrapped ACLs");
    let leader = cluster.leader_index().await.expect("a leader");
    let follower = (0..3).find(|index| *index != leader).unwrap();
    let follower_port = cluster.nodes[follower].http_port;

    tracing::info!("a policy and a read-only token through a follower");
    let policy = json!({"Name": "readonly", "Rules": READONLY}).to_string();
    let (status, body) = status_with(
        follower_port,
        "POST",
        "/v1/acl/policies/readonly",
        &manager,
        &policy,
    )
    .await;
    assert_eq!(status, 202, "{body}");
    let request = json!({"Name": "reader", "Type": "client", "Policies": ["readonly"]}).to_string();
    let (status, body) =
        status_with(follower_port, "POST", "/v1/acl/tokens", &manager, &request).await;
    assert_eq!(status, 200, "{body}");
    let created: Value = serde_json::from_str(&body).unwrap();
    let reader = created["SecretID"].as_str().unwrap().to_owned();
    let accessor = created["AccessorID"].as_str().unwrap().to_owned();
    cluster
        .wait_until(
            "every server knows the reader",
            Duration::from_secs(20),
            |c| {
                let (ports, reader) = (c.clone_handle().ports, reader.clone());
                async move { every_server_answers(ports, "/v1/jobs", &reader, 200).await }
            },
        )
        .await;

    tracing::info!("the leader dies; the others still enforce the same rules");
    let old_leader = cluster.nodes[leader].name.clone();
    cluster.nodes[leader].kill();
    cluster
        .wait_until("a new leader", Duration::from_secs(30), |c| {
            let (handle, old_leader) = (c.clone_handle(), old_leader.clone());
            async move {
                handle
                    .leader_name()
                    .await
                    .is_some_and(|name| name != old_leader)
            }
        })
        .await;
    let survivor = cluster.clone_handle().ports[0];
    let job = json!({"name": "after-failover", "schedule": "@manually", "executor": "shell",
                     "executor_config": {"command": "true"}})
    .to_string();
    let (status, body) = status_with(survivor, "POST", "/v1/jobs", &reader, &job).await;
    assert_eq!(status, 403, "{body}");
    let (status, body) = status_with(survivor, "POST", "/v1/jobs", &manager, &job).await;
    assert_eq!(status, 201, "{body}");
    cluster
        .wait_until("every server shows the job to the reader", Duration::from_secs(20), |c| {
            let (ports, reader) = (c.clone_handle().ports, reader.clone());
            async move { every_server_answers(ports, "/v1/jobs/after-failover", &reader, 200).await }
        })
        .await;

    tracing::info!("a deleted token stops working on every server");
    let path = format!("/v1/acl/tokens/{accessor}");
    let (status, body) = status_with(survivor, "DELETE", &path, &manager, "").await;
    assert_eq!(status, 200, "{body}");
    cluster
        .wait_until(
            "no server takes the deleted token",
            Duration::from_secs(20),
            |c| {
                let (ports, reader) = (c.clone_handle().ports, reader.clone());
                async move { every_server_answers(ports, "/v1/jobs", &reader, 401).await }
            },
        )
        .await;
}
