//! One net/rpc client connection on a yamux stream. Calls are serialised (one in flight per
//! connection): go-plugin's server would run concurrent calls, but a processor call is one
//! per finished execution, and one at a time keeps the stream's gob state simple. Replies
//! are still matched by `Seq`, so the late reply of a call whose caller gave up (a time
//! limit) is recognised and skipped by the next call.

use bytes::BytesMut;
use tokio::task::JoinHandle;

use super::error::NetRpcError;
use super::gob::{GobType, GobValue};
use super::rpc_codec::{CallWriter, ReplyReader};
use super::yamux::{YamuxError, YamuxStream};

/// How much is read from the stream at a time.
const READ_CHUNK: usize = 64 * 1024;

/// A net/rpc client on one stream.
#[derive(Debug)]
pub(crate) struct RpcConnection {
    stream: YamuxStream,
    writer: CallWriter,
    reader: ReplyReader,
    buffer: BytesMut,
    next_seq: u64,
    /// A call's write runs as its own task so that a caller giving up mid-write cannot leave
    /// half a message on the stream; the next call waits for it.
    pending_write: Option<JoinHandle<Result<(), YamuxError>>>,
    /// Set when the stream's bytes can no longer be trusted.
    broken: Option<NetRpcError>,
}

impl RpcConnection {
    /// A client on `stream`.
    pub(crate) fn new(stream: YamuxStream) -> RpcConnection {
        RpcConnection {
            stream,
            writer: CallWriter::default(),
            reader: ReplyReader::default(),
            buffer: BytesMut::new(),
            next_seq: 0,
            pending_write: None,
            broken: None,
        }
    }

    /// Calls `method` with `args` and returns its reply value. Cancel-safe: dropping the
    /// future leaves the connection usable for the next call.
    pub(crate) async fn call(
        &mut self,
        method: &str,
        args_type: &GobType,
        args: &GobValue,
    ) -> Result<GobValue, NetRpcError> {
        if let Some(error) = &self.broken {
            return Err(error.clone());
        }
        self.finish_pending_write().await?;
        let seq = self.next_seq;
        self.next_seq += 1;
        let bytes = self.writer.encode_call(method, seq, args_type, args)?;
        let stream = self.stream.clone();
        self.pending_write = Some(tokio::spawn(async move { stream.write_all(&bytes).await }));
        self.finish_pending_write().await?;
        let result = self.read_reply(seq).await;
        if let Err(error @ NetRpcError::Protocol(_)) = &result {
            self.broken = Some(error.clone());
        }
        result
    }

    async fn finish_pending_write(&mut self) -> Result<(), NetRpcError> {
        let Some(write) = self.pending_write.as_mut() else {
            return Ok(());
        };
        let written = write.await;
        self.pending_write = None;
        match written {
            Ok(result) => Ok(result?),
            Err(error) => Err(NetRpcError::Connection(YamuxError::Closed(format!(
                "the write task failed: {error}"
            )))),
        }
    }

    async fn read_reply(&mut self, seq: u64) -> Result<GobValue, NetRpcError> {
        loop {
            if let Some(reply) = self.reader.next_reply(&mut self.buffer)? {
                if reply.seq < seq {
                    tracing::debug!(seq = reply.seq, method = %reply.method, "skipping the reply of an abandoned plugin call");
                    continue;
                }
                if reply.seq != seq {
                    return Err(NetRpcError::Protocol(format!(
                        "a reply to call {} while call {seq} waits",
                        reply.seq
                    )));
                }
                return reply.outcome.map_err(NetRpcError::Remote);
            }
            match self.stream.read(READ_CHUNK).await? {
                Some(data) => self.buffer.extend_from_slice(&data),
                None => {
                    return Err(YamuxError::Closed(
                        "the plugin closed the call stream".to_string(),
                    )
                    .into());
                }
            }
        }
    }
}
