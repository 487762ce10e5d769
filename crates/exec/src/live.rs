//! The live copy of a run's output, bounded by what its readers have not let go of yet.
//!
//! The caller hands us an unbounded channel, and its receiver passes chunks on (to the
//! processors, the node's live view, the stream to the leader), so the channel's length says
//! little about the memory held. Instead every chunk counts its bytes against the run until
//! its last copy is dropped, wherever that copy went; past the bound new output is held back
//! here as one chunk and only its newest bytes are kept. The executor never waits for a slow
//! reader, and the stored output is kept apart, so it is not affected.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use bytes::Bytes;
use dkron_model::limits::MAX_LIVE_OUTPUT_BYTES_QUEUED;
use tokio::sync::mpsc::UnboundedSender;

use crate::byte_tail::ByteTail;

/// A run's live output channel, with the output held back while readers are behind.
#[derive(Debug)]
pub(crate) struct LiveStream {
    sender: UnboundedSender<Bytes>,
    /// Bytes of chunks sent and not yet dropped by every reader.
    in_flight: Arc<AtomicUsize>,
    held_back: ByteTail,
    skipped_bytes: usize,
}

impl LiveStream {
    /// Returns a stream sending to `sender`.
    pub(crate) fn new(sender: UnboundedSender<Bytes>) -> Self {
        LiveStream {
            sender,
            in_flight: Arc::new(AtomicUsize::new(0)),
            held_back: ByteTail::new(MAX_LIVE_OUTPUT_BYTES_QUEUED),
            skipped_bytes: 0,
        }
    }

    /// Sends `chunk`, or holds it back while it would take readers past the bound; returns
    /// false once the receiver is gone.
    pub(crate) fn write(&mut self, chunk: &[u8]) -> bool {
        if self.held_back.is_empty() && chunk.len() <= self.room_downstream() {
            return self.send(chunk.to_vec());
        }
        self.skipped_bytes += self.held_back.push(chunk);
        if self.held_back.len() > self.room_downstream() {
            return true;
        }
        self.send_held_back()
    }

    /// Sends what is held back, whatever readers hold: the run is over, nothing comes after.
    pub(crate) fn close(mut self) {
        if !self.held_back.is_empty() || self.skipped_bytes > 0 {
            let _receiver_may_be_gone = self.send_held_back();
        }
    }

    fn room_downstream(&self) -> usize {
        MAX_LIVE_OUTPUT_BYTES_QUEUED.saturating_sub(self.in_flight.load(Ordering::Acquire))
    }

    fn send_held_back(&mut self) -> bool {
        let mut bytes = Vec::with_capacity(self.held_back.len() + 128);
        if self.skipped_bytes > 0 {
            bytes.extend_from_slice(skip_notice(self.skipped_bytes).as_bytes());
            self.skipped_bytes = 0;
        }
        bytes.extend(self.held_back.take());
        self.send(bytes)
    }

    fn send(&self, bytes: Vec<u8>) -> bool {
        let chunk = CountedChunk::new(bytes, self.in_flight.clone());
        self.sender.send(Bytes::from_owner(chunk)).is_ok()
    }

    #[cfg(test)]
    fn in_flight_bytes(&self) -> usize {
        self.in_flight.load(Ordering::Acquire)
    }
}

/// The line a reader sees where the live stream skipped output.
fn skip_notice(skipped_bytes: usize) -> String {
    format!(
        "\n[dkron-rs: the live output skipped {skipped_bytes} bytes here because its readers \
         fell behind; the stored output is not affected]\n"
    )
}

/// A chunk's bytes, counted against the run until the last copy of the chunk is dropped.
struct CountedChunk {
    bytes: Vec<u8>,
    in_flight: Arc<AtomicUsize>,
}

impl CountedChunk {
    fn new(bytes: Vec<u8>, in_flight: Arc<AtomicUsize>) -> Self {
        in_flight.fetch_add(bytes.len(), Ordering::AcqRel);
        CountedChunk { bytes, in_flight }
    }
}

impl AsRef<[u8]> for CountedChunk {
    fn as_ref(&self) -> &[u8] {
        &self.bytes
    }
}

impl Drop for CountedChunk {
    fn drop(&mut self) {
        self.in_flight.fetch_sub(self.bytes.len(), Ordering::AcqRel);
    }
}

#[cfg(test)]
#[path = "live_test.rs"]
mod tests;
