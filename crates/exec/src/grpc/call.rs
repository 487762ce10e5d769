//! One unary call: connect (plain-text HTTP/2, as Dkron), resolve the method by reflection,
//! encode the JSON body, call, and render the response as JSON.

use prost_reflect::{DynamicMessage, MessageDescriptor, MethodDescriptor};
use tokio::time::Instant;
use tonic::codegen::http::uri::PathAndQuery;
use tonic::transport::{Channel, Endpoint};
use tonic::{Code, Request};

use super::codec::DynamicCodec;
use super::config::GrpcConfig;
use super::error::GrpcCallError;
use super::reflection::resolve_method;
use crate::error_chain::error_chain;

/// What the server answered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Answer {
    /// Status OK with this response message, as JSON.
    Message(String),
    /// Any other status (also a transport failure during the call, as gRPC reports it).
    Status {
        /// The status code.
        code: Code,
        /// The status message.
        message: String,
    },
}

/// Makes the call `config` describes; `deadline` (the end of the run's timeout) is sent to
/// the server, as gRPC clients do, so it can give up on its side too. Dropping the future
/// stops the call: the connection is owned by the future and closes with it.
pub(super) async fn call(
    config: &GrpcConfig,
    deadline: Option<Instant>,
) -> Result<Answer, GrpcCallError> {
    let channel = connect(&config.target.address).await?;
    let metadata = config.metadata();
    let method = resolve_method(&channel, &metadata, &config.target).await?;
    let request_message = encode_body(&method.input(), &config.body)?;
    let mut client = tonic::client::Grpc::new(channel);
    if let Err(error) = client.ready().await {
        return Err(GrpcCallError::Connect {
            address: config.target.address.clone(),
            reason: error_chain(&error),
        });
    }
    let mut request = Request::new(request_message);
    *request.metadata_mut() = metadata;
    if let Some(deadline) = deadline {
        request.set_timeout(deadline.saturating_duration_since(Instant::now()));
    }
    let path = method_path(&method)?;
    match client
        .unary(request, path, DynamicCodec::new(method.output()))
        .await
    {
        Ok(response) => serde_json::to_string(response.get_ref())
            .map(Answer::Message)
            .map_err(|error| GrpcCallError::Response {
                reason: error.to_string(),
            }),
        Err(status) => Ok(Answer::Status {
            code: status.code(),
            message: status.message().to_string(),
        }),
    }
}

async fn connect(address: &str) -> Result<Channel, GrpcCallError> {
    let connect_error = |reason: String| GrpcCallError::Connect {
        address: address.to_string(),
        reason,
    };
    let endpoint = Endpoint::from_shared(format!("http://{address}"))
        .map_err(|error| connect_error(error_chain(&error)))?;
    endpoint
        .connect()
        .await
        .map_err(|error| connect_error(error_chain(&error)))
}

fn method_path(method: &MethodDescriptor) -> Result<PathAndQuery, GrpcCallError> {
    let text = format!("/{}/{}", method.parent_service().full_name(), method.name());
    PathAndQuery::try_from(text).map_err(|error| GrpcCallError::Reflection {
        reason: format!("the method's path is not valid: {error}"),
    })
}

/// Builds the request from the JSON body; an empty body is the default message, as grpcurl
/// sends it. Fields are checked against the reflected type: an unknown one is refused by name.
fn encode_body(
    request_type: &MessageDescriptor,
    body: &str,
) -> Result<DynamicMessage, GrpcCallError> {
    if body.trim().is_empty() {
        return Ok(DynamicMessage::new(request_type.clone()));
    }
    let body_error = |error: serde_json::Error| GrpcCallError::Body {
        message_type: request_type.full_name().to_string(),
        reason: error.to_string(),
    };
    let mut deserializer = serde_json::Deserializer::from_str(body);
    let message =
        DynamicMessage::deserialize(request_type.clone(), &mut deserializer).map_err(body_error)?;
    deserializer.end().map_err(body_error)?;
    Ok(message)
}
