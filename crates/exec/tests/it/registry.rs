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
    // The feature-gated executors come and go with the build; these three are always there.
    let names = registry.names();
    for name in ["broken", "http", "shell"] {
        assert!(names.iter().any(|known| known == name), "{names:?}");
    }
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
