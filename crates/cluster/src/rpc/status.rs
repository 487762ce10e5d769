//! The one boundary between gRPC statuses and our errors (STYLE rule 7): a status received
//! becomes an [`RpcError`] in [`rpc_error`], and a [`ServiceError`] a handler returns becomes
//! the status sent in `From<ServiceError> for Status`. Nothing else in the workspace picks a
//! status code or reads one.

use tonic::{Code, Status};

use super::code::RpcCode;
use super::error::RpcError;
use super::service_error::ServiceError;

/// Returns the error a failed call's status stands for.
pub(crate) fn rpc_error(status: &Status) -> RpcError {
    let message = status.message().to_string();
    let detail = describe(status);
    let not_connected = connect_failed(status);
    match status.code() {
        Code::Unavailable => RpcError::Unreachable {
            message,
            detail,
            handshake_refused: tls_failed(status),
            not_connected,
        },
        // A connect timeout through a custom connector (the TLS dialer) reaches tonic as a
        // bare I/O error, which it calls `Unknown`: it is still a peer never reached.
        _ if not_connected => RpcError::Unreachable {
            message,
            detail,
            handshake_refused: tls_failed(status),
            not_connected,
        },
        Code::Unimplemented => RpcError::Unimplemented {
            message,
            detail,
            answered_by_grpc: answered_by_grpc(status),
        },
        code => RpcError::Remote {
            code: RpcCode::from_tonic(code),
            message,
            detail,
        },
    }
}

impl From<ServiceError> for Status {
    /// Returns the status a handler's error is sent as: its code and message, nothing else.
    fn from(error: ServiceError) -> Status {
        Status::new(error.code.to_tonic(), error.message)
    }
}

/// Whether the status came from a gRPC server rather than being made up by the client from
/// a plain HTTP answer (a web server or proxy replying 404 becomes `Unimplemented` too).
fn answered_by_grpc(status: &Status) -> bool {
    status
        .metadata()
        .get("content-type")
        .and_then(|content_type| content_type.to_str().ok())
        .is_some_and(|content_type| content_type.starts_with("application/grpc"))
}

/// Whether a cause of the status is a TLS error: the connection was made, but the handshake
/// (or the first TLS record) failed. rustls hands its errors to the transport wrapped in an
/// `io::Error`, whose own `source` skips the wrapped error, so each I/O error is opened here.
fn tls_failed(status: &Status) -> bool {
    let mut cause = std::error::Error::source(status);
    while let Some(error) = cause {
        let wrapped = error
            .downcast_ref::<std::io::Error>()
            .and_then(std::io::Error::get_ref);
        if error.is::<rustls::Error>() || wrapped.is_some_and(|inner| inner.is::<rustls::Error>()) {
            return true;
        }
        cause = error.source();
    }
    false
}

/// Whether the call failed while connecting, before any request could be written: the
/// transport marks every dialer failure (TCP or TLS) as a `ConnectError`, and the connect
/// timeout around a custom dialer is an I/O `TimedOut` error wrapping tokio's `Elapsed`.
fn connect_failed(status: &Status) -> bool {
    let mut cause = std::error::Error::source(status);
    while let Some(error) = cause {
        let wrapped = error
            .downcast_ref::<std::io::Error>()
            .and_then(std::io::Error::get_ref);
        if error.is::<tonic::ConnectError>()
            || wrapped.is_some_and(|inner| inner.is::<tokio::time::error::Elapsed>())
        {
            return true;
        }
        cause = error.source();
    }
    false
}

