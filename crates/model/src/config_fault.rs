//! A refusal of one key of an executor's or processor's configuration, found without the
//! network when a job is submitted.

/// One key of a job's `executor_config` is wrong; `message` says how and what would do.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct ConfigFault {
    /// The key at fault, as the user wrote it (`queue.name`, `saslMechanism`).
    pub key: String,
    /// What is wrong, in words a user can act on; never holds a secret value.
    pub message: String,
}

impl ConfigFault {
    /// Returns the refusal of `key` with `message`.
    pub fn new(key: impl Into<String>, message: impl Into<String>) -> Self {
        ConfigFault {
            key: key.into(),
            message: message.into(),
        }
    }

    /// Returns the job field at fault as a JSON path (`executor_config.queue.name`), the
    /// form the API's `X-Error-Field` header uses.
    pub fn field(&self) -> String {
        format!("executor_config.{}", self.key)
    }
}
