//! Accepting TLS connections: TCP accepts stay fast, handshakes run in their own tasks with
//! a deadline and a bound, and finished connections come out of a queue with their peer's
//! address.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{OwnedSemaphorePermit, Semaphore, mpsc};
use tokio_rustls::TlsAcceptor;

use crate::ConnectionCap;

/// A finished server-side handshake.
pub type TlsConnection = tokio_rustls::server::TlsStream<TcpStream>;

/// Longest a peer may take to finish its handshake.
const HANDSHAKE_LIMIT: Duration = Duration::from_secs(10);
/// Most handshakes in progress at once; a flood of half-open connections waits its turn.
const HANDSHAKES_IN_FLIGHT: usize = 256;
/// Finished connections waiting for the server to take them.
const READY_QUEUE: usize = 64;

/// A connection that finished its handshake.
pub struct TlsAccepted {
    /// The connection.
    pub connection: TlsConnection,
    /// The peer's address.
    pub peer: SocketAddr,
    /// The connection's place under the cap given to [`TlsAcceptLoop::start_capped`]; the
    /// place is free again once this is dropped.
    pub slot: Option<OwnedSemaphorePermit>,
}

/// Connections that finished their handshake, from a listener served in the background.
pub struct TlsAcceptLoop {
    ready: mpsc::Receiver<TlsAccepted>,
    local_addr: SocketAddr,
}

impl TlsAcceptLoop {
    /// Starts accepting on `listener` with `config`; `what` names the port in log lines.
    /// The loop ends (and the port closes) when this value is dropped.
    pub fn start(
        listener: TcpListener,
        config: Arc<rustls::ServerConfig>,
        what: &'static str,
    ) -> std::io::Result<TlsAcceptLoop> {
        TlsAcceptLoop::start_with(listener, config, what, None)
    }

    /// Like [`TlsAcceptLoop::start`], but no more than `cap` connections are open at once: at the cap the loop stops accepting, and new connections wait in the
    /// kernel's backlog until one closes.
    pub fn start_capped(
        listener: TcpListener,
        config: Arc<rustls::ServerConfig>,
        what: &'static str,
        cap: ConnectionCap,
    ) -> std::io::Result<TlsAcceptLoop> {
        TlsAcceptLoop::start_with(listener, config, what, Some(cap))
    }

    fn start_with(
        listener: TcpListener,
        config: Arc<rustls::ServerConfig>,
        what: &'static str,
        cap: Option<ConnectionCap>,
    ) -> std::io::Result<TlsAcceptLoop> {
        let local_addr = listener.local_addr()?;
        let (sender, ready) = mpsc::channel(READY_QUEUE);
        let acceptor = TlsAcceptor::from(config);
        tokio::spawn(accept_loop(listener, acceptor, sender, what, cap));
        Ok(TlsAcceptLoop { ready, local_addr })
    }

    /// Returns the next connection that finished its handshake, or `None` once the loop
    /// has stopped.
    pub async fn next(&mut self) -> Option<(TlsConnection, SocketAddr)> {
        let accepted = self.ready.recv().await?;
        Some((accepted.connection, accepted.peer))
    }

    /// Returns the next connection with its place under the cap, or `None` once the loop
    /// has stopped.
    pub async fn next_accepted(&mut self) -> Option<TlsAccepted> {
        self.ready.recv().await
    }

    /// Returns the address the listener is bound to.
    pub fn local_addr(&self) -> SocketAddr {
        self.local_addr
    }
}

async fn accept_loop(
    listener: TcpListener,
    acceptor: TlsAcceptor,
    ready: mpsc::Sender<TlsAccepted>,
    what: &'static str,
    cap: Option<ConnectionCap>,
) {
    let in_flight = Arc::new(Semaphore::new(HANDSHAKES_IN_FLIGHT));
    loop {
        let slot = match &cap {
            None => None,
            Some(cap) => tokio::select! {
                () = ready.closed() => return,
                slot = cap.take(what) => Some(slot),
            },
        };
        let permit = tokio::select! {
            () = ready.closed() => return,
            permit = in_flight.clone().acquire_owned() => {
                permit.expect("the handshake semaphore is never closed")
            }
        };
        let (stream, peer) = tokio::select! {
            () = ready.closed() => return,
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(error) => {
                    // Out of file descriptors and the like: wait instead of spinning.
                    tracing::warn!(port = what, error = %error, "cannot accept a connection");
                    tokio::time::sleep(Duration::from_millis(100)).await;
                    continue;
                }
            },
        };
        let _nodelay_is_best_effort = stream.set_nodelay(true);
        let acceptor = acceptor.clone();
        let ready = ready.clone();
        tokio::spawn(async move {
            let _permit = permit;
            match tokio::time::timeout(HANDSHAKE_LIMIT, acceptor.accept(stream)).await {
                Ok(Ok(connection)) => {
                    let accepted = TlsAccepted {
                        connection,
                        peer,
                        slot,
                    };
                    let _closed_means_stopping = ready.send(accepted).await;
                }
                Ok(Err(error)) => {
                    tracing::info!(port = what, peer = %peer, error = %error, "tls handshake refused");
                }
                Err(_) => {
                    tracing::info!(port = what, peer = %peer, "tls handshake timed out");
                }
            }
        });
    }
}
