//! Errors of the `grpc` executor. Where Dkron has a text for a problem the message starts with
//! it (`url is empty`, `Invalid timeout`, `Parsing headers failed`, ...), so alerting written
//! against Dkron's output keeps matching; the rest says what would fix the job.

use dkron_model::ConfigFault;

/// A `grpc` executor config that cannot be run, found without the network.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum GrpcConfigError {
    /// `url` is missing or empty.
    #[error("url is empty")]
    UrlMissing,
    /// `url` has no `/` after the address.
    #[error("we require at least a url and a path to do a proto request")]
    UrlWithoutPath,
    /// The part of `url` before the first `/` is not `host:port`.
    #[error(
        "invalid address {address:?} in url ({reason}): expected host:port/package.Service/Method"
    )]
    Address {
        /// The rejected address.
        address: String,
        /// What is wrong with it.
        reason: String,
    },
    /// The part of `url` after the address is not `package.Service/Method`.
    #[error("invalid method {path:?} in url: expected host:port/package.Service/Method")]
    MethodPath {
        /// The rejected method path.
        path: String,
    },
    /// `timeout` is not a whole number of seconds from 0 to `u32::MAX`.
    #[error(
        "Invalid timeout {value:?}: expected whole seconds from 0 to 4294967295 (0: no timeout)"
    )]
    Timeout {
        /// The rejected value.
        value: String,
    },
    /// `expectCode` is not a gRPC status code.
    #[error("Invalid expectCode {value:?}: expected a gRPC status code from 0 (OK) to 16")]
    ExpectCode {
        /// The rejected value.
        value: String,
    },
    /// `headers` is not a JSON array of strings.
    #[error("Parsing headers failed: expected a JSON array of \"name: value\" strings")]
    HeadersNotJson,
    /// A header name is not a valid gRPC metadata name.
    #[error("Parsing headers failed: {name:?} is not a valid metadata name")]
    HeaderName {
        /// The rejected name (lower-cased).
        name: String,
    },
    /// A header value is not valid text metadata. The value itself is never shown: it may be
    /// a credential.
    #[error(
        "Parsing headers failed: the value of {name:?} is not valid metadata (printable ASCII only)"
    )]
    HeaderValue {
        /// The name of the entry whose value was rejected.
        name: String,
    },
    /// `body` is not a JSON object.
    #[error("body is not a JSON object: {reason}")]
    Body {
        /// What the JSON parser reported (it never quotes the input).
        reason: String,
    },
}

impl GrpcConfigError {
    /// Returns the `executor_config` key at fault.
    pub fn key(&self) -> &'static str {
        match self {
            GrpcConfigError::UrlMissing
            | GrpcConfigError::UrlWithoutPath
            | GrpcConfigError::Address { .. }
            | GrpcConfigError::MethodPath { .. } => "url",
            GrpcConfigError::Timeout { .. } => "timeout",
            GrpcConfigError::ExpectCode { .. } => "expectCode",
            GrpcConfigError::HeadersNotJson
            | GrpcConfigError::HeaderName { .. }
            | GrpcConfigError::HeaderValue { .. } => "headers",
            GrpcConfigError::Body { .. } => "body",
        }
    }

    /// Returns the refusal the API answers a job submission with.
    pub fn to_fault(&self) -> ConfigFault {
        ConfigFault::new(self.key(), self.to_string())
    }
}

/// Why a call could not be made or completed (a status returned by the server is not an
/// error here: `expectCode` decides about it).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum GrpcCallError {
    /// No HTTP/2 connection could be made to the server.
    #[error("grpc: cannot connect to {address}: {reason}")]
    Connect {
        /// `host:port` from the url.
        address: String,
        /// The transport error and its causes.
        reason: String,
    },
    /// Server reflection failed (not served, or broken answers).
    #[error("Failed querying reflection server: {reason}")]
    Reflection {
        /// What went wrong.
        reason: String,
    },
    /// The server's reflection does not know the service.
    #[error("Failed querying reflection server: service {service:?} not found on the server")]
    ServiceNotFound {
        /// The service asked for.
        service: String,
    },
    /// The service exists but has no such method.
    #[error("Failed querying reflection server: service {service:?} has no method {method:?}")]
    MethodNotFound {
        /// The service.
        service: String,
        /// The method asked for.
        method: String,
    },
    /// The method streams; only unary calls are made, as Dkron's executor sends one message.
    #[error("grpc: {service}/{method} is a streaming method; only unary methods can be called")]
    Streaming {
        /// The service.
        service: String,
        /// The method.
        method: String,
    },
    /// The JSON body does not fit the method's request type.
    #[error("grpc: body does not match {message_type}: {reason}")]
    Body {
        /// Full name of the request message type.
        message_type: String,
        /// What did not fit (an unknown field is named).
        reason: String,
    },
    /// The response could not be shown as JSON.
    #[error("grpc: cannot render the response as JSON: {reason}")]
    Response {
        /// What the serializer reported.
        reason: String,
    },
}
