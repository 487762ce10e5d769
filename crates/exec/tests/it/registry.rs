//! Registry behaviour: empty and unknown executors, panicking executors, custom executors.

use std::sync::Arc;

use dkron_exec::{ExecLimits, ExecReport, ExecRequest, Executor, OutputSink, Registry};
use futures::FutureExt;
use futures::future::BoxFuture;
use tokio_util::sync::CancellationToken;

use crate::support::{request, run};

#[tokio::test]
async fn empty_executor_fails_with_dkrons_message() {
    let outcome = run(request("", &[])).await;
    assert!(!outcome.success);
    assert_eq!(outcome.output, "No executor defined, nothing to do\n");
}

#[tokio::test]
async fn unknown_executor_lists_the_known_ones() {
    let outcome = run(request("nosuch", &[("topic", "x")])).await;
    assert!(!outcome.success);
    let known = Registry::builtin().names().join(", ");
    assert_eq!(
        outcome.output,
        format!("Specified executor \"nosuch\" is not present (known executors: {known})\n")
    );
}

struct Panicking;

impl Executor for Panicking {
    fn run<'run>(
        &'run self,
        _request: &'run ExecRequest,
        output: &'run mut OutputSink,
        _cancel: &'run CancellationToken,
    ) -> BoxFuture<'run, ExecReport> {
        async move {
            output.write_line("about to fail");
            panic!("executor bug");
        }
        .boxed()
    }
}

#[tokio::test]
async fn a_panicking_executor_still_yields_one_failed_outcome() {
    let mut registry = Registry::builtin();
    registry.register("broken", Arc::new(Panicking));
    // The built-in names depend on the enabled executor features.
    let mut expected = Registry::builtin().names();
    expected.push("broken".to_owned());
    expected.sort();
    assert_eq!(registry.names(), expected);
    let outcome = registry
        .run(
            request("broken", &[]),
            &ExecLimits::default(),
            None,
            CancellationToken::new(),
        )
        .await;
    assert!(!outcome.success);
    assert_eq!(
        outcome.output,
        "executor \"broken\" panicked\nabout to fail\n"
    );
}

/// Fails with an error line that echoes its configuration, as a careless client library might.
struct Echoing;

impl Executor for Echoing {
    fn run<'run>(
        &'run self,
        request: &'run ExecRequest,
        _output: &'run mut OutputSink,
        _cancel: &'run CancellationToken,
    ) -> BoxFuture<'run, ExecReport> {
        let line = format!(
            "login as {} with {} at {} failed",
            request.config["saslUsername"], request.config["password"], request.config["url"]
        );
        async move { ExecReport::failed(line) }.boxed()
    }
}

#[tokio::test]
async fn an_error_line_never_stores_a_configured_secret() {
    let mut registry = Registry::empty();
    registry.register("echoing", Arc::new(Echoing));
    let config = [
        ("saslUsername", "api-key-77"),
        ("password", "hunter2"),
        ("url", "amqp://app:s3cret@127.0.0.1:5672/"),
    ];
    let outcome = registry
        .run(
            request("echoing", &config),
            &ExecLimits::default(),
            None,
            CancellationToken::new(),
        )
        .await;
    assert!(!outcome.success);
    assert_eq!(
        outcome.output,
        "login as <redacted> with <redacted> at amqp://app:<redacted>@127.0.0.1:5672/ failed\n"
    );
}
