//! Executions, busy and the ledger.

use dkron_model::{Execution, LedgerEntry, OccurrenceState, Trigger, gotime};

use crate::common::{TestApi, api, job};

fn execution(job: &str, second: u32, output: &str, success: bool) -> Execution {
    let started = gotime::parse(&format!("2025-12-20T10:00:{second:02}Z")).unwrap();
    Execution {
        id: format!("{}-node-a", started.timestamp_nanos_opt().unwrap()),
        job_name: job.into(),
        started_at: started,
        finished_at: started + chrono::Duration::milliseconds(500),
        success,
        output: output.into(),
        node_name: "node-a".into(),
        group: started.timestamp_nanos_opt().unwrap(),
        attempt: 1,
        output_truncated: None,
        killed: false,
    }
}

async fn with_history() -> TestApi {
    let api = api();
    let mut zoned = job("zoned");
    zoned.timezone = "Europe/Berlin".into();
    api.create(&zoned).await;
    api.backend
        .insert_execution(execution("zoned", 1, "first run output", true));
    api.backend
        .insert_execution(execution("zoned", 2, "second", false));
    api
}

fn ids(reply: &crate::common::Reply) -> Vec<String> {
    let list = reply.json();
    list.as_array()
        .unwrap()
        .iter()
        .map(|item| item["id"].as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test]
async fn lists_newest_first_in_utc_with_truncation_flag() {
    let api = with_history().await;
    let reply = api.get("/v1/jobs/zoned/executions").await.expect(200);
    assert_eq!(reply.header("x-total-count"), Some("2"));
    assert_eq!(
        reply.body,
        r#"[{"id":"1766224802000000000-node-a","job_name":"zoned","started_at":"2025-12-20T10:00:02Z","finished_at":"2025-12-20T10:00:02.5Z","success":false,"output":"second","node_name":"node-a","group":1766224802000000000,"attempt":1,"output_truncated":false},{"id":"1766224801000000000-node-a","job_name":"zoned","started_at":"2025-12-20T10:00:01Z","finished_at":"2025-12-20T10:00:01.5Z","success":true,"output":"first run output","node_name":"node-a","group":1766224801000000000,"attempt":1,"output_truncated":false}]"#
    );
}

#[tokio::test]
async fn sorts_orders_and_truncates() {
    let api = with_history().await;
    let reply = api
        .get("/v1/jobs/zoned/executions?_sort=started_at&_order=ASC&output_size_limit=6")
        .await
        .expect(200);
    assert_eq!(
        ids(&reply),
        ["1766224801000000000-node-a", "1766224802000000000-node-a"]
    );
    let list = reply.json();
    assert_eq!(list[0]["output"], "output");
    assert_eq!(list[0]["output_truncated"], true);
    assert_eq!(list[1]["output"], "second");
    assert_eq!(list[1]["output_truncated"], false);
    let reply = api
        .get("/v1/jobs/zoned/executions?_sort=id")
        .await
        .expect(200);
    assert_eq!(ids(&reply)[0], "1766224802000000000-node-a");
}

#[tokio::test]
async fn bad_execution_queries_get_400() {
    let api = with_history().await;
    for (query, expected) in [
        (
            "_sort=node",
            "invalid _sort \"node\": valid values are id, started_at",
        ),
        ("_order=newest", "invalid _order"),
        ("output_size_limit=big", "invalid output_size_limit"),
    ] {
        let reply = api
            .get(&format!("/v1/jobs/zoned/executions?{query}"))
            .await
            .expect(400);
        assert!(reply.body.contains(expected), "{query}: {}", reply.body);
    }
    api.get("/v1/jobs/missing/executions").await.expect(404);
}

#[tokio::test]
async fn one_execution_has_full_output_and_no_flag() {
    let api = with_history().await;
    let reply = api
        .get("/v1/jobs/zoned/executions/1766224801000000000-node-a")
        .await
        .expect(200);
    let body = reply.json();
    assert_eq!(body["output"], "first run output");
    assert!(body.get("output_truncated").is_none());
    let reply = api
        .get("/v1/jobs/zoned/executions/1-nowhere")
        .await
        .expect(404);
    assert_eq!(reply.body, "execution 1-nowhere not found");
    api.get("/v1/jobs/missing/executions/1-a").await.expect(404);
}

#[tokio::test]
async fn deleting_history_resets_counters_and_missing_job_is_404() {
    let api = with_history().await;
    let reply = api
        .call("DELETE", "/v1/jobs/zoned/executions", "")
        .await
        .expect(200);
    assert_eq!(reply.json()["success_count"], 0);
    let reply = api.get("/v1/jobs/zoned/executions").await.expect(200);
    assert_eq!(
        (reply.body.as_str(), reply.header("x-total-count")),
        ("[]", Some("0"))
    );
    let reply = api
        .call("DELETE", "/v1/jobs/missing/executions", "")
        .await
        .expect(404);
    assert_eq!(reply.body, "job missing not found");
}

#[tokio::test]
async fn busy_lists_running_executions_oldest_first() {
    let api = api();
    let mut late = execution("a", 9, "chunk", false);
    late.finished_at = gotime::zero_time();
    let mut early = execution("b", 3, "", false);
    early.finished_at = gotime::zero_time();
    api.backend.set_busy(vec![late, early]);
    let reply = api.get("/v1/busy").await.expect(200);
    assert_eq!(reply.header("x-total-count"), Some("2"));
    let list = reply.json();
    assert_eq!(list[0]["job_name"], "b");
    assert_eq!(list[1]["finished_at"], "0001-01-01T00:00:00Z");
    assert!(list[0].get("output_truncated").is_none());
    assert_eq!(api.get("/v1/busy").await.header("x-total-count"), Some("2"));
}

#[tokio::test]
async fn a_running_execution_not_recorded_yet_is_answered_from_the_running_ones() {
    let api = api();
    api.create(&job("a")).await;
    let mut running = execution("a", 9, "so far", false);
    running.finished_at = gotime::zero_time();
    let path = format!("/v1/jobs/a/executions/{}", running.id);
    api.get(&path).await.expect(404);
    api.backend.set_busy(vec![running.clone()]);
    let reply = api.get(&path).await.expect(200);
    let body = reply.json();
    assert_eq!(body["id"], running.id.as_str());
    assert_eq!(body["output"], "so far");
    assert_eq!(body["finished_at"], "0001-01-01T00:00:00Z");
    // Another job's path does not reach it.
    let other = format!("/v1/jobs/b/executions/{}", running.id);
    api.get(&other).await.expect(404);
}

fn entry(job: &str, minute: u32) -> LedgerEntry {
    let nominal = gotime::parse(&format!("2025-12-20T10:{minute:02}:00Z")).unwrap();
    LedgerEntry {
        job_name: job.into(),
        nominal_time: nominal,
        trigger: Trigger::Schedule,
        state: OccurrenceState::Succeeded,
        reason: String::new(),
        decided_at: nominal,
        runs: Vec::new(),
        range: None,
    }
}

#[tokio::test]
async fn ledger_returns_newest_first_with_a_limit() {
    let api = api();
    api.create(&job("l")).await;
    for minute in 0..5 {
        api.backend.insert_ledger_entry(entry("l", minute));
    }
    let reply = api.get("/v1/jobs/l/ledger").await.expect(200);
    assert_eq!(reply.header("x-total-count"), Some("5"));
    assert_eq!(reply.json()[0]["nominal_time"], "2025-12-20T10:04:00Z");
    assert_eq!(reply.json()[0]["state"], "succeeded");
    let reply = api.get("/v1/jobs/l/ledger?limit=2").await.expect(200);
    assert_eq!(reply.json().as_array().unwrap().len(), 2);
    for limit in ["0", "10001", "-1", "ten"] {
        let reply = api
            .get(&format!("/v1/jobs/l/ledger?limit={limit}"))
            .await
            .expect(400);
        assert!(reply.body.contains("limit"), "{limit}: {}", reply.body);
    }
    api.get("/v1/jobs/missing/ledger").await.expect(404);
}
