//! What the web UI relies on, against the real binary: the UI served at `/ui/`, live output
//! over server-sent events while a shell job runs, and schedule previews.

use std::time::Duration;

use serde_json::Value;

use crate::harness::Server;

const SLOW_JOB: &str = r#"{"name":"slow","schedule":"@manually","executor":"shell","executor_config":{"shell":"true","command":"for i in 1 2 3 4; do echo line-$i; sleep 1; done"}}"#;

fn no_redirects() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

#[tokio::test]
async fn serves_the_ui_and_turns_it_off_with_ui_false() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(dir.path()).await;
    let client = no_redirects();
    let root = client.get(server.url("/")).send().await.unwrap();
    assert!(root.status().is_redirection());
    assert_eq!(root.headers()["location"], "/ui/");
    let (status, page) = server.get("/ui/").await;
    assert_eq!(status, 200);
    assert!(page.to_lowercase().contains("<!doctype html"), "{page}");
    let (status, deep) = server.get("/ui/jobs/anything").await;
    assert_eq!(
        (status, deep),
        (200, page),
        "client-side paths get the page"
    );
    drop(server);

    let dir = tempfile::tempdir().unwrap();
    let server = Server::start_with(dir.path(), &["--ui=false"]).await;
    let (status, _) = server.get("/ui/").await;
    assert_eq!(status, 404);
    let (status, _) = server.get("/v1").await;
    assert_eq!(status, 200, "the API stays on");
}

/// Reads the event stream until `wanted` has arrived; returns everything read.
async fn read_events_until(response: reqwest::Response, wanted: &[&str]) -> String {
    use futures::StreamExt;
    let mut body = response.bytes_stream();
    let mut seen = String::new();
    let read = async {
        while !wanted.iter().all(|part| seen.contains(part)) {
            match body.next().await {
                Some(chunk) => seen.push_str(&String::from_utf8_lossy(&chunk.unwrap())),
                None => break,
            }
        }
    };
    // On timeout the caller's assertions report what did arrive.
    if tokio::time::timeout(Duration::from_secs(30), read)
        .await
        .is_err()
    {
        eprintln!("event stream: gave up waiting for {wanted:?}");
    }
    seen
}

#[tokio::test]
async fn streams_a_running_shell_jobs_output_live() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(dir.path()).await;
    let (status, body) = server.send("POST", "/v1/jobs", SLOW_JOB).await;
    assert_eq!(status, 201, "{body}");
    let (status, body) = server.send("POST", "/v1/jobs/slow/run", "").await;
    assert_eq!(status, 202, "{body}");

    let running_id = server.first_busy_execution_id().await;

    let url = server.url(&format!("/v1/jobs/slow/executions/{running_id}/stream"));
    let response = reqwest::get(&url).await.unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["content-type"], "text/event-stream");
    let seen = read_events_until(response, &["line-1", "event: done"]).await;
    assert!(seen.starts_with("event: reset\n"), "{seen}");
    assert!(
        seen.contains("event: output\n"),
        "output arrived in pieces: {seen}"
    );
    for line in ["line-1", "line-2", "line-3", "line-4"] {
        assert!(seen.contains(line), "{line} missing: {seen}");
    }
    let done = seen
        .split("event: done\ndata: ")
        .nth(1)
        .and_then(|rest| rest.lines().next())
        .unwrap_or_else(|| panic!("no done event: {seen}"));
    let finished: Value = serde_json::from_str(done).unwrap();
    assert_eq!(finished["success"], true);
    assert_eq!(finished["id"], running_id.as_str());

    // Once stored, the same stream answers at once with the whole output.
    let again = reqwest::get(&url).await.unwrap();
    let seen = read_events_until(again, &["event: done"]).await;
    assert!(
        seen.starts_with("event: reset\ndata: {\"text\":\"line-1\\nline-2\\nline-3\\nline-4\\n\"}"),
        "{seen}"
    );
}

#[tokio::test]
async fn previews_schedules_in_the_jobs_zone() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(dir.path()).await;
    let job = r#"{"name":"nightly","schedule":"0 30 2 * * *","timezone":"America/New_York","executor":"shell","executor_config":{"command":"true"}}"#;
    let (status, body) = server.send("POST", "/v1/jobs", job).await;
    assert_eq!(status, 201, "{body}");
    let preview = server.get_json("/v1/jobs/nightly/preview?count=5").await;
    assert_eq!(preview["timezone"], "America/New_York");
    let times = preview["occurrences"].as_array().unwrap();
    assert_eq!(times.len(), 5);
    let stored = server.get_json("/v1/jobs/nightly").await;
    assert_eq!(
        chrono::DateTime::parse_from_rfc3339(times[0]["time"].as_str().unwrap()).unwrap(),
        chrono::DateTime::parse_from_rfc3339(stored["next"].as_str().unwrap()).unwrap(),
        "the preview starts at the job's next run"
    );
    let (status, message) = server
        .get("/v1/schedule/preview?schedule=61%20*%20*%20*%20*%20*")
        .await;
    assert_eq!(status, 400);
    assert!(message.contains("can't parse job schedule"), "{message}");
}

#[tokio::test]
async fn kills_a_running_shell_job_and_records_it_as_killed() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(dir.path()).await;
    let job = r#"{"name":"stuck","schedule":"@manually","executor":"shell","executor_config":{"shell":"true","command":"echo started; sleep 321; echo never"}}"#;
    assert_eq!(server.send("POST", "/v1/jobs", job).await.0, 201);
    assert_eq!(server.send("POST", "/v1/jobs/stuck/run", "").await.0, 202);
    server
        .wait_until(
            "the run printed its first line",
            Duration::from_secs(20),
            || async {
                let busy = server.get_json("/v1/busy").await;
                busy[0]["output"] == "started\n"
            },
        )
        .await;
    let busy = server.get_json("/v1/busy").await;
    let id = busy[0]["id"].as_str().unwrap().to_owned();
    let kill = format!("/v1/jobs/stuck/executions/{id}/kill");
    let (status, body) = server.send("POST", &kill, "").await;
    assert_eq!(status, 202, "{body}");

    server
        .wait_until(
            "the killed run is recorded",
            Duration::from_secs(20),
            || async {
                // The node records a run's start after starting it, so the
                // store can briefly lag `/v1/busy`: a 404 means "not yet".
                let (status, body) = server.get(&format!("/v1/jobs/stuck/executions/{id}")).await;
                if status == 404 {
                    return false;
                }
                assert_eq!(status, 200, "{body}");
                let execution: Value = serde_json::from_str(&body).unwrap();
                execution["finished_at"] != "0001-01-01T00:00:00Z"
            },
        )
        .await;
    let execution = server
        .get_json(&format!("/v1/jobs/stuck/executions/{id}"))
        .await;
    assert_eq!(execution["killed"], true, "{execution}");
    assert_eq!(execution["success"], false, "{execution}");
    let output = execution["output"].as_str().unwrap();
    assert!(output.starts_with("killed on request\n"), "{output}");
    assert!(!output.lines().any(|line| line == "never"), "{output}");
    let sleepers = std::process::Command::new("pgrep")
        .args(["-f", "sleep 321"])
        .output()
        .unwrap();
    assert!(sleepers.stdout.is_empty(), "the process group is gone");

    let (status, body) = server.send("POST", &kill, "").await;
    assert_eq!(status, 409, "{body}");
    assert!(body.contains("already finished"), "{body}");
}
