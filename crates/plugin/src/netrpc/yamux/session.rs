//! A yamux client session: one task reads frames from the connection and routes them to
//! streams (answering pings, refusing streams the plugin opens, enforcing each stream's
//! window), one task writes the frames streams hand it. When the connection closes or the
//! plugin breaks the protocol, the session ends and every stream's pending and later
//! operations fail with the reason.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};

use bytes::{Buf, BytesMut};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt, ReadHalf, WriteHalf};
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

use super::frame::{
    ACK, FIN, Frame, FrameType, GO_AWAY_NORMAL, GO_AWAY_PROTOCOL_ERROR, Header, RST, SYN,
    encode_frame, take_frame,
};
use super::stream::{StreamShared, YamuxStream};
use super::{STREAM_WINDOW, YamuxError};

/// How many frames may wait for the writer; senders wait beyond that.
const OUTGOING_FRAMES: usize = 64;

/// A session's state, shared by its tasks and streams.
#[derive(Debug)]
pub(crate) struct SessionShared {
    outgoing: mpsc::Sender<Vec<u8>>,
    streams: Mutex<HashMap<u32, Arc<StreamShared>>>,
    next_id: Mutex<u32>,
    closed: Mutex<Option<String>>,
    remote_go_away: AtomicBool,
    shutdown: CancellationToken,
}

/// A client session; dropping it ends the session.
#[derive(Debug)]
pub(crate) struct Session {
    shared: Arc<SessionShared>,
}

impl Session {
    /// Starts a client session on `connection` (its tasks run on the current runtime).
    pub(crate) fn client<C>(connection: C) -> Session
    where
        C: AsyncRead + AsyncWrite + Send + 'static,
    {
        let (sender, receiver) = mpsc::channel(OUTGOING_FRAMES);
        let shared = Arc::new(SessionShared {
            outgoing: sender,
            streams: Mutex::new(HashMap::new()),
            next_id: Mutex::new(1),
            closed: Mutex::new(None),
            remote_go_away: AtomicBool::new(false),
            shutdown: CancellationToken::new(),
        });
        let (reader, writer) = tokio::io::split(connection);
        tokio::spawn(read_loop(shared.clone(), reader));
        tokio::spawn(write_loop(shared.clone(), writer, receiver));
        Session { shared }
    }

    /// Opens a stream (SYN; the plugin's yamux accepts it in order).
    pub(crate) async fn open(&self) -> Result<YamuxStream, YamuxError> {
        self.shared.check_open()?;
        if self.shared.remote_go_away.load(Ordering::SeqCst) {
            return Err(YamuxError::GoAway);
        }
        let id = {
            let mut next = self
                .shared
                .next_id
                .lock()
                .unwrap_or_else(|poisoned| poisoned.into_inner());
            if *next >= u32::MAX - 1 {
                return Err(YamuxError::Exhausted);
            }
            let id = *next;
            *next += 2;
            id
        };
        let stream = Arc::new(StreamShared::new(id));
        self.shared.lock_streams().insert(id, stream.clone());
        let header = Header {
            kind: FrameType::WindowUpdate,
            flags: SYN,
            stream_id: id,
            length: 0,
        };
        self.shared.send(encode_frame(header, &[])).await?;
        Ok(YamuxStream {
            shared: stream,
            session: self.shared.clone(),
        })
    }

    /// Ends the session now.
    pub(crate) fn close(&self, reason: &str) {
        self.shared.close(reason.to_string());
    }

    /// Why the session ended, once it has.
    pub(crate) fn closed_reason(&self) -> Option<String> {
        self.shared.closed_reason()
    }
}

impl Drop for Session {
    fn drop(&mut self) {
        self.shared.close("the session was dropped".to_string());
    }
}

