//! The audit log through the router: one entry per successful write of every kind, with the
//! caller and its address; none for reads, refused writes or failed ones; secrets never
//! recorded; `GET /v1/audit` pages newest first.

use std::net::SocketAddr;

use axum::body::Body;
use axum::extract::connect_info::MockConnectInfo;
use dkron_api::BackendError;
use dkron_model::{AuditEntry, Execution, StringMap, gotime};

use crate::common::{TestApi, api, job};

const PEER: &str = "127.0.0.1:40000";

/// A test API whose requests come from `PEER`.
fn api_from_peer() -> TestApi {
    let api = api();
    let peer: SocketAddr = PEER.parse().unwrap();
    TestApi {
        router: api.router.layer(MockConnectInfo(peer)),
        backend: api.backend,
    }
}

fn running(job: &str) -> Execution {
    Execution {
        id: "1767261600000000000-node-a".into(),
        job_name: job.into(),
        started_at: gotime::parse("2026-01-01T10:00:00Z").unwrap(),
        finished_at: gotime::zero_time(),
        node_name: "node-a".into(),
        attempt: 1,
        ..Execution::default()
    }
}

fn actions(entries: &[AuditEntry]) -> Vec<(String, String)> {
    entries
        .iter()
        .map(|entry| (entry.action.clone(), entry.target.clone()))
        .collect()
}

#[tokio::test]
async fn every_kind_of_write_leaves_one_entry_with_the_caller_and_its_address() {
    let api = api_from_peer();
    let created = api.create(&job("a")).await;
    assert_eq!(created.status, 201);
    let mut changed = job("a");
    changed.schedule = "@every 5m".into();
    let body = serde_json::to_string(&changed).unwrap();
    api.call("PUT", "/v1/jobs/a", body).await.expect(201);
    api.call("POST", "/v1/jobs/a/run", Body::empty())
        .await
        .expect(202);
    api.call("POST", "/v1/jobs/a/toggle", Body::empty())
        .await
        .expect(200);
    api.backend.set_busy(vec![running("a")]);
    let kill = "/v1/jobs/a/executions/1767261600000000000-node-a/kill";
    api.call("POST", kill, Body::empty()).await.expect(202);
    api.call("DELETE", "/v1/jobs/a/executions", Body::empty())
        .await
        .expect(200);
    api.call("POST", "/v1/pause", Body::empty())
        .await
        .expect(200);
    api.call("POST", "/v1/unpause", Body::empty())
        .await
        .expect(200);
    let export = serde_json::to_string(&[job("b")]).unwrap();
    api.call("POST", "/v1/restore", export).await.expect(200);
    api.call("DELETE", "/v1/jobs/a", Body::empty())
        .await
        .expect(200);
    api.call("POST", "/v1/leave", Body::empty())
        .await
        .expect(200);

    let entries = api.backend.audit_entries();
    let expected = [
        ("job.create", "a"),
        ("job.update", "a"),
        ("job.run", "a"),
        ("job.toggle", "a"),
        ("execution.kill", "a/1767261600000000000-node-a"),
        ("executions.delete", "a"),
        ("cluster.pause", ""),
        ("cluster.unpause", ""),
        ("cluster.restore", ""),
        ("job.delete", "a"),
        ("cluster.leave", "node-a"),
    ];
    let expected: Vec<(String, String)> = expected
        .iter()
        .map(|(action, target)| (action.to_string(), target.to_string()))
        .collect();
    assert_eq!(actions(&entries), expected);
    for (index, entry) in entries.iter().enumerate() {
        assert_eq!(entry.seq, index as u64);
        assert_eq!(entry.actor, "anonymous");
        assert_eq!(entry.address, PEER);
    }
    let update = &entries[1];
    assert_eq!(update.changes.len(), 1, "{:?}", update.changes);
    assert_eq!(update.changes[0].field, "schedule");
    assert_eq!(update.changes[0].from.as_deref(), Some("\"@every 1m\""));
    assert_eq!(update.changes[0].to.as_deref(), Some("\"@every 5m\""));
    let toggle = &entries[3].changes[0];
    assert_eq!(
        (toggle.from.as_deref(), toggle.to.as_deref()),
        (Some("false"), Some("true"))
    );
    let restore = entries[8].changes[0].to.as_deref().unwrap();
    assert_eq!(restore, "success create b");
}

