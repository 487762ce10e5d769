//! Create, replace, read, delete, run and toggle jobs; pause; bad bodies.

use dkron_api::testsuite::RunRequest;
use dkron_api::{ApiOptions, BackendError};

use crate::common::{GETTING_STARTED, NODE, api, api_with, job};

#[tokio::test]
async fn create_echoes_the_request_with_location() {
    let api = api();
    let reply = api
        .call("POST", "/v1/jobs", GETTING_STARTED)
        .await
        .expect(201);
    assert_eq!(reply.header("location"), Some("/v1/jobs/job1"));
    assert_eq!(
        reply.body,
        r#"{"id":"","name":"job1","displayname":"","timezone":"Europe/Berlin","schedule":"@every 10s","owner":"Platform Team","owner_email":"platform@example.com","success_count":0,"error_count":0,"last_success":null,"last_error":null,"disabled":false,"tags":{"server":"true:1"},"metadata":{"user":"12345"},"retries":0,"dependent_jobs":null,"parent_job":"","processors":null,"concurrency":"allow","executor":"shell","executor_config":{"command":"date"},"status":"","next":"0001-01-01T00:00:00Z","ephemeral":false,"starts_at":null,"expires_at":null}"#
    );
    assert_eq!(api.stored_names(), ["job1"]);
    let stored = api.get("/v1/jobs/job1").await.expect(200).json();
    assert_eq!(stored["id"], "job1");
    assert_eq!(stored["processors"], serde_json::json!({}));
}

#[tokio::test]
async fn patch_and_put_replace_like_post() {
    let api = api();
    api.call("PATCH", "/v1/jobs", GETTING_STARTED)
        .await
        .expect(201);
    let body = r#"{"schedule":"@every 5s","executor":"shell"}"#;
    let reply = api.call("PUT", "/v1/jobs/job1", body).await.expect(201);
    assert_eq!(reply.header("location"), Some("/v1/jobs/job1"));
    assert_eq!(reply.json()["name"], "job1");
    assert_eq!(api.backend.jobs()[0].schedule, "@every 5s");
    // A full replacement: fields left out are reset.
    assert_eq!(api.backend.jobs()[0].timezone, "");
}

