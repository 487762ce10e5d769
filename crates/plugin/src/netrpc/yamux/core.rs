//! The state a yamux session shares between its reader and writer tasks and its streams: the
//! queue of frames to write, the streams by id, and whether (and why) the session ended.

use std::collections::HashMap;
use std::sync::atomic::AtomicBool;
use std::sync::{Arc, Mutex, MutexGuard};

use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

use super::YamuxError;
use super::stream_state::StreamShared;

/// A session's state, shared by its tasks and streams.
#[derive(Debug)]
pub(crate) struct SessionShared {
    pub(crate) outgoing: mpsc::Sender<Vec<u8>>,
    pub(crate) streams: Mutex<HashMap<u32, Arc<StreamShared>>>,
    pub(crate) next_id: Mutex<u32>,
    pub(crate) closed: Mutex<Option<String>>,
    pub(crate) remote_go_away: AtomicBool,
    pub(crate) shutdown: CancellationToken,
}

impl SessionShared {
    pub(crate) fn lock_streams(&self) -> MutexGuard<'_, HashMap<u32, Arc<StreamShared>>> {
        self.streams
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    pub(crate) fn closed_reason(&self) -> Option<String> {
        self.closed
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .clone()
    }

    /// `Ok` while the session runs.
    pub(crate) fn check_open(&self) -> Result<(), YamuxError> {
        match self.closed_reason() {
            Some(reason) => Err(YamuxError::Closed(reason)),
            None => Ok(()),
        }
    }

    /// Queues one frame for the writer.
    pub(crate) async fn send(&self, frame: Vec<u8>) -> Result<(), YamuxError> {
        self.check_open()?;
        self.outgoing
            .send(frame)
            .await
            .map_err(|_| self.closed_error())
    }

    /// Reserves room for one frame (cancel-safe: nothing is sent until the permit is used).
    pub(crate) async fn reserve(&self) -> Result<mpsc::Permit<'_, Vec<u8>>, YamuxError> {
        self.check_open()?;
        self.outgoing
            .reserve()
            .await
            .map_err(|_| self.closed_error())
    }

    fn closed_error(&self) -> YamuxError {
        YamuxError::Closed(
            self.closed_reason()
                .unwrap_or_else(|| "the writer stopped".to_string()),
        )
    }

    /// Ends the session (the first reason stays) and wakes every stream.
    pub(crate) fn close(&self, reason: String) {
        {
            let mut closed = self
                .closed
                .lock()
                .unwrap_or_else(|poisoned| poisoned.into_inner());
            if closed.is_some() {
                return;
            }
            *closed = Some(reason);
        }
        self.shutdown.cancel();
        for stream in self.lock_streams().values() {
            stream.wake_all();
        }
    }
}
