//! One yamux stream as its user sees it: read what arrived (returning window credit to the
//! plugin as it is consumed), write within the window the plugin granted, half-close.

use std::sync::Arc;

use bytes::Bytes;

use super::core::SessionShared;
use super::frame::{FrameType, Header, encode_frame};
use super::stream_state::StreamShared;
use super::{MAX_SEND_FRAME, STREAM_WINDOW, YamuxError};

/// An open stream.
#[derive(Debug, Clone)]
pub(crate) struct YamuxStream {
    pub(crate) shared: Arc<StreamShared>,
    pub(crate) session: Arc<SessionShared>,
}

impl YamuxStream {
    /// The next bytes (at most `max`), `None` once the plugin closed the stream. Cancel-safe:
    /// bytes are taken from the stream only in the step that returns them.
    pub(crate) async fn read(&self, max: usize) -> Result<Option<Bytes>, YamuxError> {
        loop {
            // A slot for the window update is reserved first, so that taking the data and
            // granting its window happen together, with no await in between. Once the
            // session has ended there is no slot, but data that arrived is still read.
            let permit = self.session.reserve().await;
            {
                let mut state = self.shared.lock();
                if !state.received.is_empty() {
                    let taken = state.received.len().min(max.max(1));
                    let data = state.received.split_to(taken).freeze();
                    state.unacknowledged += taken as u32;
                    if let (Ok(permit), true) = (permit, state.unacknowledged >= STREAM_WINDOW / 2)
                    {
                        let credit = std::mem::take(&mut state.unacknowledged);
                        state.recv_window += credit;
                        let header = Header {
                            kind: FrameType::WindowUpdate,
                            flags: 0,
                            stream_id: self.shared.id,
                            length: credit,
                        };
                        permit.send(encode_frame(header, &[]));
                    }
                    return Ok(Some(data));
                }
                if state.reset {
                    return Err(YamuxError::Reset);
                }
                if state.remote_closed {
                    return Ok(None);
                }
            }
            drop(permit?);
            self.shared.readable.notified().await;
        }
    }

    /// Reads exactly `length` bytes (a short stream is an error).
    pub(crate) async fn read_exact(&self, length: usize) -> Result<Vec<u8>, YamuxError> {
        let mut out = Vec::with_capacity(length);
        while out.len() < length {
            match self.read(length - out.len()).await? {
                Some(data) => out.extend_from_slice(&data),
                None => {
                    return Err(YamuxError::Closed(
                        "the plugin closed the stream early".to_string(),
                    ));
                }
            }
        }
        Ok(out)
    }

    /// Writes all of `data`, waiting for window when the plugin has not granted enough. Not
    /// cancel-safe: a write cut short leaves part of `data` sent.
    pub(crate) async fn write_all(&self, mut data: &[u8]) -> Result<(), YamuxError> {
        while !data.is_empty() {
            let permit = self.session.reserve().await?;
            {
                let mut state = self.shared.lock();
                if state.reset {
                    return Err(YamuxError::Reset);
                }
                let allowed = state.send_window.min(MAX_SEND_FRAME) as usize;
                if allowed > 0 {
                    let (chunk, rest) = data.split_at(allowed.min(data.len()));
                    state.send_window -= chunk.len() as u32;
                    let header = Header {
                        kind: FrameType::Data,
                        flags: 0,
                        stream_id: self.shared.id,
                        length: chunk.len() as u32,
                    };
                    permit.send(encode_frame(header, chunk));
                    data = rest;
                    continue;
                }
            }
            drop(permit);
            self.session.check_open()?;
            self.shared.writable.notified().await;
        }
        Ok(())
    }
}
