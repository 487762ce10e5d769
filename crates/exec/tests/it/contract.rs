//! The executor contract (see the crate README), run against every built-in executor.

use std::time::{Duration, Instant};

use dkron_exec::{ExecLimits, ExecRequest, Registry};
use tokio_util::sync::CancellationToken;

use crate::http_server;
use crate::support::request;

/// Requests that exercise one executor against the contract.
struct Fixture {
    /// A run that succeeds and writes far more than `SMALL_CAP` bytes.
    chatty: ExecRequest,
    /// A run that would go on for minutes unless cancelled.
    long_running: ExecRequest,
    /// A run whose config is invalid.
    misconfigured: ExecRequest,
}

const SMALL_CAP: usize = 1_000;

/// Checks every rule of the contract for one executor.
async fn executor_contract(name: &str, fixture: Fixture) {
    let registry = Registry::builtin();
    let small = ExecLimits {
        output_cap_bytes: SMALL_CAP,
    };

    tracing::info!(
        executor = name,
        "output is streamed in full and stored capped"
    );
    let (live_sender, mut live) = tokio::sync::mpsc::unbounded_channel();
    let outcome = registry
        .run(
            fixture.chatty,
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
    assert!(outcome.output_truncated, "{name}: truncation not reported");
    let mut streamed_bytes = 0;
    while let Some(chunk) = live.recv().await {
        streamed_bytes += chunk.len();
    }
    // The channel closed: the executor holds no sender once it has reported its outcome.
    assert!(
        streamed_bytes > SMALL_CAP,
        "{name}: live stream lost output"
    );

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
        registry.run(fixture.long_running, &ExecLimits::default(), None, cancel),
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
    let long_again = fixture_long_running_again(name).await;
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
}

/// A fresh long-running request for the pre-cancelled case.
async fn fixture_long_running_again(name: &str) -> ExecRequest {
    match name {
        "shell" => shell_fixture().long_running,
        "http" => http_fixture().await.long_running,
        other => panic!("no fixture for {other}"),
    }
}

fn shell_fixture() -> Fixture {
    Fixture {
        chatty: request("shell", &[("command", "seq 1 20000")]),
        long_running: request("shell", &[("command", "sleep 300")]),
        misconfigured: request("shell", &[("command", "")]),
    }
}

async fn http_fixture() -> Fixture {
    let server = http_server::start().await;
    Fixture {
        chatty: request("http", &[("method", "GET"), ("url", &server.url("/big"))]),
        long_running: request("http", &[("method", "GET"), ("url", &server.url("/slow"))]),
        misconfigured: request("http", &[("url", &server.url("/big"))]),
    }
}

#[test]
fn every_builtin_executor_has_a_contract_test() {
    assert_eq!(Registry::builtin().names(), ["http", "shell"]);
}

#[tokio::test]
async fn shell_keeps_the_executor_contract() {
    executor_contract("shell", shell_fixture()).await;
}

#[tokio::test]
async fn http_keeps_the_executor_contract() {
    executor_contract("http", http_fixture().await).await;
}
