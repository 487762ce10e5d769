//! The executor contract (see the crate README), run against every built-in executor.
//! Each executor's own test file builds a [`Fixture`] against its real server and calls
//! [`executor_contract`]; shell and http are here.

use std::any::Any;
use std::time::{Duration, Instant};

use dkron_exec::{ExecLimits, ExecRequest, Registry};
use tokio_util::sync::CancellationToken;

use crate::http_server;
use crate::support::request;

/// Requests that exercise one executor against the contract.
pub(crate) struct Fixture {
    /// A run that succeeds. When `chatty` is true it writes far more than `SMALL_CAP` bytes.
    pub(crate) succeeding: ExecRequest,
    /// Whether `succeeding` writes more than `SMALL_CAP` bytes (an executor whose output is
    /// one result line cannot, and is checked for streaming that line instead).
    pub(crate) chatty: bool,
    /// A run that would go on for minutes unless cancelled (against a server that never
    /// answers, for a network executor).
    pub(crate) long_running: ExecRequest,
    /// A run whose config is invalid.
    pub(crate) misconfigured: ExecRequest,
    /// Whatever must stay alive while the fixture is used (a server process, a listener).
    pub(crate) keep_alive: Vec<Box<dyn Any + Send>>,
}

const SMALL_CAP: usize = 1_000;

/// Checks every rule of the contract for one executor.
pub(crate) async fn executor_contract(name: &str, fixture: Fixture) {
    executor_contract_in(&Registry::builtin(), name, fixture).await;
}

/// Checks every rule of the contract for the executor `registry` has under `name` (for an
/// executor built with explicit settings, such as the emulator address of `gcppubsub`,
/// where the built-in one would read the process environment).
pub(crate) async fn executor_contract_in(registry: &Registry, name: &str, fixture: Fixture) {
    check_streaming(registry, name, &fixture).await;

    tracing::info!(
        executor = name,
        "cancellation ends the run promptly, as killed"
    );
    let cancel = CancellationToken::new();
    let canceller = cancel.clone();
    tokio::spawn(async move {
        tokio::time::sleep(Duration::from_millis(300)).await;
        canceller.cancel();
    });
    let started = Instant::now();
    let cancelled = tokio::time::timeout(
        Duration::from_secs(10),
        registry.run(
            fixture.long_running.clone(),
            &ExecLimits::default(),
            None,
            cancel,
        ),
    )
    .await
    .unwrap_or_else(|_| panic!("{name}: cancellation not honoured"));
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "{name}: slow to cancel"
    );
    assert!(!cancelled.success, "{name}: a cancelled run cannot succeed");
    assert!(cancelled.killed, "{name}: a cancelled run is killed");

    tracing::info!(
        executor = name,
        "an already-cancelled token stops the run at once"
    );
    let already = CancellationToken::new();
    already.cancel();
    let long_again = fixture.long_running.clone();
    let immediate = tokio::time::timeout(
        Duration::from_secs(10),
        registry.run(long_again, &ExecLimits::default(), None, already),
    )
    .await
    .unwrap_or_else(|_| panic!("{name}: pre-cancelled run did not stop"));
    assert!(!immediate.success);

    tracing::info!(
        executor = name,
        "bad config is one failed outcome with an error line"
    );
    let failed = registry
        .run(
            fixture.misconfigured,
            &ExecLimits::default(),
            None,
            CancellationToken::new(),
        )
        .await;
    assert!(!failed.success, "{name}: bad config succeeded");
    assert!(failed.output.ends_with('\n'), "{name}: error line missing");
    assert!(!failed.killed);
    drop(fixture.keep_alive);
}

/// Output is streamed in full while the run goes on and stored within the cap; the live
/// channel closes once the outcome exists.
async fn check_streaming(registry: &Registry, name: &str, fixture: &Fixture) {
    tracing::info!(
        executor = name,
        "output is streamed in full and stored capped"
    );
    let small = ExecLimits {
        output_cap_bytes: SMALL_CAP,
    };
    let (live_sender, mut live) = tokio::sync::mpsc::unbounded_channel();
    let outcome = registry
        .run(
            fixture.succeeding.clone(),
            &small,
            Some(live_sender),
            CancellationToken::new(),
        )
        .await;
    assert!(outcome.success, "{name}: {outcome:?}");
    assert!(
        outcome.output.len() <= SMALL_CAP,
        "{name}: output over the cap"
    );
    let mut streamed = Vec::new();
    while let Some(chunk) = live.recv().await {
        streamed.extend_from_slice(&chunk);
    }
    // The channel closed: the executor holds no sender once it has reported its outcome.
    if fixture.chatty {
        assert!(outcome.output_truncated, "{name}: truncation not reported");
        assert!(
            streamed.len() > SMALL_CAP,
            "{name}: live stream lost output"
        );
    } else {
        assert!(!outcome.output.is_empty(), "{name}: no result line");
        assert_eq!(
            String::from_utf8_lossy(&streamed),
            outcome.output,
            "{name}: the result was not streamed live"
        );
    }
}

fn shell_fixture() -> Fixture {
    Fixture {
        succeeding: request("shell", &[("command", "seq 1 20000")]),
        chatty: true,
        long_running: request("shell", &[("command", "sleep 300")]),
        misconfigured: request("shell", &[("command", "")]),
        keep_alive: Vec::new(),
    }
}

async fn http_fixture() -> Fixture {
    let server = http_server::start().await;
    Fixture {
        succeeding: request("http", &[("method", "GET"), ("url", &server.url("/big"))]),
        chatty: true,
        long_running: request("http", &[("method", "GET"), ("url", &server.url("/slow"))]),
        misconfigured: request("http", &[("url", &server.url("/big"))]),
        keep_alive: Vec::new(),
    }
}

/// The executors whose contract test lives in this crate's test files: one line each, added
/// with the executor (its test file calls [`executor_contract`]).
const EXECUTORS_WITH_A_CONTRACT_TEST: &[&str] = &[
    "gcppubsub",
    "grpc",
    "http",
    "kafka",
    "nats",
    "rabbitmq",
    "shell",
];

#[test]
fn every_builtin_executor_has_a_contract_test() {
    // A build without some executor features has fewer executors than the list; every one it
    // has must be listed (and so have its contract test).
    for name in Registry::builtin().names() {
        assert!(
            EXECUTORS_WITH_A_CONTRACT_TEST.contains(&name.as_str()),
            "{name} has no contract test"
        );
    }
}

#[tokio::test]
async fn shell_keeps_the_executor_contract() {
    executor_contract("shell", shell_fixture()).await;
}

#[tokio::test]
async fn http_keeps_the_executor_contract() {
    executor_contract("http", http_fixture().await).await;
}
