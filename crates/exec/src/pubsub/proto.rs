//! The three messages of `google.pubsub.v1.Publisher/Publish`, written by hand with Google's
//! field numbers (google/pubsub/v1/pubsub.proto): generated gRPC code stays in crate
//! `cluster`, and one method does not need a build step.

use std::collections::HashMap;

/// `google.pubsub.v1.PubsubMessage` (publish time and id are set by the server).
#[derive(Clone, PartialEq, prost::Message)]
pub(super) struct PubsubMessage {
    #[prost(bytes = "vec", tag = "1")]
    pub(super) data: Vec<u8>,
    #[prost(map = "string, string", tag = "2")]
    pub(super) attributes: HashMap<String, String>,
    #[prost(string, tag = "3")]
    pub(super) message_id: String,
    #[prost(string, tag = "5")]
    pub(super) ordering_key: String,
}

/// `google.pubsub.v1.PublishRequest`.
#[derive(Clone, PartialEq, prost::Message)]
pub(super) struct PublishRequest {
    #[prost(string, tag = "1")]
    pub(super) topic: String,
    #[prost(message, repeated, tag = "2")]
    pub(super) messages: Vec<PubsubMessage>,
}

/// `google.pubsub.v1.PublishResponse`: one id per message, in order.
#[derive(Clone, PartialEq, prost::Message)]
pub(super) struct PublishResponse {
    #[prost(string, repeated, tag = "1")]
    pub(super) message_ids: Vec<String>,
}

/// The method's path on the wire.
pub(super) const PUBLISH_PATH: &str = "/google.pubsub.v1.Publisher/Publish";

#[cfg(test)]
mod tests {
    use prost::Message;

    use super::*;

    #[test]
    fn fields_carry_googles_numbers() {
        let request = PublishRequest {
            topic: "t".to_owned(),
            messages: vec![PubsubMessage {
                data: b"d".to_vec(),
                ..PubsubMessage::default()
            }],
        };
        // topic: field 1, length 1; messages: field 2 holding data: field 1, length 1.
        assert_eq!(
            request.encode_to_vec(),
            vec![0x0a, 1, b't', 0x12, 3, 0x0a, 1, b'd']
        );
        let response = PublishResponse::decode(&[0x0a, 2, b'4', b'2'][..]).unwrap();
        assert_eq!(response.message_ids, vec!["42".to_owned()]);
    }
}
