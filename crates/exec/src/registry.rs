//! The name-to-executor table and the one entry point callers use, [`Registry::run`].

use std::collections::BTreeMap;
use std::fmt;
use std::panic::AssertUnwindSafe;
use std::sync::Arc;

use bytes::Bytes;
use dkron_model::ConfigFault;
use dkron_model::secrets::hide_secrets_in;
use futures::FutureExt;
use tokio::sync::mpsc::UnboundedSender;
use tokio_util::sync::CancellationToken;
use tracing::Instrument;

use crate::{
    ExecLimits, ExecOutcome, ExecReport, ExecRequest, Executor, HttpExecutor, OutputSink,
    RegistryError, ShellExecutor,
};

type Constructor = fn() -> Arc<dyn Executor>;

/// The built-in executors under Dkron's plugin names. This is the one place to add one; the
/// messaging and RPC executors are cargo features of this crate (all on in the `dkron`
/// binary's default build).
fn builtin_constructors() -> Vec<(&'static str, Constructor)> {
    let mut constructors: Vec<(&'static str, Constructor)> = vec![
        ("shell", || Arc::new(ShellExecutor::new())),
        ("http", || Arc::new(HttpExecutor::new())),
    ];
    constructors.extend(optional_constructors());
    constructors
}

/// The executors behind cargo features, those of this build only.
#[allow(unused_mut, clippy::vec_init_then_push)]
fn optional_constructors() -> Vec<(&'static str, Constructor)> {
    // Each feature adds its entry here; an empty list is a build with none of them.
    vec![
        #[cfg(feature = "nats")]
        ("nats", || Arc::new(crate::NatsExecutor::new())),
        #[cfg(feature = "gcppubsub")]
        ("gcppubsub", || Arc::new(crate::PubSubExecutor::new())),
        #[cfg(feature = "grpc")]
        ("grpc", || Arc::new(crate::GrpcExecutor::new())),
        #[cfg(feature = "rabbitmq")]
        ("rabbitmq", || Arc::new(crate::RabbitMqExecutor::new())),
        #[cfg(feature = "kafka")]
        ("kafka", || Arc::new(crate::KafkaExecutor::new())),
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

    /// Returns a registry with the built-in executors: `shell`, `http`, and those of the
    /// enabled features (`nats`, `rabbitmq`, `kafka`, `grpc`, `gcppubsub`).
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

    /// Checks a job's `executor_config` for the executor it names, without the network. An
    /// unknown or empty executor name is accepted here, as Dkron does: the run reports it.
    pub fn check_config(
        &self,
        executor: &str,
        config: &BTreeMap<String, String>,
    ) -> Result<(), ConfigFault> {
        match self.executors.get(executor) {
            Some(known) => known.check_config(config),
            None => Ok(()),
        }
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
        let mut report = match guarded_run.catch_unwind().await {
            Ok(report) => report,
            Err(_) => {
                tracing::error!("executor panicked");
                ExecReport::failed(format!("executor {:?} panicked", request.executor))
            }
        };
        // One place for every executor: a client library or a server may echo a password,
        // a token or a URL with user info into the error line that gets stored and shown.
        report.error = report
            .error
            .map(|line| hide_secrets_in(&line, &request.config));
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
        let names = Registry::builtin().names();
        assert!(names.contains(&"http".to_owned()) && names.contains(&"shell".to_owned()));
    }

    #[test]
    fn unknown_executors_pass_the_submission_check() {
        let config = BTreeMap::new();
        assert_eq!(
            Registry::builtin().check_config("plugin-x", &config),
            Ok(())
        );
        assert_eq!(Registry::builtin().check_config("", &config), Ok(()));
        assert_eq!(Registry::builtin().check_config("shell", &config), Ok(()));
    }

    #[test]
    fn unknown_executor_lists_known_ones() {
        let error = Registry::builtin().get("nosuch").err().unwrap();
        let known = Registry::builtin().names().join(", ");
        assert_eq!(
            error.to_string(),
            format!("Specified executor \"nosuch\" is not present (known executors: {known})")
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
