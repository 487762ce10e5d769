//! What can go wrong talking to a processor plugin, in words for the job's owner.

use super::gob::GobError;
use super::yamux::YamuxError;

/// Why a call to a processor plugin failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub(crate) enum NetRpcError {
    /// The plugin's address could not be reached.
    #[error("cannot connect to the processor plugin at {address}: {reason}")]
    Connect {
        /// The handshake's address.
        address: String,
        /// The operating system's reason.
        reason: String,
    },
    /// The connection or one of its streams failed (the plugin exited, closed, or reset).
    #[error("the connection to the processor plugin failed: {0}")]
    Connection(#[from] YamuxError),
    /// The plugin sent bytes that are not go-plugin's net/rpc.
    #[error("the processor plugin sent something that is not go-plugin net/rpc: {0}")]
    Protocol(String),
    /// The plugin's method returned an error (net/rpc's `Response.Error`).
    #[error("the processor plugin answered: {0}")]
    Remote(String),
}

impl From<GobError> for NetRpcError {
    fn from(error: GobError) -> Self {
        NetRpcError::Protocol(error.to_string())
    }
}
