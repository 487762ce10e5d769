//! yamux frames (hashicorp/yamux, protocol version 0): a 12-byte big-endian header — version,
//! type, flags, stream id, length — and, for data frames only, `length` bytes of payload. For
//! the other types the length is a value: a window increment, a ping's opaque number, a
//! go-away code. Pure: bytes in, frames or a clear error out.

/// The header's size.
pub(crate) const HEADER_LEN: usize = 12;

/// The only protocol version yamux has.
const VERSION: u8 = 0;

/// A frame's type.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum FrameType {
    /// Stream data.
    Data,
    /// A stream's window increment (and flags: opening, closing, resetting).
    WindowUpdate,
    /// A keep-alive ping or its answer.
    Ping,
    /// The session is ending.
    GoAway,
}

/// Flag bits.
pub(crate) const SYN: u16 = 1;
/// Acknowledges a new stream (or answers a ping).
pub(crate) const ACK: u16 = 2;
/// Half-closes a stream.
pub(crate) const FIN: u16 = 4;
/// Resets a stream.
pub(crate) const RST: u16 = 8;

/// Go-away codes.
pub(crate) const GO_AWAY_NORMAL: u32 = 0;
/// The peer broke the protocol.
pub(crate) const GO_AWAY_PROTOCOL_ERROR: u32 = 1;

/// A frame header.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Header {
    /// The type.
    pub(crate) kind: FrameType,
    /// SYN, ACK, FIN, RST bits.
    pub(crate) flags: u16,
    /// The stream (0 for the session's own frames).
    pub(crate) stream_id: u32,
    /// The payload length (data) or the value (other types).
    pub(crate) length: u32,
}

/// A whole frame.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Frame {
    /// Its header.
    pub(crate) header: Header,
    /// The data of a data frame; empty for the others.
    pub(crate) payload: Vec<u8>,
}

/// Why bytes are not a yamux frame; any of these ends the session.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub(crate) enum FrameError {
    /// A version other than 0.
    #[error("yamux version {0} (only 0 exists)")]
    Version(u8),
    /// An unknown frame type.
    #[error("yamux frame type {0} is unknown")]
    Type(u8),
    /// A data frame longer than anything the receiver allowed.
    #[error("a yamux data frame of {length} bytes exceeds the {limit}-byte window")]
    TooLong {
        /// Its length.
        length: u32,
        /// The limit.
        limit: u32,
    },
}

impl Header {
    /// Reads a header, refusing an unknown version or type.
    pub(crate) fn parse(bytes: &[u8; HEADER_LEN]) -> Result<Header, FrameError> {
        if bytes[0] != VERSION {
            return Err(FrameError::Version(bytes[0]));
        }
        let kind = match bytes[1] {
            0 => FrameType::Data,
            1 => FrameType::WindowUpdate,
            2 => FrameType::Ping,
            3 => FrameType::GoAway,
            other => return Err(FrameError::Type(other)),
        };
        Ok(Header {
            kind,
            flags: u16::from_be_bytes([bytes[2], bytes[3]]),
            stream_id: u32::from_be_bytes([bytes[4], bytes[5], bytes[6], bytes[7]]),
            length: u32::from_be_bytes([bytes[8], bytes[9], bytes[10], bytes[11]]),
        })
    }

    /// The header's bytes.
    pub(crate) fn encode(&self) -> [u8; HEADER_LEN] {
        let mut bytes = [0u8; HEADER_LEN];
        bytes[1] = match self.kind {
            FrameType::Data => 0,
            FrameType::WindowUpdate => 1,
            FrameType::Ping => 2,
            FrameType::GoAway => 3,
        };
        bytes[2..4].copy_from_slice(&self.flags.to_be_bytes());
        bytes[4..8].copy_from_slice(&self.stream_id.to_be_bytes());
        bytes[8..12].copy_from_slice(&self.length.to_be_bytes());
        bytes
    }

    /// How many payload bytes follow the header.
    pub(crate) fn payload_len(&self) -> usize {
        match self.kind {
            FrameType::Data => self.length as usize,
            _ => 0,
        }
    }
}