impl SessionShared {
    fn lock_streams(&self) -> MutexGuard<'_, HashMap<u32, Arc<StreamShared>>> {
        self.streams
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    fn closed_reason(&self) -> Option<String> {
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
    fn close(&self, reason: String) {
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

    /// Handles one frame from the plugin; `Err` ends the session with that reason.
    async fn dispatch(&self, frame: Frame) -> Result<(), String> {
        let header = frame.header;
        match header.kind {
            FrameType::Ping => {
                if header.flags & SYN != 0 {
                    let answer = Header {
                        kind: FrameType::Ping,
                        flags: ACK,
                        stream_id: 0,
                        length: header.length,
                    };
                    self.send(encode_frame(answer, &[]))
                        .await
                        .map_err(|error| error.to_string())?;
                }
                Ok(())
            }
            FrameType::GoAway => match header.length {
                GO_AWAY_NORMAL => {
                    self.remote_go_away.store(true, Ordering::SeqCst);
                    Ok(())
                }
                GO_AWAY_PROTOCOL_ERROR => Err("the plugin saw a yamux protocol error".to_string()),
                code => Err(format!(
                    "the plugin ended the session (go-away code {code})"
                )),
            },
            FrameType::Data | FrameType::WindowUpdate => self.to_stream(frame).await,
        }
    }

    async fn to_stream(&self, frame: Frame) -> Result<(), String> {
        let header = frame.header;
        if header.flags & SYN != 0 {
            // go-plugin's processors never open streams to the host: refuse any the plugin
            // opens, as yamux does when it takes no more.
            let refusal = Header {
                kind: FrameType::WindowUpdate,
                flags: RST,
                stream_id: header.stream_id,
                length: 0,
            };
            return self
                .send(encode_frame(refusal, &[]))
                .await
                .map_err(|error| error.to_string());
        }
        let Some(stream) = self.lock_streams().get(&header.stream_id).cloned() else {
            // A frame for a stream that is gone (yamux discards these too).
            return Ok(());
        };
        {
            let mut state = stream.lock();
            if header.kind == FrameType::Data {
                if header.length > state.recv_window {
                    drop(state);
                    let go_away = Header {
                        kind: FrameType::GoAway,
                        flags: 0,
                        stream_id: 0,
                        length: GO_AWAY_PROTOCOL_ERROR,
                    };
                    let _queued = self.outgoing.try_send(encode_frame(go_away, &[]));
                    return Err(format!(
                        "the plugin overran stream {}'s receive window",
                        header.stream_id
                    ));
                }
                state.recv_window -= header.length;
                state.received.extend_from_slice(&frame.payload);
            } else {
                state.send_window = state.send_window.saturating_add(header.length);
            }
            state.remote_closed |= header.flags & FIN != 0;
            state.reset |= header.flags & RST != 0;
        }
        stream.wake_all();
        Ok(())
    }
}

async fn read_loop<R: AsyncRead>(shared: Arc<SessionShared>, mut reader: ReadHalf<R>) {
    let mut buffer = BytesMut::with_capacity(64 * 1024);
    let reason = loop {
        match take_frame(&buffer, STREAM_WINDOW) {
            Err(error) => {
                let go_away = Header {
                    kind: FrameType::GoAway,
                    flags: 0,
                    stream_id: 0,
                    length: GO_AWAY_PROTOCOL_ERROR,
                };
                let _queued = shared.outgoing.try_send(encode_frame(go_away, &[]));
                break format!("the plugin broke the yamux protocol: {error}");
            }
            Ok(Some((frame, used))) => {
                buffer.advance(used);
                if let Err(reason) = shared.dispatch(frame).await {
                    break reason;
                }
                continue;
            }
            Ok(None) => {}
        }
        tokio::select! {
            () = shared.shutdown.cancelled() => return,
            read = reader.read_buf(&mut buffer) => match read {
                Ok(0) => break "the plugin closed the connection".to_string(),
                Ok(_) => {}
                Err(error) => break format!("reading from the plugin failed: {error}"),
            },
        }
    };
    shared.close(reason);
}

async fn write_loop<W: AsyncWrite>(
    shared: Arc<SessionShared>,
    mut writer: WriteHalf<W>,
    mut outgoing: mpsc::Receiver<Vec<u8>>,
) {
    loop {
        let frame = tokio::select! {
            frame = outgoing.recv() => frame,
            () = shared.shutdown.cancelled() => {
                // Frames queued before the end (a go-away) still go out.
                while let Ok(frame) = outgoing.try_recv() {
                    if writer.write_all(&frame).await.is_err() {
                        break;
                    }
                }
                let _closed = writer.shutdown().await;
                return;
            }
        };
        let Some(frame) = frame else {
            return;
        };
        if let Err(error) = writer.write_all(&frame).await {
            shared.close(format!("writing to the plugin failed: {error}"));
            return;
        }
    }
}
