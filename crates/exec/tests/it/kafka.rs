//! The `kafka` executor against a real Kafka-protocol broker (Tansu, started per test), with
//! every record read back by kafka-python.

use std::time::Duration;

use dkron_exec::{ExecLimits, ExecOutcome, ExecRequest, Registry};
use dkron_testservers::{KafkaBroker, free_port, silent_listener};
use tokio_util::sync::CancellationToken;

use crate::contract::{Fixture, executor_contract};
use crate::support::request;

const PRODUCED: &str = "Result: successfully produced the message on Kafka broker\n";

fn kafka(config: &[(&str, &str)]) -> ExecRequest {
    request("kafka", config)
}

/// Runs with a generous bound: the machine running the tests may be busy.
async fn run(request: ExecRequest) -> ExecOutcome {
    run_with(&Registry::builtin(), request).await
}

async fn run_with(registry: &Registry, request: ExecRequest) -> ExecOutcome {
    let limits = ExecLimits::default();
    let run = registry.run(request, &limits, None, CancellationToken::new());
    tokio::time::timeout(Duration::from_secs(120), run)
        .await
        .expect("kafka run did not finish")
}

#[tokio::test]
async fn dkrons_example_job_produces_a_record_read_back_by_another_client() {
    let broker = KafkaBroker::start().await;
    broker.create_topic("my_topic", 3).await;
    let job = [
        ("brokerAddress", broker.address()),
        ("key", "My key".to_string()),
        ("message", "My message".to_string()),
        ("topic", "my_topic".to_string()),
    ];
    let pairs: Vec<(&str, &str)> = job.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let outcome = run(kafka(&pairs)).await;
    assert!(outcome.success, "{outcome:?}\n{}", broker.log_text());
    assert_eq!(outcome.output, PRODUCED);
    let again = run(kafka(&pairs)).await;
    assert!(again.success, "{again:?}");

    let records = broker.consume("my_topic").await;
    assert_eq!(records.len(), 2, "{records:?}");
    for record in &records {
        assert_eq!(record.key.as_deref(), Some(&b"My key"[..]));
        assert_eq!(record.value, b"My message");
    }
    assert_eq!(
        records[0].partition, records[1].partition,
        "one key, one partition"
    );
}

#[tokio::test]
async fn records_without_a_key_are_spread_over_the_partitions() {
    let broker = KafkaBroker::start().await;
    broker.create_topic("unkeyed", 3).await;
    let address = broker.address();
    // One registry, as on a node: its executor keeps the turn between runs.
    let registry = Registry::builtin();
    for n in 0..3 {
        let message = format!("m{n}");
        let outcome = run_with(
            &registry,
            kafka(&[
                ("brokerAddress", &address),
                ("topic", "unkeyed"),
                ("message", &message),
            ]),
        )
        .await;
        assert!(outcome.success, "{outcome:?}");
    }
    let records = broker.consume("unkeyed").await;
    assert_eq!(records.len(), 3, "{records:?}");
    assert!(records.iter().all(|record| record.key.is_none()));
    let mut partitions: Vec<i32> = records.iter().map(|record| record.partition).collect();
    partitions.sort_unstable();
    assert_eq!(partitions, [0, 1, 2]);
    let mut values: Vec<Vec<u8>> = records.into_iter().map(|record| record.value).collect();
    values.sort();
    assert_eq!(values, [b"m0".to_vec(), b"m1".to_vec(), b"m2".to_vec()]);
}

#[tokio::test]
async fn a_dead_first_broker_in_the_list_is_skipped() {
    let broker = KafkaBroker::start().await;
    broker.create_topic("jobs", 1).await;
    let list = format!("127.0.0.1:{},{}", free_port(), broker.address());
    let outcome = run(kafka(&[
        ("brokerAddress", &list),
        ("topic", "jobs"),
        ("key", "k"),
        ("message", "v"),
    ]))
    .await;
    assert!(outcome.success, "{outcome:?}");
    let records = broker.consume("jobs").await;
    assert_eq!(records.len(), 1);
    assert_eq!(records[0].value, b"v");
}

