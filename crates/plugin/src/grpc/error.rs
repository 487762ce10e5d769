//! Why talking to an executor plugin failed, in words for the user reading a run's output.

use tonic::Code;

/// A failure of the gRPC conversation with an executor plugin.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub(crate) enum GrpcError {
    /// The plugin's address did not take a connection.
    #[error("cannot connect to the plugin at {address}: {reason}")]
    Connect {
        /// The handshake's address.
        address: String,
        /// Why.
        reason: String,
    },
    /// The plugin answered, but not as a go-plugin plugin ready to serve.
    #[error("the plugin is not serving: {0}")]
    NotServing(String),
    /// The host could not open the per-call status channel the plugin streams its output to.
    #[error("cannot open the status channel for the plugin's live output: {0}")]
    StatusServer(String),
    /// go-plugin's broker stream to the plugin has ended.
    #[error("the plugin's broker stream has ended: the plugin has probably exited")]
    BrokerClosed,
    /// The connection broke during a call: the plugin crashed or was stopped.
    #[error("the plugin stopped answering during the call (did it exit?): {0}")]
    ConnectionLost(String),
    /// The plugin refused or failed the call itself.
    #[error("the plugin failed the call ({code}): {message}")]
    Call {
        /// The gRPC status code's name.
        code: String,
        /// The plugin's message.
        message: String,
    },
}

impl GrpcError {
    /// Reads a failed call's status: a transport failure means the plugin is gone, anything
    /// else is the plugin's own answer.
    pub(super) fn from_status(status: &tonic::Status) -> GrpcError {
        let message = with_source(status);
        match status.code() {
            Code::Unavailable | Code::Cancelled => GrpcError::ConnectionLost(message),
            // tonic reports a connection reset mid-call as Unknown with the transport error
            // as the status's source; a plugin's own Unknown has no source.
            Code::Unknown if std::error::Error::source(status).is_some() => {
                GrpcError::ConnectionLost(message)
            }
            code => GrpcError::Call {
                code: format!("{code:?}"),
                message,
            },
        }
    }
}

/// The status message followed by the chain of errors behind it, which carries the real
/// reason when tonic made the status up itself ("transport error" alone says nothing).
fn with_source(status: &tonic::Status) -> String {
    dkron_exec::with_causes(
        status.message().to_string(),
        std::error::Error::source(status),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_plugins_own_error_is_its_answer() {
        let error = GrpcError::from_status(&tonic::Status::internal("disk full"));
        assert_eq!(
            error.to_string(),
            "the plugin failed the call (Internal): disk full"
        );
        let error = GrpcError::from_status(&tonic::Status::unknown("exit status 2"));
        assert!(matches!(error, GrpcError::Call { .. }), "{error:?}");
    }

    #[test]
    fn a_broken_connection_says_the_plugin_stopped() {
        let error = GrpcError::from_status(&tonic::Status::unavailable("connection refused"));
        assert_eq!(
            error.to_string(),
            "the plugin stopped answering during the call (did it exit?): connection refused"
        );
        let reset = std::io::Error::new(std::io::ErrorKind::ConnectionReset, "reset by peer");
        let status = tonic::Status::from_error(Box::new(reset));
        assert!(matches!(
            GrpcError::from_status(&status),
            GrpcError::ConnectionLost(_)
        ));
    }
}