#[tokio::test]
async fn put_refuses_a_body_naming_another_job() {
    let api = api();
    let body = serde_json::to_string(&job("other")).unwrap();
    let reply = api.call("PUT", "/v1/jobs/mine", body).await.expect(400);
    assert!(
        reply.body.contains(r#"does not match "mine" in the path"#),
        "{}",
        reply.body
    );
    assert!(api.stored_names().is_empty());
}

#[tokio::test]
async fn unparsable_bodies_get_400_and_store_nothing() {
    let api = api();
    for body in [
        "",
        "{",
        "[1,2]",
        r#"{"name":"a","retries":"x"}"#,
        r#"{"name":"a","retries":-1}"#,
        r#"{"name":"a","disabled":"yes"}"#,
        r#"{"name":"a","processors":{"log":{"forward":true}}}"#,
        r#"{"name":"a","tags":["x"]}"#,
        r#"{"name":"a","starts_at":"tomorrow"}"#,
    ] {
        let reply = api.call("POST", "/v1/jobs", body).await.expect(400);
        assert!(
            reply.body.starts_with("Unable to parse payload: "),
            "{body}: {}",
            reply.body
        );
        assert!(reply.body.ends_with('.'), "{}", reply.body);
        assert_eq!(
            reply.header("content-type"),
            Some("text/plain; charset=utf-8")
        );
    }
    assert!(api.stored_names().is_empty());
}

#[tokio::test]
async fn empty_names_fail_validation() {
    let api = api();
    let reply = api.call("POST", "/v1/jobs", "{}").await.expect(400);
    assert_eq!(reply.body, "Job validation failed: name cannot be empty.");
    assert!(api.stored_names().is_empty());
}

#[tokio::test]
async fn oversized_bodies_get_413() {
    let mut options = ApiOptions::new(NODE);
    options.max_job_body_bytes = 64;
    let api = api_with(options);
    let mut big = job("big");
    big.displayname = "x".repeat(100);
    let reply = api
        .call("POST", "/v1/jobs", serde_json::to_string(&big).unwrap())
        .await
        .expect(413);
    assert!(reply.body.contains("limit of 64 bytes"), "{}", reply.body);
    assert!(api.stored_names().is_empty());
}

#[tokio::test]
async fn pause_blocks_submissions_only() {
    let api = api();
    api.create(&job("kept")).await;
    assert_eq!(
        api.call("POST", "/v1/pause", "").await.expect(200).body,
        r#"{"paused":true}"#
    );
    assert_eq!(api.get("/v1/pause").await.body, r#"{"paused":true}"#);
    let body = serde_json::to_string(&job("new")).unwrap();
    for (method, uri) in [
        ("POST", "/v1/jobs"),
        ("PATCH", "/v1/jobs"),
        ("PUT", "/v1/jobs/new"),
    ] {
        let reply = api.call(method, uri, body.clone()).await.expect(503);
        assert_eq!(reply.body, "New job submissions are currently paused");
    }
    assert_eq!(api.stored_names(), ["kept"]);
    api.call("POST", "/v1/jobs/kept/run", "").await.expect(202);
    api.call("POST", "/v1/jobs/kept/toggle", "")
        .await
        .expect(200);
    let reply = api.call("POST", "/v1/unpause", "").await.expect(200);
    assert_eq!(reply.body, r#"{"paused":false}"#);
    api.call("POST", "/v1/jobs", body).await.expect(201);
}

#[tokio::test]
async fn runoncreate_runs_without_waiting() {
    let api = api();
    let body = serde_json::to_string(&job("now")).unwrap();
    let reply = api
        .call("POST", "/v1/jobs?runoncreate=false", body)
        .await
        .expect(201);
    assert_eq!(reply.header("location"), Some("/v1/jobs/now"));
    let expected = RunRequest {
        job: "now".into(),
        wait: false,
    };
    assert_eq!(api.backend.runs(), [expected]);
}

#[tokio::test]
async fn missing_parent_is_404_with_dkrons_text() {
    let api = api();
    let mut child = job("child");
    child.parent_job = "nobody".into();
    let body = serde_json::to_string(&child).unwrap();
    let reply = api.call("POST", "/v1/jobs", body).await.expect(404);
    assert_eq!(reply.body, "specified parent job not found");
    assert!(api.stored_names().is_empty());
}

#[tokio::test]
async fn backend_errors_map_to_statuses() {
    let api = api();
    let body = serde_json::to_string(&job("a")).unwrap();
    for (error, status) in [
        (BackendError::Unavailable("no leader elected".into()), 503),
        (BackendError::Internal("disk full".into()), 500),
        (BackendError::Rejected("cycle through a".into()), 409),
    ] {
        let message = error.to_string();
        api.backend.set_write_error(Some(error));
        let reply = api
            .call("POST", "/v1/jobs", body.clone())
            .await
            .expect(status);
        assert_eq!(reply.body, message);
    }
    assert!(api.stored_names().is_empty());
}

#[tokio::test]
async fn get_and_delete_jobs() {
    let api = api();
    api.create(&job("gone")).await;
    let reply = api.get("/v1/jobs/missing").await.expect(404);
    assert_eq!(reply.body, "job missing not found");
    let reply = api.call("DELETE", "/v1/jobs/gone", "").await.expect(200);
    assert_eq!(reply.json()["name"], "gone");
    assert!(api.stored_names().is_empty());
    api.call("DELETE", "/v1/jobs/gone", "").await.expect(404);
}

#[tokio::test]
async fn deleting_a_parent_with_children_is_a_conflict() {
    let api = api();
    api.create(&job("parent")).await;
    let mut child = job("child");
    child.parent_job = "parent".into();
    api.create(&child).await;
    let reply = api.call("DELETE", "/v1/jobs/parent", "").await.expect(409);
    assert!(reply.body.contains("dependent jobs"), "{}", reply.body);
    assert_eq!(api.stored_names(), ["child", "parent"]);
}

#[tokio::test]
async fn run_is_accepted_at_once_or_waits_on_request() {
    let api = api();
    api.create(&job("r")).await;
    let reply = api.call("POST", "/v1/jobs/r", "").await.expect(202);
    assert_eq!(reply.json()["name"], "r");
    assert_eq!(reply.header("location"), Some("/v1/jobs/r"));
    api.call("POST", "/v1/jobs/r/run", "").await.expect(202);
    api.call("POST", "/v1/jobs/r/run?wait=true", "")
        .await
        .expect(200);
    let waits: Vec<bool> = api.backend.runs().iter().map(|run| run.wait).collect();
    assert_eq!(waits, [false, false, true]);
    let reply = api
        .call("POST", "/v1/jobs/r/run?wait=maybe", "")
        .await
        .expect(400);
    assert!(reply.body.contains("invalid wait"), "{}", reply.body);
    api.call("POST", "/v1/jobs/missing/run", "")
        .await
        .expect(404);
    assert_eq!(api.backend.runs().len(), 3);
}

#[tokio::test]
async fn toggle_flips_disabled() {
    let api = api();
    api.create(&job("t")).await;
    let reply = api.call("POST", "/v1/jobs/t/toggle", "").await.expect(200);
    assert_eq!(reply.json()["disabled"], true);
    assert_eq!(reply.header("location"), Some("/v1/jobs/t"));
    assert!(api.backend.jobs()[0].disabled);
    api.call("POST", "/v1/jobs/missing/toggle", "")
        .await
        .expect(404);
}

#[tokio::test]
async fn invalid_jobs_get_400_with_the_rule_and_store_nothing() {
    let api = api();
    for (body, expected) in [
        (
            r#"{"name":"BAD JOB NAME!","schedule":"@daily"}"#,
            "name contains illegal character 'B'",
        ),
        (
            r#"{"name":"a b","schedule":"@daily"}"#,
            "name contains illegal character ' '",
        ),
        (
            r#"{"name":"a","schedule":"@daily","parent_job":"a"}"#,
            "the job can not have itself as parent",
        ),
        (r#"{"name":"a"}"#, "can't parse job schedule: "),
        (
            r#"{"name":"a","schedule":"* * * * *"}"#,
            "can't parse job schedule: ",
        ),
        (
            r#"{"name":"a","schedule":"@foo"}"#,
            "can't parse job schedule: ",
        ),
        (
            r#"{"name":"a","schedule":"0 60 * * * *"}"#,
            "can't parse job schedule: ",
        ),
        (
            r#"{"name":"a","schedule":"@daily","timezone":"Mars/Olympus"}"#,
            "unknown time zone Mars/Olympus",
        ),
        (
            r#"{"name":"a","schedule":"@daily","concurrency":"sometimes"}"#,
            "invalid concurrency policy value",
        ),
        (
            r#"{"name":"a","schedule":"@daily","executor":"shell","executor_config":{"timeout":"soon"}}"#,
            "Error parsing job timeout value",
        ),
        (
            r#"{"name":"a","schedule":"@daily","executor":"shell","executor_config":{"mem_limit":"lots"}}"#,
            "Error parsing job memory limit value: ",
        ),
    ] {
        let reply = api.call("POST", "/v1/jobs", body).await.expect(400);
        assert!(
            reply
                .body
                .starts_with(&format!("Job validation failed: {expected}")),
            "{body}: {}",
            reply.body
        );
        assert!(reply.body.ends_with('.'), "{}", reply.body);
    }
    let reply = api
        .call("PUT", "/v1/jobs/a", r#"{"schedule":"every day"}"#)
        .await
        .expect(400);
    assert!(
        reply
            .body
            .starts_with("Job validation failed: can't parse job schedule")
    );
    assert!(api.stored_names().is_empty());
}
