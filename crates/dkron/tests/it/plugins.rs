//! Dkron plugin binaries under the real server: Go programs built against HashiCorp's
//! go-plugin (`crates/plugin/fixtures`), installed in the `plugins` directory beside the
//! configuration file as a Dkron user would, run unchanged.

use std::path::Path;
use std::time::Duration;

use serde_json::{Value, json};

use crate::harness::{Server, read_event_stream};

use crate::fixtures::{self, process_alive};

/// A server whose `plugins` directory (beside its `dkron.yml`) holds the fixture executor as
/// `stream`, the fixture processor as `upper` and a plugin with a bad handshake as `broken`.
async fn server_with_plugins(dir: &Path) -> Server {
    let plugins = dir.join("plugins");
    std::fs::create_dir_all(&plugins).unwrap();
    fixtures::install_fixture("dkron-executor-fixture", &plugins, "dkron-executor-stream");
    fixtures::install_fixture("dkron-processor-fixture", &plugins, "dkron-processor-upper");
    fixtures::install_fixture(
        "dkron-executor-badhandshake",
        &plugins,
        "dkron-executor-broken",
    );
    let config = dir.join("dkron.yml");
    std::fs::write(&config, "log-level: debug\n").unwrap();
    let config_flag = format!("--config={}", config.display());
    Server::start_with(dir, &[&config_flag]).await
}

fn plugin<'a>(plugins: &'a Value, name: &str) -> &'a Value {
    plugins
        .as_array()
        .unwrap()
        .iter()
        .find(|plugin| plugin["name"] == name)
        .unwrap_or_else(|| panic!("plugin {name} listed: {plugins}"))
}

fn pid_of(plugin: &Value) -> u32 {
    u32::try_from(plugin["pid"].as_u64().unwrap()).unwrap()
}

async fn wait_for_plugin_state(server: &Server, name: &str, state: &str) -> Value {
    server
        .wait_until(
            &format!("plugin {name} is {state}"),
            Duration::from_secs(30),
            || async { plugin(&server.get_json("/v1/plugins").await, name)["state"] == state },
        )
        .await;
    plugin(&server.get_json("/v1/plugins").await, name).clone()
}

async fn create_job(server: &Server, job: &Value) {
    let (status, body) = server.send("POST", "/v1/jobs", &job.to_string()).await;
    assert_eq!(status, 201, "{body}");
}

