//! JSON inside protobuf: Rust types that both ends share travel as `Json { body }`.

use serde::Serialize;
use serde::de::DeserializeOwned;
use tonic::Status;

use super::proto::Json;

/// Encodes `value` as a `Json` message.
pub fn to_json<T: Serialize>(value: &T) -> Result<Json, Status> {
    serde_json::to_vec(value)
        .map(|body| Json { body })
        .map_err(|error| Status::internal(format!("cannot encode the message: {error}")))
}

/// Decodes a `Json` message; a malformed body is the caller's fault (`InvalidArgument`).
pub fn from_json<T: DeserializeOwned>(message: &Json) -> Result<T, Status> {
    serde_json::from_slice(&message.body)
        .map_err(|error| Status::invalid_argument(format!("malformed message: {error}")))
}

/// Encodes `value` as a gRPC response.
pub fn json_status<T: Serialize>(value: &T) -> Result<tonic::Response<Json>, Status> {
    to_json(value).map(tonic::Response::new)
}
