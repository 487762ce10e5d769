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

fn time_of(execution: &Value, key: &str) -> chrono::DateTime<chrono::Utc> {
    execution[key].as_str().unwrap().parse().unwrap()
}

async fn executions_by_start(server: &Server, job: &str) -> Vec<Value> {
    let mut list = server
        .get_json(&format!("/v1/jobs/{job}/executions"))
        .await
        .as_array()
        .unwrap()
        .clone();
    list.sort_by_key(|execution| time_of(execution, "started_at"));
    list
}

async fn wait_busy(server: &Server, job: &str) {
    server
        .wait_until(
            &format!("{job} is running"),
            Duration::from_secs(20),
            || async {
                let busy = server.get_json("/v1/busy").await;
                busy.as_array()
                    .unwrap()
                    .iter()
                    .any(|e| e["job_name"] == job)
            },
        )
        .await;
}

#[tokio::test]
async fn queue_runs_the_next_occurrence_after_the_active_one_and_replace_stops_it() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(dir.path()).await;
    create(
        &server,
        json!({"name": "queued", "schedule": "@manually", "executor": "shell", "concurrency": "queue",
               "executor_config": {"shell": "true", "command": "sleep 2; echo done"}}),
    )
    .await;
    assert_eq!(server.send("POST", "/v1/jobs/queued/run", "").await.0, 202);
    wait_busy(&server, "queued").await;
    // The second waits for the first, the third finds the queue full.
    assert_eq!(server.send("POST", "/v1/jobs/queued/run", "").await.0, 202);
    let (status, body) = server.send("POST", "/v1/jobs/queued/run", "").await;
    assert_eq!(status, 409, "{body}");
    assert!(body.contains("overlap"), "{body}");
    server
        .wait_until(
            "both queued runs finished",
            Duration::from_secs(30),
            || async {
                let list = executions_by_start(&server, "queued").await;
                list.len() == 2 && list.iter().all(|e| e["success"] == true)
            },
        )
        .await;
    let list = executions_by_start(&server, "queued").await;
    assert!(
        time_of(&list[1], "started_at") >= time_of(&list[0], "finished_at"),
        "never at the same time: {list:?}"
    );

    create(
        &server,
        json!({"name": "replaced", "schedule": "@manually", "executor": "shell", "concurrency": "replace",
               "executor_config": {"shell": "true", "command": "echo begin; sleep 300"}}),
    )
    .await;
    assert_eq!(
        server.send("POST", "/v1/jobs/replaced/run", "").await.0,
        202
    );
    wait_busy(&server, "replaced").await;
    assert_eq!(
        server.send("POST", "/v1/jobs/replaced/run", "").await.0,
        202
    );
    server
        .wait_until(
            "the first run was stopped",
            Duration::from_secs(20),
            || async {
                let list = executions_by_start(&server, "replaced").await;
                list.first()
                    .is_some_and(|first| first["finished_at"] != "0001-01-01T00:00:00Z")
            },
        )
        .await;
    let first = executions_by_start(&server, "replaced").await[0].clone();
    assert_eq!(first["killed"], true, "{first}");
    let output = first["output"].as_str().unwrap();
    assert!(
        output.starts_with("killed: replaced by a newer run"),
        "{output}"
    );
    let busy = server.get_json("/v1/busy").await;
    let running: Vec<&Value> = busy
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["job_name"] == "replaced")
        .collect();
    assert_eq!(running.len(), 1, "the newer run goes on: {busy}");
    assert_ne!(running[0]["id"], first["id"]);
    let id = running[0]["id"].as_str().unwrap();
    let kill = format!("/v1/jobs/replaced/executions/{id}/kill");
    assert_eq!(server.send("POST", &kill, "").await.0, 202);
}
