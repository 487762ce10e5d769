//! A graceful stop lets running jobs finish and records their results.

use std::time::Duration;

use crate::harness::Server;

const SLOW: &str = r#"{"name":"slow","schedule":"@manually","executor":"shell","executor_config":{"command":"sleep 2; echo finished","shell":"true"}}"#;

#[tokio::test]
async fn sigterm_waits_for_running_jobs_and_records_them() {
    let dir = tempfile::tempdir().unwrap();
    let mut server = Server::start(dir.path()).await;
    assert_eq!(server.send("POST", "/v1/jobs", SLOW).await.0, 201);
    let (status, body) = server.send("POST", "/v1/jobs/slow/run", "").await;
    assert_eq!(status, 202, "{body}");
    server
        .wait_until(
            "the manual run is running",
            Duration::from_secs(10),
            || async {
                let busy = server.get_json("/v1/busy").await;
                busy.as_array()
                    .unwrap()
                    .iter()
                    .any(|e| e["job_name"] == "slow")
            },
        )
        .await;

    tracing::info!("phase: SIGTERM while the job runs; the server waits for it");
    assert!(server.terminate().await.success(), "{}", server.log());
    assert!(
        server.log().contains("waiting for running jobs"),
        "{}",
        server.log()
    );

    tracing::info!("phase: after a restart the run is recorded as a success, not lost");
    server.spawn().await;
    let executions = server.get_json("/v1/jobs/slow/executions").await;
    let runs = executions.as_array().unwrap();
    assert_eq!(runs.len(), 1, "{executions}");
    assert_eq!(runs[0]["success"], true, "{executions}");
    assert_eq!(runs[0]["output"], "finished\n");
    let ledger = server.get_json("/v1/jobs/slow/ledger").await;
    assert_eq!(ledger[0]["trigger"], "manual");
    assert_eq!(ledger[0]["state"], "succeeded");
}
