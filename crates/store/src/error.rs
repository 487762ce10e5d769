//! Errors of the store.

/// A failure of the storage engine or of a stored value; never a rule violation (those are
/// `ApplyError`s, returned as command results).
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// redb failed (I/O, corruption, transaction error).
    #[error("storage engine error while {action}: {message}")]
    Engine {
        /// What the store was doing.
        action: &'static str,
        /// The engine's message.
        message: String,
    },
    /// A stored value could not be decoded.
    #[error("corrupt {kind} record {key}: {message}")]
    Corrupt {
        /// Which table.
        kind: &'static str,
        /// Which key.
        key: String,
        /// The decoder's message.
        message: String,
    },
    /// Snapshot I/O or format failure.
    #[error("snapshot {action} failed: {message}")]
    Snapshot {
        /// What was being done.
        action: &'static str,
        /// What went wrong.
        message: String,
    },
}

/// Wraps any redb error with what the store was doing.
pub(crate) fn engine<E: Into<redb::Error>>(action: &'static str) -> impl FnOnce(E) -> StoreError {
    move |error| StoreError::Engine {
        action,
        message: error.into().to_string(),
    }
}
