//! What a service handler answers instead of a result: a code and a message, turned into a
//! gRPC status in one place (`status.rs`).

use super::code::RpcCode;

/// Why a service refused or failed a call; the caller receives it as a gRPC status with this
/// code and message.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct ServiceError {
    /// Which kind of failure.
    pub code: RpcCode,
    /// What the caller reads.
    pub message: String,
}

impl ServiceError {
    /// Returns an error of `code` saying `message`.
    pub fn new(code: RpcCode, message: impl Into<String>) -> ServiceError {
        ServiceError {
            code,
            message: message.into(),
        }
    }

    /// Returns an error saying the request is malformed (`InvalidArgument`).
    pub fn invalid_argument(message: impl Into<String>) -> ServiceError {
        ServiceError::new(RpcCode::InvalidArgument, message)
    }

    /// Returns an error saying the receiver cannot serve the call now; the caller may retry
    /// (`Unavailable`).
    pub fn unavailable(message: impl Into<String>) -> ServiceError {
        ServiceError::new(RpcCode::Unavailable, message)
    }

    /// Returns an error saying the receiver is not in a state to do this (`FailedPrecondition`).
    pub fn failed_precondition(message: impl Into<String>) -> ServiceError {
        ServiceError::new(RpcCode::FailedPrecondition, message)
    }

    /// Returns an error saying something broke on the receiver (`Internal`).
    pub fn internal(message: impl Into<String>) -> ServiceError {
        ServiceError::new(RpcCode::Internal, message)
    }

    /// Returns an error saying data sent to the receiver was lost on the way (`DataLoss`).
    pub fn data_loss(message: impl Into<String>) -> ServiceError {
        ServiceError::new(RpcCode::DataLoss, message)
    }
}
