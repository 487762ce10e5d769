//! A yamux client session: one task reads frames from the connection and routes them to
//! streams (answering pings, refusing streams the plugin opens, enforcing each stream's
//! window), one task writes the frames streams hand it. When the connection closes or the
//! plugin breaks the protocol, the session ends and every stream's pending and later
//! operations fail with the reason.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use bytes::{Buf, BytesMut};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt, ReadHalf, WriteHalf};
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

use super::core::SessionShared;
use super::frame::{
    ACK, FIN, Frame, FrameType, GO_AWAY_NORMAL, GO_AWAY_PROTOCOL_ERROR, Header, RST, SYN,
    encode_frame, take_frame,
};
use super::stream::YamuxStream;
use super::stream_state::StreamShared;
use super::{STREAM_WINDOW, YamuxError};

/// How many frames may wait for the writer; senders wait beyond that.
const OUTGOING_FRAMES: usize = 64;

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
    #[cfg(test)]
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

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::io::DuplexStream;

    /// A session whose plugin side is `peer`, driven by hand.
    fn session_with_peer() -> (Session, DuplexStream) {
        let (ours, peer) = tokio::io::duplex(1024 * 1024);
        (Session::client(ours), peer)
    }

    async fn next_frame(peer: &mut DuplexStream, buffer: &mut BytesMut) -> Frame {
        loop {
            if let Some((frame, used)) =
                take_frame(buffer, STREAM_WINDOW).expect("our frames are valid")
            {
                buffer.advance(used);
                return frame;
            }
            let read = peer.read_buf(buffer).await.expect("readable");
            assert!(read > 0, "the session closed the connection");
        }
    }

    async fn send(peer: &mut DuplexStream, header: Header, payload: &[u8]) {
        peer.write_all(&encode_frame(header, payload))
            .await
            .expect("writable");
    }

    async fn ended(session: &Session) -> String {
        let waited = tokio::time::timeout(std::time::Duration::from_secs(10), async {
            loop {
                if let Some(reason) = session.closed_reason() {
                    return reason;
                }
                session.shared.shutdown.cancelled().await;
            }
        });
        waited.await.expect("the session ends")
    }

    #[tokio::test]
    async fn streams_open_with_odd_ids_and_pings_are_answered() {
        let (session, mut peer) = session_with_peer();
        let mut buffer = BytesMut::new();
        let first = session.open().await.expect("opens");
        let second = session.open().await.expect("opens");
        assert_eq!((first.shared.id, second.shared.id), (1, 3));
        for id in [1, 3] {
            let frame = next_frame(&mut peer, &mut buffer).await;
            assert_eq!(
                frame.header,
                Header {
                    kind: FrameType::WindowUpdate,
                    flags: SYN,
                    stream_id: id,
                    length: 0
                }
            );
        }
        send(
            &mut peer,
            Header {
                kind: FrameType::Ping,
                flags: SYN,
                stream_id: 0,
                length: 42,
            },
            &[],
        )
        .await;
        let answer = next_frame(&mut peer, &mut buffer).await;
        assert_eq!(
            answer.header,
            Header {
                kind: FrameType::Ping,
                flags: ACK,
                stream_id: 0,
                length: 42
            }
        );
    }

    #[tokio::test]
    async fn a_stream_the_plugin_opens_is_reset() {
        let (_session, mut peer) = session_with_peer();
        let mut buffer = BytesMut::new();
        send(
            &mut peer,
            Header {
                kind: FrameType::WindowUpdate,
                flags: SYN,
                stream_id: 2,
                length: 0,
            },
            &[],
        )
        .await;
        let answer = next_frame(&mut peer, &mut buffer).await;
        assert_eq!(
            answer.header,
            Header {
                kind: FrameType::WindowUpdate,
                flags: RST,
                stream_id: 2,
                length: 0
            }
        );
    }

    #[tokio::test]
    async fn data_is_read_and_its_window_given_back() {
        let (session, mut peer) = session_with_peer();
        let mut buffer = BytesMut::new();
        let stream = session.open().await.expect("opens");
        next_frame(&mut peer, &mut buffer).await;
        let chunk = vec![7u8; (STREAM_WINDOW / 2) as usize];
        send(
            &mut peer,
            Header {
                kind: FrameType::Data,
                flags: ACK,
                stream_id: 1,
                length: chunk.len() as u32,
            },
            &chunk,
        )
        .await;
        let read = stream.read_exact(chunk.len()).await.expect("reads");
        assert_eq!(read, chunk);
        let update = next_frame(&mut peer, &mut buffer).await;
        assert_eq!(
            update.header,
            Header {
                kind: FrameType::WindowUpdate,
                flags: 0,
                stream_id: 1,
                length: STREAM_WINDOW / 2
            }
        );
        send(
            &mut peer,
            Header {
                kind: FrameType::WindowUpdate,
                flags: FIN,
                stream_id: 1,
                length: 0,
            },
            &[],
        )
        .await;
        assert_eq!(stream.read(10).await, Ok(None));
    }

    #[tokio::test]
    async fn overrunning_the_window_ends_the_session_with_a_go_away() {
        let (session, mut peer) = session_with_peer();
        let mut buffer = BytesMut::new();
        let stream = session.open().await.expect("opens");
        next_frame(&mut peer, &mut buffer).await;
        let chunk = vec![1u8; STREAM_WINDOW as usize];
        for _ in 0..2 {
            send(
                &mut peer,
                Header {
                    kind: FrameType::Data,
                    flags: 0,
                    stream_id: 1,
                    length: chunk.len() as u32,
                },
                &chunk,
            )
            .await;
        }
        assert!(
            ended(&session)
                .await
                .contains("overran stream 1's receive window")
        );
        let go_away = next_frame(&mut peer, &mut buffer).await;
        assert_eq!(go_away.header.kind, FrameType::GoAway);
        assert_eq!(go_away.header.length, GO_AWAY_PROTOCOL_ERROR);
        // What arrived within the window is still readable; then the session's end shows.
        assert_eq!(
            stream.read_exact(chunk.len()).await.expect("buffered data"),
            chunk
        );
        assert!(matches!(stream.read(1).await, Err(YamuxError::Closed(_))));
    }

    #[tokio::test]
    async fn garbage_ends_the_session_and_wakes_waiting_readers() {
        let (session, mut peer) = session_with_peer();
        let stream = session.open().await.expect("opens");
        let waiting = tokio::spawn(async move { stream.read(10).await });
        peer.write_all(&[9u8; 12]).await.expect("writable");
        assert!(ended(&session).await.contains("yamux version 9"));
        let read = waiting.await.expect("the reader ends");
        assert!(
            matches!(read, Err(YamuxError::Closed(reason)) if reason.contains("yamux version 9"))
        );
        assert!(matches!(session.open().await, Err(YamuxError::Closed(_))));
    }

    #[tokio::test]
    async fn a_closed_connection_ends_the_session() {
        let (session, peer) = session_with_peer();
        drop(peer);
        assert_eq!(ended(&session).await, "the plugin closed the connection");
    }

    #[tokio::test]
    async fn arbitrary_bytes_from_the_plugin_never_panic() {
        use proptest::prelude::*;
        use proptest::strategy::ValueTree;
        use proptest::test_runner::TestRunner;
        let mut runner = TestRunner::deterministic();
        let strategy = proptest::collection::vec(any::<u8>(), 0..2048);
        let cases = (0..128).map(|_| strategy.new_tree(&mut runner).expect("generates").current());
        for bytes in cases {
            let (session, mut peer) = session_with_peer();
            let stream = session.open().await.expect("opens");
            peer.write_all(&bytes).await.expect("writable");
            drop(peer);
            // Whatever came, the session ends (the connection closed) without a panic.
            ended(&session).await;
            while let Ok(Some(_data)) = stream.read(4096).await {}
        }
    }
}
