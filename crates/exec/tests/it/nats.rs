//! The `nats` executor against a real `nats-server`, checked by an independent subscriber
//! that speaks the NATS protocol over a raw socket.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use dkron_exec::Registry;
use dkron_testservers::{NatsServer, NatsUser, free_port, silent_listener};

use crate::contract::{Fixture, executor_contract};
use crate::support::{request, run};

const SENT: &str = "Result: Message successfully sent\n";
const WAIT: Duration = Duration::from_secs(10);

fn app_user() -> NatsUser {
    NatsUser {
        user: "app".to_string(),
        password: "c0rrect-h0rse".to_string(),
    }
}

#[tokio::test]
async fn the_message_reaches_a_subscriber_with_its_exact_subject_and_payload() {
    let server = NatsServer::start(None).await;
    let mut subscriber = server.subscribe("jobs.>").await;

    tracing::info!("a job publishes a message with spaces and non-ASCII text");
    let message = "nightly report ready: 42 rows, café ✓";
    let outcome = run(request(
        "nats",
        &[
            ("url", &server.url()),
            ("subject", "jobs.nightly.report"),
            ("message", message),
        ],
    ))
    .await;
    assert!(outcome.success, "{outcome:?}\n{}", server.log());
    assert_eq!(outcome.output, SENT);
    let received = subscriber.next_message(WAIT).await;
    assert_eq!(received.subject, "jobs.nightly.report");
    assert_eq!(received.payload, message.as_bytes());

    tracing::info!("without a message key, an empty payload is published, as in Dkron");
    let outcome = run(request(
        "nats",
        &[("url", &server.url()), ("subject", "jobs.ping")],
    ))
    .await;
    assert!(outcome.success, "{outcome:?}");
    let received = subscriber.next_message(WAIT).await;
    assert_eq!(received.subject, "jobs.ping");
    assert!(received.payload.is_empty());
}

#[tokio::test]
async fn user_and_password_log_in() {
    let server = NatsServer::start(Some(app_user())).await;
    let mut subscriber = server.subscribe("audit").await;
    let outcome = run(request(
        "nats",
        &[
            ("url", &server.url()),
            ("subject", "audit"),
            ("message", "with keys"),
            ("userName", "app"),
            ("password", "c0rrect-h0rse"),
            ("debug", "true"),
        ],
    ))
    .await;
    assert!(outcome.success, "{outcome:?}\n{}", server.log());
    assert_eq!(
        outcome.output, SENT,
        "debug logs on the node, not in the output"
    );
    assert_eq!(subscriber.next_message(WAIT).await.payload, b"with keys");

    tracing::info!("user info written in the URL logs in too, as with nats.go");
    let url = format!("nats://app:c0rrect-h0rse@127.0.0.1:{}", server.port);
    let outcome = run(request(
        "nats",
        &[("url", &url), ("subject", "audit"), ("message", "with url")],
    ))
    .await;
    assert!(outcome.success, "{outcome:?}\n{}", server.log());
    assert_eq!(subscriber.next_message(WAIT).await.payload, b"with url");
}

#[tokio::test]
async fn a_wrong_password_fails_with_dkrons_text_and_shows_no_password() {
    let server = NatsServer::start(Some(app_user())).await;
    let mut subscriber = server.subscribe("audit").await;
    let wrong_in_key = [
        ("url", server.url()),
        ("subject", "audit".to_string()),
        ("userName", "app".to_string()),
        ("password", "wr0ng-passw0rd".to_string()),
    ];
    let wrong_in_url = [
        (
            "url",
            format!("nats://app:wr0ng-passw0rd@127.0.0.1:{}", server.port),
        ),
        ("subject", "audit".to_string()),
    ];
    for config in [&wrong_in_key[..], &wrong_in_url[..]] {
        let pairs: Vec<(&str, &str)> = config.iter().map(|(k, v)| (*k, v.as_str())).collect();
        let outcome = run(request("nats", &pairs)).await;
        assert!(!outcome.success);
        assert!(!outcome.killed);
        assert!(
            outcome.output.starts_with("error connecting to NATS"),
            "{:?}",
            outcome.output
        );
        assert!(outcome.output.ends_with('\n'));
        assert!(
            !outcome.output.contains("wr0ng-passw0rd"),
            "{}",
            outcome.output
        );
        assert!(
            !outcome.output.contains("c0rrect-h0rse"),
            "{}",
            outcome.output
        );
    }
    assert_eq!(
        subscriber.message_within(Duration::from_millis(500)).await,
        None,
        "a refused client published anyway"
    );
}

#[tokio::test]
async fn a_dead_first_server_of_the_list_is_skipped() {
    let server = NatsServer::start(None).await;
    let mut subscriber = server.subscribe("fallback").await;
    let nobody_listens = free_port();
    let list = format!("nats://127.0.0.1:{nobody_listens}, {}", server.url());
    let outcome = run(request(
        "nats",
        &[
            ("url", &list),
            ("subject", "fallback"),
            ("message", "second"),
        ],
    ))
    .await;
    assert!(outcome.success, "{outcome:?}");
    assert_eq!(subscriber.next_message(WAIT).await.payload, b"second");
}

