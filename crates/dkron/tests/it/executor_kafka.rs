//! The `kafka` executor through the real binary: a job created with Dkron's JSON produces a
//! record on a real Kafka-protocol broker (Tansu), read back with kafka-python; a bad config
//! is a 400 naming the key; SASL credentials are shown neither by the API nor in the output.

use dkron_testservers::KafkaBroker;
use serde_json::json;

use crate::harness::Server;

const PRODUCED: &str = "Result: successfully produced the message on Kafka broker\n";

#[tokio::test]
async fn dkrons_kafka_job_produces_a_record_another_client_reads() {
    let broker = KafkaBroker::start().await;
    broker.create_topic("my_topic", 3).await;
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(dir.path()).await;
    let job = json!({
        "name": "produce", "schedule": "@manually", "executor": "kafka",
        "executor_config": {
            "brokerAddress": format!("127.0.0.1:1,{}", broker.address()),
            "key": "My key",
            "message": "My message",
            "topic": "my_topic"
        }
    });
    let (status, body) = server.send("POST", "/v1/jobs", &job.to_string()).await;
    assert_eq!(status, 201, "{body}");

    let execution = server.run_job_and_wait("produce").await;
    assert_eq!(execution["success"], true, "{execution}");
    assert_eq!(execution["output"], PRODUCED);
    let records = broker.consume("my_topic").await;
    assert_eq!(records.len(), 1, "{records:?}");
    assert_eq!(records[0].key.as_deref(), Some(&b"My key"[..]));
    assert_eq!(records[0].value, b"My message");
}

#[tokio::test]
async fn a_bad_kafka_config_is_a_400_naming_the_key_and_nothing_is_stored() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(dir.path()).await;
    for (config, field, text) in [
        (
            json!({"brokerAddress": "127.0.0.1:9092"}),
            "executor_config.topic",
            "Job validation failed: executor_config.topic: topic is empty.",
        ),
        (
            json!({"brokerAddress": "127.0.0.1:9092", "topic": "t",
                   "saslUsername": "u", "saslPassword": "p", "saslMechanism": "md5"}),
            "executor_config.saslMechanism",
            "Job validation failed: executor_config.saslMechanism: invalid SASL mechanism, \
             must be 'sha256' or 'sha512'.",
        ),
    ] {
        let job = json!({"name": "refused", "schedule": "@manually", "executor": "kafka",
                         "executor_config": config});
        server.assert_job_refused(&job, field, text).await;
    }
}

#[tokio::test]
async fn sasl_credentials_are_hidden_in_the_job_and_in_the_output() {
    // Tansu without --authentication refuses the SCRAM handshake, so the run fails: what
    // matters here is what the API and the stored output show.
    let broker = KafkaBroker::start().await;
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(dir.path()).await;
    let job = json!({
        "name": "with-sasl", "schedule": "@manually", "executor": "kafka",
        "executor_config": {
            "brokerAddress": broker.address(), "topic": "jobs", "message": "m",
            "saslUsername": "the-user-name", "saslPassword": "the-pass-word",
            "saslMechanism": "sha256", "debug": "true"
        }
    });
    let (status, body) = server.send("POST", "/v1/jobs", &job.to_string()).await;
    assert_eq!(status, 201, "{body}");
    let (status, shown) = server.get("/v1/jobs/with-sasl").await;
    assert_eq!(status, 200);
    assert!(
        !shown.contains("the-pass-word") && !shown.contains("the-user-name"),
        "{shown}"
    );

    let execution = server.run_job_and_wait("with-sasl").await;
    assert_eq!(execution["success"], false, "{execution}");
    let output = execution["output"].as_str().unwrap();
    assert!(
        output.starts_with("kafka: client has run out of available brokers to talk to: "),
        "{output}"
    );
    for secret in ["the-pass-word", "the-user-name"] {
        assert!(!output.contains(secret), "{output}");
        assert!(
            !server.log().contains(secret),
            "the node's log shows {secret}"
        );
    }
}
