//! One lazily connected HTTP/2 channel per peer address, shared by every client to that peer.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tonic::transport::{Channel, Endpoint};

/// How long connecting to a peer may take before the call fails as unreachable.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(2);

/// A pool of channels keyed by `host:port`.
#[derive(Clone, Default)]
pub struct Channels {
    by_addr: Arc<Mutex<HashMap<String, Channel>>>,
}

impl Channels {
    /// Returns the channel to `addr` (`host:port`), creating it on first use. Nothing is
    /// dialled until the first call; a dead peer costs a failed call, not a blocked caller.
    pub fn get(&self, addr: &str) -> Result<Channel, String> {
        let mut by_addr = self
            .by_addr
            .lock()
            .expect("channel pool lock is never poisoned");
        if let Some(channel) = by_addr.get(addr) {
            return Ok(channel.clone());
        }
        let endpoint = Endpoint::from_shared(format!("http://{addr}"))
            .map_err(|error| format!("bad peer address {addr:?}: {error}"))?
            .connect_timeout(CONNECT_TIMEOUT)
            .tcp_nodelay(true)
            .http2_keep_alive_interval(Duration::from_secs(10))
            .keep_alive_timeout(Duration::from_secs(5));
        let channel = endpoint.connect_lazy();
        by_addr.insert(addr.to_string(), channel.clone());
        Ok(channel)
    }

    /// Forgets the channel to `addr` (its peer moved or restarted).
    pub fn forget(&self, addr: &str) {
        self.by_addr
            .lock()
            .expect("channel pool lock is never poisoned")
            .remove(addr);
    }
}
