//! The audit log end to end: writes over HTTP to a real server leave entries, in order, with
//! the caller and its address, readable at `GET /v1/audit`; they survive a restart, a leave
//! included, and stay within `--audit-retention`.

use std::time::Duration;

use serde_json::Value;

use crate::harness::Server;

const JOB: &str = r#"{"name":"audited","schedule":"@manually","executor":"shell","executor_config":{"command":"echo hi","env":"TOKEN=e2e-s3cret"}}"#;
const CHANGED: &str = r#"{"name":"audited","schedule":"@every 1h","executor":"shell","executor_config":{"command":"echo hi","env":"TOKEN=e2e-s3cret"}}"#;

/// The log's `(action, target)` pairs, oldest first.
async fn actions(server: &Server) -> Vec<(String, String)> {
    let entries = server.get_json("/v1/audit?_end=1000").await;
    let mut pairs: Vec<(String, String)> = entries
        .as_array()
        .unwrap()
        .iter()
        .map(|entry| {
            let text = |key: &str| entry[key].as_str().unwrap().to_owned();
            (text("action"), text("target"))
        })
        .collect();
    pairs.reverse();
    pairs
}

fn pairs(expected: &[(&str, &str)]) -> Vec<(String, String)> {
    expected
        .iter()
        .map(|(action, target)| (action.to_string(), target.to_string()))
        .collect()
}

#[tokio::test]
async fn writes_are_recorded_in_order_with_caller_and_address_and_survive_restarts() {
    let dir = tempfile::tempdir().unwrap();
    let mut server = Server::start_with(dir.path(), &["--audit-retention=12"]).await;
    tracing::info!("phase: one write of each kind over HTTP");
    assert_eq!(server.send("POST", "/v1/jobs", JOB).await.0, 201);
    assert_eq!(server.send("PUT", "/v1/jobs/audited", CHANGED).await.0, 201);
    let (status, body) = server
        .send("POST", "/v1/jobs/audited/run?wait=true", "")
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        server.send("POST", "/v1/jobs/audited/toggle", "").await.0,
        200
    );
    let deleted = server
        .send("DELETE", "/v1/jobs/audited/executions", "")
        .await;
    assert_eq!(deleted.0, 200);
    assert_eq!(server.send("POST", "/v1/pause", "").await.0, 200);
    assert_eq!(server.send("POST", "/v1/unpause", "").await.0, 200);
    tracing::info!("phase: reads and refused writes leave nothing");
    server.get("/v1/jobs").await;
    assert_eq!(server.send("DELETE", "/v1/jobs/ghost", "").await.0, 404);
    assert_eq!(server.send("POST", "/v1/jobs", "{").await.0, 400);
    assert_eq!(server.send("DELETE", "/v1/jobs/audited", "").await.0, 200);

    let expected = pairs(&[
        ("job.create", "audited"),
        ("job.update", "audited"),
        ("job.run", "audited"),
        ("job.toggle", "audited"),
        ("executions.delete", "audited"),
        ("cluster.pause", ""),
        ("cluster.unpause", ""),
        ("job.delete", "audited"),
    ]);
    assert_eq!(actions(&server).await, expected);
    let (_, body) = server.get("/v1/audit").await;
    assert!(!body.contains("e2e-s3cret"), "{body}");
    let entries: Value = serde_json::from_str(&body).unwrap();
    let newest = &entries[0];
    assert_eq!(newest["actor"], "anonymous");
    assert!(
        newest["address"]
            .as_str()
            .unwrap()
            .starts_with("127.0.0.1:"),
        "{newest}"
    );
    let update = &entries[6];
    assert_eq!(update["changes"][0]["field"], "schedule");
    assert_eq!(update["changes"][0]["to"], "\"@every 1h\"");
    let seqs: Vec<u64> = entries
        .as_array()
        .unwrap()
        .iter()
        .map(|entry| entry["seq"].as_u64().unwrap())
        .collect();
    assert!(seqs.windows(2).all(|pair| pair[0] > pair[1]), "{seqs:?}");

    tracing::info!("phase: the log survives a crash and a leave");
    server.kill();
    server.spawn().await;
    assert_eq!(actions(&server).await, expected);
    let (status, _) = server.send("POST", "/v1/leave", "").await;
    assert_eq!(status, 200);
    server.terminate().await;
    server.spawn().await;
    let after_leave = actions(&server).await;
    assert_eq!(
        after_leave.last(),
        Some(&(
            "cluster.leave".to_owned(),
            after_leave.last().unwrap().1.clone()
        ))
    );
    assert_eq!(after_leave.len(), expected.len() + 1);

    tracing::info!("phase: --audit-retention=12 keeps the newest twelve");
    for round in 0..3 {
        assert_eq!(server.send("POST", "/v1/pause", "").await.0, 200, "{round}");
        assert_eq!(server.send("POST", "/v1/unpause", "").await.0, 200);
    }
    server
        .wait_until(
            "the log holds twelve entries",
            Duration::from_secs(10),
            || async {
                let (_, body) = server.get("/v1/audit").await;
                serde_json::from_str::<Value>(&body)
                    .unwrap()
                    .as_array()
                    .unwrap()
                    .len()
                    == 12
            },
        )
        .await;
    let (status, _) = server.get("/v1/audit?_start=3&_end=1").await;
    assert_eq!(status, 400);
}
