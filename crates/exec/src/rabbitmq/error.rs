//! What can go wrong with a `rabbitmq` job: its config (checked before anything is sent) and
//! the publish itself.

use thiserror::Error;

/// A `rabbitmq` executor config that cannot be used. The texts of the first three are Dkron's,
/// and so are the base64 and delivery-mode ones (Go's standard library wording).
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum RabbitMqConfigError {
    /// `url` is missing or empty.
    #[error("RabbitMQ url is empty")]
    UrlEmpty,
    /// `queue.name` is missing or empty.
    #[error("RabbitMQ queue name is empty")]
    QueueNameEmpty,
    /// `message.body` and `message.base64Body` are both non-empty.
    #[error("RabbitMQ message.body and message.base64Body are both set")]
    BothBodies,
    /// `url` is not an AMQP URL; the reason never repeats the URL (it may hold a password).
    #[error("{reason}")]
    InvalidUrl {
        /// What is wrong with it.
        reason: String,
    },
    /// `message.base64Body` is not standard base64.
    #[error("illegal base64 data at input byte {offset}")]
    InvalidBase64 {
        /// Where decoding stopped, counted in bytes of the value.
        offset: usize,
    },
    /// `message.delivery_mode` is not a number from 0 to 255.
    #[error("strconv.ParseUint: parsing {quoted}: {reason}")]
    InvalidDeliveryMode {
        /// The value, quoted as Go's `strconv.Quote` would.
        quoted: String,
        /// `invalid syntax` or `value out of range`.
        reason: &'static str,
    },
    /// A name AMQP carries as a short string is longer than the protocol allows.
    #[error("RabbitMQ {key} is {length} bytes long, more than the 255 AMQP allows")]
    TooLong {
        /// The key at fault.
        key: &'static str,
        /// Its length in bytes.
        length: usize,
    },
}

impl RabbitMqConfigError {
    /// Returns the `executor_config` key at fault.
    pub fn key(&self) -> &'static str {
        match self {
            RabbitMqConfigError::UrlEmpty | RabbitMqConfigError::InvalidUrl { .. } => "url",
            RabbitMqConfigError::QueueNameEmpty => "queue.name",
            RabbitMqConfigError::BothBodies | RabbitMqConfigError::InvalidBase64 { .. } => {
                "message.base64Body"
            }
            RabbitMqConfigError::InvalidDeliveryMode { .. } => "message.delivery_mode",
            RabbitMqConfigError::TooLong { key, .. } => key,
        }
    }
}

/// Why a publish did not go through. Messages never hold the URL's user info.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum RabbitMqPublishError {
    /// No TCP (or TLS) connection to the broker.
    #[error("dial tcp {address}: {reason}")]
    Dial {
        /// `host:port`.
        address: String,
        /// The operating system's or TLS layer's reason.
        reason: String,
    },
    /// The broker closed the connection or channel with an AMQP exception; the same shape as
    /// Go's amqp client (`Exception (404) Reason: "NOT_FOUND - ..."`).
    #[error("Exception ({code}) Reason: {reason:?}")]
    Refused {
        /// The AMQP reply code.
        code: u16,
        /// The broker's reply text.
        reason: String,
    },
    /// The broker answered with a negative acknowledgement: it did not take the message.
    #[error("RabbitMQ broker did not accept the message (nack)")]
    NotAccepted,
    /// No answer in time from the broker.
    #[error("RabbitMQ broker at {address} did not answer within {seconds}s")]
    TimedOut {
        /// `host:port`.
        address: String,
        /// The bound that was reached.
        seconds: u64,
    },
    /// Anything else the client reported.
    #[error("RabbitMQ: {reason}")]
    Client {
        /// The client library's message, with URL passwords hidden.
        reason: String,
    },
}
