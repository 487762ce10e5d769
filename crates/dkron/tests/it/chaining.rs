//! Job chaining against the real binary: children run after their parents succeed, a job
//! with several parents waits for all of them, loops are refused.

use std::time::Duration;

use serde_json::{Value, json};

use crate::harness::Server;

fn shell_job(name: &str, command: &str, extra: Value) -> String {
    let mut job = json!({"name": name, "schedule": "@manually", "executor": "shell",
                         "executor_config": {"command": command}});
    if let (Some(job), Some(extra)) = (job.as_object_mut(), extra.as_object()) {
        job.extend(extra.clone());
    }
    job.to_string()
}

async fn create(server: &Server, body: &str) {
    let (status, reply) = server.send("POST", "/v1/jobs", body).await;
    assert_eq!(status, 201, "{reply}");
}

async fn run_and_wait(server: &Server, job: &str) {
    let (status, reply) = server
        .send("POST", &format!("/v1/jobs/{job}/run?wait=true"), "")
        .await;
    assert_eq!(status, 200, "{reply}");
}

async fn ledger(server: &Server, job: &str) -> Vec<Value> {
    server
        .get_json(&format!("/v1/jobs/{job}/ledger"))
        .await
        .as_array()
        .unwrap()
        .clone()
}

async fn wait_for_ledger(server: &Server, job: &str, entries: usize) -> Vec<Value> {
    server
        .wait_until(
            &format!("{job} has {entries} finished occurrence(s)"),
            Duration::from_secs(20),
            || async {
                let list = ledger(server, job).await;
                list.len() >= entries && list.iter().all(|entry| entry["state"] != "launched")
            },
        )
        .await;
    ledger(server, job).await
}

#[tokio::test]
async fn children_follow_successful_parents_and_joins_wait_for_every_parent() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(dir.path()).await;
    create(&server, &shell_job("extract", "true", json!({}))).await;
    create(&server, &shell_job("broken", "false", json!({}))).await;
    create(
        &server,
        &shell_job("load", "echo loaded", json!({"parent_job": "extract"})),
    )
    .await;
    create(
        &server,
        &shell_job("after-broken", "true", json!({"parent_job": "broken"})),
    )
    .await;
    create(
        &server,
        &shell_job(
            "off",
            "true",
            json!({"parent_job": "extract", "disabled": true}),
        ),
    )
    .await;
    create(
        &server,
        &shell_job(
            "report",
            "echo joined",
            json!({"parent_jobs": ["extract", "broken"]}),
        ),
    )
    .await;
    let extract = server.get_json("/v1/jobs/extract").await;
    let mut children: Vec<&str> = extract["dependent_jobs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|name| name.as_str().unwrap())
        .collect();
    children.sort_unstable();
    assert_eq!(children, ["load", "off", "report"]);

    tracing::info!("phase: a successful parent run triggers its children");
    run_and_wait(&server, "extract").await;
    let load = wait_for_ledger(&server, "load", 1).await;
    assert_eq!(load[0]["trigger"], "parent", "{load:?}");
    assert_eq!(load[0]["state"], "succeeded", "{load:?}");
    let off = wait_for_ledger(&server, "off", 1).await;
    assert_eq!(
        (off[0]["state"].as_str(), off[0]["reason"].as_str()),
        (Some("skipped"), Some("disabled"))
    );

    tracing::info!("phase: a failed parent triggers nothing; the join still waits for it");
    run_and_wait(&server, "broken").await;
    assert!(ledger(&server, "after-broken").await.is_empty());
    assert!(ledger(&server, "report").await.is_empty());

    tracing::info!("phase: once every parent succeeded, the join runs once");
    let (status, _) = server
        .send("POST", "/v1/jobs", &shell_job("broken", "true", json!({})))
        .await;
    assert_eq!(status, 201);
    run_and_wait(&server, "broken").await;
    let report = wait_for_ledger(&server, "report", 1).await;
    assert_eq!(report.len(), 1, "{report:?}");
    assert_eq!(report[0]["state"], "succeeded");
    let executions = server.get_json("/v1/jobs/report/executions").await;
    assert_eq!(executions[0]["output"], "joined\n");
    // Each child ran once per successful parent run only: the failed run of `broken`
    // triggered nothing.
    assert_eq!(ledger(&server, "load").await.len(), 1);
    assert_eq!(wait_for_ledger(&server, "after-broken", 1).await.len(), 1);
}

#[tokio::test]
async fn loops_through_several_parents_are_refused_and_change_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(dir.path()).await;
    create(&server, &shell_job("a", "true", json!({}))).await;
    create(&server, &shell_job("b", "true", json!({"parent_job": "a"}))).await;
    create(
        &server,
        &shell_job("c", "true", json!({"parent_jobs": ["b"]})),
    )
    .await;
    let before = server.get_json("/v1/jobs/a").await;

    let response = reqwest::Client::new()
        .post(server.url("/v1/jobs"))
        .body(shell_job("a", "true", json!({"parent_jobs": ["c"]})))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 409);
    assert_eq!(response.headers()["x-error-field"], "parent_job");
    let message = response.text().await.unwrap();
    assert!(message.contains("a -> c -> b -> a"), "{message}");
    assert_eq!(server.get_json("/v1/jobs/a").await, before);

    let (status, message) = server.send("DELETE", "/v1/jobs/b", "").await;
    assert_eq!(status, 409, "b still has a child: {message}");
}
