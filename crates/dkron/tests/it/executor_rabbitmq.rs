//! The `rabbitmq` executor end to end: jobs written with Dkron's JSON, run by the real binary
//! against a real RabbitMQ broker, the message read back with pika; bad configs refused at
//! creation; the URL's password shown nowhere.

use std::time::Duration;

use dkron_testservers::RabbitMq;
use serde_json::json;

use crate::harness::Server;

const WRONG_PASSWORD: &str = "amqp-s3cret-5c1e";

#[tokio::test]
async fn dkrons_example_job_publishes_to_a_real_broker_and_hides_the_password() {
    let broker = RabbitMq::start().await;
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(dir.path()).await;

    tracing::info!("phase: Dkron's example job is created and run");
    let job = json!({
        "name": "publish-order",
        "schedule": "@manually",
        "executor": "rabbitmq",
        "executor_config": {
            "url": broker.url(),
            "exchange": "amq.default",
            "queue.name": "test",
            "queue.create": "true",
            "queue.durable": "true",
            "queue.auto_delete": "false",
            "queue.exclusive": "false",
            "message.content_type": "application/json",
            "message.delivery_mode": "2",
            "message.messageId": "4373732772",
            "message.body": "{\"key\":\"value\"}"
        }
    });
    let (status, body) = server.send("POST", "/v1/jobs", &job.to_string()).await;
    assert_eq!(status, 201, "{body}");
    let execution = server.run_job_and_wait("publish-order").await;
    assert_eq!(execution["success"], true, "{execution}\n{}", broker.log());
    assert_eq!(
        execution["output"],
        "Result: message published to queue test\n"
    );

    tracing::info!("phase: the broker holds the message, as published");
    let message = broker
        .take_message("test", Duration::from_secs(10))
        .await
        .expect("the message reached the queue");
    assert_eq!(message.body, b"{\"key\":\"value\"}");
    assert_eq!(message.content_type.as_deref(), Some("application/json"));
    assert_eq!(message.delivery_mode, Some(2));
    assert_eq!(message.message_id.as_deref(), Some("4373732772"));

    tracing::info!("phase: the API shows the URL without its password");
    let stored = server.get_json("/v1/jobs/publish-order").await;
    let shown_url = stored["executor_config"]["url"].as_str().unwrap();
    assert_eq!(
        shown_url,
        format!("amqp://guest:<redacted>@127.0.0.1:{}/", broker.port())
    );

    tracing::info!("phase: a wrong password fails the run and is shown nowhere");
    let wrong_url = format!("amqp://guest:{WRONG_PASSWORD}@127.0.0.1:{}/", broker.port());
    let job = json!({
        "name": "wrong-password",
        "schedule": "@manually",
        "executor": "rabbitmq",
        "executor_config": {"url": wrong_url, "queue.name": "test", "message.body": "x"}
    });
    let (status, body) = server.send("POST", "/v1/jobs", &job.to_string()).await;
    assert_eq!(status, 201, "{body}");
    let execution = server.run_job_and_wait("wrong-password").await;
    assert_eq!(execution["success"], false, "{execution}");
    assert_eq!(
        execution["output"],
        "Exception (403) Reason: \"username or password not allowed\"\n"
    );
    let (_, stored) = server.get("/v1/jobs/wrong-password").await;
    let (_, executions) = server.get("/v1/jobs/wrong-password/executions").await;
    for (place, text) in [
        ("the job", stored),
        ("the executions", executions),
        ("the server log", server.log()),
    ] {
        assert!(
            !text.contains(WRONG_PASSWORD),
            "{place} shows the password:\n{text}"
        );
    }
}

#[tokio::test]
async fn a_bad_rabbitmq_config_is_refused_at_creation_with_the_key_at_fault() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(dir.path()).await;
    let cases = [
        (
            json!({"url": "amqp://guest:guest@127.0.0.1:5672/"}),
            "executor_config.queue.name",
            "RabbitMQ queue name is empty",
        ),
        (
            json!({"url": "amqp://guest:guest@127.0.0.1:5672/", "queue.name": "q",
                   "message.delivery_mode": "persistent"}),
            "executor_config.message.delivery_mode",
            "strconv.ParseUint: parsing \"persistent\": invalid syntax",
        ),
    ];
    for (config, field, message) in cases {
        let job = json!({"name": "refused", "schedule": "@manually",
                         "executor": "rabbitmq", "executor_config": config});
        let words = format!("Job validation failed: {field}: {message}.");
        server.assert_job_refused(&job, field, &words).await;
    }
}
