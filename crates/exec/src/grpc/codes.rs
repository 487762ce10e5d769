//! gRPC status codes as Dkron prints them: Go's `codes.Code` names (`NotFound`, `OK`), which
//! differ from tonic's (`Ok`, `Cancelled`).

use tonic::Code;

/// Returns Go's name of `code`, as in Dkron's `server returned <code> code, expected <code>`.
pub(super) fn go_code_name(code: Code) -> &'static str {
    match code {
        Code::Ok => "OK",
        Code::Cancelled => "Canceled",
        Code::Unknown => "Unknown",
        Code::InvalidArgument => "InvalidArgument",
        Code::DeadlineExceeded => "DeadlineExceeded",
        Code::NotFound => "NotFound",
        Code::AlreadyExists => "AlreadyExists",
        Code::PermissionDenied => "PermissionDenied",
        Code::ResourceExhausted => "ResourceExhausted",
        Code::FailedPrecondition => "FailedPrecondition",
        Code::Aborted => "Aborted",
        Code::OutOfRange => "OutOfRange",
        Code::Unimplemented => "Unimplemented",
        Code::Internal => "Internal",
        Code::Unavailable => "Unavailable",
        Code::DataLoss => "DataLoss",
        Code::Unauthenticated => "Unauthenticated",
    }
}

/// Returns Dkron's error line for a status other than the expected one.
pub(super) fn code_mismatch(returned: Code, expected: Code) -> String {
    format!(
        "server returned {} code, expected {}",
        go_code_name(returned),
        go_code_name(expected)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_gos() {
        assert_eq!(go_code_name(Code::Ok), "OK");
        assert_eq!(go_code_name(Code::Cancelled), "Canceled");
        assert_eq!(go_code_name(Code::from_i32(16)), "Unauthenticated");
        assert_eq!(
            code_mismatch(Code::NotFound, Code::Ok),
            "server returned NotFound code, expected OK"
        );
    }
}
