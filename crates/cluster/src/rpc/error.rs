//! Why a call to another node failed.

use std::fmt::Display;
use std::time::Duration;

use super::code::RpcCode;

/// Why a call to another node failed, sorted the way callers act on it.
///
/// A status the peer (or the transport) answered with is [`RpcError::Unreachable`] for
/// gRPC's `Unavailable`, [`RpcError::Unimplemented`] for `Unimplemented` and
/// [`RpcError::Remote`] for any other code; `status.rs` is the only place that makes them.
/// Each keeps the status message as it came (`message`, which is what the error shows) and
/// the same message followed by the transport's causes (`detail`), since a transport failure
/// often says only "transport error" at the top.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RpcError {
    /// The address is not a `host:port` a channel can be made for.
    #[error("{message}")]
    BadAddress {
        /// The address as given.
        address: String,
        /// What is wrong with it (naming the address).
        message: String,
    },
    /// The peer could not be reached, or said it cannot serve now (`Unavailable`).
    #[error("{message}")]
    Unreachable {
        /// The status message.
        message: String,
        /// The message and its causes.
        detail: String,
        /// Whether the TCP connection was made but the TLS handshake failed: the peer's
        /// certificate is not from this cluster's CA (or ours is not from its CA), or it does
        /// not speak TLS at all. A peer that is down or slow is not this.
        handshake_refused: bool,
        /// Whether no connection was made (TCP connect refused or timed out, or the TLS
        /// handshake did not finish), so not one byte of the request left this node. False
        /// when a connection existed and broke or stalled: the peer may have read the call.
        not_connected: bool,
    },
    /// The peer does not offer the call (`Unimplemented`): a node from before the call was
    /// added, an agent asked what only servers do, or not a dkron-rs node at all.
    #[error("{message}")]
    Unimplemented {
        /// The status message.
        message: String,
        /// The message and its causes.
        detail: String,
        /// Whether a gRPC server said so; false when the client made the status up from a
        /// plain HTTP answer (a web server or proxy replying 404).
        answered_by_grpc: bool,
    },
    /// The peer answered the call with an error (any code but `Unavailable` and
    /// `Unimplemented`).
    #[error("{message}")]
    Remote {
        /// The status code.
        code: RpcCode,
        /// The status message.
        message: String,
        /// The message and its causes.
        detail: String,
    },
    /// The call did not finish within its deadline.
    #[error("no answer within {limit:?}")]
    Timeout {
        /// The deadline the call had.
        limit: Duration,
    },
    /// A message could not be encoded, or the answer could not be decoded.
    #[error("{message}")]
    Malformed {
        /// The encoder's or decoder's reason.
        message: String,
    },
}

impl RpcError {
    /// Whether the call failed because the peer and this node do not trust each other's
    /// credential (see [`RpcError::Unreachable`]'s `handshake_refused`), rather than because
    /// the peer is down, slow or answered with an error.
    pub fn is_handshake_refused(&self) -> bool {
        matches!(
            self,
            RpcError::Unreachable {
                handshake_refused: true,
                ..
            }
        )
    }

    /// Whether the peer certainly never received the call: no connection was made, or our
    /// TLS handshake with it failed (it holds no credential of this cluster and no request
    /// was processed). A call that timed out, or broke on a connection that existed, may
    /// have been read; this is false for it.
    pub fn never_reached_peer(&self) -> bool {
        matches!(
            self,
            RpcError::Unreachable {
                not_connected: true,
                ..
            } | RpcError::Unreachable {
                handshake_refused: true,
                ..
            } | RpcError::BadAddress { .. }
        )
    }

    /// Returns the error worded about the peer called, as nodes log and report it: "`peer`
    /// did not answer in time" for a timeout, "`peer`: message" for what the peer or the
    /// transport answered, and the reason alone for a failure on this side (a bad address, a
    /// message that could not be encoded or decoded).
    pub fn about_peer(&self, peer: impl Display) -> String {
        match self {
            RpcError::Timeout { .. } => format!("{peer} did not answer in time"),
            RpcError::Unreachable { .. }
            | RpcError::Unimplemented { .. }
            | RpcError::Remote { .. } => format!("{peer}: {self}"),
            RpcError::BadAddress { .. } | RpcError::Malformed { .. } => self.to_string(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn errors_are_worded_about_the_peer_as_call_sites_always_did() {
        let timeout = RpcError::Timeout {
            limit: Duration::from_secs(5),
        };
        assert_eq!(
            timeout.about_peer("10.0.0.1:6868"),
            "10.0.0.1:6868 did not answer in time"
        );
        let refused = RpcError::Unreachable {
            message: "tcp connect error".into(),
            detail: "tcp connect error: Connection refused (os error 111)".into(),
            handshake_refused: false,
            not_connected: true,
        };
        assert!(!refused.is_handshake_refused());
        assert!(refused.never_reached_peer());
        assert!(
            !timeout.never_reached_peer(),
            "a call that timed out may have been read"
        );
        assert_eq!(
            refused.about_peer(format_args!("node {} at {}", "a", "10.0.0.1:6868")),
            "node a at 10.0.0.1:6868: tcp connect error"
        );
        let remote = RpcError::Remote {
            code: RpcCode::Internal,
            message: "bug".into(),
            detail: "bug".into(),
        };
        assert_eq!(remote.about_peer("leader s1"), "leader s1: bug");
        let malformed = RpcError::Malformed {
            message: "malformed message: EOF while parsing a value at line 1 column 0".into(),
        };
        assert_eq!(
            malformed.about_peer("x"),
            "malformed message: EOF while parsing a value at line 1 column 0"
        );
        let bad = RpcError::BadAddress {
            address: "not an address".into(),
            message: "bad peer address \"not an address\": invalid uri character".into(),
        };
        assert_eq!(bad.about_peer("x"), bad.to_string());
    }
}
