//! Secrets stay secret with the real binary: a job's env value and an http executor's
//! `Authorization` header reach the job, never an API answer or a log line, and jobs do not
//! inherit the server's own `DKRON_*` settings (issue 13, item 5).

use std::sync::{Arc, Mutex};

use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

use crate::harness::Server;

const ENV_SECRET: &str = "env-s3cret-41d7";
const HEADER_SECRET: &str = "header-s3cret-77a2";
const MAIL_SECRET: &str = "mail-s3cret-9f20";

/// Answers every HTTP request with `200 ok` and keeps the request heads it received.
async fn recording_http_server() -> (u16, Arc<Mutex<Vec<String>>>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let heads = Arc::new(Mutex::new(Vec::new()));
    let recorded = heads.clone();
    tokio::spawn(async move {
        while let Ok((mut stream, _peer)) = listener.accept().await {
            let mut buffer = vec![0_u8; 16 * 1024];
            let mut read = 0;
            while !String::from_utf8_lossy(&buffer[..read]).contains("\r\n\r\n") {
                match stream.read(&mut buffer[read..]).await {
                    Ok(0) | Err(_) => break,
                    Ok(count) => read += count,
                }
            }
            let head = String::from_utf8_lossy(&buffer[..read]).into_owned();
            recorded.lock().unwrap().push(head);
            let reply = "HTTP/1.1 200 OK\r\ncontent-length: 2\r\nconnection: close\r\n\r\nok";
            let _ignored = stream.write_all(reply.as_bytes()).await;
        }
    });
    (port, heads)
}

async fn run_and_read_output(server: &Server, job: &str) -> String {
    let (status, body) = server
        .send("POST", &format!("/v1/jobs/{job}/run?wait=true"), "")
        .await;
    assert_eq!(status, 200, "{body}");
    let executions = server.get_json(&format!("/v1/jobs/{job}/executions")).await;
    let last = executions.as_array().unwrap().last().unwrap().clone();
    assert_eq!(last["success"], true, "{last}");
    last["output"].as_str().unwrap().to_owned()
}

#[track_caller]
fn assert_no_secret(place: &str, text: &str) {
    for secret in [ENV_SECRET, HEADER_SECRET, MAIL_SECRET] {
        assert!(!text.contains(secret), "{place} shows {secret}:\n{text}");
    }
}

#[tokio::test]
async fn secrets_reach_the_job_and_no_answer_or_log_line() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start_with_env(
        dir.path(),
        &[],
        &[
            ("DKRON_MAIL_PASSWORD", MAIL_SECRET),
            ("DKRON_MAIL_HOST", "127.0.0.1"),
            // Every log line there is, openraft's and the HTTP layers' included.
            ("RUST_LOG", "trace"),
        ],
    )
    .await;
    let (http_port, heads) = recording_http_server().await;
    tracing::info!("phase: jobs holding secrets are created");
    let jobs = [
        json!({"name": "uses-token", "schedule": "@manually", "executor": "shell",
               "executor_config": {"shell": "true",
                   // Upper-cased, the token shows it arrived without showing it.
                   "command": "printf 'token:%s\\n' \"$API_TOKEN\" | tr a-z A-Z",
                   "env": format!("API_TOKEN={ENV_SECRET},MODE=test")}}),
        json!({"name": "prints-env", "schedule": "@manually", "executor": "shell",
               "executor_config": {"command": "env", "env": "VISIBLE=yes"}}),
        json!({"name": "calls-api", "schedule": "@manually", "executor": "http",
               "executor_config": {"method": "GET", "debug": "true",
                   "url": format!("http://127.0.0.1:{http_port}/hook"),
                   "headers": format!("[\"Authorization: Bearer {HEADER_SECRET}\"]")}}),
    ];
    for job in &jobs {
        let (status, echo) = server.send("POST", "/v1/jobs", &job.to_string()).await;
        assert_eq!(status, 201, "{echo}");
        assert_no_secret("the create echo", &echo);
    }

    tracing::info!("phase: the jobs run with their secrets");
    let token_seen = format!("TOKEN:{}", ENV_SECRET.to_uppercase());
    let token_output = run_and_read_output(&server, "uses-token").await;
    assert!(token_output.contains(&token_seen), "{token_output}");
    let env_output = run_and_read_output(&server, "prints-env").await;
    assert!(env_output.contains("VISIBLE=yes"), "{env_output}");
    assert!(
        env_output.contains("DKRON_JOB_NAME=prints-env"),
        "{env_output}"
    );
    assert!(!env_output.contains("DKRON_MAIL"), "{env_output}");
    assert_no_secret("the output of env", &env_output);
    let http_output = run_and_read_output(&server, "calls-api").await;
    assert!(http_output.contains("Config:"), "{http_output}");
    assert_no_secret("the http debug output", &http_output);
    let received = heads.lock().unwrap().join("\n");
    assert!(
        received.contains(&format!("Bearer {HEADER_SECRET}")),
        "the request carries the header: {received}"
    );

    tracing::info!("phase: no answer shows a secret");
    for path in [
        "/v1/jobs",
        "/v1/jobs/uses-token",
        "/v1/jobs/calls-api",
        "/v1/backup",
    ] {
        let (status, body) = server.get(path).await;
        assert_eq!(status, 200);
        assert_no_secret(path, &body);
    }
    let full_backup: Value = server.get_json("/v1/backup?include_secrets=true").await;
    assert!(full_backup.to_string().contains(ENV_SECRET));

    tracing::info!("phase: a job read and posted back keeps its secret");
    let mut read = server.get_json("/v1/jobs/uses-token").await;
    read["retries"] = json!(1);
    let (status, body) = server.send("POST", "/v1/jobs", &read.to_string()).await;
    assert_eq!(status, 201, "{body}");
    let token_output = run_and_read_output(&server, "uses-token").await;
    assert!(token_output.contains(&token_seen), "{token_output}");

    tracing::info!("phase: the whole server log holds none of the secrets");
    let log = server.log();
    assert!(log.contains("uses-token"), "the log is the server's: {log}");
    assert_no_secret("the server log", &log);
}
