//! The gRPC status codes, as a type of our own so no crate above `cluster` names tonic's.

use std::fmt;

use tonic::Code;

/// Which kind of failure a node reported, or a service handler reports: gRPC's closed set of
/// status codes (without `Ok`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RpcCode {
    /// The operation was cancelled.
    Cancelled,
    /// An error that fits no other code (also what a broken HTTP/2 exchange becomes).
    Unknown,
    /// The request itself is malformed.
    InvalidArgument,
    /// The deadline passed before the operation finished.
    DeadlineExceeded,
    /// Something asked for was not found.
    NotFound,
    /// Something to be created already exists.
    AlreadyExists,
    /// The caller may not do this.
    PermissionDenied,
    /// A quota or limit ran out.
    ResourceExhausted,
    /// The receiver is not in a state to do this (a follower asked to lead, say).
    FailedPrecondition,
    /// The operation was aborted, typically by a conflict.
    Aborted,
    /// Past a valid range.
    OutOfRange,
    /// The receiver does not offer this call.
    Unimplemented,
    /// An invariant broke on the receiver.
    Internal,
    /// The receiver cannot be reached or cannot serve now; the caller may retry.
    Unavailable,
    /// Data was lost or corrupted.
    DataLoss,
    /// The caller is not authenticated.
    Unauthenticated,
}

impl RpcCode {
    /// Returns tonic's code for this one.
    pub(crate) fn to_tonic(self) -> Code {
        match self {
            RpcCode::Cancelled => Code::Cancelled,
            RpcCode::Unknown => Code::Unknown,
            RpcCode::InvalidArgument => Code::InvalidArgument,
            RpcCode::DeadlineExceeded => Code::DeadlineExceeded,
            RpcCode::NotFound => Code::NotFound,
            RpcCode::AlreadyExists => Code::AlreadyExists,
            RpcCode::PermissionDenied => Code::PermissionDenied,
            RpcCode::ResourceExhausted => Code::ResourceExhausted,
            RpcCode::FailedPrecondition => Code::FailedPrecondition,
            RpcCode::Aborted => Code::Aborted,
            RpcCode::OutOfRange => Code::OutOfRange,
            RpcCode::Unimplemented => Code::Unimplemented,
            RpcCode::Internal => Code::Internal,
            RpcCode::Unavailable => Code::Unavailable,
            RpcCode::DataLoss => Code::DataLoss,
            RpcCode::Unauthenticated => Code::Unauthenticated,
        }
    }

    /// Returns our code for tonic's. `Ok` never describes a failure; should a status carry
    /// it anyway, it is `Unknown`.
    pub(crate) fn from_tonic(code: Code) -> RpcCode {
        match code {
            Code::Ok | Code::Unknown => RpcCode::Unknown,
            Code::Cancelled => RpcCode::Cancelled,
            Code::InvalidArgument => RpcCode::InvalidArgument,
            Code::DeadlineExceeded => RpcCode::DeadlineExceeded,
            Code::NotFound => RpcCode::NotFound,
            Code::AlreadyExists => RpcCode::AlreadyExists,
            Code::PermissionDenied => RpcCode::PermissionDenied,
            Code::ResourceExhausted => RpcCode::ResourceExhausted,
            Code::FailedPrecondition => RpcCode::FailedPrecondition,
            Code::Aborted => RpcCode::Aborted,
            Code::OutOfRange => RpcCode::OutOfRange,
            Code::Unimplemented => RpcCode::Unimplemented,
            Code::Internal => RpcCode::Internal,
            Code::Unavailable => RpcCode::Unavailable,
            Code::DataLoss => RpcCode::DataLoss,
            Code::Unauthenticated => RpcCode::Unauthenticated,
        }
    }
}

/// Shows the code as gRPC describes it ("The system is not in a state required for the
/// operation's execution"), as `dkron raft` has always printed it.
impl fmt::Display for RpcCode {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.to_tonic(), formatter)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const ALL: [RpcCode; 16] = [
        RpcCode::Cancelled,
        RpcCode::Unknown,
        RpcCode::InvalidArgument,
        RpcCode::DeadlineExceeded,
        RpcCode::NotFound,
        RpcCode::AlreadyExists,
        RpcCode::PermissionDenied,
        RpcCode::ResourceExhausted,
        RpcCode::FailedPrecondition,
        RpcCode::Aborted,
        RpcCode::OutOfRange,
        RpcCode::Unimplemented,
        RpcCode::Internal,
        RpcCode::Unavailable,
        RpcCode::DataLoss,
        RpcCode::Unauthenticated,
    ];

    #[test]
    fn every_code_goes_to_tonic_and_back() {
        for code in ALL {
            assert_eq!(RpcCode::from_tonic(code.to_tonic()), code);
            assert_eq!(code.to_string(), code.to_tonic().description());
        }
        assert_eq!(RpcCode::from_tonic(Code::Ok), RpcCode::Unknown);
    }
}
