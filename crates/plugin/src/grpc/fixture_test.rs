//! The gRPC host against real go-plugin executors built from `crates/plugin/fixtures`:
//! `dkron-executor-fixture` (go-plugin 1.0.1), `dkron-executor-stdio` (1.7's GRPCStdio
//! shape), `dkron-executor-v3` (Dkron v3's service names) and `dkron-executor-badhandshake`.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use tokio::sync::mpsc;

use super::{GrpcError, GrpcPlugin, StatusUpdate, StdioChunk, StdioStream, StdioTarget};
use crate::handshake::WireProtocol;
use crate::process::{LaunchSettings, PluginProcess, StartError, launch};

#[allow(
    dead_code,
    reason = "shared with the integration tests, which use all of it"
)]
use crate::fixtures;

const WAIT: Duration = Duration::from_secs(10);

async fn fixture_path(name: &'static str) -> std::path::PathBuf {
    tokio::task::spawn_blocking(move || fixtures::fixture_plugin(name))
        .await
        .expect("fixture build task")
}

async fn start(name: &'static str, stdio: StdioTarget) -> (PluginProcess, GrpcPlugin) {
    let path = fixture_path(name).await;
    let process = launch(name, &path, &LaunchSettings::default())
        .await
        .expect("the fixture starts");
    assert_eq!(process.handshake.protocol, WireProtocol::Grpc);
    let plugin = GrpcPlugin::connect_relaying(name, &process.handshake.address, stdio)
        .await
        .expect("the fixture takes the connection");
    (process, plugin)
}

async fn start_fixture() -> (PluginProcess, GrpcPlugin) {
    start("dkron-executor-fixture", StdioTarget::ThisProcess).await
}

fn config(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
    pairs
        .iter()
        .map(|(key, value)| (key.to_string(), value.to_string()))
        .collect()
}

fn received(updates: &mut mpsc::UnboundedReceiver<StatusUpdate>) -> Vec<String> {
    let mut texts = Vec::new();
    while let Ok(update) = updates.try_recv() {
        assert!(!update.error);
        texts.push(String::from_utf8_lossy(&update.output).into_owned());
    }
    texts
}

#[tokio::test]
async fn a_run_streams_its_lines_as_they_happen() {
    let (_process, plugin) = start_fixture().await;
    let (sender, mut updates) = mpsc::unbounded_channel();
    let job = config(&[("lines", "4"), ("interval_ms", "400")]);
    let call = tokio::spawn({
        let plugin = plugin.clone();
        async move { plugin.execute("stream", &job, sender).await }
    });
    let first = tokio::time::timeout(WAIT, updates.recv())
        .await
        .expect("a first update in time")
        .expect("an update");
    let first_at = Instant::now();
    assert_eq!(first.output, b"line 1 of stream\n");
    let reply = call
        .await
        .expect("the call task")
        .expect("the call succeeds");
    // Three more lines, 400 ms apart, came after the first: it was not held back.
    assert!(
        first_at.elapsed() >= Duration::from_millis(1000),
        "{:?}",
        first_at.elapsed()
    );
    assert_eq!(
        received(&mut updates),
        [
            "line 2 of stream\n",
            "line 3 of stream\n",
            "line 4 of stream\n"
        ]
    );
    assert_eq!(
        String::from_utf8_lossy(&reply.output),
        "line 1 of stream\nline 2 of stream\nline 3 of stream\nline 4 of stream\n"
    );
    assert_eq!(reply.error, "");
}

#[tokio::test]
async fn the_reply_carries_output_and_error() {
    let (_process, plugin) = start_fixture().await;
    let (sender, mut updates) = mpsc::unbounded_channel();
    let job = config(&[("lines", "2"), ("interval_ms", "1"), ("fail", "3")]);
    let reply = plugin
        .execute("failing", &job, sender)
        .await
        .expect("a reply");
    assert_eq!(reply.error, "exit status 3");
    assert_eq!(reply.output, b"line 1 of failing\nline 2 of failing\n");
    assert_eq!(received(&mut updates).len(), 2);
}

#[tokio::test]
async fn a_dkron_v3_plugin_is_spoken_to_under_v3s_names() {
    let (_process, plugin) = start("dkron-executor-v3", StdioTarget::ThisProcess).await;
    for run in ["first", "second"] {
        let (sender, mut updates) = mpsc::unbounded_channel();
        let job = config(&[("lines", "2"), ("interval_ms", "1"), ("fail", "2")]);
        let reply = plugin.execute(run, &job, sender).await.expect("a reply");
        assert_eq!(reply.error, "exit status 2");
        assert_eq!(
            received(&mut updates),
            [format!("line 1 of {run}\n"), format!("line 2 of {run}\n")]
        );
    }
}

#[tokio::test]
async fn a_crash_mid_run_is_an_error_and_the_exit_is_seen() {
    let (process, plugin) = start_fixture().await;
    let (sender, mut updates) = mpsc::unbounded_channel();
    let job = config(&[("lines", "5"), ("interval_ms", "1"), ("crash_after", "2")]);
    let error = plugin
        .execute("crashing", &job, sender)
        .await
        .expect_err("no reply from a crashed plugin");
    assert!(matches!(error, GrpcError::ConnectionLost(_)), "{error:?}");
    assert_eq!(
        received(&mut updates),
        ["line 1 of crashing\n", "line 2 of crashing\n"]
    );
    let status = tokio::time::timeout(WAIT, process.exited())
        .await
        .expect("the exit is noticed");
    assert_eq!(status, "exit status 3");
}

