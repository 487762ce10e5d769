//! Retries against the real binary: failed attempts run again on the same node after their
//! backoff, and a success on a retry makes the job a success.

use chrono::{DateTime, Utc};
use serde_json::{Value, json};

use crate::harness::Server;

fn time(value: &Value) -> DateTime<Utc> {
    value.as_str().unwrap().parse().unwrap()
}

#[tokio::test]
async fn a_run_that_succeeds_on_its_third_attempt_is_a_success() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(dir.path()).await;
    let counter = dir.path().join("attempts");
    let command = format!(
        "n=$(cat {0} 2>/dev/null || echo 0); n=$((n+1)); echo $n > {0}; echo attempt-$n; [ $n -ge 3 ]",
        counter.display()
    );
    let job = json!({"name": "flaky", "schedule": "@manually", "executor": "shell",
                     "retries": 3, "retry_backoff": "1s",
                     "executor_config": {"shell": "true", "command": command}});
    let (status, body) = server.send("POST", "/v1/jobs", &job.to_string()).await;
    assert_eq!(status, 201, "{body}");
    let (status, body) = server
        .send("POST", "/v1/jobs/flaky/run?wait=true", "")
        .await;
    assert_eq!(status, 200, "{body}");

    let mut executions = server
        .get_json("/v1/jobs/flaky/executions")
        .await
        .as_array()
        .unwrap()
        .clone();
    executions.sort_by_key(|execution| execution["attempt"].as_u64());
    let attempts: Vec<(u64, bool, &str)> = executions
        .iter()
        .map(|e| {
            (
                e["attempt"].as_u64().unwrap(),
                e["success"].as_bool().unwrap(),
                e["output"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        attempts,
        [
            (1, false, "exit status 1\nattempt-1\n"),
            (2, false, "exit status 1\nattempt-2\n"),
            (3, true, "attempt-3\n")
        ]
    );
    let group = &executions[0]["group"];
    assert!(
        executions.iter().all(|e| &e["group"] == group),
        "one occurrence"
    );
    assert!(executions.iter().all(|e| e["node_name"] == "test-node"));
    // Backoff: 1 s before the second attempt, 2 s before the third (lower bounds only).
    let gap = |a: usize, b: usize| {
        time(&executions[b]["started_at"]) - time(&executions[a]["finished_at"])
    };
    assert!(
        gap(0, 1) >= chrono::TimeDelta::seconds(1),
        "{:?}",
        gap(0, 1)
    );
    assert!(
        gap(1, 2) >= chrono::TimeDelta::seconds(2),
        "{:?}",
        gap(1, 2)
    );

    let stored = server.get_json("/v1/jobs/flaky").await;
    assert_eq!(
        stored["status"], "success",
        "Dkron would say partially_failed"
    );
    let ledger = server.get_json("/v1/jobs/flaky/ledger").await;
    assert_eq!(ledger.as_array().unwrap().len(), 1);
    assert_eq!(ledger[0]["state"], "succeeded");
    assert_eq!(ledger[0]["runs"][0]["attempt"], 3);
}

#[tokio::test]
async fn a_bad_retry_backoff_is_refused_at_its_field() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(dir.path()).await;
    let job = json!({"name": "flaky", "schedule": "@daily", "retries": 1, "retry_backoff": "soon"});
    let response = reqwest::Client::new()
        .post(server.url("/v1/jobs"))
        .body(job.to_string())
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 400);
    assert_eq!(response.headers()["x-error-field"], "retry_backoff");
    let message = response.text().await.unwrap();
    assert!(message.contains("invalid retry_backoff"), "{message}");
    assert_eq!(server.get("/v1/jobs/flaky").await.0, 404);
}