/// Takes one whole frame from the front of `buffer`: `None` when more bytes are needed,
/// otherwise the frame and how many bytes it used. A data frame longer than `max_data` is
/// refused from its header alone, before its payload is waited for.
pub(crate) fn take_frame(
    buffer: &[u8],
    max_data: u32,
) -> Result<Option<(Frame, usize)>, FrameError> {
    let Some(header_bytes) = buffer.first_chunk::<HEADER_LEN>() else {
        return Ok(None);
    };
    let header = Header::parse(header_bytes)?;
    if header.kind == FrameType::Data && header.length > max_data {
        return Err(FrameError::TooLong {
            length: header.length,
            limit: max_data,
        });
    }
    let end = HEADER_LEN + header.payload_len();
    Ok(buffer.get(HEADER_LEN..end).map(|payload| {
        let frame = Frame {
            header,
            payload: payload.to_vec(),
        };
        (frame, end)
    }))
}

/// The bytes of a frame.
pub(crate) fn encode_frame(header: Header, payload: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(HEADER_LEN + payload.len());
    out.extend_from_slice(&header.encode());
    out.extend_from_slice(payload);
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const LIMIT: u32 = 256 * 1024;

    fn arbitrary_header() -> impl Strategy<Value = Header> {
        let kind = prop_oneof![
            Just(FrameType::Data),
            Just(FrameType::WindowUpdate),
            Just(FrameType::Ping),
            Just(FrameType::GoAway)
        ];
        (kind, any::<u16>(), any::<u32>(), any::<u32>()).prop_map(
            |(kind, flags, stream_id, length)| Header {
                kind,
                flags,
                stream_id,
                length,
            },
        )
    }

    #[test]
    fn a_window_update_opening_stream_three_is_these_bytes() {
        let header = Header {
            kind: FrameType::WindowUpdate,
            flags: SYN,
            stream_id: 3,
            length: 0,
        };
        assert_eq!(header.encode(), [0, 1, 0, 1, 0, 0, 0, 3, 0, 0, 0, 0]);
    }

    #[test]
    fn a_data_frame_over_the_window_is_refused_from_its_header() {
        let header = Header {
            kind: FrameType::Data,
            flags: 0,
            stream_id: 1,
            length: u32::MAX,
        };
        assert_eq!(
            take_frame(&header.encode(), LIMIT),
            Err(FrameError::TooLong {
                length: u32::MAX,
                limit: LIMIT
            })
        );
    }

    #[test]
    fn bad_versions_and_types_are_refused() {
        let mut bytes = Header {
            kind: FrameType::Ping,
            flags: SYN,
            stream_id: 0,
            length: 7,
        }
        .encode();
        bytes[1] = 4;
        assert_eq!(take_frame(&bytes, LIMIT), Err(FrameError::Type(4)));
        bytes[0] = 1;
        assert_eq!(take_frame(&bytes, LIMIT), Err(FrameError::Version(1)));
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(1024))]

        #[test]
        fn frames_round_trip(header in arbitrary_header(), data in proptest::collection::vec(any::<u8>(), 0..64)) {
            let header = match header.kind {
                FrameType::Data => Header { length: data.len() as u32, ..header },
                _ => header,
            };
            let payload = if header.kind == FrameType::Data { data } else { Vec::new() };
            let bytes = encode_frame(header, &payload);
            let (frame, used) = take_frame(&bytes, LIMIT).unwrap().unwrap();
            prop_assert_eq!(used, bytes.len());
            prop_assert_eq!(frame, Frame { header, payload });
            // Every proper prefix asks for more bytes.
            for cut in 0..bytes.len() {
                prop_assert_eq!(take_frame(&bytes[..cut], LIMIT), Ok(None));
            }
        }

        #[test]
        fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..64)) {
            if let Ok(Some((frame, used))) = take_frame(&bytes, LIMIT) {
                prop_assert!(used <= bytes.len());
                prop_assert!(frame.payload.len() <= LIMIT as usize);
            }
        }
    }
}
