//! JSON inside protobuf: Rust types that both ends share travel as `Json { body }`. Private to
//! the crate: other crates call the typed clients and handlers, never these.

use serde::Serialize;
use serde::de::DeserializeOwned;
use tonic::Status;

use super::proto::Json;
use super::service_error::ServiceError;

/// Encodes `value` as a `Json` message; failing to is a bug on this side (`Internal`).
pub(crate) fn to_json<T: Serialize>(value: &T) -> Result<Json, ServiceError> {
    serde_json::to_vec(value)
        .map(|body| Json { body })
        .map_err(|error| ServiceError::internal(format!("cannot encode the message: {error}")))
}

/// Decodes a `Json` message; a malformed body is the sender's fault (`InvalidArgument`).
pub(crate) fn from_json<T: DeserializeOwned>(message: &Json) -> Result<T, ServiceError> {
    serde_json::from_slice(&message.body)
        .map_err(|error| ServiceError::invalid_argument(format!("malformed message: {error}")))
}

/// Encodes `value` as a gRPC response.
pub(crate) fn json_status<T: Serialize>(value: &T) -> Result<tonic::Response<Json>, Status> {
    Ok(tonic::Response::new(to_json(value)?))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rpc::code::RpcCode;

    #[derive(Debug, PartialEq, serde::Serialize, serde::Deserialize)]
    struct Order {
        job: String,
        attempt: u32,
        tags: Vec<(String, String)>,
    }

    #[test]
    fn a_value_survives_the_framing() {
        let order = Order {
            job: "backup ☃".into(),
            attempt: 3,
            tags: vec![("role".into(), "web".into())],
        };
        let framed = to_json(&order).expect("encodes");
        assert_eq!(
            String::from_utf8(framed.body.clone()).expect("JSON is text"),
            r#"{"job":"backup ☃","attempt":3,"tags":[["role","web"]]}"#
        );
        assert_eq!(from_json::<Order>(&framed).expect("decodes"), order);

        let answer: Result<(u64, String), String> = Err("not the leader".into());
        let framed = json_status(&answer).expect("encodes").into_inner();
        let decoded: Result<(u64, String), String> = from_json(&framed).expect("decodes");
        assert_eq!(decoded, answer);
    }

    #[test]
    fn a_malformed_body_is_the_senders_fault() {
        let error = from_json::<Order>(&Json {
            body: b"{\"job\":".to_vec(),
        })
        .expect_err("cut short");
        assert_eq!(error.code, RpcCode::InvalidArgument);
        assert!(error.message.starts_with("malformed message: "), "{error}");
        let status = Status::from(error);
        assert_eq!(status.code(), tonic::Code::InvalidArgument);
    }

    #[test]
    fn a_value_json_cannot_hold_is_an_internal_error() {
        let mut keyed_by_tuple = std::collections::BTreeMap::new();
        keyed_by_tuple.insert((1, 2), "a map key must be a string in JSON");
        let error = to_json(&keyed_by_tuple).expect_err("not encodable");
        assert_eq!(error.code, RpcCode::Internal);
        assert!(
            error.message.starts_with("cannot encode the message: "),
            "{error}"
        );
    }
}
