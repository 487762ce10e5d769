//! One produce over rskafka: connect to the bootstrap brokers, read the topic's partitions,
//! pick one, and produce the record with acks from all in-sync replicas (rskafka always asks
//! for `acks = -1`, Dkron's `WaitForAll`). Every step is bounded in time; the caller races the
//! whole against cancellation, and dropping it closes every connection.

use std::sync::atomic::AtomicUsize;
use std::time::Duration;

use chrono::Utc;
use rskafka::BackoffConfig;
use rskafka::client::partition::{Compression, UnknownTopicHandling};
use rskafka::client::{Client, ClientBuilder, Credentials, SaslConfig};
use rskafka::record::Record;

use super::config::{KafkaConfig, SaslLogin, ScramMechanism};
use super::error::KafkaRunError;
use super::partition::choose_partition;
use super::tls::client_config;
use crate::error_chain::error_chain;

/// Reaching a broker (TCP, TLS, SASL, metadata), retries included.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(20);
/// The produce call, retries included; above the 30 s the broker is given to gather acks.
const PRODUCE_TIMEOUT: Duration = Duration::from_secs(40);
/// How long rskafka keeps retrying one step: about what sarama's 5 retries at 100 ms take,
/// with room for a leader election. rskafka counts retries by time, not by number.
const RETRY_WINDOW: Duration = Duration::from_secs(5);

/// Where the record went.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Produced {
    pub(crate) partition: i32,
    pub(crate) offset: i64,
}

/// Produces `config.message` under `config.key` on `config.topic`.
pub(crate) async fn produce_once(
    config: &KafkaConfig,
    unkeyed_turn: &AtomicUsize,
) -> Result<Produced, KafkaRunError> {
    let client = tokio::time::timeout(CONNECT_TIMEOUT, connect(config))
        .await
        .map_err(|_| KafkaRunError::ConnectTimedOut(CONNECT_TIMEOUT))??;
    let partition = pick_partition(&client, config, unkeyed_turn).await?;
    let record = Record {
        key: config.key.as_ref().map(|key| key.as_bytes().to_vec()),
        value: Some(config.message.as_bytes().to_vec()),
        headers: Default::default(),
        timestamp: Utc::now(),
    };
    let send = async {
        let partition_client = client
            .partition_client(config.topic.clone(), partition, UnknownTopicHandling::Error)
            .await?;
        partition_client
            .produce(vec![record], Compression::NoCompression)
            .await
    };
    let offsets = tokio::time::timeout(PRODUCE_TIMEOUT, send)
        .await
        .map_err(|_| KafkaRunError::ProduceTimedOut(PRODUCE_TIMEOUT))?
        .map_err(|error| KafkaRunError::Produce(error_chain(&error)))?;
    Ok(Produced {
        partition,
        offset: offsets.first().copied().unwrap_or(-1),
    })
}

async fn connect(config: &KafkaConfig) -> Result<Client, KafkaRunError> {
    let mut builder = ClientBuilder::new(config.brokers.clone())
        .client_id("dkron")
        .backoff_config(BackoffConfig {
            init_backoff: Duration::from_millis(100),
            max_backoff: Duration::from_secs(1),
            base: 2.0,
            deadline: Some(RETRY_WINDOW),
        });
    if config.tls {
        let tls = client_config(config.tls_skip_verify)
            .map_err(|error| KafkaRunError::Tls(error.to_string()))?;
        builder = builder.tls_config(tls);
    }
    if let Some(login) = &config.sasl {
        builder = builder.sasl_config(sasl_config(login));
    }
    builder
        .build()
        .await
        .map_err(|error| KafkaRunError::Connect(error_chain(&error)))
}

fn sasl_config(login: &SaslLogin) -> SaslConfig {
    let credentials = Credentials::new(login.username.clone(), login.password.clone());
    match login.mechanism {
        ScramMechanism::Sha256 => SaslConfig::ScramSha256(credentials),
        ScramMechanism::Sha512 => SaslConfig::ScramSha512(credentials),
    }
}

/// Reads the topic's partitions from the cluster metadata. A topic the broker does not list
/// goes to partition 0: asking for it lets a broker that auto-creates topics do so (as
/// sarama's metadata request does), and one that does not answers "unknown topic".
async fn pick_partition(
    client: &Client,
    config: &KafkaConfig,
    unkeyed_turn: &AtomicUsize,
) -> Result<i32, KafkaRunError> {
    let topics = tokio::time::timeout(CONNECT_TIMEOUT, client.list_topics())
        .await
        .map_err(|_| KafkaRunError::ConnectTimedOut(CONNECT_TIMEOUT))?
        .map_err(|error| KafkaRunError::Connect(error_chain(&error)))?;
    let partitions = topics
        .into_iter()
        .find(|topic| topic.name == config.topic)
        .map(|topic| topic.partitions.into_iter().collect::<Vec<i32>>())
        .unwrap_or_default();
    let key = config.key.as_deref().map(str::as_bytes);
    Ok(choose_partition(key, &partitions, unkeyed_turn).unwrap_or(0))
}
