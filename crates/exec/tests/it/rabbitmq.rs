//! The `rabbitmq` executor against a real broker (Debian's rabbitmq-server, started per test),
//! with pika as the independent client that binds exchanges and reads the messages back.

use std::time::Duration;

use dkron_exec::{ExecLimits, Registry};
use dkron_testservers::{RabbitMq, silent_listener};
use tokio_util::sync::CancellationToken;

use crate::contract::{Fixture, executor_contract};
use crate::support::{request, run, wait_for};

const WAIT: Duration = Duration::from_secs(10);

#[tokio::test]
async fn a_declared_queue_gets_the_message_with_its_properties() {
    let broker = RabbitMq::start().await;
    let url = broker.url();

    tracing::info!("Dkron's example job: declare a durable queue, publish JSON to it");
    let outcome = run(request(
        "rabbitmq",
        &[
            ("url", &url),
            ("exchange", "amq.default"),
            ("queue.name", "orders"),
            ("queue.create", "true"),
            ("queue.durable", "true"),
            ("queue.auto_delete", "false"),
            ("queue.exclusive", "false"),
            ("message.content_type", "application/json"),
            ("message.delivery_mode", "2"),
            ("message.messageId", "4373732772"),
            ("message.body", "{\"key\":\"value\"}"),
        ],
    ))
    .await;
    assert!(outcome.success, "{outcome:?}\n{}", broker.log());
    assert_eq!(
        outcome.output,
        "Result: message published to queue orders\n"
    );
    let message = broker
        .take_message("orders", WAIT)
        .await
        .expect("a message");
    assert_eq!(message.body, b"{\"key\":\"value\"}");
    assert_eq!(message.content_type.as_deref(), Some("application/json"));
    assert_eq!(message.delivery_mode, Some(2));
    assert_eq!(message.message_id.as_deref(), Some("4373732772"));
    assert_eq!(
        (message.exchange.as_str(), message.routing_key.as_str()),
        ("", "orders")
    );

    tracing::info!("a base64 body arrives byte for byte, with Dkron's default content type");
    let outcome = run(request(
        "rabbitmq",
        &[
            ("url", &url),
            ("queue.name", "binary"),
            ("queue.create", "true"),
            ("message.base64Body", "AAEC/4CBZG9uZQ=="),
        ],
    ))
    .await;
    assert!(outcome.success, "{outcome:?}");
    let message = broker
        .take_message("binary", WAIT)
        .await
        .expect("a message");
    assert_eq!(message.body, b"\x00\x01\x02\xff\x80\x81done");
    assert_eq!(message.content_type.as_deref(), Some("text/plain"));
    assert_eq!(message.delivery_mode, None, "0 leaves the property unset");
    assert_eq!(message.message_id, None);

    tracing::info!("each run closed its connection: no I/O thread of lapin is left");
    wait_for("lapin's I/O threads to end", Duration::from_secs(5), || {
        lapin_io_threads() == 0
    })
    .await;
}

#[tokio::test]
async fn exchange_routing_and_broker_refusals() {
    let broker = RabbitMq::start().await;
    let url = broker.url();

    tracing::info!("a direct exchange routes by the queue name (the routing key)");
    broker.bind_queue("dkron.direct", "routed").await;
    let outcome = run(request(
        "rabbitmq",
        &[
            ("url", &url),
            ("exchange", "dkron.direct"),
            ("queue.name", "routed"),
            ("message.body", "via the exchange"),
        ],
    ))
    .await;
    assert!(outcome.success, "{outcome:?}");
    assert_eq!(
        outcome.output,
        "Result: message published to exchange dkron.direct with routing key routed\n"
    );
    let message = broker
        .take_message("routed", WAIT)
        .await
        .expect("a message");
    assert_eq!(message.body, b"via the exchange");
    assert_eq!(message.exchange, "dkron.direct");
    assert_eq!(message.routing_key, "routed");

    tracing::info!("an exchange that does not exist fails the run with the broker's reason");
    let outcome = run(request(
        "rabbitmq",
        &[
            ("url", &url),
            ("exchange", "nowhere"),
            ("queue.name", "routed"),
        ],
    ))
    .await;
    assert!(!outcome.success);
    assert!(
        outcome
            .output
            .starts_with("Exception (404) Reason: \"NOT_FOUND - no exchange 'nowhere'"),
        "{}",
        outcome.output
    );

    tracing::info!("redeclaring the queue with other flags fails with the broker's reason");
    let outcome = run(request(
        "rabbitmq",
        &[
            ("url", &url),
            ("queue.name", "routed"),
            ("queue.create", "true"),
            ("queue.durable", "true"),
        ],
    ))
    .await;
    assert!(
        outcome
            .output
            .starts_with("Exception (406) Reason: \"PRECONDITION_FAILED - "),
        "{}",
        outcome.output
    );

    tracing::info!("an unknown virtual host fails with the broker's reason");
    let elsewhere = format!("amqp://guest:guest@127.0.0.1:{}/nowhere", broker.port());
    let outcome = run(request(
        "rabbitmq",
        &[("url", &elsewhere), ("queue.name", "routed")],
    ))
    .await;
    assert!(
        outcome.output.starts_with("Exception (530) Reason: "),
        "{}",
        outcome.output
    );

    tracing::info!("amqps to a plain AMQP port fails in the TLS handshake (rustls on ring)");
    let tls_url = format!("amqps://guest:guest@127.0.0.1:{}/", broker.port());
    let outcome = run(request(
        "rabbitmq",
        &[("url", &tls_url), ("queue.name", "routed")],
    ))
    .await;
    assert!(
        outcome
            .output
            .starts_with(&format!("dial tcp 127.0.0.1:{}: ", broker.port())),
        "{}",
        outcome.output
    );

    tracing::info!("a wrong password fails with Go's text, and the password is not shown");
    let secret = "Sup3r-Secret-Pw";
    let wrong = format!("amqp://guest:{secret}@127.0.0.1:{}/", broker.port());
    let outcome = run(request(
        "rabbitmq",
        &[
            ("url", &wrong),
            ("queue.name", "routed"),
            ("message.body", "x"),
        ],
    ))
    .await;
    assert!(!outcome.success);
    assert_eq!(
        outcome.output,
        "Exception (403) Reason: \"username or password not allowed\"\n"
    );
    assert!(!outcome.output.contains(secret));
    assert_eq!(broker.take_message("routed", Duration::ZERO).await, None);
}

