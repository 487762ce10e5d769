//! The `gcppubsub` executor in the real binary: a job created with Dkron's JSON publishes to
//! a real `google.pubsub.v1.Publisher` service (dkron-testservers' `PubSubServer`), found
//! through `PUBSUB_EMULATOR_HOST` in the agent's environment as Google's clients find an
//! emulator; credentials from `GOOGLE_APPLICATION_CREDENTIALS` never show.

use dkron_testservers::PubSubServer;
use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use crate::harness::Server;

/// Dkron's documented example job, under `name`.
fn example_job(name: &str) -> Value {
    json!({
        "name": name,
        "schedule": "@manually",
        "executor": "gcppubsub",
        "executor_config": {
            "project": "project-id",
            "topic": "topic-name",
            "data": "aGVsbG8gd29ybGQ=",
            "attributes": "{\"hello\":\"world\",\"waka\":\"paka\"}"
        }
    })
}

#[tokio::test]
async fn dkrons_example_job_publishes_through_the_emulator_host() {
    let pubsub = PubSubServer::start().await;
    let dir = tempfile::tempdir().unwrap();
    let env = [("PUBSUB_EMULATOR_HOST", pubsub.host.as_str())];
    let server = Server::start_with_env(dir.path(), &[], &env).await;
    let (status, body) = server
        .send("POST", "/v1/jobs", &example_job("publish").to_string())
        .await;
    assert_eq!(status, 201, "{body}");

    tracing::info!("phase: the run publishes one message and records its id");
    let execution = server.run_job_and_wait("publish").await;
    assert_eq!(execution["success"], true, "{execution}");
    assert_eq!(execution["output"], "1001\n");
    let received = pubsub.received();
    assert_eq!(received.len(), 1, "{received:?}");
    assert_eq!(received[0].topic, "projects/project-id/topics/topic-name");
    assert_eq!(received[0].data, b"hello world");
    assert_eq!(received[0].attributes["hello"], "world");
    assert_eq!(received[0].attributes["waka"], "paka");
    assert_eq!(received[0].authorization, None);

    tracing::info!("phase: a topic the server does not know fails with Go's status text");
    let mut missing = example_job("missing-topic");
    missing["executor_config"]["topic"] = json!("missing");
    assert_eq!(
        server
            .send("POST", "/v1/jobs", &missing.to_string())
            .await
            .0,
        201
    );
    let execution = server.run_job_and_wait("missing-topic").await;
    assert_eq!(execution["success"], false);
    let output = execution["output"].as_str().unwrap();
    assert!(
        output.starts_with("rpc error: code = NotFound desc = "),
        "{output}"
    );
}

#[tokio::test]
async fn bad_configs_are_refused_at_their_key_and_nothing_is_stored() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(dir.path()).await;
    for (key, value, field, words) in [
        ("project", "", "executor_config.project", "missing project"),
        (
            "data",
            "not base64!",
            "executor_config.data",
            "not valid base64",
        ),
        (
            "attributes",
            "[1]",
            "executor_config.attributes",
            "must be a JSON object",
        ),
    ] {
        let mut job = example_job("refused");
        job["executor_config"][key] = json!(value);
        let expected = format!("Job validation failed: {field}: {words}");
        server.assert_job_refused(&job, field, &expected).await;
    }
}

#[tokio::test]
async fn user_credentials_are_used_and_never_shown() {
    let pubsub = PubSubServer::start().await;
    let token_endpoint = fixed_token_endpoint().await;
    let dir = tempfile::tempdir().unwrap();
    let credentials = dir.path().join("adc.json");
    let user = json!({
        "type": "authorized_user",
        "client_id": "client-id.apps.googleusercontent.com",
        "client_secret": "client-secret-value",
        "refresh_token": "1//refresh-secret-value",
        "token_uri": format!("http://{token_endpoint}/token"),
    });
    std::fs::write(&credentials, user.to_string()).unwrap();
    let endpoint = format!("http://{}", pubsub.host);
    let env = [
        ("PUBSUB_ENDPOINT", endpoint.as_str()),
        (
            "GOOGLE_APPLICATION_CREDENTIALS",
            credentials.to_str().unwrap(),
        ),
    ];
    let server = Server::start_with_env(dir.path(), &[], &env).await;
    assert_eq!(
        server
            .send("POST", "/v1/jobs", &example_job("with-adc").to_string())
            .await
            .0,
        201
    );
    let execution = server.run_job_and_wait("with-adc").await;
    assert_eq!(execution["success"], true, "{execution}");
    let received = pubsub.received();
    assert_eq!(
        received[0].authorization.as_deref(),
        Some("Bearer ya29.e2e-token")
    );

    tracing::info!("phase: no credential shows in the job, the execution or the log");
    let shown = [
        server.get("/v1/jobs/with-adc").await.1,
        server.get("/v1/jobs/with-adc/executions").await.1,
        server.log(),
    ];
    for text in shown {
        for secret in [
            "ya29.e2e-token",
            "refresh-secret-value",
            "client-secret-value",
        ] {
            assert!(!text.contains(secret), "{secret} shown");
        }
    }
}

/// An OAuth2 token endpoint that answers every request with the same token.
async fn fixed_token_endpoint() -> std::net::SocketAddr {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    tokio::spawn(async move {
        while let Ok((mut socket, _)) = listener.accept().await {
            tokio::spawn(async move {
                read_request(&mut socket).await;
                let body =
                    r#"{"access_token":"ya29.e2e-token","expires_in":3600,"token_type":"Bearer"}"#;
                let response = format!(
                    "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
                    body.len()
                );
                socket.write_all(response.as_bytes()).await.unwrap();
                socket.shutdown().await.ok();
            });
        }
    });
    address
}

/// Reads one request with its body (`content-length` bytes after the headers).
async fn read_request(socket: &mut tokio::net::TcpStream) {
    let mut seen = Vec::new();
    let mut buffer = [0u8; 4096];
    loop {
        let read = socket.read(&mut buffer).await.unwrap();
        seen.extend_from_slice(&buffer[..read]);
        let text = String::from_utf8_lossy(&seen).to_ascii_lowercase();
        if let Some(end) = text.find("\r\n\r\n") {
            let length = text
                .lines()
                .find_map(|line| line.strip_prefix("content-length:"))
                .and_then(|value| value.trim().parse::<usize>().ok())
                .unwrap_or(0);
            if seen.len() >= end + 4 + length {
                return;
            }
        }
        if read == 0 {
            return;
        }
    }
}
