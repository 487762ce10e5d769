//! `tlsEnable` against a real broker: Tansu's TLS listener does not come up in the build the
//! tests use, so TLS is terminated in front of it by a small rustls proxy, with the broker
//! advertising the proxy's port (as behind a TLS-terminating load balancer). The executor's
//! TLS client, certificate checks included, is the thing under test.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use dkron_exec::{ExecLimits, ExecOutcome, ExecRequest, Registry};
use dkron_testservers::{KafkaBroker, free_port};
use rcgen::{CertifiedKey, generate_simple_self_signed};
use rustls::pki_types::PrivatePkcs8KeyDer;
use tokio::net::{TcpListener, TcpStream};
use tokio_util::sync::CancellationToken;

use crate::support::request;

/// Accepts TLS on `listener` with a self-signed certificate for 127.0.0.1 and forwards the
/// plain bytes to `backend`.
fn start_tls_terminator(listener: TcpListener, backend: SocketAddr) {
    let CertifiedKey { cert, signing_key } =
        generate_simple_self_signed(vec!["127.0.0.1".to_string()]).unwrap();
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_no_client_auth()
        .with_single_cert(
            vec![cert.der().clone()],
            PrivatePkcs8KeyDer::from(signing_key.serialize_der()).into(),
        )
        .unwrap();
    let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(config));
    tokio::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            let acceptor = acceptor.clone();
            tokio::spawn(async move {
                // A refused handshake is what one test expects: drop the connection.
                let Ok(mut tls) = acceptor.accept(stream).await else {
                    return;
                };
                let Ok(mut plain) = TcpStream::connect(backend).await else {
                    return;
                };
                // Ends when either side closes; the error only says which.
                tokio::io::copy_bidirectional(&mut tls, &mut plain)
                    .await
                    .ok();
            });
        }
    });
}

/// A broker reached only through TLS; returns it and the TLS address.
async fn broker_behind_tls() -> (KafkaBroker, String) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let tls_port = listener.local_addr().unwrap().port();
    let broker = KafkaBroker::start_advertising(Some(tls_port)).await;
    start_tls_terminator(listener, SocketAddr::from(([127, 0, 0, 1], broker.port)));
    (broker, format!("127.0.0.1:{tls_port}"))
}

fn tls_job(address: &str, skip_verify: &str) -> ExecRequest {
    request(
        "kafka",
        &[
            ("brokerAddress", address),
            ("topic", "secure"),
            ("key", "k"),
            ("message", "over tls"),
            ("tlsEnable", "true"),
            ("tlsInsecureSkipVerify", skip_verify),
        ],
    )
}

async fn run(request: ExecRequest) -> ExecOutcome {
    let registry = Registry::builtin();
    let limits = ExecLimits::default();
    let run = registry.run(request, &limits, None, CancellationToken::new());
    tokio::time::timeout(Duration::from_secs(120), run)
        .await
        .expect("kafka run did not finish")
}

#[tokio::test]
async fn tls_with_insecure_skip_verify_accepts_a_self_signed_broker() {
    let (broker, address) = broker_behind_tls().await;
    broker.create_topic("secure", 1).await;
    let outcome = run(tls_job(&address, "true")).await;
    assert!(outcome.success, "{outcome:?}\n{}", broker.log_text());
    let records = broker.consume_from(&address, true, "secure").await;
    assert_eq!(records.len(), 1, "{records:?}");
    assert_eq!(records[0].value, b"over tls");
}

#[tokio::test]
async fn tls_checks_the_certificate_against_the_system_roots() {
    let (broker, address) = broker_behind_tls().await;
    broker.create_topic("secure", 1).await;
    let outcome = run(tls_job(&address, "false")).await;
    assert!(!outcome.success);
    assert!(
        outcome.output.contains("certificate"),
        "not a certificate error: {}",
        outcome.output
    );
    assert!(
        broker
            .consume_from(&address, true, "secure")
            .await
            .is_empty()
    );
}

#[tokio::test]
async fn tls_to_a_plain_listener_fails() {
    let broker = KafkaBroker::start().await;
    let outcome = run(tls_job(&broker.address(), "true")).await;
    assert!(!outcome.success, "{outcome:?}");
    // A dead port is refused the same way, without TLS in the way.
    let dead = format!("127.0.0.1:{}", free_port());
    assert!(!run(tls_job(&dead, "true")).await.success);
}
