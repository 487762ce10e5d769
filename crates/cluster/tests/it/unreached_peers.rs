//! Which failed calls prove the peer never received them (issue 14): only those may be sent
//! to another node. A refused connection and a TLS handshake that never finishes did not
//! carry the call; a connection that was made and then stayed silent may have.

use std::time::Duration;

use dkron_cluster::rpc::{Channels, NodeCalls, RpcError};

fn order() -> serde_json::Value {
    serde_json::json!({"job": {"name": "probe"}})
}

async fn run_error(channels: &Channels, addr: &str, deadline: Option<Duration>) -> RpcError {
    let mut calls = NodeCalls::new(channels, addr);
    if let Some(deadline) = deadline {
        calls = calls.with_deadline(deadline);
    }
    match calls.run::<_, bool>(&order()).await {
        Ok(_) => panic!("nothing serves {addr}: the call cannot succeed"),
        Err(error) => error,
    }
}

/// An address where nothing listens: the port of a listener just closed.
async fn closed_port() -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap().to_string();
    drop(listener);
    addr
}

#[tokio::test]
async fn a_refused_connection_never_reached_the_peer_with_or_without_tls() {
    let addr = closed_port().await;
    let plain = run_error(&Channels::default(), &addr, None).await;
    assert!(plain.never_reached_peer(), "{plain:?}");

    let tls = dkron_tls::derive_rpc_tls(&[3u8; 16], "leader").unwrap();
    let channels = Channels::with_tls(Some(tls.client));
    let over_tls = run_error(&channels, &addr, None).await;
    assert!(over_tls.never_reached_peer(), "{over_tls:?}");
}

#[tokio::test]
async fn a_silent_peer_over_plain_tcp_may_have_read_the_call() {
    // The kernel accepts connections to a listener nobody accepts from, as it does for a
    // stopped process: the request is written into the socket.
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap().to_string();
    let error = run_error(&Channels::default(), &addr, Some(Duration::from_secs(3))).await;
    assert!(!error.never_reached_peer(), "{error:?}");
    drop(listener);
}

#[tokio::test]
async fn a_silent_peer_over_tls_never_got_the_call_since_the_handshake_never_finished() {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap().to_string();
    let tls = dkron_tls::derive_rpc_tls(&[3u8; 16], "leader").unwrap();
    let channels = Channels::with_tls(Some(tls.client));
    // No deadline of the caller's own: the channel's connect timeout ends the call.
    let started = std::time::Instant::now();
    let error = run_error(&channels, &addr, None).await;
    assert!(error.never_reached_peer(), "{error:?}");
    assert!(
        started.elapsed() < Duration::from_secs(10),
        "the connect timeout ended the call after {:?}",
        started.elapsed()
    );
    drop(listener);
}
