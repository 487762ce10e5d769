//! Go's net/rpc client codec over gob (`net/rpc`'s `gobClientCodec`), without I/O: a call is
//! a `Request{ServiceMethod, Seq}` value then the argument value; a reply is a
//! `Response{ServiceMethod, Seq, Error}` value then the result value — or, when `Error` is
//! set, an empty struct the server sends in its place.

use bytes::{Buf, BytesMut};

use super::gob::{Decoder, Encoder, GobError, GobType, GobValue, StructType, take_message};

/// One reply, matched to its call by `seq`.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Reply {
    /// The call's sequence number.
    pub(crate) seq: u64,
    /// The method named in the reply.
    pub(crate) method: String,
    /// The result, or the error text the server sent.
    pub(crate) outcome: Result<GobValue, String>,
}

/// Writes calls on one stream.
#[derive(Debug, Default)]
pub(crate) struct CallWriter {
    gob: Encoder,
}

impl CallWriter {
    /// The bytes of one call: header and argument, with any type definitions they need.
    pub(crate) fn encode_call(
        &mut self,
        method: &str,
        seq: u64,
        args_type: &GobType,
        args: &GobValue,
    ) -> Result<Vec<u8>, GobError> {
        // Encoded on a copy: if the argument fails, the stream's type table must not record
        // a header type whose definition was never sent.
        let mut gob = self.gob.clone();
        let mut out = Vec::new();
        let header = GobValue::Struct(vec![
            (
                "ServiceMethod".to_string(),
                GobValue::String(method.to_string()),
            ),
            ("Seq".to_string(), GobValue::Uint(seq)),
        ]);
        gob.encode(&request_type(), &header, &mut out)?;
        gob.encode(args_type, args, &mut out)?;
        self.gob = gob;
        Ok(out)
    }
}

fn request_type() -> GobType {
    GobType::Struct(StructType::new(
        "Request",
        vec![("ServiceMethod", GobType::String), ("Seq", GobType::Uint)],
    ))
}

/// Reads replies from one stream's bytes.
#[derive(Debug, Default)]
pub(crate) struct ReplyReader {
    gob: Decoder,
    header: Option<(String, u64, String)>,
}

impl ReplyReader {
    /// Takes whole gob messages from the front of `buffer` until a reply is complete
    /// (`Some`) or more bytes are needed (`None`; what was taken is remembered).
    pub(crate) fn next_reply(&mut self, buffer: &mut BytesMut) -> Result<Option<Reply>, GobError> {
        loop {
            let Some((message, used)) = take_message(buffer)? else {
                return Ok(None);
            };
            let value = self.gob.decode_message(message);
            buffer.advance(used);
            let Some(value) = value? else {
                continue;
            };
            match self.header.take() {
                None => self.header = Some(read_header(&value)?),
                Some((method, seq, error)) => {
                    let outcome = if error.is_empty() {
                        Ok(value)
                    } else {
                        Err(error)
                    };
                    return Ok(Some(Reply {
                        seq,
                        method,
                        outcome,
                    }));
                }
            }
        }
    }
}