async fn read_stream_until_done(server: &Server, url: &str) -> String {
    let response = reqwest::get(server.url(url)).await.unwrap();
    assert_eq!(response.status(), 200);
    read_event_stream(response, Duration::from_secs(30)).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_go_plugin_executor_streams_and_a_go_plugin_processor_rewrites() {
    let dir = tempfile::tempdir().unwrap();
    let server = server_with_plugins(dir.path()).await;
    let stream = wait_for_plugin_state(&server, "stream", "running").await;
    assert_eq!(stream["kind"], "executor");
    assert_eq!(stream["protocol"], "grpc");
    let upper = wait_for_plugin_state(&server, "upper", "running").await;
    assert_eq!(upper["protocol"], "netrpc");
    let broken = wait_for_plugin_state(&server, "broken", "failed").await;
    assert!(
        broken["last_error"]
            .as_str()
            .unwrap()
            .contains("bad handshake: unrecognised handshake line \"this is not a handshake\""),
        "{broken}"
    );

    create_job(
        &server,
        &json!({"name": "streamed", "schedule": "@manually", "executor": "stream",
                "executor_config": {"lines": "4", "interval_ms": "1000"},
                "processors": {"upper": {"prefix": "P: "}}}),
    )
    .await;
    let (status, body) = server.send("POST", "/v1/jobs/streamed", "").await;
    assert_eq!(status, 202, "{body}");
    let id = server.first_busy_execution_id().await;
    let events = read_stream_until_done(
        &server,
        &format!("/v1/jobs/streamed/executions/{id}/stream"),
    )
    .await;
    let first = events.find("line 1 of streamed").expect("line 1 streamed");
    let done = events
        .find("event: done")
        .expect("the stream ends with done");
    // Lines arrive while the run goes on (the last one may come with the result).
    let third = events.find("line 3 of streamed").expect("line 3 streamed");
    assert!(first < third && third < done, "{events}");
    assert!(events[done..].contains("LINE 4 OF STREAMED"), "{events}");

    let execution = server.first_finished_execution("streamed").await;
    assert_eq!(execution["success"], true, "{execution}");
    let output = execution["output"].as_str().unwrap();
    assert!(output.starts_with("P: LINE 1 OF STREAMED"), "{output}");
    assert!(output.contains("LINE 4 OF STREAMED"), "{output}");
    assert!(output.contains("reported by test-node"), "{output}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn plugin_failures_end_runs_with_a_message_and_a_crashed_plugin_restarts() {
    let dir = tempfile::tempdir().unwrap();
    let server = server_with_plugins(dir.path()).await;
    wait_for_plugin_state(&server, "stream", "running").await;

    create_job(
        &server,
        &json!({"name": "fails", "schedule": "@manually", "executor": "stream",
                "executor_config": {"lines": "1", "interval_ms": "10", "fail": "3"}}),
    )
    .await;
    let failed = server.run_job_and_wait("fails").await;
    assert_eq!(failed["success"], false);
    let output = failed["output"].as_str().unwrap();
    assert!(output.starts_with("exit status 3\n"), "{output}");
    assert!(output.contains("line 1 of fails"), "{output}");

    create_job(
        &server,
        &json!({"name": "crashes", "schedule": "@manually", "executor": "stream",
                "executor_config": {"lines": "5", "interval_ms": "100", "crash_after": "2"}}),
    )
    .await;
    let crashed = server.run_job_and_wait("crashes").await;
    assert_eq!(crashed["success"], false);
    let output = crashed["output"].as_str().unwrap();
    assert!(
        output.starts_with("executor plugin stream exited (exit status 3) during the run"),
        "{output}"
    );
    assert!(output.contains("line 2 of crashes"), "{output}");
    wait_for_plugin_state(&server, "stream", "exited").await;

    create_job(
        &server,
        &json!({"name": "after-crash", "schedule": "@manually", "executor": "stream",
                "executor_config": {"lines": "1", "interval_ms": "10"}}),
    )
    .await;
    let again = server.run_job_and_wait("after-crash").await;
    assert_eq!(again["success"], true, "{again}");
    let stream = wait_for_plugin_state(&server, "stream", "running").await;
    assert_eq!(stream["restarts"], 1, "{stream}");

    create_job(
        &server,
        &json!({"name": "on-broken", "schedule": "@manually", "executor": "broken"}),
    )
    .await;
    let refused = server.run_job_and_wait("on-broken").await;
    assert_eq!(refused["success"], false);
    let output = refused["output"].as_str().unwrap();
    assert!(
        output.starts_with("executor plugin broken is not running: "),
        "{output}"
    );
    assert!(output.contains("bad handshake"), "{output}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_jobs_timeout_stops_a_plugin_run_and_shutdown_stops_the_plugins() {
    let dir = tempfile::tempdir().unwrap();
    let mut server = server_with_plugins(dir.path()).await;
    let stream = wait_for_plugin_state(&server, "stream", "running").await;
    let first_pid = pid_of(&stream);

    create_job(
        &server,
        &json!({"name": "too-slow", "schedule": "@manually", "executor": "stream",
                "timeout": "1s",
                "executor_config": {"lines": "20", "interval_ms": "500"}}),
    )
    .await;
    let stopped = server.run_job_and_wait("too-slow").await;
    assert_eq!(stopped["success"], false);
    let output = stopped["output"].as_str().unwrap();
    assert!(
        output.contains("executor plugin stream: run stopped"),
        "{output}"
    );
    assert!(!output.contains("line 20 of too-slow"), "{output}");
    let started = chrono::DateTime::parse_from_rfc3339(stopped["started_at"].as_str().unwrap());
    let finished = chrono::DateTime::parse_from_rfc3339(stopped["finished_at"].as_str().unwrap());
    let took = finished.unwrap() - started.unwrap();
    assert!(took < chrono::Duration::seconds(5), "stopped after {took}");
    // The only run was stopped, so the plugin process was stopped with it.
    assert!(!process_alive(first_pid), "plugin {first_pid} still runs");

    create_job(
        &server,
        &json!({"name": "quick", "schedule": "@manually", "executor": "stream",
                "executor_config": {"lines": "1", "interval_ms": "10"}}),
    )
    .await;
    assert_eq!(server.run_job_and_wait("quick").await["success"], true);
    let plugins = server.get_json("/v1/plugins").await;
    let pids: Vec<u32> = ["stream", "upper"]
        .iter()
        .map(|name| pid_of(plugin(&plugins, name)))
        .collect();
    let status = server.terminate().await;
    assert!(status.success(), "{status}");
    for pid in pids {
        assert!(!process_alive(pid), "plugin {pid} outlived the server");
    }
    let log = server.log();
    assert!(log.contains("plugin started"), "{log}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_node_restarted_after_a_crash_kills_the_plugins_its_last_process_left() {
    let dir = tempfile::tempdir().unwrap();
    let mut server = server_with_plugins(dir.path()).await;
    let before = wait_for_plugin_state(&server, "stream", "running").await;
    let orphan = pid_of(&before);
    server.kill();
    // go-plugin plugins do not watch their host: the plugin outlives the crash.
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert!(
        process_alive(orphan),
        "the plugin {orphan} died with the node"
    );

    server.spawn().await;
    let after = wait_for_plugin_state(&server, "stream", "running").await;
    assert_ne!(after["pid"], before["pid"]);
    server
        .wait_until("the orphan is gone", Duration::from_secs(10), || async {
            !process_alive(orphan)
        })
        .await;
    assert!(
        server
            .log()
            .contains("killed plugin processes left by a previous run of this node"),
        "{}",
        server.log()
    );
}