#[tokio::test]
async fn reads_refused_writes_and_failed_writes_leave_no_entry() {
    let api = api_from_peer();
    api.get("/v1/jobs").await.expect(200);
    api.get("/v1/audit").await.expect(200);
    api.call("OPTIONS", "/v1/jobs", Body::empty()).await;
    api.call("POST", "/v1/jobs", "{not json").await.expect(400);
    api.call("DELETE", "/v1/jobs/ghost", Body::empty())
        .await
        .expect(404);
    api.call("POST", "/v1/jobs/ghost/toggle", Body::empty())
        .await
        .expect(404);
    api.backend
        .set_write_error(Some(BackendError::Unavailable("no leader".into())));
    let body = serde_json::to_string(&job("a")).unwrap();
    api.call("POST", "/v1/jobs", body).await.expect(503);
    assert!(api.backend.audit_entries().is_empty());
}

#[tokio::test]
async fn a_write_whose_entry_cannot_be_appended_still_succeeds() {
    let api = api_from_peer();
    api.backend
        .set_audit_error(Some(BackendError::Unavailable("no leader".into())));
    api.create(&job("a")).await;
    assert_eq!(api.backend.jobs().len(), 1);
    assert!(api.backend.audit_entries().is_empty());
}

#[tokio::test]
async fn secret_values_never_reach_the_log_only_the_keys_that_changed() {
    let api = api_from_peer();
    let mut secret = job("a");
    secret.executor_config = Some(StringMap::from([
        ("command".to_owned(), "backup".to_owned()),
        ("env".to_owned(), "TOKEN=first-s3cret".to_owned()),
    ]));
    api.create(&secret).await;
    let mut rotated = secret.clone();
    rotated
        .executor_config
        .as_mut()
        .unwrap()
        .insert("env".to_owned(), "TOKEN=second-s3cret".to_owned());
    api.create(&rotated).await;
    let log = api.get("/v1/audit").await.expect(200);
    assert!(!log.body.contains("s3cret"), "{}", log.body);
    let entries = log.json();
    assert_eq!(entries[0]["action"], "job.update");
    assert_eq!(entries[0]["changes"][0]["field"], "executor_config");
    assert_eq!(entries[0]["changes"][0]["keys"], serde_json::json!(["env"]));
    assert_eq!(entries[1]["action"], "job.create");
}

#[tokio::test]
async fn the_log_is_read_newest_first_in_pages_and_filtered() {
    let api = api_from_peer();
    for name in ["a", "b", "c", "d", "e"] {
        api.create(&job(name)).await;
    }
    api.call("DELETE", "/v1/jobs/c", Body::empty())
        .await
        .expect(200);
    let page = api.get("/v1/audit?_start=1&_end=3").await.expect(200);
    assert_eq!(page.header("x-total-count"), Some("6"));
    let targets: Vec<String> = page
        .json()
        .as_array()
        .unwrap()
        .iter()
        .map(|entry| entry["target"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(targets, ["e", "d"]);
    let deletes = api.get("/v1/audit?action=job.delete").await.expect(200);
    assert_eq!(deletes.header("x-total-count"), Some("1"));
    assert_eq!(deletes.json()[0]["target"], "c");
    assert_eq!(deletes.json()[0]["address"], PEER);
    let about_b = api
        .get("/v1/audit?target=b&actor=anonymous")
        .await
        .expect(200);
    assert_eq!(about_b.header("x-total-count"), Some("1"));
    let refused = api.get("/v1/audit?_start=4&_end=2").await.expect(400);
    assert!(refused.body.contains("_end"), "{}", refused.body);
    api.get("/v1/audit?_end=100000").await.expect(400);
    api.get("/v1/audit?_start=x").await.expect(400);
}
