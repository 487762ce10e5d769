//! Pause stops scheduling on the whole cluster and survives restarts; unpause resumes it.

use std::time::Duration;

use serde_json::Value;

use crate::harness::Server;

const TICKER: &str = r#"{"name":"ticker","schedule":"@every 1s","executor":"shell","executor_config":{"command":"true"}}"#;

async fn execution_count(server: &Server) -> usize {
    let executions = server.get_json("/v1/jobs/ticker/executions").await;
    executions.as_array().unwrap().len()
}

async fn latest_occurrence(server: &Server) -> Value {
    server.get_json("/v1/jobs/ticker/ledger?limit=1").await[0].clone()
}

#[tokio::test]
async fn pause_skips_scheduled_runs_until_unpaused_even_across_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    let mut server = Server::start(dir.path()).await;
    assert_eq!(server.send("POST", "/v1/jobs", TICKER).await.0, 201);
    server
        .wait_until("ticker ran", Duration::from_secs(20), || async {
            execution_count(&server).await >= 1
        })
        .await;

    let (status, body) = server.send("POST", "/v1/pause", "").await;
    assert_eq!((status, body.as_str()), (200, r#"{"paused":true}"#));
    server
        .wait_until(
            "occurrences are skipped as paused",
            Duration::from_secs(20),
            || async {
                let entry = latest_occurrence(&server).await;
                entry["state"] == "skipped"
                    && entry["reason"].as_str().unwrap().starts_with("paused")
            },
        )
        .await;
    let (status, _) = server.send("POST", "/v1/jobs", TICKER).await;
    assert_eq!(status, 503, "submissions are refused while paused");

    // The flag is replicated state: a restart keeps it.
    server.kill();
    server.spawn().await;
    assert_eq!(server.get("/v1/pause").await.1, r#"{"paused":true}"#);
    let executions_while_paused = execution_count(&server).await;
    server
        .wait_until(
            "a new occurrence is skipped after the restart",
            Duration::from_secs(20),
            || async {
                let entry = latest_occurrence(&server).await;
                entry["state"] == "skipped"
                    && chrono::DateTime::parse_from_rfc3339(entry["decided_at"].as_str().unwrap())
                        .is_ok_and(|at| at > chrono::Utc::now() - chrono::TimeDelta::seconds(2))
            },
        )
        .await;
    // A manual run is explicit and still runs.
    assert_eq!(
        server
            .send("POST", "/v1/jobs/ticker/run?wait=true", "")
            .await
            .0,
        200
    );
    assert_eq!(execution_count(&server).await, executions_while_paused + 1);

    assert_eq!(
        server.send("POST", "/v1/unpause", "").await.1,
        r#"{"paused":false}"#
    );
    server
        .wait_until("scheduled runs resume", Duration::from_secs(20), || async {
            execution_count(&server).await >= executions_while_paused + 3
        })
        .await;
}
