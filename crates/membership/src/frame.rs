//! What travels inside a datagram: a foca packet, or our own leave notice.
//!
//! foca reports a member that leaves exactly like one that dies ("down"), while Serf, and
//! so Dkron, tell `left` from `failed`. A leaving node therefore first sends a leave
//! notice straight to every member it knows, then lets foca announce it down.

use serde::{Deserialize, Serialize};

const KIND_FOCA: u8 = 0;
const KIND_LEAVE: u8 = 1;

/// A decoded frame.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Frame<'a> {
    /// A packet for foca.
    Foca(&'a [u8]),
    /// A node says it is leaving on purpose.
    Leave(LeaveNotice),
}

/// "The node `name`, in generation `generation`, is leaving the cluster."
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct LeaveNotice {
    /// Name of the leaving node.
    pub(crate) name: String,
    /// Its generation, so that a notice never applies to a later run of the node.
    pub(crate) generation: u64,
}

/// Returns the frame carrying a foca packet.
pub(crate) fn encode_foca(packet: &[u8]) -> Vec<u8> {
    let mut frame = Vec::with_capacity(1 + packet.len());
    frame.push(KIND_FOCA);
    frame.extend_from_slice(packet);
    frame
}

/// Returns the frame carrying a leave notice.
pub(crate) fn encode_leave(notice: &LeaveNotice) -> Result<Vec<u8>, postcard::Error> {
    let mut frame = vec![KIND_LEAVE];
    frame.extend_from_slice(&postcard::to_allocvec(notice)?);
    Ok(frame)
}

/// Returns the frame in `bytes`, or `None` when it is not one of ours.
pub(crate) fn decode(bytes: &[u8]) -> Option<Frame<'_>> {
    let (&kind, body) = bytes.split_first()?;
    match kind {
        KIND_FOCA => Some(Frame::Foca(body)),
        KIND_LEAVE => postcard::from_bytes(body).ok().map(Frame::Leave),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frames_round_trip() {
        assert_eq!(
            decode(&encode_foca(b"packet")),
            Some(Frame::Foca(b"packet"))
        );
        let notice = LeaveNotice {
            name: "node1".into(),
            generation: 1_700_000_000_000,
        };
        let encoded = encode_leave(&notice).expect("encodes");
        assert_eq!(decode(&encoded), Some(Frame::Leave(notice)));
    }

    #[test]
    fn garbage_is_not_a_frame() {
        assert_eq!(decode(&[]), None);
        assert_eq!(decode(&[7, 1, 2]), None);
        assert_eq!(decode(&[KIND_LEAVE, 0xff]), None);
    }
}
