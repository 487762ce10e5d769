//! The `kafka` executor's errors. Their texts become the run's error line (Dkron's wording
//! where Dkron has one) or the API's 400 answer; none holds a credential.

use thiserror::Error;

/// A `kafka` config that cannot run. [`KafkaConfigError::key`] names the key at fault.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum KafkaConfigError {
    /// `brokerAddress` is absent or empty (Dkron's text).
    #[error("brokerAddress is empty")]
    BrokerAddressMissing,
    /// One entry of `brokerAddress` is not `host:port`.
    #[error("brokerAddress entry '{entry}' is not host:port")]
    BrokerAddressEntry {
        /// The entry as given.
        entry: String,
    },
    /// `topic` is absent or empty (Dkron's text).
    #[error("topic is empty")]
    TopicMissing,
    /// A boolean key holds something Go's `ParseBool` refuses.
    #[error("{key} must be true or false, not '{value}'")]
    Flag {
        /// The key at fault.
        key: &'static str,
        /// Its value (never a secret: only flags get here).
        value: String,
    },
    /// `saslMechanism` is neither `sha256` nor `sha512` (Dkron's text).
    #[error("invalid SASL mechanism, must be 'sha256' or 'sha512'")]
    SaslMechanism,
    /// `saslUsername` is set without `saslPassword`.
    #[error("saslPassword is empty while saslUsername is set")]
    SaslPasswordMissing,
    /// `saslPassword` is set without `saslUsername`.
    #[error("saslUsername is empty while saslPassword is set")]
    SaslUsernameMissing,
}

impl KafkaConfigError {
    /// Returns the `executor_config` key at fault.
    pub fn key(&self) -> &'static str {
        match self {
            KafkaConfigError::BrokerAddressMissing
            | KafkaConfigError::BrokerAddressEntry { .. } => "brokerAddress",
            KafkaConfigError::TopicMissing => "topic",
            KafkaConfigError::Flag { key, .. } => key,
            KafkaConfigError::SaslMechanism => "saslMechanism",
            KafkaConfigError::SaslPasswordMissing => "saslPassword",
            KafkaConfigError::SaslUsernameMissing => "saslUsername",
        }
    }
}

/// A run that could not produce its record. The texts may hold broker addresses and
/// rskafka's explanations, never a credential; the executor scrubs them once more anyway.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum KafkaRunError {
    /// The TLS setup failed (the system's roots could not be loaded).
    #[error("kafka: cannot set up TLS: {0}")]
    Tls(String),
    /// No broker could be reached, logged in to, or asked for metadata. Sarama's wording
    /// first, so alerting on Dkron's error keeps matching.
    #[error("kafka: client has run out of available brokers to talk to: {0}")]
    Connect(String),
    /// Reaching the brokers took too long.
    #[error("kafka: client has run out of available brokers to talk to: no answer within {}s", .0.as_secs())]
    ConnectTimedOut(std::time::Duration),
    /// The broker refused the record or the request failed.
    #[error("kafka: failed to produce the message: {0}")]
    Produce(String),
    /// The produce call did not complete in time.
    #[error("kafka: failed to produce the message: no answer within {}s", .0.as_secs())]
    ProduceTimedOut(std::time::Duration),
}