#[tokio::test]
async fn no_reachable_broker_fails_with_saramas_words() {
    let list = format!("127.0.0.1:{},127.0.0.1:{}", free_port(), free_port());
    let outcome = run(kafka(&[("brokerAddress", &list), ("topic", "jobs")])).await;
    assert!(!outcome.success);
    assert!(!outcome.killed);
    assert!(
        outcome
            .output
            .starts_with("kafka: client has run out of available brokers to talk to: "),
        "{}",
        outcome.output
    );
}

#[tokio::test]
async fn a_topic_the_broker_does_not_know_is_created_by_tansu_on_first_use() {
    // Tansu, like a Kafka broker with auto.create.topics.enable, creates a topic asked for
    // by name; the record is then stored there.
    let broker = KafkaBroker::start().await;
    let outcome = run(kafka(&[
        ("brokerAddress", &broker.address()),
        ("topic", "never-created"),
        ("key", "k"),
        ("message", "first"),
    ]))
    .await;
    assert!(outcome.success, "{outcome:?}\n{}", broker.log_text());
    let records = broker.consume("never-created").await;
    assert_eq!(records.len(), 1, "{records:?}");
    assert_eq!(records[0].value, b"first");
}

#[tokio::test]
async fn kafka_keeps_the_executor_contract() {
    let broker = KafkaBroker::start().await;
    broker.create_topic("contract", 1).await;
    let address = broker.address();
    let silent = silent_listener().await.to_string();
    let fixture = Fixture {
        succeeding: kafka(&[
            ("brokerAddress", &address),
            ("topic", "contract"),
            ("message", "x"),
        ]),
        chatty: false,
        long_running: kafka(&[("brokerAddress", &silent), ("topic", "contract")]),
        misconfigured: kafka(&[("brokerAddress", &address)]),
        keep_alive: vec![Box::new(broker)],
    };
    executor_contract("kafka", fixture).await;
}

/// A config, the key at fault and the error text.
type RefusedCase<'a> = (&'a [(&'a str, &'a str)], &'a str, &'a str);

#[tokio::test]
async fn bad_configs_are_refused_at_submission_and_at_run_with_the_key() {
    let registry = Registry::builtin();
    let cases: &[RefusedCase] = &[
        (&[("topic", "t")], "brokerAddress", "brokerAddress is empty"),
        (
            &[("brokerAddress", "127.0.0.1:1")],
            "topic",
            "topic is empty",
        ),
        (
            &[("brokerAddress", "kafka"), ("topic", "t")],
            "brokerAddress",
            "brokerAddress entry 'kafka' is not host:port",
        ),
        (
            &[
                ("brokerAddress", "127.0.0.1:1"),
                ("topic", "t"),
                ("saslUsername", "u"),
                ("saslPassword", "p"),
                ("saslMechanism", "plain"),
            ],
            "saslMechanism",
            "invalid SASL mechanism, must be 'sha256' or 'sha512'",
        ),
        (
            &[
                ("brokerAddress", "127.0.0.1:1"),
                ("topic", "t"),
                ("tlsEnable", "yes"),
            ],
            "tlsEnable",
            "tlsEnable must be true or false, not 'yes'",
        ),
    ];
    for (config, key, text) in cases {
        let request = kafka(config);
        let fault = registry
            .check_config("kafka", &request.config)
            .expect_err(text);
        assert_eq!((fault.key.as_str(), fault.message.as_str()), (*key, *text));
        let outcome = run(request).await;
        assert!(!outcome.success);
        assert_eq!(outcome.output, format!("{text}\n"));
    }
}

#[tokio::test]
async fn sasl_credentials_never_show_in_the_output() {
    // Tansu without --authentication refuses the SCRAM handshake (UnsupportedSaslMechanism),
    // and a dead broker fails the connection; either way the credentials stay hidden.
    let broker = KafkaBroker::start().await;
    let dead = format!("127.0.0.1:{}", free_port());
    for address in [broker.address(), dead] {
        let outcome = run(kafka(&[
            ("brokerAddress", &address),
            ("topic", "jobs"),
            ("saslUsername", "user-name-secret"),
            ("saslPassword", "password-secret"),
            ("saslMechanism", "sha512"),
        ]))
        .await;
        assert!(!outcome.success);
        assert!(
            !outcome.output.contains("secret"),
            "credentials leaked: {}",
            outcome.output
        );
    }
}
