//! The API's HTTP/1 server (ADR 22): a connection cap below the open-files limit, a
//! deadline for request headers and one for idle connections, over plain TCP or TLS.
//!
//! At the cap the server stops accepting, so new connections wait in the kernel's backlog
//! (costing this process no descriptor) until one closes. A connection with no request in
//! progress and no bytes moving for the idle deadline is closed, as is one whose request
//! headers take longer than the header deadline; a response in progress (a live-output
//! stream included) is never cut.

use std::convert::Infallible;
use std::net::SocketAddr;
use std::time::{Duration, Instant};

use axum::body::Body;
use axum::extract::ConnectInfo;
use dkron_tls::{ConnectionCap, TlsAcceptLoop};
use http_body_util::BodyExt;
use hyper::body::Incoming;
use hyper_util::rt::TokioIo;
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::OwnedSemaphorePermit;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;
use tower::ServiceExt;

use crate::http_activity::{Activity, ConnectionDeadlines, Verdict, Watched};

/// Port name in log lines.
const PORT: &str = "http";
/// Pause after a failed accept (out of descriptors and the like) instead of spinning.
const ACCEPT_RETRY: Duration = Duration::from_millis(100);
/// Least time between two "cannot accept" warnings.
const ACCEPT_WARN_EVERY: Duration = Duration::from_secs(60);

/// Where the API takes its connections from.
pub(crate) enum HttpListener {
    /// Plain HTTP.
    Plain(TcpListener),
    /// HTTPS; the accept loop must have been started with the same cap
    /// ([`TlsAcceptLoop::start_capped`]).
    Tls(TlsAcceptLoop),
}

/// A connection accepted under the cap.
enum Accepted {
    Plain(TcpStream, SocketAddr, OwnedSemaphorePermit),
    Tls(Box<dkron_tls::TlsAccepted>),
}

/// Serves `router` on `listener` until `shutdown`, then waits for open connections to end
/// (idle ones end at once).
pub(crate) async fn serve_http(
    mut listener: HttpListener,
    router: axum::Router,
    cap: ConnectionCap,
    deadlines: ConnectionDeadlines,
    shutdown: CancellationToken,
) {
    let connections = TaskTracker::new();
    let mut last_accept_warning = None;
    loop {
        let accepted = tokio::select! {
            () = shutdown.cancelled() => break,
            accepted = accept(&mut listener, &cap, &mut last_accept_warning) => accepted,
        };
        let router = router.clone();
        let shutdown = shutdown.clone();
        match accepted {
            Some(Accepted::Plain(stream, peer, slot)) => {
                let _nodelay_is_best_effort = stream.set_nodelay(true);
                connections.spawn(async move {
                    let _slot = slot;
                    serve_connection(stream, peer, router, deadlines, shutdown).await;
                });
            }
            Some(Accepted::Tls(accepted)) => {
                let dkron_tls::TlsAccepted {
                    connection,
                    peer,
                    slot,
                } = *accepted;
                connections.spawn(async move {
                    let _slot = slot;
                    serve_connection(connection, peer, router, deadlines, shutdown).await;
                });
            }
            None => break,
        }
    }
    drop(listener);
    connections.close();
    connections.wait().await;
}

/// Takes the next connection under the cap; `None` once a TLS accept loop has stopped.
async fn accept(
    listener: &mut HttpListener,
    cap: &ConnectionCap,
    last_warning: &mut Option<Instant>,
) -> Option<Accepted> {
    let listener = match listener {
        HttpListener::Tls(tls) => {
            return tls
                .next_accepted()
                .await
                .map(|accepted| Accepted::Tls(Box::new(accepted)));
        }
        HttpListener::Plain(listener) => listener,
    };
    let slot = cap.take(PORT).await;
    loop {
        match listener.accept().await {
            Ok((stream, peer)) => return Some(Accepted::Plain(stream, peer, slot)),
            Err(error) => {
                let now = Instant::now();
                if last_warning.is_none_or(|last| now.duration_since(last) >= ACCEPT_WARN_EVERY) {
                    *last_warning = Some(now);
                    tracing::warn!(port = PORT, error = %error, open = cap.open(), "cannot accept a connection");
                }
                tokio::time::sleep(ACCEPT_RETRY).await;
            }
        }
    }
}

/// Serves one connection until it ends, breaks a deadline, or `shutdown` (then it ends
/// after the response in progress).
async fn serve_connection<Io>(
    io: Io,
    peer: SocketAddr,
    router: axum::Router,
    deadlines: ConnectionDeadlines,
    shutdown: CancellationToken,
) where
    Io: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    let activity = Activity::new();
    let watched = Watched::new(io, activity.clone());
    let service_activity = activity.clone();
    let service = hyper::service::service_fn(move |request: hyper::Request<Incoming>| {
        handle(request, peer, router.clone(), service_activity.clone())
    });
    let mut builder = hyper::server::conn::http1::Builder::new();
    // Our watchdog keeps the header deadline: hyper's own would also close idle keep-alive
    // connections at the header deadline.
    builder.keep_alive(true).header_read_timeout(None);
    let connection = builder.serve_connection(TokioIo::new(watched), service);
    tokio::pin!(connection);
    let mut next_check = deadlines.idle.min(deadlines.header);
    let mut stopping = false;
    loop {
        tokio::select! {
            // The connection first: bytes waiting in the socket are read (and counted as
            // activity) before the watchdog judges, so a request that just arrived is never
            // taken for idleness.
            biased;
            served = connection.as_mut() => {
                if let Err(error) = served {
                    tracing::debug!(%peer, error = %error, "http connection ended");
                }
                return;
            }
            () = shutdown.cancelled(), if !stopping => {
                stopping = true;
                connection.as_mut().graceful_shutdown();
            }
            () = tokio::time::sleep(next_check) => match activity.verdict(deadlines) {
                Verdict::KeepFor(wait) => next_check = wait,
                Verdict::Idle => {
                    tracing::debug!(%peer, "closing an idle http connection");
                    return;
                }
                Verdict::SlowHeaders => {
                    tracing::info!(%peer, "closing an http connection whose request headers came too slowly");
                    return;
                }
            },
        }
    }
}

/// Hands one request to the router with the peer's address (`ConnectInfo`), keeping the
/// request in progress until its response body has been sent.
fn handle(
    request: hyper::Request<Incoming>,
    peer: SocketAddr,
    router: axum::Router,
    activity: std::sync::Arc<Activity>,
) -> impl Future<Output = Result<axum::response::Response, Infallible>> {
    let in_flight = activity.request_started();
    let mut request = request.map(Body::new);
    request.extensions_mut().insert(ConnectInfo(peer));
    async move {
        let response = router.oneshot(request).await?;
        Ok(response.map(|body| {
            Body::new(body.map_frame(move |frame| {
                let _request_in_progress = &in_flight;
                frame
            }))
        }))
    }
}