#[tokio::test]
async fn a_dropped_call_frees_its_socket_and_the_connection_serves_on() {
    let (_process, plugin) = start_fixture().await;
    let (sender, mut updates) = mpsc::unbounded_channel();
    let job = config(&[("lines", "100"), ("interval_ms", "50")]);
    let call = plugin.execute("long", &job, sender);
    tokio::select! {
        result = call => panic!("the long call ended early: {result:?}"),
        first = updates.recv() => assert!(first.is_some()),
    }
    let socket = plugin
        .last_status_socket()
        .expect("a status socket was made");
    let directory = socket
        .parent()
        .expect("the socket's directory")
        .to_path_buf();
    assert_eq!(
        socket.try_exists().ok(),
        Some(false),
        "{}",
        socket.display()
    );
    assert_eq!(
        directory.try_exists().ok(),
        Some(false),
        "{}",
        directory.display()
    );

    let (sender, mut updates) = mpsc::unbounded_channel();
    let job = config(&[("lines", "1")]);
    let reply = plugin
        .execute("next", &job, sender)
        .await
        .expect("the next call runs");
    assert_eq!(reply.output, b"line 1 of next\n");
    assert_eq!(received(&mut updates), ["line 1 of next\n"]);
}

#[tokio::test]
async fn concurrent_calls_each_get_only_their_own_updates() {
    let (_process, plugin) = start_fixture().await;
    let run = |job_name: &'static str| {
        let plugin = plugin.clone();
        async move {
            let (sender, mut updates) = mpsc::unbounded_channel();
            let job = config(&[("lines", "3"), ("interval_ms", "100")]);
            let reply = plugin
                .execute(job_name, &job, sender)
                .await
                .expect("a reply");
            (reply, received(&mut updates))
        }
    };
    let ((reply_a, updates_a), (reply_b, updates_b)) = tokio::join!(run("a"), run("b"));
    for (name, reply, updates) in [("a", reply_a, updates_a), ("b", reply_b, updates_b)] {
        let expected: Vec<String> = (1..=3).map(|i| format!("line {i} of {name}\n")).collect();
        assert_eq!(updates, expected);
        assert_eq!(String::from_utf8_lossy(&reply.output), expected.concat());
    }
}

#[tokio::test]
async fn oversized_messages_are_refused() {
    let (_process, plugin) = start_fixture().await;
    let five_mib = (5 * 1024 * 1024).to_string();
    for key in ["pad_reply", "pad_update"] {
        let (sender, _updates) = mpsc::unbounded_channel();
        let job = config(&[("lines", "1"), (key, &five_mib)]);
        let error = plugin
            .execute("big", &job, sender)
            .await
            .expect_err("more than 4 MiB is refused");
        assert!(matches!(error, GrpcError::Call { .. }), "{key}: {error:?}");
    }
    let (sender, _updates) = mpsc::unbounded_channel();
    let reply = plugin
        .execute("small", &config(&[("lines", "1")]), sender)
        .await;
    assert!(reply.is_ok(), "the connection survives: {reply:?}");
}

#[tokio::test]
async fn shutdown_makes_the_process_exit_by_itself() {
    let (process, plugin) = start_fixture().await;
    plugin.shutdown().await.expect("shutdown is accepted");
    let status = tokio::time::timeout(WAIT, process.exited())
        .await
        .expect("the plugin exits");
    assert_eq!(status, "exit status 0");
}

#[tokio::test]
async fn a_go_plugin_1_7_plugins_standard_output_is_relayed() {
    let (relay, mut relayed) = mpsc::unbounded_channel();
    let (process, plugin) = start("dkron-executor-stdio", StdioTarget::Channel(relay)).await;
    let (sender, _updates) = mpsc::unbounded_channel();
    let job = config(&[("lines", "1"), ("stdout", "hello from the plugin")]);
    let reply = plugin.execute("talk", &job, sender).await;
    reply.unwrap_or_else(|error| panic!("{error}{}", process.last_words()));
    let chunk = tokio::time::timeout(WAIT, relayed.recv())
        .await
        .expect("relayed in time")
        .expect("a chunk");
    assert_eq!(
        chunk,
        StdioChunk {
            stream: StdioStream::Stdout,
            data: b"hello from the plugin\n".to_vec(),
        }
    );
}

#[tokio::test]
async fn a_plugin_without_stdio_runs_all_the_same() {
    let (relay, mut relayed) = mpsc::unbounded_channel();
    let (_process, plugin) = start("dkron-executor-fixture", StdioTarget::Channel(relay)).await;
    let (sender, _updates) = mpsc::unbounded_channel();
    let job = config(&[("lines", "1"), ("stdout", "swallowed by go-plugin 1.0")]);
    plugin
        .execute("quiet", &job, sender)
        .await
        .expect("a reply");
    drop(plugin);
    // The relay ended (Unimplemented) without a chunk, and its sender went with it.
    let nothing = tokio::time::timeout(WAIT, relayed.recv())
        .await
        .expect("the relay ended");
    assert_eq!(nothing, None);
}

#[tokio::test]
async fn a_bad_handshake_is_refused_at_once() {
    let path = fixture_path("dkron-executor-badhandshake").await;
    let started = Instant::now();
    let error = launch("badhandshake", &path, &LaunchSettings::default())
        .await
        .expect_err("not a plugin");
    assert!(
        started.elapsed() < Duration::from_millis(900),
        "{:?}",
        started.elapsed()
    );
    assert!(matches!(error, StartError::Handshake(_)), "{error:?}");
    assert!(
        error.to_string().contains("this is not a handshake"),
        "{error}"
    );
}
