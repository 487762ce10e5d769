//! The `nats` executor: publishes one message to a NATS server (Dkron's `nats` executor).

mod client;
mod config;
mod error;

use std::collections::BTreeMap;

use dkron_model::ConfigFault;
use futures::FutureExt;
use futures::future::BoxFuture;
use tokio_util::sync::CancellationToken;

pub use error::{NatsConfigError, NatsDeliveryError};

use crate::executor::unless_cancelled;
use crate::{ExecReport, ExecRequest, Executor, OutputSink};
use config::NatsConfig;

/// Dkron's output line for a delivered message.
const SENT: &str = "Result: Message successfully sent";

/// Publishes the job's `message` on its `subject` (Dkron's `nats` executor). It keeps no
/// connection between runs: each run connects, publishes, waits for the server's
/// confirmation and closes.
#[derive(Debug, Default)]
pub struct NatsExecutor;

impl NatsExecutor {
    /// Returns the nats executor.
    pub fn new() -> Self {
        NatsExecutor
    }

    async fn publish(
        &self,
        request: &ExecRequest,
        output: &mut OutputSink,
        cancel: &CancellationToken,
    ) -> ExecReport {
        if cancel.is_cancelled() {
            return cancelled();
        }
        let config = match NatsConfig::from_map(&request.config) {
            Ok(config) => config,
            Err(error) => return ExecReport::failed(error.to_string()),
        };
        if config.debug {
            let shown = dkron_model::secrets::redact_config(&request.config);
            tracing::info!(config = ?shown, "nats job config");
            tracing::info!(
                subject = %config.subject,
                message_bytes = config.message.len(),
                "nats publishing"
            );
        }
        let Some(delivered) = unless_cancelled(cancel, client::deliver(&config)).await else {
            return cancelled();
        };
        match delivered {
            Ok(()) => {
                output.write_line(SENT);
                ExecReport::success(None)
            }
            // The registry hides the configured secrets in the error line.
            Err(error) => ExecReport::failed(error.to_string()),
        }
    }
}

fn cancelled() -> ExecReport {
    ExecReport::killed("nats: publish cancelled")
}

impl Executor for NatsExecutor {
    fn run<'run>(
        &'run self,
        request: &'run ExecRequest,
        output: &'run mut OutputSink,
        cancel: &'run CancellationToken,
    ) -> BoxFuture<'run, ExecReport> {
        self.publish(request, output, cancel).boxed()
    }

    fn check_config(&self, config: &BTreeMap<String, String>) -> Result<(), ConfigFault> {
        NatsConfig::from_map(config)
            .map(|_| ())
            .map_err(|error| error.to_fault())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_logged_config_hides_passwords_and_url_tokens() {
        for url in ["nats://t0ken-xyz@h:4222", "t0ken-xyz@h:4222"] {
            let config = BTreeMap::from([
                ("url".to_string(), url.to_string()),
                ("password".to_string(), "hunter2".to_string()),
                ("subject".to_string(), "s".to_string()),
            ]);
            let shown = format!("{:?}", dkron_model::secrets::redact_config(&config));
            assert!(
                !shown.contains("t0ken-xyz") && !shown.contains("hunter2"),
                "{shown}"
            );
            assert!(shown.contains("\"subject\": \"s\""), "{shown}");
        }
    }
}
