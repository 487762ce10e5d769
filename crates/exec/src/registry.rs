//! The name-to-executor table and the one entry point callers use, [`Registry::run`].

use std::collections::BTreeMap;
use std::fmt;
use std::panic::AssertUnwindSafe;
use std::sync::Arc;

use bytes::Bytes;
use futures::FutureExt;
use tokio::sync::mpsc::UnboundedSender;
use tokio_util::sync::CancellationToken;
use tracing::Instrument;

use crate::{
    ExecLimits, ExecOutcome, ExecReport, ExecRequest, Executor, HttpExecutor, OutputSink,
    RegistryError, ShellExecutor,
};

type Constructor = fn() -> Arc<dyn Executor>;

/// The built-in executors under Dkron's plugin names. This is the one place to add one.
fn builtin_constructors() -> [(&'static str, Constructor); 2] {
    [
        ("shell", || Arc::new(ShellExecutor::new())),
        ("http", || Arc::new(HttpExecutor::new())),
    ]
}

/// Maps executor names (Dkron's `executor` field) to executors.
#[derive(Clone, Default)]
pub struct Registry {
    executors: BTreeMap<String, Arc<dyn Executor>>,
}

impl fmt::Debug for Registry {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter
            .debug_struct("Registry")
            .field("executors", &self.names())
            .finish()
    }
}

impl Registry {
    /// Returns a registry with no executor at all.
    pub fn empty() -> Self {
        Registry::default()
    }

    /// Returns a registry with the built-in executors, `shell` and `http`.
    pub fn builtin() -> Self {
        let mut registry = Registry::empty();
        for (name, construct) in builtin_constructors() {
            registry.register(name, construct());
        }
        registry
    }

    /// Adds (or replaces) the executor used for `name`.
    pub fn register(&mut self, name: impl Into<String>, executor: Arc<dyn Executor>) {
        self.executors.insert(name.into(), executor);
    }

    /// Returns the known executor names, sorted.
    pub fn names(&self) -> Vec<String> {
        self.executors.keys().cloned().collect()
    }

    /// Returns the executor for `name`, or why there is none.
    pub fn get(&self, name: &str) -> Result<Arc<dyn Executor>, RegistryError> {
        if name.is_empty() {
            return Err(RegistryError::NoExecutor);
        }
        self.executors
            .get(name)
            .cloned()
            .ok_or_else(|| RegistryError::UnknownExecutor {
                name: name.to_string(),
                known: self.names(),
            })
    }

    /// Runs `request` with the executor it names and returns its single outcome.
    ///
    /// Output chunks go to `live` as they are produced; the stored output keeps the last
    /// `limits.output_cap_bytes` bytes, with the error line first when the run failed. Firing
    /// `cancel` stops the run (a process group is killed). Never panics: a panicking executor
    /// yields a failed outcome.
    pub async fn run(
        &self,
        request: ExecRequest,
        limits: &ExecLimits,
        live: Option<UnboundedSender<Bytes>>,
        cancel: CancellationToken,
    ) -> ExecOutcome {
        let span = tracing::info_span!(
            "execution",
            job = %request.job_name,
            execution = %request.execution_id,
            executor = %request.executor,
            attempt = request.attempt,
        );
        self.run_in_span(request, limits, live, cancel)
            .instrument(span)
            .await
    }

    async fn run_in_span(
        &self,
        request: ExecRequest,
        limits: &ExecLimits,
        live: Option<UnboundedSender<Bytes>>,
        cancel: CancellationToken,
    ) -> ExecOutcome {
        let mut sink = OutputSink::new(limits.output_cap_bytes, live);
        let executor = match self.get(&request.executor) {
            Ok(executor) => executor,
            Err(error) => {
                tracing::warn!(error = %error, "execution not started");
                return outcome_from(ExecReport::failed(error.to_string()), sink);
            }
        };
        tracing::debug!("execution started");
        let guarded_run = AssertUnwindSafe(executor.run(&request, &mut sink, &cancel));
        let report = match guarded_run.catch_unwind().await {
            Ok(report) => report,
            Err(_) => {
                tracing::error!("executor panicked");
                ExecReport::failed(format!("executor {:?} panicked", request.executor))
            }
        };
        let outcome = outcome_from(report, sink);
        tracing::info!(
            success = outcome.success,
            exit_code = ?outcome.exit_code,
            killed = outcome.killed,
            output_truncated = outcome.output_truncated,
            "execution finished"
        );
        outcome
    }
}

fn outcome_from(report: ExecReport, sink: OutputSink) -> ExecOutcome {
    let (output, output_truncated) = sink.finish(report.error.as_deref());
    ExecOutcome {
        success: report.error.is_none(),
        exit_code: report.exit_code,
        output,
        output_truncated,
        killed: report.killed,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builtin_names_are_dkrons() {
        assert_eq!(Registry::builtin().names(), vec!["http", "shell"]);
    }

    #[test]
    fn unknown_executor_lists_known_ones() {
        let error = Registry::builtin().get("kafka").err().unwrap();
        assert_eq!(
            error.to_string(),
            "Specified executor \"kafka\" is not present (known executors: http, shell)"
        );
    }

    #[test]
    fn empty_executor_is_its_own_error() {
        assert_eq!(
            Registry::builtin().get("").err(),
            Some(RegistryError::NoExecutor)
        );
    }
}
