//! A tonic codec for messages known only at run time: requests are encoded from a
//! `DynamicMessage`, responses decoded with the method's reflected output descriptor.

use prost::Message;
use prost_reflect::{DynamicMessage, MessageDescriptor};
use tonic::Status;
use tonic::codec::{Codec, DecodeBuf, Decoder, EncodeBuf, Encoder};

/// Encodes any `DynamicMessage`; decodes responses as `response_type`.
#[derive(Debug, Clone)]
pub(super) struct DynamicCodec {
    response_type: MessageDescriptor,
}

impl DynamicCodec {
    /// Returns a codec whose responses are of `response_type`.
    pub(super) fn new(response_type: MessageDescriptor) -> Self {
        DynamicCodec { response_type }
    }
}

impl Codec for DynamicCodec {
    type Encode = DynamicMessage;
    type Decode = DynamicMessage;
    type Encoder = DynamicEncoder;
    type Decoder = DynamicDecoder;

    fn encoder(&mut self) -> Self::Encoder {
        DynamicEncoder
    }

    fn decoder(&mut self) -> Self::Decoder {
        DynamicDecoder {
            response_type: self.response_type.clone(),
        }
    }
}

/// The encoding half of [`DynamicCodec`].
#[derive(Debug)]
pub(super) struct DynamicEncoder;

impl Encoder for DynamicEncoder {
    type Item = DynamicMessage;
    type Error = Status;

    fn encode(&mut self, item: Self::Item, dst: &mut EncodeBuf<'_>) -> Result<(), Self::Error> {
        item.encode(dst)
            .map_err(|error| Status::internal(format!("cannot encode the request: {error}")))
    }
}

/// The decoding half of [`DynamicCodec`].
#[derive(Debug)]
pub(super) struct DynamicDecoder {
    response_type: MessageDescriptor,
}

impl Decoder for DynamicDecoder {
    type Item = DynamicMessage;
    type Error = Status;

    fn decode(&mut self, src: &mut DecodeBuf<'_>) -> Result<Option<Self::Item>, Self::Error> {
        DynamicMessage::decode(self.response_type.clone(), src)
            .map(Some)
            .map_err(|error| Status::internal(format!("cannot decode the response: {error}")))
    }
}