/// Returns the status message followed by the causes that are not already part of it, since
/// a transport failure often says only "transport error" at the top.
fn describe(status: &Status) -> String {
    let mut text = status.message().to_string();
    let mut cause = std::error::Error::source(status);
    while let Some(error) = cause {
        let reason = error.to_string();
        if !text.contains(&reason) {
            if text.is_empty() {
                text = reason;
            } else {
                text = format!("{text}: {reason}");
            }
        }
        cause = error.source();
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    /// An `Unimplemented` answer as a gRPC server sends it, with its gRPC content type.
    fn grpc_unimplemented() -> Status {
        let mut headers = tonic::metadata::MetadataMap::new();
        headers.insert(
            "content-type",
            tonic::metadata::MetadataValue::from_static("application/grpc"),
        );
        Status::with_metadata(Code::Unimplemented, "", headers)
    }

    #[derive(Debug)]
    struct Refused;

    impl std::fmt::Display for Refused {
        fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            formatter.write_str("Connection refused (os error 111)")
        }
    }

    impl std::error::Error for Refused {}

    #[test]
    fn statuses_become_rpc_errors() {
        let unreachable = rpc_error(&Status::unavailable("tcp connect error"));
        assert_eq!(
            unreachable,
            RpcError::Unreachable {
                message: "tcp connect error".into(),
                detail: "tcp connect error".into(),
                handshake_refused: false,
                not_connected: false,
            }
        );

        let mut with_cause = Status::unavailable("tcp connect error");
        with_cause.set_source(std::sync::Arc::new(Refused));
        let RpcError::Unreachable {
            message,
            detail,
            handshake_refused,
            not_connected,
        } = rpc_error(&with_cause)
        else {
            panic!("an unavailable status is unreachable");
        };
        assert_eq!(message, "tcp connect error");
        assert_eq!(
            detail,
            "tcp connect error: Connection refused (os error 111)"
        );
        assert!(
            !handshake_refused,
            "a refused connection is not a refused credential"
        );
        assert!(
            !not_connected,
            "only the transport's own connect errors say no connection was made"
        );

        // A peer whose certificate is not from our CA: rustls's error inside an I/O error.
        let mut foreign = Status::unavailable("tcp connect error");
        foreign.set_source(std::sync::Arc::new(std::io::Error::new(
            std::io::ErrorKind::InvalidData,
            rustls::Error::InvalidCertificate(rustls::CertificateError::UnknownIssuer),
        )));
        let foreign = rpc_error(&foreign);
        assert!(foreign.is_handshake_refused(), "{foreign:?}");

        let agent = rpc_error(&grpc_unimplemented());
        assert!(
            matches!(
                agent,
                RpcError::Unimplemented {
                    answered_by_grpc: true,
                    ..
                }
            ),
            "{agent:?}"
        );

        let web_server = rpc_error(&Status::unimplemented(
            "grpc-status header missing, mapped from HTTP status code 404",
        ));
        assert_eq!(
            web_server,
            RpcError::Unimplemented {
                message: "grpc-status header missing, mapped from HTTP status code 404".into(),
                detail: "grpc-status header missing, mapped from HTTP status code 404".into(),
                answered_by_grpc: false,
            }
        );

        let follower = rpc_error(&Status::failed_precondition(
            "not the leader; the leader is c:6868",
        ));
        assert_eq!(
            follower,
            RpcError::Remote {
                code: RpcCode::FailedPrecondition,
                message: "not the leader; the leader is c:6868".into(),
                detail: "not the leader; the leader is c:6868".into(),
            }
        );

        let slow = rpc_error(&Status::deadline_exceeded("Timeout expired"));
        assert!(
            matches!(
                slow,
                RpcError::Remote {
                    code: RpcCode::DeadlineExceeded,
                    ..
                }
            ),
            "{slow:?}"
        );
    }

    #[test]
    fn a_failure_while_connecting_says_no_connection_was_made() {
        // Issue 14: only such a failure lets the leader send the run to another node.
        let refused = std::io::Error::from(std::io::ErrorKind::ConnectionRefused);
        let mut status = Status::unavailable("tcp connect error");
        status.set_source(std::sync::Arc::new(tonic::ConnectError(Box::new(refused))));
        let error = rpc_error(&status);
        assert!(error.never_reached_peer(), "{error:?}");

        // A connection that broke after it was made: the peer may have read the call.
        let broken = rpc_error(&Status::unavailable("connection reset"));
        assert!(!broken.never_reached_peer(), "{broken:?}");
        let slow = rpc_error(&Status::deadline_exceeded("Timeout expired"));
        assert!(!slow.never_reached_peer(), "{slow:?}");
    }

    #[tokio::test]
    async fn a_connect_timeout_through_the_tls_dialer_is_a_peer_never_reached() {
        // The timeout wrapper of a custom dialer gives tonic a bare I/O error, which it
        // calls `Unknown`.
        let elapsed = tokio::time::timeout(std::time::Duration::ZERO, std::future::pending::<()>())
            .await
            .expect_err("a zero timeout elapses");
        let timed_out = std::io::Error::new(std::io::ErrorKind::TimedOut, elapsed);
        let mut status = Status::unknown("connection timed out");
        status.set_source(std::sync::Arc::new(timed_out));
        let error = rpc_error(&status);
        assert!(error.never_reached_peer(), "{error:?}");
        assert!(matches!(error, RpcError::Unreachable { .. }), "{error:?}");
    }

    #[test]
    fn service_errors_become_the_statuses_handlers_always_sent() {
        let table = [
            (
                ServiceError::invalid_argument("malformed message: x"),
                Status::invalid_argument("malformed message: x"),
            ),
            (
                ServiceError::unavailable("this server is not the leader"),
                Status::unavailable("this server is not the leader"),
            ),
            (
                ServiceError::failed_precondition("no leader is elected"),
                Status::failed_precondition("no leader is elected"),
            ),
            (
                ServiceError::internal("cannot store snapshot: disk full"),
                Status::internal("cannot store snapshot: disk full"),
            ),
            (
                ServiceError::data_loss("snapshot stream ended after 1 of 2 bytes"),
                Status::data_loss("snapshot stream ended after 1 of 2 bytes"),
            ),
            (
                ServiceError::new(RpcCode::NotFound, "no such run"),
                Status::not_found("no such run"),
            ),
        ];
        for (error, expected) in table {
            let status = Status::from(error.clone());
            assert_eq!(status.code(), expected.code(), "{error:?}");
            assert_eq!(status.message(), expected.message(), "{error:?}");
            // What the caller makes of it: the same code and message back.
            let received = rpc_error(&status);
            let (code, message) = match received {
                RpcError::Unreachable { message, .. } => (RpcCode::Unavailable, message),
                RpcError::Unimplemented { message, .. } => (RpcCode::Unimplemented, message),
                RpcError::Remote { code, message, .. } => (code, message),
                other => panic!("a status is never {other:?}"),
            };
            assert_eq!((code, message), (error.code, error.message));
        }
    }
}
