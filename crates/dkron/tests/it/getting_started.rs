//! Dkron's getting-started job, as a new user would create it with curl.

use std::time::Duration;

use crate::harness::Server;

const JOB: &str = r#"{"name":"job1","schedule":"@every 2s","timezone":"Europe/Berlin","owner":"Platform Team","owner_email":"platform@example.com","disabled":false,"tags":{"server":"true:1"},"metadata":{"user":"12345"},"concurrency":"allow","executor":"shell","executor_config":{"command":"echo hello from job1"}}"#;

#[tokio::test]
async fn getting_started_job_runs_and_records_output() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(dir.path()).await;

    tracing::info!("phase: create the job exactly as Dkron's docs do");
    let (status, body) = server.send("POST", "/v1/jobs", JOB).await;
    assert_eq!(status, 201, "{body}");
    let created: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(created["name"], "job1");

    let job = server.get_json("/v1/jobs/job1").await;
    assert_eq!(job["id"], "job1");
    assert_eq!(job["timezone"], "Europe/Berlin");
    assert_ne!(
        job["next"], "0001-01-01T00:00:00Z",
        "a scheduled job shows its next run"
    );

    tracing::info!("phase: it runs on its own and its output is recorded");
    server
        .wait_until(
            "job1 has two successful executions",
            Duration::from_secs(20),
            || async {
                let executions = server.get_json("/v1/jobs/job1/executions").await;
                executions
                    .as_array()
                    .unwrap()
                    .iter()
                    .filter(|e| e["success"] == true)
                    .count()
                    >= 2
            },
        )
        .await;
    let executions = server.get_json("/v1/jobs/job1/executions").await;
    let first = &executions.as_array().unwrap()[0];
    assert_eq!(first["output"], "hello from job1\n");
    assert_eq!(first["node_name"], "test-node");
    assert_eq!(first["attempt"], 1);
    let id = first["id"].as_str().unwrap();
    let one = server
        .get_json(&format!("/v1/jobs/job1/executions/{id}"))
        .await;
    assert_eq!(one["output"], "hello from job1\n");

    let job = server.get_json("/v1/jobs/job1").await;
    assert!(job["success_count"].as_i64().unwrap() >= 2);
    assert_eq!(job["status"], "success");
    assert_ne!(job["last_success"], serde_json::Value::Null);

    tracing::info!("phase: the ledger accounts for each occurrence 2 s apart");
    let ledger = server.get_json("/v1/jobs/job1/ledger").await;
    let times: Vec<chrono::DateTime<chrono::Utc>> = ledger
        .as_array()
        .unwrap()
        .iter()
        .map(|entry| entry["nominal_time"].as_str().unwrap().parse().unwrap())
        .collect();
    for pair in times.windows(2) {
        assert_eq!(pair[0] - pair[1], chrono::TimeDelta::seconds(2), "{ledger}");
    }

    tracing::info!("phase: toggle, manual run, delete");
    let (status, body) = server.send("POST", "/v1/jobs/job1/toggle", "").await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(server.get_json("/v1/jobs/job1").await["disabled"], true);
    let before = server.get_json("/v1/jobs/job1").await["success_count"]
        .as_i64()
        .unwrap();
    let (status, body) = server.send("POST", "/v1/jobs/job1/run?wait=true", "").await;
    assert!(status == 200 || status == 202, "{status} {body}");
    server
        .wait_until(
            "the manual run is recorded",
            Duration::from_secs(10),
            || async {
                server.get_json("/v1/jobs/job1").await["success_count"]
                    .as_i64()
                    .unwrap()
                    > before
            },
        )
        .await;
    let (status, _) = server.send("DELETE", "/v1/jobs/job1", "").await;
    assert_eq!(status, 200);
    let (status, _) = server.get("/v1/jobs/job1").await;
    assert_eq!(status, 404);
}

#[tokio::test]
async fn a_job_run_right_after_it_is_created_starts() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(dir.path()).await;
    // The scheduler learns of new jobs through a feed; a run asked for at once must not
    // race it and be refused as an unknown job.
    for index in 0..20 {
        let job = format!(
            r#"{{"name":"quick-{index}","schedule":"@manually","executor":"shell","executor_config":{{"command":"true"}}}}"#
        );
        let (status, body) = server.send("POST", "/v1/jobs", &job).await;
        assert_eq!(status, 201, "{body}");
        let (status, body) = server
            .send("POST", &format!("/v1/jobs/quick-{index}/run"), "")
            .await;
        assert_eq!(status, 202, "quick-{index}: {body}");
    }
}
