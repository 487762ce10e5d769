//! The plugin host through its public API, with real go-plugin binaries installed in a
//! plugin directory as a user would: discovery, start, status, runs through dkron-exec's
//! registry and processors, crash and restart, cancellation, shutdown.

use std::collections::BTreeMap;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::time::Duration;

use bytes::Bytes;
use dkron_exec::{ExecLimits, ExecOutcome, ExecRequest, ProcessorContext, Processors, Registry};
use dkron_model::{PluginInfo, PluginState, ProcessorMap, StringMap};
use dkron_plugin::{LaunchSettings, PluginHost, plugin_dirs};
use tokio_util::sync::CancellationToken;

use crate::fixtures::{install_fixture, process_alive};

fn status_of(host: &PluginHost, name: &str) -> PluginInfo {
    host.status()
        .into_iter()
        .find(|plugin| plugin.name == name)
        .unwrap_or_else(|| panic!("plugin {name} listed: {:?}", host.status()))
}

/// Installs the fixtures under the given names in the plugin directory beside a config file
/// in `root`, and returns the directories Dkron searches for that config file.
fn install(root: &Path, installs: &[(&str, &str)]) -> Vec<PathBuf> {
    let config = root.join("dkron.yml");
    let dir = root.join("plugins");
    std::fs::create_dir_all(&dir).expect("plugin dir");
    for (fixture, file_name) in installs {
        install_fixture(fixture, &dir, file_name);
    }
    let dirs = plugin_dirs(Some(&config), None);
    assert_eq!(dirs, vec![dir]);
    dirs
}

/// A host for the fixtures installed as [`install`] does.
fn plugin_dir(root: &Path, installs: &[(&str, &str)]) -> PluginHost {
    PluginHost::discover(&install(root, installs), LaunchSettings::default())
}

fn request(job: &str, executor: &str, config: &[(&str, &str)]) -> ExecRequest {
    ExecRequest {
        job_name: job.to_string(),
        execution_id: format!("1-{job}"),
        nominal_time: chrono::Utc::now(),
        attempt: 1,
        executor: executor.to_string(),
        config: config
            .iter()
            .map(|(key, value)| (key.to_string(), value.to_string()))
            .collect::<BTreeMap<_, _>>(),
    }
}

fn registry(host: &PluginHost) -> Registry {
    let mut registry = Registry::builtin();
    for (name, executor) in host.executors() {
        registry.register(name, executor);
    }
    registry
}

