//! The host's end of go-plugin's `GRPCBroker`: one bidirectional `StartStream` per plugin
//! connection, on which the host announces where it serves a numbered service
//! (`ConnInfo{service_id, network, address}`), and the plugin's `broker.Dial(id)` picks the
//! announcement up (waiting up to five seconds for it).
//!
//! Only host-to-plugin announcements are used by Dkron (the per-call `StatusHelper`); what
//! the plugin announces the other way is read and ignored, so that its sends never block.

use std::path::Path;
use std::sync::atomic::{AtomicU32, Ordering};

use tokio::sync::mpsc;
use tokio_util::task::AbortOnDropHandle;
use tonic::codegen::http::uri::PathAndQuery;
use tonic::transport::Channel;

use super::error::GrpcError;
use super::proto::{BROKER_STREAM_PATH, ConnInfo};

/// The most a plugin's `ConnInfo` may weigh: three small fields.
const MAX_CONN_INFO_BYTES: usize = 64 * 1024;

/// The broker stream of one plugin connection.
#[derive(Debug)]
pub(super) struct Broker {
    next_id: AtomicU32,
    announcements: mpsc::UnboundedSender<ConnInfo>,
    _stream: AbortOnDropHandle<()>,
}

impl Broker {
    /// Opens the stream in the background: go-plugin's server sends no response headers
    /// until it has something to say, so waiting for them here would wait forever.
    pub(super) fn start(plugin: &str, channel: Channel) -> Broker {
        let (announcements, outgoing) = mpsc::unbounded_channel();
        let stream = tokio::spawn(run(plugin.to_string(), channel, outgoing));
        Broker {
            next_id: AtomicU32::new(0),
            announcements,
            _stream: AbortOnDropHandle::new(stream),
        }
    }

    /// A fresh service id (go-plugin's `NextId`: 1, 2, 3…; 0 is skipped when the counter
    /// wraps, since an id of 0 reads as "no status server" on the plugin's side).
    pub(super) fn next_id(&self) -> u32 {
        loop {
            let id = self.next_id.fetch_add(1, Ordering::Relaxed).wrapping_add(1);
            if id != 0 {
                return id;
            }
        }
    }

    /// Tells the plugin that service `id` listens on the Unix socket at `path`.
    pub(super) fn announce(&self, id: u32, path: &Path) -> Result<(), GrpcError> {
        let info = ConnInfo {
            service_id: id,
            network: "unix".to_string(),
            address: path.display().to_string(),
        };
        self.announcements
            .send(info)
            .map_err(|_closed| GrpcError::BrokerClosed)
    }
}

async fn run(plugin: String, channel: Channel, outgoing: mpsc::UnboundedReceiver<ConnInfo>) {
    let mut client =
        tonic::client::Grpc::new(channel).max_decoding_message_size(MAX_CONN_INFO_BYTES);
    if let Err(error) = client.ready().await {
        tracing::warn!(plugin = %plugin, %error, "the plugin's broker stream cannot start");
        return;
    }
    let requests = futures::stream::unfold(outgoing, |mut outgoing| async move {
        outgoing.recv().await.map(|info| (info, outgoing))
    });
    let codec = tonic_prost::ProstCodec::<ConnInfo, ConnInfo>::default();
    let path = PathAndQuery::from_static(BROKER_STREAM_PATH);
    let mut incoming = match client
        .streaming(tonic::Request::new(requests), path, codec)
        .await
    {
        Ok(response) => response.into_inner(),
        Err(status) => {
            tracing::debug!(plugin = %plugin, %status, "the plugin's broker stream ended");
            return;
        }
    };
    loop {
        match incoming.message().await {
            Ok(Some(info)) => tracing::debug!(
                plugin = %plugin,
                id = info.service_id,
                "the plugin announced a broker service, which Dkron never uses"
            ),
            Ok(None) => break,
            Err(status) => {
                tracing::debug!(plugin = %plugin, %status, "the plugin's broker stream failed");
                break;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use tonic::transport::Endpoint;

    use super::*;

    #[tokio::test]
    async fn ids_start_at_one_and_never_repeat_or_reach_zero() {
        let channel = Endpoint::from_static("http://127.0.0.1:1").connect_lazy();
        let broker = Broker::start("test", channel);
        assert_eq!(
            (broker.next_id(), broker.next_id(), broker.next_id()),
            (1, 2, 3)
        );
        broker.next_id.store(u32::MAX - 1, Ordering::Relaxed);
        assert_eq!((broker.next_id(), broker.next_id()), (u32::MAX, 1));
    }
}
