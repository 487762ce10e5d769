//! The `grpc` executor in the real binary: a job created with Dkron's JSON calls a real gRPC
//! server (grpcio with server reflection, from `dkron-testservers`), the call is seen on the
//! server, and the execution is recorded with the response as its output.

use std::time::Duration;

use dkron_testservers::{Reflection, start_grpc_server};
use serde_json::{Value, json};

use crate::harness::Server;

const SECRET: &str = "Bearer e2e-s3cret-7731";

#[tokio::test]
async fn a_grpc_job_calls_the_method_and_records_the_response() {
    let grpc = start_grpc_server(Reflection::Both).await;
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(dir.path()).await;
    server
        .wait_until(
            "the node is an alive member",
            Duration::from_secs(20),
            || async { server.get_json("/v1/members").await[0]["statusText"] == "alive" },
        )
        .await;

    tracing::info!("a job in Dkron's JSON for the grpc executor");
    let headers = format!(r#"["x-team: ops", "authorization: {SECRET}"]"#);
    let job = json!({
        "name": "greet", "schedule": "@manually", "executor": "grpc",
        "executor_config": {
            "url": grpc.url("Greet"),
            "body": "{\"name\": \"dkron\", \"times\": 2}",
            "headers": headers,
            "timeout": "30",
            "expectCode": "0"
        }
    });
    let (status, body) = server.send("POST", "/v1/jobs", &job.to_string()).await;
    assert_eq!(status, 201, "{body}");
    assert!(
        !body.contains("e2e-s3cret"),
        "secret in the create answer: {body}"
    );
    let (status, shown) = server.get("/v1/jobs/greet").await;
    assert_eq!(status, 200);
    assert!(!shown.contains("e2e-s3cret"), "secret shown: {shown}");
    assert!(shown.contains("x-team: ops"), "{shown}");

    tracing::info!("running it calls the server, which sees the body and the metadata");
    let (status, body) = server.send("POST", "/v1/jobs/greet", "").await;
    assert_eq!(status, 202, "{body}");
    let execution = server.first_finished_execution("greet").await;
    assert_eq!(execution["success"], true, "{execution}");
    let output = execution["output"].as_str().unwrap();
    let response: Value = serde_json::from_str(output.trim_end()).unwrap();
    assert_eq!(response["greeting"], "hello dkron x2", "{output}");
    assert!(
        !output.contains("e2e-s3cret"),
        "secret in the output: {output}"
    );
    let calls = grpc.records_of("Greet");
    assert_eq!(calls.len(), 1, "{calls:?}");
    assert_eq!(calls[0]["request"]["name"], "dkron");
    assert_eq!(calls[0]["metadata"]["authorization"], SECRET);
    assert!(
        !server.log().contains("e2e-s3cret"),
        "secret in the node's log"
    );
}

#[tokio::test]
async fn a_status_other_than_expect_code_fails_the_execution() {
    let grpc = start_grpc_server(Reflection::V1AlphaOnly).await;
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(dir.path()).await;
    let job = json!({
        "name": "denied", "schedule": "@manually", "executor": "grpc",
        "executor_config": {
            "url": grpc.url("Fail"),
            "body": "{\"code\": 7, \"message\": \"go away\"}"
        }
    });
    let (status, body) = server.send("POST", "/v1/jobs", &job.to_string()).await;
    assert_eq!(status, 201, "{body}");
    let (status, body) = server
        .send("POST", "/v1/jobs/denied/run?wait=true", "")
        .await;
    assert_eq!(status, 200, "{body}");
    let execution = server.first_finished_execution("denied").await;
    assert_eq!(execution["success"], false, "{execution}");
    assert_eq!(
        execution["output"],
        "server returned PermissionDenied code, expected OK\nPermissionDenied: go away\n"
    );
    assert_eq!(grpc.records_of("Fail").len(), 1);
}

#[tokio::test]
async fn a_bad_grpc_config_is_refused_at_its_key_and_not_stored() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(dir.path()).await;
    let cases = [
        (json!({"url": "127.0.0.1:9000"}), "executor_config.url"),
        (
            json!({"url": "127.0.0.1:9000/a.B/C", "timeout": "soon"}),
            "executor_config.timeout",
        ),
        (
            json!({"url": "127.0.0.1:9000/a.B/C", "expectCode": "42"}),
            "executor_config.expectCode",
        ),
        (
            json!({"url": "127.0.0.1:9000/a.B/C", "headers": "authorization: Bearer x"}),
            "executor_config.headers",
        ),
        (
            json!({"url": "127.0.0.1:9000/a.B/C", "body": "not json"}),
            "executor_config.body",
        ),
    ];
    for (config, field) in cases {
        let job = json!({"name": "bad", "schedule": "@manually", "executor": "grpc",
                         "executor_config": config});
        let words = format!("Job validation failed: {field}: ");
        let text = server.assert_job_refused(&job, field, &words).await;
        assert!(!text.contains("Bearer x"), "{text}");
    }
}