#[tokio::test]
async fn no_server_listening_fails_promptly_with_dkrons_text() {
    let url = format!("nats://127.0.0.1:{}", free_port());
    let started = Instant::now();
    let outcome = run(request("nats", &[("url", &url), ("subject", "s")])).await;
    assert!(!outcome.success);
    assert!(
        outcome.output.starts_with("error connecting to NATS"),
        "{:?}",
        outcome.output
    );
    assert!(started.elapsed() < Duration::from_secs(10));
}

#[tokio::test]
async fn a_server_that_never_answers_fails_the_run_after_the_connect_timeout() {
    let never_answers = silent_listener().await;
    let url = format!("nats://{never_answers}");
    let started = Instant::now();
    let outcome = run(request("nats", &[("url", &url), ("subject", "s")])).await;
    let waited = started.elapsed();
    assert!(!outcome.success);
    assert!(
        !outcome.killed,
        "a timeout of the connection is a failure, not a kill"
    );
    assert!(
        outcome.output.starts_with("error connecting to NATS"),
        "{:?}",
        outcome.output
    );
    assert!(
        waited >= Duration::from_secs(4) && waited < Duration::from_secs(20),
        "the 5 s connect timeout took {waited:?}"
    );
}

#[tokio::test]
async fn a_bad_config_stored_earlier_fails_the_run_with_dkrons_text() {
    let outcome = run(request("nats", &[("subject", "s")])).await;
    assert_eq!(outcome.output, "url is empty\n");
    let outcome = run(request("nats", &[("url", "nats://127.0.0.1:1")])).await;
    assert_eq!(outcome.output, "subject is empty\n");
    assert!(!outcome.success);
}

#[test]
fn bad_configs_are_refused_at_submission_with_the_key_at_fault() {
    let registry = Registry::builtin();
    let check = |pairs: &[(&str, &str)]| {
        let config: BTreeMap<String, String> = pairs
            .iter()
            .map(|(key, value)| (key.to_string(), value.to_string()))
            .collect();
        registry.check_config("nats", &config)
    };
    let key_of = |pairs: &[(&str, &str)]| check(pairs).unwrap_err().key;
    assert_eq!(key_of(&[("subject", "s")]), "url");
    assert_eq!(key_of(&[("url", "nats://h:4222")]), "subject");
    assert_eq!(key_of(&[("url", "http://h:4222"), ("subject", "s")]), "url");
    assert_eq!(
        key_of(&[("url", "nats://h:99999"), ("subject", "s")]),
        "url"
    );
    assert_eq!(
        key_of(&[("url", "nats://h"), ("subject", "a b")]),
        "subject"
    );
    let fault = check(&[("url", "ftp://app:hunter2@h"), ("subject", "s")]).unwrap_err();
    assert!(!fault.message.contains("hunter2"), "{fault:?}");
    assert_eq!(
        check(&[
            ("url", "tls://nats.demo.io:4443"),
            ("message", "the message"),
            ("subject", "myfavoritesubject"),
            ("userName", "someusername"),
            ("password", "somepassword"),
        ]),
        Ok(())
    );
    assert_eq!(
        check(&[("url", "127.0.0.1:4222,h2"), ("subject", "s")]),
        Ok(())
    );
}

#[tokio::test]
async fn nats_keeps_the_executor_contract() {
    let server = NatsServer::start(None).await;
    let never_answers = silent_listener().await;
    let fixture = Fixture {
        succeeding: request("nats", &[("url", &server.url()), ("subject", "contract")]),
        chatty: false,
        long_running: request(
            "nats",
            &[
                ("url", &format!("nats://{never_answers}")),
                ("subject", "s"),
            ],
        ),
        misconfigured: request("nats", &[("url", &server.url())]),
        keep_alive: vec![Box::new(server)],
    };
    executor_contract("nats", fixture).await;
}

#[tokio::test]
async fn tls_urls_check_the_server_certificate() {
    // The test CA is not in the system trust store, so the handshake must be refused: this
    // proves `tls://` really speaks TLS and verifies (a trusted CA is tested end to end, where
    // the node runs with SSL_CERT_FILE).
    let server = NatsServer::start_tls(None).await;
    let mut subscriber = server.subscribe("secure").await;
    let outcome = run(request(
        "nats",
        &[("url", &server.tls_url()), ("subject", "secure")],
    ))
    .await;
    assert!(!outcome.success);
    assert!(
        outcome.output.starts_with("error connecting to NATS"),
        "{:?}",
        outcome.output
    );
    assert_eq!(
        subscriber.message_within(Duration::from_millis(300)).await,
        None
    );
}
