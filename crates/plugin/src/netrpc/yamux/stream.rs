//! One yamux stream as its user sees it: read what arrived (returning window credit to the
//! plugin as it is consumed), write within the window the plugin granted, half-close.

use std::sync::{Arc, Mutex, MutexGuard};

use bytes::{Bytes, BytesMut};
use tokio::sync::Notify;

use super::frame::{FrameType, Header, encode_frame};
use super::session::SessionShared;
use super::{MAX_SEND_FRAME, STREAM_WINDOW, YamuxError};

/// A stream's state, shared by its handle and the session's reader task.
#[derive(Debug)]
pub(crate) struct StreamShared {
    pub(crate) id: u32,
    pub(crate) state: Mutex<StreamState>,
    /// Woken when data, a close or a reset arrives, or the session ends.
    pub(crate) readable: Notify,
    /// Woken when the send window grows, or the stream or session ends.
    pub(crate) writable: Notify,
}

/// What is known about one stream.
#[derive(Debug)]
pub(crate) struct StreamState {
    /// Data received and not yet read.
    pub(crate) received: BytesMut,
    /// How many more bytes the plugin may send before we grant more.
    pub(crate) recv_window: u32,
    /// Bytes read but not yet granted back.
    pub(crate) unacknowledged: u32,
    /// How many bytes we may still send.
    pub(crate) send_window: u32,
    /// The plugin half-closed the stream (FIN).
    pub(crate) remote_closed: bool,
    /// The plugin reset the stream (RST).
    pub(crate) reset: bool,
}

impl StreamShared {
    pub(crate) fn new(id: u32) -> StreamShared {
        StreamShared {
            id,
            state: Mutex::new(StreamState {
                received: BytesMut::new(),
                recv_window: STREAM_WINDOW,
                unacknowledged: 0,
                send_window: STREAM_WINDOW,
                remote_closed: false,
                reset: false,
            }),
            readable: Notify::new(),
            writable: Notify::new(),
        }
    }

    pub(crate) fn lock(&self) -> MutexGuard<'_, StreamState> {
        self.state
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    pub(crate) fn wake_all(&self) {
        self.readable.notify_one();
        self.writable.notify_one();
    }
}

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
