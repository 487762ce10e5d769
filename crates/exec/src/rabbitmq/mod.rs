//! The `rabbitmq` executor: publishes one message to a RabbitMQ queue (Dkron's `rabbitmq`).
//!
//! The keys are read in `config.rs` (pure, unit-tested), the URL in `url.rs`; `client.rs`
//! talks AMQP 0-9-1 through lapin, with publisher confirms so that success means the broker
//! took the message.

mod client;
mod config;
mod error;
mod url;

use std::collections::BTreeMap;

use dkron_model::ConfigFault;
use futures::FutureExt;
use futures::future::BoxFuture;
use tokio_util::sync::CancellationToken;

pub use config::{QueueFlags, RabbitMqConfig};
pub use error::{RabbitMqConfigError, RabbitMqPublishError};

use crate::executor::unless_cancelled;
use crate::{ExecReport, ExecRequest, Executor, OutputSink};
use client::{BrokerSocket, publish};

/// Publishes one message per run to RabbitMQ (Dkron's `rabbitmq` executor).
#[derive(Debug, Default)]
pub struct RabbitMqExecutor;

impl RabbitMqExecutor {
    /// Returns the executor; it keeps no state between runs (one connection per run).
    pub fn new() -> Self {
        RabbitMqExecutor
    }
}

async fn run_publish(
    request: &ExecRequest,
    output: &mut OutputSink,
    cancel: &CancellationToken,
) -> ExecReport {
    let config = match RabbitMqConfig::from_map(&request.config) {
        Ok(config) => config,
        Err(error) => return ExecReport::failed(error.to_string()),
    };
    for warning in &config.warnings {
        output.write_line(warning);
    }
    let socket = BrokerSocket::default();
    // Shuts the socket down however this function ends, a dropped future included.
    let _closer = socket.closer();
    let Some(result) = unless_cancelled(cancel, publish(&config, &socket)).await else {
        return ExecReport::killed("RabbitMQ: publish cancelled");
    };
    match result {
        Ok(()) => {
            output.write_line(&result_line(&config));
            ExecReport::success(None)
        }
        Err(error) => ExecReport::failed(error.to_string()),
    }
}

/// Dkron's output is empty; one line saying where the message went is ours.
fn result_line(config: &RabbitMqConfig) -> String {
    if config.exchange.is_empty() {
        format!("Result: message published to queue {}", config.queue_name)
    } else {
        format!(
            "Result: message published to exchange {} with routing key {}",
            config.exchange, config.queue_name
        )
    }
}

impl Executor for RabbitMqExecutor {
    fn run<'run>(
        &'run self,
        request: &'run ExecRequest,
        output: &'run mut OutputSink,
        cancel: &'run CancellationToken,
    ) -> BoxFuture<'run, ExecReport> {
        run_publish(request, output, cancel).boxed()
    }

    fn check_config(&self, config: &BTreeMap<String, String>) -> Result<(), ConfigFault> {
        RabbitMqConfig::from_map(config)
            .map(|_| ())
            .map_err(|error| ConfigFault::new(error.key(), error.to_string()))
    }
}
