//! How runs of one job relate in time, against the real binary: the job-level `timeout` for
//! every executor.

use std::time::Duration;

use serde_json::{Value, json};

use crate::harness::Server;

async fn create(server: &Server, job: Value) {
    let (status, body) = server.send("POST", "/v1/jobs", &job.to_string()).await;
    assert_eq!(status, 201, "{body}");
}

async fn single_execution(server: &Server, job: &str) -> Value {
    let (status, body) = server
        .send("POST", &format!("/v1/jobs/{job}/run?wait=true"), "")
        .await;
    assert_eq!(status, 200, "{body}");
    let executions = server.get_json(&format!("/v1/jobs/{job}/executions")).await;
    assert_eq!(executions.as_array().unwrap().len(), 1, "{executions}");
    executions[0].clone()
}

fn duration(execution: &Value) -> chrono::TimeDelta {
    let time = |key: &str| {
        execution[key]
            .as_str()
            .unwrap()
            .parse::<chrono::DateTime<chrono::Utc>>()
            .unwrap()
    };
    time("finished_at") - time("started_at")
}

#[tokio::test]
async fn the_job_timeout_stops_shell_and_http_runs() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(dir.path()).await;
    create(
        &server,
        json!({"name": "slow-shell", "schedule": "@manually", "executor": "shell", "timeout": "1s",
               "executor_config": {"shell": "true", "command": "echo started; sleep 40; echo done"}}),
    )
    .await;
    let shell = single_execution(&server, "slow-shell").await;
    assert_eq!(
        (shell["success"].as_bool(), shell["killed"].as_bool()),
        (Some(false), Some(true))
    );
    let output = shell["output"].as_str().unwrap();
    assert!(
        output.starts_with("killed: the job's timeout of 1s passed\n"),
        "{output}"
    );
    assert!(
        output.contains("started") && !output.lines().any(|line| line == "done"),
        "{output}"
    );
    assert!(
        duration(&shell) < chrono::TimeDelta::seconds(30),
        "stopped long before the sleep ended"
    );

    // An HTTP endpoint that accepts and never answers; its own executor timeout is a minute.
    let silent = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/slow", silent.local_addr().unwrap());
    let holder = tokio::spawn(async move {
        let mut held = Vec::new();
        while let Ok((socket, _)) = silent.accept().await {
            held.push(socket);
        }
    });
    create(
        &server,
        json!({"name": "slow-http", "schedule": "@manually", "executor": "http", "timeout": "1s",
               "executor_config": {"method": "GET", "url": url, "timeout": "60"}}),
    )
    .await;
    let http = single_execution(&server, "slow-http").await;
    assert_eq!(
        (http["success"].as_bool(), http["killed"].as_bool()),
        (Some(false), Some(true))
    );
    assert!(
        http["output"]
            .as_str()
            .unwrap()
            .starts_with("killed: the job's timeout of 1s passed"),
        "{http}"
    );
    assert!(duration(&http) < chrono::TimeDelta::seconds(30));
    holder.abort();
    let _settled = tokio::time::timeout(Duration::from_secs(1), holder).await;
}