async fn run(registry: &Registry, request: ExecRequest) -> (ExecOutcome, Vec<Bytes>) {
    let (live, mut received) = tokio::sync::mpsc::unbounded_channel();
    let outcome = registry
        .run(
            request,
            &ExecLimits::default(),
            Some(live),
            CancellationToken::new(),
        )
        .await;
    let mut chunks = Vec::new();
    while let Ok(chunk) = received.try_recv() {
        chunks.push(chunk);
    }
    (outcome, chunks)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn plugins_start_and_broken_ones_are_shown_with_their_reason() {
    let root = tempfile::tempdir().expect("temp dir");
    let dirs = install(
        root.path(),
        &[
            ("dkron-executor-fixture", "dkron-executor-stream"),
            ("dkron-processor-fixture", "dkron-processor-upper"),
            ("dkron-executor-badhandshake", "dkron-executor-broken"),
            ("dkron-processor-fixture", "dkron-executor-wrongkind"),
            ("dkron-executor-fixture", "dkron-executor-shell"),
        ],
    );
    let text = root.path().join("plugins/dkron-executor-notrunnable");
    std::fs::write(&text, "not a program").expect("write");
    std::fs::set_permissions(&text, std::fs::Permissions::from_mode(0o644)).expect("chmod");
    let host = PluginHost::discover(&dirs, LaunchSettings::default());

    let started = std::time::Instant::now();
    host.start_all().await;
    assert!(
        started.elapsed() < Duration::from_secs(20),
        "{:?}",
        started.elapsed()
    );
    let stream = status_of(&host, "stream");
    assert_eq!(stream.state, PluginState::Running, "{stream:?}");
    assert_eq!(stream.protocol.as_deref(), Some("grpc"));
    assert!(stream.pid.is_some());
    let upper = status_of(&host, "upper");
    assert_eq!(upper.state, PluginState::Running, "{upper:?}");
    assert_eq!(upper.protocol.as_deref(), Some("netrpc"));
    let failures = [
        (
            "broken",
            "bad handshake: unrecognised handshake line \"this is not a handshake\"",
        ),
        (
            "wrongkind",
            "it speaks netrpc, but a Dkron executor speaks grpc",
        ),
        ("notrunnable", "cannot run"),
    ];
    for (name, words) in failures {
        let plugin = status_of(&host, name);
        assert_eq!(plugin.state, PluginState::Failed, "{plugin:?}");
        let error = plugin.last_error.unwrap_or_default();
        assert!(error.contains(words), "{name}: {error}");
    }
    assert!(
        host.status().iter().all(|plugin| plugin.name != "shell"),
        "a plugin named shell is never used"
    );
    host.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_run_streams_live_and_a_crash_is_reported_then_the_plugin_restarts() {
    let root = tempfile::tempdir().expect("temp dir");
    let host = plugin_dir(
        root.path(),
        &[("dkron-executor-fixture", "dkron-executor-stream")],
    );
    let registry = registry(&host);

    let (outcome, chunks) = run(
        &registry,
        request(
            "streamed",
            "stream",
            &[("lines", "3"), ("interval_ms", "50")],
        ),
    )
    .await;
    assert!(outcome.success, "{outcome:?}");
    assert_eq!(
        chunks.len(),
        3,
        "one live chunk per status update: {chunks:?}"
    );
    assert!(outcome.output.contains("line 3 of streamed"), "{outcome:?}");

    let (failed, _) = run(
        &registry,
        request("fails", "stream", &[("lines", "1"), ("fail", "4")]),
    )
    .await;
    assert!(!failed.success);
    assert!(
        failed.output.starts_with("exit status 4\nline 1 of fails"),
        "{failed:?}"
    );

    let (crashed, chunks) = run(
        &registry,
        request(
            "crashes",
            "stream",
            &[("lines", "5"), ("interval_ms", "50"), ("crash_after", "2")],
        ),
    )
    .await;
    assert!(!crashed.success);
    assert!(
        crashed
            .output
            .starts_with("executor plugin stream exited (exit status 3) during the run"),
        "{crashed:?}"
    );
    assert_eq!(chunks.len(), 2, "{chunks:?}");
    // The exit is noted by the host's own watcher, a moment after the run saw it.
    let deadline = std::time::Instant::now() + Duration::from_secs(5);
    while status_of(&host, "stream").state != PluginState::Exited {
        assert!(
            std::time::Instant::now() < deadline,
            "{:?}",
            status_of(&host, "stream")
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let exited = status_of(&host, "stream");
    assert!(
        exited
            .last_error
            .as_deref()
            .is_some_and(|error| error.starts_with("it exited (exit status 3)")),
        "{exited:?}"
    );

    let (again, _) = run(&registry, request("again", "stream", &[("lines", "1")])).await;
    assert!(again.success, "{again:?}");
    let restarted = status_of(&host, "stream");
    assert_eq!(restarted.state, PluginState::Running);
    assert_eq!(restarted.restarts, 1);
    host.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cancelling_the_only_run_stops_the_plugin_and_shutdown_stops_them_all() {
    let root = tempfile::tempdir().expect("temp dir");
    let host = plugin_dir(
        root.path(),
        &[("dkron-executor-fixture", "dkron-executor-stream")],
    );
    let registry = registry(&host);
    host.start_all().await;
    let pid = status_of(&host, "stream").pid.expect("running");

    let cancel = CancellationToken::new();
    let stopper = cancel.clone();
    tokio::spawn(async move {
        tokio::time::sleep(Duration::from_millis(600)).await;
        stopper.cancel();
    });
    let started = std::time::Instant::now();
    let outcome = registry
        .run(
            request("slow", "stream", &[("lines", "50"), ("interval_ms", "200")]),
            &ExecLimits::default(),
            None,
            cancel,
        )
        .await;
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "{:?}",
        started.elapsed()
    );
    assert!(outcome.killed && !outcome.success, "{outcome:?}");
    assert!(
        outcome
            .output
            .starts_with("executor plugin stream: run stopped"),
        "{outcome:?}"
    );
    assert!(
        !process_alive(pid),
        "the plugin process {pid} was stopped with its only run"
    );

    let (outcome, _) = run(&registry, request("next", "stream", &[("lines", "1")])).await;
    assert!(outcome.success, "{outcome:?}");
    let pid = status_of(&host, "stream").pid.expect("running again");
    host.shutdown().await;
    assert!(!process_alive(pid), "shutdown stopped the plugin");
    assert_eq!(status_of(&host, "stream").state, PluginState::Stopped);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_processor_plugin_rewrites_the_output_in_name_order() {
    let root = tempfile::tempdir().expect("temp dir");
    let host = plugin_dir(
        root.path(),
        &[("dkron-processor-fixture", "dkron-processor-upper")],
    );
    let processors = host.processors();
    let context = ProcessorContext {
        job_name: "job".into(),
        execution_id: "1-node".into(),
        node_name: "node-a".into(),
        group: 7,
        attempt: 1,
        started_at: chrono::Utc::now(),
    };
    let configured = ProcessorMap::from([
        (
            "upper".to_string(),
            StringMap::from([("prefix".to_string(), "P: ".to_string())]),
        ),
        ("unknown".to_string(), StringMap::new()),
    ]);
    let output = tokio::task::spawn_blocking(move || {
        let mut processors =
            Processors::with_external(Some(&configured), &context, Some(processors.as_ref()));
        processors.finish(true, "hello\n".to_string())
    })
    .await
    .expect("processors ran");
    assert!(output.starts_with("P: HELLO"), "{output}");
    assert!(output.contains("reported by node-a"), "{output}");

    let failing = ProcessorMap::from([(
        "upper".to_string(),
        StringMap::from([("error".to_string(), "no space left".to_string())]),
    )]);
    let processors = host.processors();
    let context = ProcessorContext {
        job_name: "job".into(),
        execution_id: "2-node".into(),
        node_name: "node-a".into(),
        group: 8,
        attempt: 1,
        started_at: chrono::Utc::now(),
    };
    let output = tokio::task::spawn_blocking(move || {
        let mut processors =
            Processors::with_external(Some(&failing), &context, Some(processors.as_ref()));
        processors.finish(false, "kept\n".to_string())
    })
    .await
    .expect("processors ran");
    assert_eq!(
        output,
        "kept\nprocessor upper failed: the processor plugin answered: no space left\n"
    );
    host.shutdown().await;
}
