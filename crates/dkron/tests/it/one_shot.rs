//! One-shot and short-lived jobs against the real binary: `@at` times already past follow
//! the misfire policy (run now, or recorded as a misfire) instead of silently never running;
//! per-job misfire settings; ephemeral jobs delete themselves after a success.

use std::time::Duration;

use chrono::{SecondsFormat, TimeDelta, Utc};
use serde_json::{Value, json};

use crate::harness::Server;

fn at_job(name: &str, offset: TimeDelta, extra: Value) -> String {
    let when = (Utc::now() + offset).to_rfc3339_opts(SecondsFormat::Secs, true);
    let mut job = json!({"name": name, "schedule": format!("@at {when}"), "executor": "shell",
                         "executor_config": {"command": "echo ran"}});
    if let (Some(job), Some(extra)) = (job.as_object_mut(), extra.as_object()) {
        job.extend(extra.clone());
    }
    job.to_string()
}

async fn only_occurrence(server: &Server, job: &str) -> Value {
    let path = format!("/v1/jobs/{job}/ledger");
    server
        .wait_until(
            &format!("{job} has a final occurrence"),
            Duration::from_secs(20),
            || async {
                let ledger = server.get_json(&path).await;
                ledger
                    .as_array()
                    .and_then(|list| list.first())
                    .is_some_and(|entry| entry["state"] != "launched")
            },
        )
        .await;
    let ledger = server.get_json(&path).await;
    assert_eq!(ledger.as_array().unwrap().len(), 1, "{ledger}");
    ledger[0].clone()
}

#[tokio::test]
async fn past_at_times_run_once_inside_the_window_and_are_recorded_outside_it() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(dir.path()).await;
    let cases = [
        ("recent", TimeDelta::seconds(-10), json!({})),
        ("ancient", TimeDelta::hours(-2), json!({})),
        (
            "recent-skip",
            TimeDelta::seconds(-10),
            json!({"misfire_policy": "skip"}),
        ),
        (
            "recent-narrow",
            TimeDelta::seconds(-10),
            json!({"catch_up_window": "1s"}),
        ),
    ];
    for (name, offset, extra) in &cases {
        let (status, body) = server
            .send("POST", "/v1/jobs", &at_job(name, *offset, extra.clone()))
            .await;
        assert_eq!(status, 201, "{body}");
    }
    let recent = only_occurrence(&server, "recent").await;
    assert_eq!(
        (recent["trigger"].as_str(), recent["state"].as_str()),
        (Some("catch_up"), Some("succeeded"))
    );
    let executions = server.get_json("/v1/jobs/recent/executions").await;
    assert_eq!(executions[0]["output"], "ran\n");
    for name in ["ancient", "recent-skip", "recent-narrow"] {
        let entry = only_occurrence(&server, name).await;
        assert_eq!(entry["state"], "skipped", "{name}: {entry}");
        assert!(
            entry["reason"].as_str().unwrap().starts_with("misfire"),
            "{name}: {entry}"
        );
        let executions = server
            .get_json(&format!("/v1/jobs/{name}/executions"))
            .await;
        assert_eq!(executions, json!([]), "{name} did not run");
    }
}

#[tokio::test]
async fn bad_misfire_settings_are_refused_at_their_fields() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(dir.path()).await;
    for (extra, field) in [
        (json!({"misfire_policy": "sometimes"}), "misfire_policy"),
        (json!({"catch_up_window": "a while"}), "catch_up_window"),
    ] {
        let body = at_job("bad", TimeDelta::hours(1), extra);
        let response = reqwest::Client::new()
            .post(server.url("/v1/jobs"))
            .body(body)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 400);
        assert_eq!(response.headers()["x-error-field"], field);
    }
    assert_eq!(server.get("/v1/jobs/bad").await.0, 404);
}

#[tokio::test]
async fn an_ephemeral_job_deletes_itself_after_it_succeeded() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(dir.path()).await;
    let once = at_job("once", TimeDelta::seconds(2), json!({"ephemeral": true}));
    assert_eq!(server.send("POST", "/v1/jobs", &once).await.0, 201);
    let failing = json!({"name": "keeps-failing", "schedule": "@manually", "ephemeral": true,
                         "executor": "shell", "executor_config": {"command": "false"}});
    assert_eq!(
        server
            .send("POST", "/v1/jobs", &failing.to_string())
            .await
            .0,
        201
    );
    assert_eq!(
        server
            .send("POST", "/v1/jobs/keeps-failing/run?wait=true", "")
            .await
            .0,
        200
    );
    server
        .wait_until(
            "the ephemeral job is gone",
            Duration::from_secs(20),
            || async { server.get("/v1/jobs/once").await.0 == 404 },
        )
        .await;
    assert_eq!(
        server.get("/v1/jobs/keeps-failing").await.0,
        200,
        "a failed ephemeral job stays"
    );
}
