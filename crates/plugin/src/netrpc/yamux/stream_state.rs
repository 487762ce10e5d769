//! What is known about one yamux stream, shared by the stream's handle (which reads and
//! writes) and the session's reader task (which delivers data, window and flags).

use std::sync::{Mutex, MutexGuard};

use bytes::BytesMut;
use tokio::sync::Notify;

use super::STREAM_WINDOW;

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