#[tokio::test]
async fn nothing_listening_is_a_dial_error() {
    let port = dkron_testservers::free_port();
    let url = format!("amqp://guest:Hidden-Pw@127.0.0.1:{port}/");
    let outcome = run(request("rabbitmq", &[("url", &url), ("queue.name", "q")])).await;
    assert!(!outcome.success);
    assert!(
        outcome
            .output
            .starts_with(&format!("dial tcp 127.0.0.1:{port}: ")),
        "{}",
        outcome.output
    );
    assert!(!outcome.output.contains("Hidden-Pw"));
}

#[tokio::test]
async fn a_silent_broker_is_left_promptly_when_cancelled() {
    let silent = silent_listener().await;
    let url = format!("amqp://guest:guest@{silent}/");
    let cancel = CancellationToken::new();
    let canceller = cancel.clone();
    tokio::spawn(async move {
        tokio::time::sleep(Duration::from_millis(300)).await;
        canceller.cancel();
    });
    let outcome = tokio::time::timeout(
        Duration::from_secs(5),
        Registry::builtin().run(
            request("rabbitmq", &[("url", &url), ("queue.name", "q")]),
            &ExecLimits::default(),
            None,
            cancel,
        ),
    )
    .await
    .expect("cancellation is honoured");
    assert!(outcome.killed && !outcome.success);
    assert_eq!(outcome.output, "RabbitMQ: publish cancelled\n");
    // lapin talks to the broker from a thread of its own; its socket was shut down, so it ends.
    wait_for("lapin's I/O thread to end", Duration::from_secs(5), || {
        lapin_io_threads() == 0
    })
    .await;
}

/// Counts this process's threads named like lapin's I/O thread (nextest runs each test in a
/// process of its own).
fn lapin_io_threads() -> usize {
    std::fs::read_dir("/proc/self/task")
        .unwrap()
        .filter_map(|task| std::fs::read_to_string(task.ok()?.path().join("comm")).ok())
        .filter(|name| name.trim() == "lapin-io-loop")
        .count()
}

/// A config, the key refused and the message.
type RefusedCase<'a> = (&'a [(&'a str, &'a str)], &'a str, &'a str);

#[test]
fn bad_configs_are_refused_at_submission_with_the_key_at_fault() {
    let registry = Registry::builtin();
    let url = "amqp://guest:Hidden-Pw@127.0.0.1:5672/";
    let cases: &[RefusedCase] = &[
        (&[("queue.name", "q")], "url", "RabbitMQ url is empty"),
        (
            &[("url", url)],
            "queue.name",
            "RabbitMQ queue name is empty",
        ),
        (
            &[
                ("url", url),
                ("queue.name", "q"),
                ("message.body", "a"),
                ("message.base64Body", "YQ=="),
            ],
            "message.base64Body",
            "RabbitMQ message.body and message.base64Body are both set",
        ),
        (
            &[
                ("url", url),
                ("queue.name", "q"),
                ("message.base64Body", "no base64!"),
            ],
            "message.base64Body",
            "illegal base64 data at input byte 2",
        ),
        (
            &[
                ("url", url),
                ("queue.name", "q"),
                ("message.delivery_mode", "persistent"),
            ],
            "message.delivery_mode",
            "strconv.ParseUint: parsing \"persistent\": invalid syntax",
        ),
        (
            &[
                ("url", "http://guest:Hidden-Pw@127.0.0.1/"),
                ("queue.name", "q"),
            ],
            "url",
            "AMQP scheme must be either 'amqp://' or 'amqps://'",
        ),
    ];
    for (pairs, key, message) in cases {
        let config = request("rabbitmq", pairs).config;
        let fault = registry.check_config("rabbitmq", &config).unwrap_err();
        assert_eq!(
            (fault.key.as_str(), fault.message.as_str()),
            (*key, *message)
        );
        assert!(!fault.message.contains("Hidden-Pw"));
    }
    let tolerated = request(
        "rabbitmq",
        &[
            ("url", url),
            ("queue.name", "q"),
            ("queue.create", "true"),
            ("queue.durable", "yes"),
        ],
    );
    assert_eq!(registry.check_config("rabbitmq", &tolerated.config), Ok(()));
}

#[tokio::test]
async fn rabbitmq_keeps_the_executor_contract() {
    let broker = RabbitMq::start().await;
    let silent = silent_listener().await;
    let url = broker.url();
    let fixture = Fixture {
        succeeding: request(
            "rabbitmq",
            &[
                ("url", &url),
                ("queue.name", "contract"),
                ("queue.create", "true"),
            ],
        ),
        chatty: false,
        long_running: request(
            "rabbitmq",
            &[
                ("url", &format!("amqp://guest:guest@{silent}/")),
                ("queue.name", "q"),
            ],
        ),
        misconfigured: request("rabbitmq", &[("url", &url)]),
        keep_alive: vec![Box::new(broker)],
    };
    executor_contract("rabbitmq", fixture).await;
}
