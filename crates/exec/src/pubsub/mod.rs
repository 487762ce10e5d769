//! The `gcppubsub` executor: publishes one message to a Google Cloud Pub/Sub topic over gRPC
//! and outputs the id the server gave it, as Dkron's executor does.

mod config;
mod credentials;
mod environment;
mod error;
mod proto;
mod publish;

use std::collections::BTreeMap;
use std::time::Duration;

use dkron_model::ConfigFault;
use futures::FutureExt;
use futures::future::BoxFuture;
use tokio_util::sync::CancellationToken;

pub use config::PubSubConfig;
pub use environment::PubSubEnvironment;
pub use error::{CredentialError, PubSubConfigError, PublishError};

use crate::executor::{Ended, run_bounded};
use crate::{ExecReport, ExecRequest, Executor, OutputSink};
use credentials::TokenCache;
use publish::Target;

/// Dkron's limit on one publish, credentials included.
const PUBLISH_TIMEOUT: Duration = Duration::from_secs(15);

/// Publishes one message per run (Dkron's `gcppubsub` executor).
#[derive(Debug, Default)]
pub struct PubSubExecutor {
    /// Fixed settings, or `None` to read the process environment at every run.
    fixed_environment: Option<PubSubEnvironment>,
    tokens: TokenCache,
}

impl PubSubExecutor {
    /// Returns an executor that reads `PUBSUB_EMULATOR_HOST`, `PUBSUB_ENDPOINT` and the
    /// credential variables from the process environment at each run.
    pub fn new() -> Self {
        PubSubExecutor::default()
    }

    /// Returns an executor that uses `environment` instead of the process environment.
    pub fn with_environment(environment: PubSubEnvironment) -> Self {
        PubSubExecutor {
            fixed_environment: Some(environment),
            tokens: TokenCache::default(),
        }
    }

    async fn run_publish(
        &self,
        request: &ExecRequest,
        output: &mut OutputSink,
        cancel: &CancellationToken,
    ) -> ExecReport {
        let config = match PubSubConfig::from_map(&request.config) {
            Ok(config) => config,
            Err(error) => return ExecReport::failed(error.run_error_line()),
        };
        let environment = self
            .fixed_environment
            .clone()
            .unwrap_or_else(PubSubEnvironment::from_process);
        let publish = self.authorize_and_publish(&config, &environment);
        match run_bounded(cancel, Some(PUBLISH_TIMEOUT), publish).await {
            Ended::Done(Ok(message_id)) => {
                output.write_line(&message_id);
                ExecReport::success(None)
            }
            Ended::Done(Err(error)) => ExecReport::failed(error.to_string()),
            Ended::TimedOut(limit) => ExecReport::killed(format!(
                "gcppubsub: publish to {} timed out after {}s",
                config.topic_path,
                limit.as_secs()
            )),
            Ended::Cancelled => ExecReport::killed("gcppubsub: publish cancelled"),
        }
    }

    async fn authorize_and_publish(
        &self,
        config: &PubSubConfig,
        environment: &PubSubEnvironment,
    ) -> Result<String, PublishError> {
        let target = match &environment.emulator_host {
            Some(host) => Target {
                endpoint: format!("http://{host}"),
                bearer: None,
            },
            None => Target {
                endpoint: environment
                    .endpoint
                    .clone()
                    .unwrap_or_else(|| environment::DEFAULT_ENDPOINT.to_owned()),
                bearer: Some(self.tokens.access_token(environment).await?),
            },
        };
        publish::publish(config, &target).await
    }
}

impl Executor for PubSubExecutor {
    fn run<'run>(
        &'run self,
        request: &'run ExecRequest,
        output: &'run mut OutputSink,
        cancel: &'run CancellationToken,
    ) -> BoxFuture<'run, ExecReport> {
        self.run_publish(request, output, cancel).boxed()
    }

    fn check_config(&self, config: &BTreeMap<String, String>) -> Result<(), ConfigFault> {
        config::check(config)
    }
}
