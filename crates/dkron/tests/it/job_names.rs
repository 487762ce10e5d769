//! Job-name limits through the real server (issue 14, failure 7; ADR 22): a name past the
//! limit is refused, a name at the limit works on every route, percent-encoded too, and
//! `DELETE /v1/jobs` deletes by a name in the body.

use crate::harness::Server;

fn job(name: &str) -> String {
    serde_json::json!({
        "name": name,
        "schedule": "@manually",
        "executor": "shell",
        "executor_config": {"command": "echo named"},
    })
    .to_string()
}

fn percent_encoded(name: &str) -> String {
    name.bytes().map(|byte| format!("%{byte:02X}")).collect()
}

/// Sends a GET over a bare TCP connection and returns the status code of the answer.
async fn status_of_raw_get(server: &Server, path: &str) -> String {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    let address = format!("127.0.0.1:{}", server.http_port);
    let mut stream = tokio::net::TcpStream::connect(address).await.unwrap();
    let request = format!("GET {path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
    stream.write_all(request.as_bytes()).await.unwrap();
    let mut answer = Vec::new();
    let _read = stream.read_to_end(&mut answer).await;
    let answer = String::from_utf8_lossy(&answer);
    answer.split(' ').nth(1).unwrap_or_default().to_owned()
}

#[tokio::test]
async fn names_are_bounded_and_every_stored_job_can_be_deleted() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(dir.path()).await;

    tracing::info!("phase: the issue's 100,000-character name is refused, nothing stored");
    let huge = "a".repeat(100_000);
    let (status, body) = server.send("POST", "/v1/jobs", &job(&huge)).await;
    assert_eq!(status, 400, "{body}");
    assert!(body.contains("name is 100000 characters long"), "{body}");
    let (status, body) = server
        .send("POST", "/v1/jobs", &job(&"a".repeat(257)))
        .await;
    assert_eq!(status, 400, "{body}");
    assert_eq!(server.get_json("/v1/jobs").await, serde_json::json!([]));
    // Such a name cannot be put in a URL at all: HTTP clients refuse to build it, and the
    // server answers 414 to a request line that carries it.
    assert_eq!(
        status_of_raw_get(&server, &format!("/v1/jobs/{huge}")).await,
        "414"
    );

    tracing::info!("phase: a name at the limit works on every route, percent-encoded");
    let longest = "ß".repeat(256);
    let (status, body) = server.send("POST", "/v1/jobs", &job(&longest)).await;
    assert_eq!(status, 201, "{body}");
    let path = format!("/v1/jobs/{}", percent_encoded(&longest));
    assert_eq!(server.get_json(&path).await["name"], longest.as_str());
    let (status, body) = server.send("POST", &format!("{path}/run"), "").await;
    assert_eq!(status, 202, "{body}");
    let (status, body) = server.send("DELETE", &path, "").await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(server.get_json("/v1/jobs").await, serde_json::json!([]));

    tracing::info!("phase: DELETE /v1/jobs deletes the job named in the body");
    let (status, _) = server.send("POST", "/v1/jobs", &job("by-body")).await;
    assert_eq!(status, 201);
    let (status, body) = server
        .send("DELETE", "/v1/jobs", r#"{"name":"by-body"}"#)
        .await;
    assert_eq!(status, 200, "{body}");
    let (status, _) = server.get("/v1/jobs/by-body").await;
    assert_eq!(status, 404);
    let (status, body) = server.send("DELETE", "/v1/jobs", "{}").await;
    assert_eq!(status, 400, "{body}");
}
