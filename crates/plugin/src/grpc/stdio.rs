//! go-plugin's `GRPCStdio` relay (go-plugin 1.3 and later; Dkron builds with 1.7): the
//! plugin's process streams what it writes to its standard output and error, and the host
//! copies it to its own, as Dkron's client does with `SyncStdout = os.Stdout` and
//! `SyncStderr = os.Stderr`. A plugin built against an older go-plugin answers
//! `Unimplemented`, and its output stays in a pipe inside it, as under Dkron.

use tokio::io::AsyncWriteExt;
use tokio::sync::mpsc;
use tokio_util::task::AbortOnDropHandle;
use tonic::Code;
use tonic::codegen::http::uri::PathAndQuery;
use tonic::transport::Channel;

use super::proto::{Empty, STREAM_STDIO_PATH, StdioData, stdio_channel};

/// go-plugin sends chunks of about a kilobyte; anything much bigger is refused.
const MAX_STDIO_CHUNK_BYTES: usize = 1024 * 1024;

/// Where a plugin's relayed standard output and error go.
#[derive(Debug, Clone)]
pub(crate) enum StdioTarget {
    /// This process's own standard output and error, as under Dkron.
    ThisProcess,
    /// A channel, for a host that puts the text somewhere else (today: the tests).
    #[allow(
        dead_code,
        reason = "only the tests read a plugin's relayed output so far"
    )]
    Channel(mpsc::UnboundedSender<StdioChunk>),
}

/// Which of the plugin's streams a chunk came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum StdioStream {
    /// Its standard output.
    Stdout,
    /// Its standard error.
    Stderr,
}

/// A chunk of a plugin's standard output or error.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct StdioChunk {
    /// Which stream.
    pub(crate) stream: StdioStream,
    /// The bytes, as written (not split into lines).
    pub(crate) data: Vec<u8>,
}

/// Starts relaying in the background; the relay ends with the plugin's connection, or when
/// the returned handle is dropped.
pub(super) fn start(plugin: &str, channel: Channel, target: StdioTarget) -> AbortOnDropHandle<()> {
    AbortOnDropHandle::new(tokio::spawn(relay(plugin.to_string(), channel, target)))
}

async fn relay(plugin: String, channel: Channel, target: StdioTarget) {
    let mut client =
        tonic::client::Grpc::new(channel).max_decoding_message_size(MAX_STDIO_CHUNK_BYTES);
    if client.ready().await.is_err() {
        return;
    }
    let codec = tonic_prost::ProstCodec::<Empty, StdioData>::default();
    let path = PathAndQuery::from_static(STREAM_STDIO_PATH);
    // Waits for the first chunk: go-plugin sends no headers before it has one.
    let mut chunks = match client
        .server_streaming(tonic::Request::new(Empty {}), path, codec)
        .await
    {
        Ok(response) => response.into_inner(),
        Err(status) if status.code() == Code::Unimplemented => {
            tracing::debug!(plugin = %plugin, "no GRPCStdio (go-plugin before 1.3): its standard output is not relayed");
            return;
        }
        Err(status) => {
            tracing::debug!(plugin = %plugin, %status, "the plugin's stdio stream failed");
            return;
        }
    };
    loop {
        match chunks.message().await {
            Ok(Some(chunk)) => deliver(&plugin, &target, chunk).await,
            Ok(None) => break,
            Err(status) => {
                tracing::debug!(plugin = %plugin, %status, "the plugin's stdio stream ended");
                break;
            }
        }
    }
}

async fn deliver(plugin: &str, target: &StdioTarget, chunk: StdioData) {
    let stream = match chunk.channel {
        stdio_channel::STDOUT => StdioStream::Stdout,
        stdio_channel::STDERR => StdioStream::Stderr,
        other => {
            tracing::debug!(plugin = %plugin, channel = other, "stdio data for an unknown channel dropped");
            return;
        }
    };
    match target {
        StdioTarget::ThisProcess => {
            // The host's own output failing is nothing the plugin can help: drop the chunk.
            let _written = match stream {
                StdioStream::Stdout => write_all(tokio::io::stdout(), &chunk.data).await,
                StdioStream::Stderr => write_all(tokio::io::stderr(), &chunk.data).await,
            };
        }
        StdioTarget::Channel(sender) => {
            let _receiver_gone = sender.send(StdioChunk {
                stream,
                data: chunk.data,
            });
        }
    }
}

async fn write_all(
    mut out: impl tokio::io::AsyncWrite + Unpin,
    data: &[u8],
) -> std::io::Result<()> {
    out.write_all(data).await?;
    out.flush().await
}
