//! The `grpc` executor against a real gRPC server (grpcio with server reflection, started by
//! each test on a free port of 127.0.0.1).

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use dkron_exec::Registry;
use dkron_testservers::{GrpcServer, Reflection, silent_listener, start_grpc_server};

use crate::contract::{Fixture, executor_contract};
use crate::support::{request, run, wait_for};

const SECRET: &str = "s3cret-token-42";

fn grpc(config: &[(&str, &str)]) -> dkron_exec::ExecRequest {
    request("grpc", config)
}

fn output_json(output: &str) -> serde_json::Value {
    let line = output.lines().next().expect("an output line");
    serde_json::from_str(line).unwrap_or_else(|error| panic!("{error}: {output:?}"))
}

async fn greet_once(server: &GrpcServer) -> serde_json::Value {
    let outcome = run(grpc(&[
        ("url", &server.url("Greet")),
        ("body", r#"{"name": "ada"}"#),
    ]))
    .await;
    assert!(outcome.success, "{outcome:?}");
    output_json(&outcome.output)
}

#[tokio::test]
async fn unary_call_sends_the_json_body_and_headers_and_returns_the_response() {
    let server = start_grpc_server(Reflection::Both).await;
    tracing::info!("a unary call with a JSON body and metadata");
    let headers = format!(r#"["X-Team: ops", "Authorization: Bearer {SECRET}"]"#);
    let body =
        r#"{"name": "ada", "times": 3, "tags": ["a", "b"], "sentAt": "2025-12-20T10:15:30Z"}"#;
    let outcome = run(grpc(&[
        ("url", &server.url("Greet")),
        ("body", body),
        ("headers", &headers),
        ("timeout", "20"),
    ]))
    .await;
    assert!(outcome.success, "{outcome:?}");
    assert!(outcome.output.ends_with("}\n"), "{:?}", outcome.output);
    let response = output_json(&outcome.output);
    assert_eq!(response["greeting"], "hello ada x3");
    assert_eq!(response["metadata"]["x-team"], "ops");
    assert_eq!(response["echoed"]["tags"], serde_json::json!(["a", "b"]));
    assert_eq!(response["echoed"]["sentAt"], "2025-12-20T10:15:30Z");
    assert!(!outcome.output.contains(SECRET), "secret in output");

    tracing::info!("the server saw the fields and the metadata");
    let greets = server.records_of("Greet");
    assert_eq!(greets.len(), 1, "{greets:?}");
    assert_eq!(greets[0]["request"]["name"], "ada");
    assert_eq!(greets[0]["request"]["times"], 3);
    assert_eq!(greets[0]["metadata"]["x-team"], "ops");
    assert_eq!(
        greets[0]["metadata"]["authorization"],
        format!("Bearer {SECRET}")
    );

    tracing::info!("reflection v1 is preferred and carries the headers too");
    let reflections = server.records_of("reflection");
    assert!(!reflections.is_empty());
    assert!(reflections.iter().all(|record| record["version"] == "v1"));
    assert_eq!(reflections[0]["metadata"]["x-team"], "ops");
}

#[tokio::test]
async fn an_empty_body_sends_the_default_message() {
    let server = start_grpc_server(Reflection::Both).await;
    let outcome = run(grpc(&[("url", &server.url("Greet"))])).await;
    assert!(outcome.success, "{outcome:?}");
    assert_eq!(output_json(&outcome.output)["greeting"], "hello  x0");
}

#[tokio::test]
async fn reflection_falls_back_to_v1alpha() {
    let server = start_grpc_server(Reflection::V1AlphaOnly).await;
    assert_eq!(greet_once(&server).await["greeting"], "hello ada x0");
    let versions: Vec<_> = server
        .records_of("reflection")
        .iter()
        .map(|record| record["version"].clone())
        .collect();
    assert_eq!(versions, vec![serde_json::json!("v1alpha")]);

    tracing::info!("a server with v1 only is asked through v1");
    let v1_only = start_grpc_server(Reflection::V1Only).await;
    assert_eq!(greet_once(&v1_only).await["greeting"], "hello ada x0");
}

#[tokio::test]
async fn imports_the_server_does_not_send_are_asked_for_by_name() {
    let server = start_grpc_server(Reflection::V1Lean).await;
    let outcome = run(grpc(&[
        ("url", &server.url("Greet")),
        (
            "body",
            r#"{"name": "ada", "sentAt": "2025-12-20T10:15:30Z"}"#,
        ),
    ]))
    .await;
    assert!(outcome.success, "{outcome:?}");
    assert_eq!(
        output_json(&outcome.output)["echoed"]["sentAt"],
        "2025-12-20T10:15:30Z"
    );
    let asked: Vec<_> = server
        .records_of("reflection-file")
        .iter()
        .map(|record| record["name"].clone())
        .collect();
    assert_eq!(
        asked,
        vec![serde_json::json!("google/protobuf/timestamp.proto")]
    );
}

#[tokio::test]
async fn a_non_ok_status_is_checked_against_expect_code() {
    let server = start_grpc_server(Reflection::Both).await;
    let fail_body = r#"{"code": 5, "message": "no such thing"}"#;
    tracing::info!("NotFound when OK is expected fails with Dkron's text");
    let mismatch = run(grpc(&[("url", &server.url("Fail")), ("body", fail_body)])).await;
    assert!(!mismatch.success);
    assert_eq!(
        mismatch.output,
        "server returned NotFound code, expected OK\nNotFound: no such thing\n"
    );

    tracing::info!("NotFound when 5 is expected succeeds");
    let expected = run(grpc(&[
        ("url", &server.url("Fail")),
        ("body", fail_body),
        ("expectCode", "5"),
    ]))
    .await;
    assert!(expected.success, "{expected:?}");
    assert_eq!(expected.output, "NotFound: no such thing\n");

    tracing::info!("OK when 5 is expected fails");
    let ok_unexpected = run(grpc(&[("url", &server.url("Greet")), ("expectCode", "5")])).await;
    assert!(!ok_unexpected.success);
    assert!(
        ok_unexpected
            .output
            .starts_with("server returned OK code, expected NotFound\n{"),
        "{:?}",
        ok_unexpected.output
    );
    assert_eq!(server.records_of("Fail").len(), 2);
}

#[tokio::test]
async fn the_timeout_ends_a_slow_call_as_killed() {
    let server = start_grpc_server(Reflection::Both).await;
    let started = Instant::now();
    let outcome = run(grpc(&[
        ("url", &server.url("Slow")),
        ("body", r#"{"seconds": 60}"#),
        ("timeout", "2"),
    ]))
    .await;
    assert!(
        started.elapsed() < Duration::from_secs(10),
        "timeout not kept"
    );
    assert!(!outcome.success && outcome.killed, "{outcome:?}");
    let expected = format!(
        "grpc: call to {}/dkrontest.v1.Greeter/Slow timed out after 2s\n",
        server.address()
    );
    assert_eq!(outcome.output, expected);
    let slow_calls = server.records_of("Slow");
    assert_eq!(slow_calls.len(), 1, "the call was made");
    let remaining = slow_calls[0]["time_remaining"].as_f64().unwrap();
    assert!(
        remaining > 0.0 && remaining <= 2.0,
        "deadline sent: {remaining}"
    );
    tracing::info!("the call is not left in flight: the server sees it abandoned");
    wait_for(
        "the server to see the call abandoned",
        Duration::from_secs(5),
        || server.records_of("SlowAbandoned").len() == 1,
    )
    .await;
}

#[tokio::test]
async fn unknown_services_methods_and_fields_are_named() {
    let server = start_grpc_server(Reflection::Both).await;
    let headers = format!(r#"["authorization: Bearer {SECRET}"]"#);
    let cases = [
        (
            format!("{}/dkrontest.v1.Nope/Greet", server.address()),
            "{}",
            "Failed querying reflection server: service \"dkrontest.v1.Nope\" not found on the server\n",
        ),
        (
            server.url("Nope"),
            "{}",
            "Failed querying reflection server: service \"dkrontest.v1.Greeter\" has no method \"Nope\"\n",
        ),
        (
            server.url("Chat"),
            "{}",
            "grpc: dkrontest.v1.Greeter/Chat is a streaming method; only unary methods can be called\n",
        ),
    ];
    for (url, body, expected) in cases {
        let outcome = run(grpc(&[
            ("url", &url),
            ("body", body),
            ("headers", &headers),
        ]))
        .await;
        assert!(!outcome.success);
        assert_eq!(outcome.output, expected);
    }
    let unknown_field = run(grpc(&[
        ("url", &server.url("Greet")),
        ("body", r#"{"name": "x", "colour": "red"}"#),
    ]))
    .await;
    assert!(!unknown_field.success);
    assert!(
        unknown_field
            .output
            .starts_with("grpc: body does not match dkrontest.v1.GreetRequest: ")
            && unknown_field.output.contains("colour"),
        "{:?}",
        unknown_field.output
    );
    assert!(server.records_of("Greet").is_empty(), "nothing was called");
}

#[tokio::test]
async fn a_server_without_reflection_fails_the_run_with_dkrons_prefix() {
    let server = start_grpc_server(Reflection::Without).await;
    let outcome = run(grpc(&[("url", &server.url("Greet"))])).await;
    assert!(!outcome.success && !outcome.killed);
    assert!(
        outcome
            .output
            .starts_with("Failed querying reflection server: Unimplemented"),
        "{:?}",
        outcome.output
    );
    assert!(server.records_of("Greet").is_empty());
}

#[tokio::test]
async fn a_server_that_is_not_there_fails_the_run() {
    let port = dkron_testservers::free_port();
    let outcome = run(grpc(&[("url", &format!("127.0.0.1:{port}/a.B/C"))])).await;
    assert!(!outcome.success);
    assert!(
        outcome
            .output
            .starts_with(&format!("grpc: cannot connect to 127.0.0.1:{port}: ")),
        "{:?}",
        outcome.output
    );
}

fn config_map(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
    pairs
        .iter()
        .map(|(key, value)| (key.to_string(), value.to_string()))
        .collect()
}

#[tokio::test]
async fn bad_configs_are_refused_at_submission_and_by_the_run() {
    let registry = Registry::builtin();
    let url = "127.0.0.1:9/a.B/C";
    let cases = [
        (
            vec![("url", "127.0.0.1:9")],
            "url",
            "we require at least a url and a path to do a proto request",
        ),
        (
            vec![("url", url), ("timeout", "soon")],
            "timeout",
            "Invalid timeout",
        ),
        (
            vec![("url", url), ("expectCode", "99")],
            "expectCode",
            "Invalid expectCode",
        ),
        (
            vec![("url", url), ("headers", "Authorization: x")],
            "headers",
            "Parsing headers failed",
        ),
        (
            vec![("url", url), ("body", "[1]")],
            "body",
            "body is not a JSON object",
        ),
        (vec![], "url", "url is empty"),
    ];
    for (pairs, key, text) in cases {
        let fault = registry
            .check_config("grpc", &config_map(&pairs))
            .expect_err("bad config accepted");
        assert_eq!(fault.key, key);
        assert!(fault.message.starts_with(text), "{}", fault.message);
        let outcome = run(grpc(&pairs)).await;
        assert!(!outcome.success && !outcome.killed);
        assert!(outcome.output.starts_with(text), "{:?}", outcome.output);
    }
    let good = config_map(&[("url", url), ("body", "{}"), ("headers", "[\"a: b\"]")]);
    assert_eq!(registry.check_config("grpc", &good), Ok(()));
}

#[tokio::test]
async fn grpc_keeps_the_executor_contract() {
    let server = start_grpc_server(Reflection::Both).await;
    let silent = silent_listener().await;
    let fixture = Fixture {
        succeeding: grpc(&[("url", &server.url("Big")), ("body", r#"{"size": 5000}"#)]),
        chatty: true,
        long_running: grpc(&[("url", &format!("{silent}/dkrontest.v1.Greeter/Greet"))]),
        misconfigured: grpc(&[("url", "127.0.0.1:9")]),
        keep_alive: vec![Box::new(server)],
    };
    executor_contract("grpc", fixture).await;
}
