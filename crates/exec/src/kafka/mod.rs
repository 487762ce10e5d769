//! The `kafka` executor: produces one record per run on a Kafka-protocol broker (Dkron's
//! `dkron-executor-kafka`), over rskafka with rustls on ring.

mod client;
mod config;
mod error;
mod partition;
mod tls;

use std::collections::BTreeMap;
use std::sync::atomic::AtomicUsize;

use dkron_model::ConfigFault;
use futures::FutureExt;
use futures::future::BoxFuture;
use tokio_util::sync::CancellationToken;

pub use error::{KafkaConfigError, KafkaRunError};

use crate::executor::unless_cancelled;
use crate::{ExecReport, ExecRequest, Executor, OutputSink};
use config::KafkaConfig;

/// Dkron's output line on success.
const PRODUCED: &str = "Result: successfully produced the message on Kafka broker";
const CANCELLED: &str = "kafka: produce cancelled";

/// Produces one Kafka record per run.
#[derive(Debug)]
pub struct KafkaExecutor {
    /// Spreads records without a key over the partitions in turn.
    unkeyed_turn: AtomicUsize,
}

impl KafkaExecutor {
    /// Returns a kafka executor.
    pub fn new() -> Self {
        // Nodes start their turn at different partitions, as sarama's random choice would.
        let seed = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|elapsed| elapsed.subsec_nanos())
            .unwrap_or(0);
        KafkaExecutor {
            unkeyed_turn: AtomicUsize::new(usize::try_from(seed).unwrap_or(0)),
        }
    }

    async fn produce(
        &self,
        request: &ExecRequest,
        output: &mut OutputSink,
        cancel: &CancellationToken,
    ) -> ExecReport {
        let config = match KafkaConfig::from_map(&request.config) {
            Ok(config) => config,
            Err(error) => return ExecReport::failed(error.to_string()),
        };
        if config.debug {
            tracing::info!(brokers = ?config.brokers, topic = %config.topic, tls = config.tls,
                sasl = config.sasl.is_some(), "kafka: producing");
        }
        let Some(produced) =
            unless_cancelled(cancel, client::produce_once(&config, &self.unkeyed_turn)).await
        else {
            return ExecReport::killed(CANCELLED);
        };
        match produced {
            Ok(produced) => {
                if config.debug {
                    tracing::info!(
                        partition = produced.partition,
                        offset = produced.offset,
                        "kafka: produced"
                    );
                }
                output.write_line(PRODUCED);
                ExecReport::success(None)
            }
            // The registry hides the configured secrets in the error line.
            Err(error) => ExecReport::failed(error.to_string()),
        }
    }
}

impl Default for KafkaExecutor {
    fn default() -> Self {
        KafkaExecutor::new()
    }
}

impl Executor for KafkaExecutor {
    fn run<'run>(
        &'run self,
        request: &'run ExecRequest,
        output: &'run mut OutputSink,
        cancel: &'run CancellationToken,
    ) -> BoxFuture<'run, ExecReport> {
        self.produce(request, output, cancel).boxed()
    }

    fn check_config(&self, config: &BTreeMap<String, String>) -> Result<(), ConfigFault> {
        KafkaConfig::from_map(config)
            .map(drop)
            .map_err(|error| ConfigFault::new(error.key(), error.to_string()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn check_config_names_the_key_at_fault() {
        let map = BTreeMap::from([("brokerAddress".to_string(), "127.0.0.1:9092".to_string())]);
        let fault = KafkaExecutor::new().check_config(&map).unwrap_err();
        assert_eq!(
            (fault.key.as_str(), fault.message.as_str()),
            ("topic", "topic is empty")
        );
    }
}