fn read_header(value: &GobValue) -> Result<(String, u64, String), GobError> {
    let text = |name: &str| match value.field(name) {
        None => Ok(String::new()),
        Some(GobValue::String(text)) => Ok(text.clone()),
        Some(other) => Err(GobError::Mismatch(format!(
            "Response.{name} is a {}",
            other.kind()
        ))),
    };
    if !matches!(value, GobValue::Struct(_)) {
        return Err(GobError::Mismatch(format!(
            "a {} where a Response was due",
            value.kind()
        )));
    }
    let seq = match value.field("Seq") {
        None => 0,
        Some(GobValue::Uint(seq)) => *seq,
        Some(other) => {
            return Err(GobError::Mismatch(format!(
                "Response.Seq is a {}",
                other.kind()
            )));
        }
    };
    Ok((text("ServiceMethod")?, seq, text("Error")?))
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// What Go's net/rpc server writes for a reply, made with our encoder (Go's own bytes are
    /// exercised against the fixture).
    fn server_reply(
        encoder: &mut Encoder,
        seq: u64,
        error: &str,
        body: (&GobType, &GobValue),
    ) -> Vec<u8> {
        let response = GobType::Struct(StructType::new(
            "Response",
            vec![
                ("ServiceMethod", GobType::String),
                ("Seq", GobType::Uint),
                ("Error", GobType::String),
            ],
        ));
        let header = GobValue::Struct(vec![
            (
                "ServiceMethod".to_string(),
                GobValue::String("Plugin.Process".to_string()),
            ),
            ("Seq".to_string(), GobValue::Uint(seq)),
            ("Error".to_string(), GobValue::String(error.to_string())),
        ]);
        let mut out = Vec::new();
        encoder
            .encode(&response, &header, &mut out)
            .expect("encodes");
        encoder.encode(body.0, body.1, &mut out).expect("encodes");
        out
    }

    fn two_replies() -> Vec<u8> {
        let mut encoder = Encoder::new();
        let mut out = server_reply(&mut encoder, 0, "", (&GobType::Uint, &GobValue::Uint(7)));
        let invalid_request = GobType::Struct(StructType::new("", vec![]));
        out.extend(server_reply(
            &mut encoder,
            1,
            "boom",
            (&invalid_request, &GobValue::Struct(vec![])),
        ));
        out
    }

    #[test]
    fn replies_are_read_whole_however_the_bytes_arrive() {
        let bytes = two_replies();
        let mut reader = ReplyReader::default();
        let mut buffer = BytesMut::new();
        let mut replies = Vec::new();
        for byte in bytes {
            buffer.extend_from_slice(&[byte]);
            if let Some(reply) = reader.next_reply(&mut buffer).expect("well formed") {
                replies.push(reply);
            }
        }
        assert_eq!(
            replies,
            vec![
                Reply {
                    seq: 0,
                    method: "Plugin.Process".to_string(),
                    outcome: Ok(GobValue::Uint(7))
                },
                Reply {
                    seq: 1,
                    method: "Plugin.Process".to_string(),
                    outcome: Err("boom".to_string())
                },
            ]
        );
        assert!(buffer.is_empty());
    }

    #[test]
    fn a_call_is_a_request_header_then_the_argument() {
        let mut writer = CallWriter::default();
        let bytes = writer
            .encode_call(
                "Dispenser.Dispense",
                3,
                &GobType::String,
                &GobValue::String("processor".to_string()),
            )
            .expect("encodes");
        let mut decoder = Decoder::new();
        let mut rest = bytes.as_slice();
        let mut values = Vec::new();
        while let Some((message, used)) = take_message(rest).expect("framed") {
            values.extend(decoder.decode_message(message).expect("decodes"));
            rest = &rest[used..];
        }
        assert_eq!(
            values,
            vec![
                GobValue::Struct(vec![
                    (
                        "ServiceMethod".to_string(),
                        GobValue::String("Dispenser.Dispense".to_string())
                    ),
                    ("Seq".to_string(), GobValue::Uint(3)),
                ]),
                GobValue::String("processor".to_string()),
            ]
        );
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(1024))]

        #[test]
        fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..256)) {
            let mut buffer = BytesMut::from(bytes.as_slice());
            let mut reader = ReplyReader::default();
            while let Ok(Some(_reply)) = reader.next_reply(&mut buffer) {}
        }

        #[test]
        fn mutated_replies_never_panic(
            flips in proptest::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 1..4),
            cut in any::<prop::sample::Index>(),
        ) {
            let mut bytes = two_replies();
            for (at, byte) in flips {
                let at = at.index(bytes.len());
                bytes[at] = byte;
            }
            bytes.truncate(cut.index(bytes.len() + 1));
            let mut buffer = BytesMut::from(bytes.as_slice());
            let mut reader = ReplyReader::default();
            while let Ok(Some(_reply)) = reader.next_reply(&mut buffer) {}
        }
    }
}
