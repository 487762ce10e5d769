//! One lazily connected HTTP/2 channel per peer address, shared by every client to that peer.
//!
//! The pool keeps the channels of the `limits::MAX_PEER_CHANNELS` most recently used
//! addresses: nodes come and go (autoscaled agents, restarts on new ports), and a channel
//! to an address nobody calls any more is only a connection and a buffer task held open.
//! Evicting a channel costs its next caller a new dial, nothing more.
//!
//! With TLS (certificates or the gossip-key credential, ADR 15) every channel dials through
//! rustls and presents this node's certificate; without it channels are plain HTTP/2.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use dkron_model::limits;
use tonic::transport::{Channel, Endpoint};

use super::recent::RecentlyUsed;

/// How long connecting to a peer may take before the call fails as unreachable.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(2);

/// A pool of channels keyed by `host:port`.
#[derive(Clone)]
pub struct Channels {
    by_addr: Arc<Mutex<RecentlyUsed<str, Channel>>>,
    tls: Option<Arc<rustls::ClientConfig>>,
}

impl Default for Channels {
    fn default() -> Self {
        Channels::with_capacity(limits::MAX_PEER_CHANNELS)
    }
}

impl Channels {
    /// Returns an empty pool keeping at most `capacity` channels.
    pub fn with_capacity(capacity: usize) -> Self {
        Channels {
            by_addr: Arc::new(Mutex::new(RecentlyUsed::new(capacity))),
            tls: None,
        }
    }

    /// Returns an empty pool whose channels dial with TLS configuration `tls` (mutual TLS
    /// to nodes of the cluster CA), or in plain text when it is `None`.
    pub fn with_tls(tls: Option<Arc<rustls::ClientConfig>>) -> Self {
        Channels {
            tls,
            ..Channels::default()
        }
    }

    /// Whether calls are made over TLS with this cluster's credential, so a call that
    /// succeeds proves the peer holds it too.
    pub fn is_protected(&self) -> bool {
        self.tls.is_some()
    }

    /// Returns the channel to `addr` (`host:port`), creating it on first use. Nothing is
    /// dialled until the first call; a dead peer costs a failed call, not a blocked caller.
    pub fn get(&self, addr: &str) -> Result<Channel, BadAddress> {
        let mut by_addr = self.lock();
        if let Some(channel) = by_addr.get(addr) {
            return Ok(channel.clone());
        }
        let channel = lazy_channel(addr, self.tls.clone())?;
        by_addr.insert(Arc::from(addr), channel.clone());
        Ok(channel)
    }

    /// Forgets the channel to `addr` (its peer moved or restarted).
    pub fn forget(&self, addr: &str) {
        self.lock().remove(addr);
    }

    /// Returns how many channels are kept, and the most that are.
    pub fn len_and_capacity(&self) -> (usize, usize) {
        let by_addr = self.lock();
        (by_addr.len(), by_addr.capacity())
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, RecentlyUsed<str, Channel>> {
        self.by_addr
            .lock()
            .expect("channel pool lock is never poisoned")
    }
}

/// A peer address that does not make a URL.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("bad peer address {address:?}: {message}")]
pub struct BadAddress {
    /// The address as given.
    pub address: String,
    /// Why it does not parse.
    pub message: String,
}

fn lazy_channel(addr: &str, tls: Option<Arc<rustls::ClientConfig>>) -> Result<Channel, BadAddress> {
    // The scheme stays http: with TLS, the connector below does the handshake itself.
    let endpoint = Endpoint::from_shared(format!("http://{addr}"))
        .map_err(|error| BadAddress {
            address: addr.to_string(),
            message: error.to_string(),
        })?
        .connect_timeout(CONNECT_TIMEOUT)
        .tcp_nodelay(true)
        .http2_keep_alive_interval(Duration::from_secs(10))
        .keep_alive_timeout(Duration::from_secs(5));
    let Some(tls) = tls else {
        return Ok(endpoint.connect_lazy());
    };
    let connector = tower::service_fn(move |uri: tonic::transport::Uri| {
        let tls = tls.clone();
        async move {
            let host = uri.host().unwrap_or_default().to_string();
            let port = uri.port_u16().unwrap_or(80);
            let stream = dkron_tls::connect(tls, &host, port).await?;
            Ok::<_, std::io::Error>(hyper_util::rt::TokioIo::new(stream))
        }
    });
    Ok(endpoint.connect_with_connector_lazy(connector))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn the_pool_keeps_its_bound_far_past_it_and_an_evicted_peer_is_dialled_again() {
        let channels = Channels::with_capacity(64);
        for index in 0..5_000 {
            let addr = format!("10.1.{}.{}:6868", index / 256, index % 256);
            channels.get(&addr).expect("a valid address gets a channel");
            channels.get("10.0.0.1:6868").expect("the busy peer");
            let (kept, capacity) = channels.len_and_capacity();
            assert!(kept <= capacity, "{kept} channels kept, bound {capacity}");
        }
        assert_eq!(channels.len_and_capacity(), (64, 64));
        // The first peer was evicted long ago: asking for it again just makes a new channel.
        channels.get("10.1.0.0:6868").expect("dialled again");
        assert_eq!(channels.len_and_capacity(), (64, 64));
    }

    #[tokio::test]
    async fn a_bad_address_is_refused_and_not_kept() {
        let channels = Channels::default();
        assert!(channels.get("not an address").is_err());
        assert_eq!(channels.len_and_capacity(), (0, limits::MAX_PEER_CHANNELS));
    }
}
