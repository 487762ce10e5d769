//! History retention against the real binary: by age (server-wide or per job) and by count
//! per job.

use std::time::Duration;

use chrono::{DateTime, TimeDelta, Utc};
use serde_json::Value;

use crate::harness::Server;

async fn oldest_nominal(server: &Server, job: &str) -> Option<DateTime<Utc>> {
    let ledger = server
        .get_json(&format!("/v1/jobs/{job}/ledger?limit=10000"))
        .await;
    ledger
        .as_array()?
        .iter()
        .filter_map(|entry| entry["nominal_time"].as_str()?.parse().ok())
        .min()
}

async fn executions(server: &Server, job: &str) -> Vec<Value> {
    server
        .get_json(&format!("/v1/jobs/{job}/executions"))
        .await
        .as_array()
        .unwrap()
        .clone()
}

#[tokio::test]
async fn old_history_is_deleted_by_age_and_a_job_keeps_its_own_count() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start_with(dir.path(), &["--history-max-age=4s"]).await;
    let aged = r#"{"name":"aged","schedule":"@every 1s","executor":"shell","executor_config":{"command":"true"}}"#;
    let counted = r#"{"name":"counted","schedule":"@every 1s","execution_retention":3,"history_max_age":"1h","executor":"shell","executor_config":{"command":"true"}}"#;
    for job in [aged, counted] {
        let (status, body) = server.send("POST", "/v1/jobs", job).await;
        assert_eq!(status, 201, "{body}");
    }
    let created = Utc::now();
    server
        .wait_until(
            "history older than 4 s is pruned",
            Duration::from_secs(60),
            || async {
                let oldest = oldest_nominal(&server, "aged").await;
                // Pruning runs every 15 s: wait for a pass after the job is older than its limit.
                Utc::now() - created > TimeDelta::seconds(8)
                    && oldest.is_some_and(|oldest| oldest > created + TimeDelta::seconds(2))
            },
        )
        .await;
    let aged_runs = executions(&server, "aged").await;
    assert!(!aged_runs.is_empty(), "recent history stays");
    let counted_runs = executions(&server, "counted").await;
    assert_eq!(
        counted_runs.len(),
        3,
        "the job's own count: {counted_runs:?}"
    );
    let counted_oldest = oldest_nominal(&server, "counted").await.unwrap();
    assert!(
        counted_oldest <= created + TimeDelta::seconds(2),
        "the job's own age limit (1 h) keeps its ledger"
    );
}
