//! Bad input gets a 4xx with a message and changes nothing.

use crate::harness::Server;

const GOOD: &str = r#"{"name":"keeper","schedule":"@every 1h","executor":"shell","executor_config":{"command":"true"}}"#;

#[tokio::test]
async fn bad_requests_are_rejected_with_messages_and_change_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(dir.path()).await;
    assert_eq!(server.send("POST", "/v1/jobs", GOOD).await.0, 201);
    let before = server.get_json("/v1/jobs").await;

    let cases: &[(&str, &str, &str, &str)] = &[
        ("POST", "/v1/jobs", "{not json", "Unable to parse payload"),
        (
            "POST",
            "/v1/jobs",
            r#"{"name":"keeper","retries":"many"}"#,
            "Unable to parse payload",
        ),
        (
            "POST",
            "/v1/jobs",
            r#"{"name":"keeper","schedule":"* * * * *"}"#,
            "expected exactly 6 fields",
        ),
        (
            "POST",
            "/v1/jobs",
            r#"{"name":"keeper","schedule":"@every 1h","timezone":"Mars/Olympus"}"#,
            "unknown time zone",
        ),
        (
            "POST",
            "/v1/jobs",
            r#"{"name":"BAD JOB NAME!","schedule":"@every 1h"}"#,
            "illegal character",
        ),
        (
            "POST",
            "/v1/jobs",
            r#"{"name":"keeper","schedule":"0 0 25 * * *"}"#,
            "above maximum",
        ),
        ("GET", "/v1/jobs?_start=abc", "", "_start"),
        ("GET", "/v1/jobs?_start=5&_end=2", "", "_start"),
        ("GET", "/v1/jobs?_sort=nonsense", "", "_sort"),
    ];
    for (method, path, body, message) in cases {
        let (status, text) = server.send(method, path, body).await;
        assert!(
            (400..500).contains(&status),
            "{method} {path} {body}: got {status} {text}"
        );
        assert!(
            text.contains(message),
            "{method} {path} {body}: message {text:?} lacks {message:?}"
        );
    }
    assert_eq!(
        server.get_json("/v1/jobs").await,
        before,
        "bad requests changed the jobs"
    );
}
