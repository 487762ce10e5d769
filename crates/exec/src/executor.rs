//! The trait every executor implements.

use std::collections::BTreeMap;

use dkron_model::ConfigFault;
use futures::future::BoxFuture;
use tokio_util::sync::CancellationToken;

use crate::{ExecRequest, OutputSink};

/// What an executor reports when it is done; the registry turns it into an
/// [`ExecOutcome`](crate::ExecOutcome).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ExecReport {
    /// Process exit code, when a process exited normally.
    pub exit_code: Option<i32>,
    /// The error line (e.g. `exit status 1`); `None` means success.
    pub error: Option<String>,
    /// True when the run was stopped by a timeout, a memory limit or cancellation.
    pub killed: bool,
}

impl ExecReport {
    /// Returns a successful report.
    pub fn success(exit_code: Option<i32>) -> Self {
        ExecReport {
            exit_code,
            error: None,
            killed: false,
        }
    }

    /// Returns a failed report with the given error line.
    pub fn failed(error: impl Into<String>) -> Self {
        ExecReport {
            exit_code: None,
            error: Some(error.into()),
            killed: false,
        }
    }

    /// Returns the report of a run stopped by a timeout, a limit or cancellation.
    pub fn killed(error: impl Into<String>) -> Self {
        ExecReport {
            killed: true,
            ..ExecReport::failed(error)
        }
    }
}

/// Runs `work` until it ends or `cancel` fires, and returns `None` when it was cancelled. The
/// token is looked at first, so a run cancelled before it started does nothing; `work` is
/// dropped on cancellation, which is how the network executors abandon a call.
pub(crate) async fn unless_cancelled<T>(
    cancel: &CancellationToken,
    work: impl std::future::Future<Output = T>,
) -> Option<T> {
    tokio::select! {
        biased;
        () = cancel.cancelled() => None,
        value = work => Some(value),
    }
}

/// Runs one kind of job. See the crate README for the contract every implementation keeps:
/// return exactly once, write output as it is produced, stop promptly once `cancel` fires.
pub trait Executor: Send + Sync {
    /// Runs `request`, writing output to `output`, and stops early when `cancel` fires.
    fn run<'run>(
        &'run self,
        request: &'run ExecRequest,
        output: &'run mut OutputSink,
        cancel: &'run CancellationToken,
    ) -> BoxFuture<'run, ExecReport>;

    /// Checks `config` (a job's `executor_config`) without touching the network, so a bad
    /// key is refused when the job is submitted rather than at its first run. The default
    /// accepts everything: Dkron's `shell` and `http` refuse nothing at submission.
    fn check_config(&self, config: &BTreeMap<String, String>) -> Result<(), ConfigFault> {
        let _ = config;
        Ok(())
    }
}

/// How work run with [`run_bounded`] ended.
pub(crate) enum Ended<T> {
    /// It finished with this value.
    Done(T),
    /// Its time limit passed first.
    TimedOut(std::time::Duration),
    /// The run was cancelled first (or before it started).
    Cancelled,
}

/// Runs `work` within `timeout` (none: no limit) unless `cancel` fires first; the executors
/// with a `timeout` key (http, grpc) bound their whole exchange this way.
pub(crate) async fn run_bounded<T>(
    cancel: &CancellationToken,
    timeout: Option<std::time::Duration>,
    work: impl std::future::Future<Output = T>,
) -> Ended<T> {
    let timed = async {
        match timeout {
            Some(limit) => tokio::time::timeout(limit, work)
                .await
                .map_or(Ended::TimedOut(limit), Ended::Done),
            None => Ended::Done(work.await),
        }
    };
    unless_cancelled(cancel, timed)
        .await
        .unwrap_or(Ended::Cancelled)
}
