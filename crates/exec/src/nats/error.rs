//! The `nats` executor's errors. Their texts end up in execution output, so none of them
//! holds a password: server entries are shown through `redact_urls_in`.

use dkron_model::ConfigFault;

/// A `nats` executor config that cannot be used, found without the network.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NatsConfigError {
    /// `url` is missing, empty or only commas (Dkron's text).
    #[error("url is empty")]
    UrlEmpty,
    /// `subject` is missing or empty (Dkron's text).
    #[error("subject is empty")]
    SubjectEmpty,
    /// One entry of the `url` server list is not a NATS server address.
    #[error("url: server {entry:?} is not a NATS server address: {reason}")]
    BadServer {
        /// The entry as written, its password hidden.
        entry: String,
        /// Why it was refused.
        reason: String,
    },
    /// The subject holds whitespace, which the NATS protocol uses as its separator.
    #[error("subject {subject:?} holds whitespace, which NATS subjects cannot contain")]
    SubjectWhitespace {
        /// The subject as written.
        subject: String,
    },
}

impl NatsConfigError {
    /// Returns the key of `executor_config` at fault.
    pub fn key(&self) -> &'static str {
        match self {
            NatsConfigError::UrlEmpty | NatsConfigError::BadServer { .. } => "url",
            NatsConfigError::SubjectEmpty | NatsConfigError::SubjectWhitespace { .. } => "subject",
        }
    }

    /// Returns the refusal the API answers a job submission with.
    pub fn to_fault(&self) -> ConfigFault {
        ConfigFault::new(self.key(), self.to_string())
    }
}

/// A run that reached for the server and did not deliver its message.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NatsDeliveryError {
    /// No server of the list accepted the connection (Dkron's text first, then why).
    #[error("error connecting to NATS: {detail}")]
    Connect {
        /// What the client said, with URL passwords hidden.
        detail: String,
    },
    /// The connection was made but the message was not confirmed by the server.
    #[error("error publishing to NATS: {detail}")]
    Publish {
        /// What went wrong, with URL passwords hidden.
        detail: String,
    },
}
