//! The `nats` executor end to end: a job written with Dkron's JSON, run by the real binary,
//! its message seen by an independent subscriber of a real `nats-server`.

use std::time::Duration;

use dkron_testservers::{NatsServer, NatsUser};
use serde_json::{Value, json};

use crate::harness::Server;

const PASSWORD: &str = "s3cret-nats-pw";
const SENT: &str = "Result: Message successfully sent\n";

fn app_user() -> NatsUser {
    NatsUser {
        user: "app".to_string(),
        password: PASSWORD.to_string(),
    }
}

#[tokio::test]
async fn a_job_with_dkrons_json_publishes_and_is_recorded_as_successful() {
    let nats = NatsServer::start(Some(app_user())).await;
    let mut subscriber = nats.subscribe("reports.>").await;
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(dir.path()).await;

    tracing::info!("the job of Dkron's docs, pointed at the test server");
    let job = json!({
        "name": "nats-report", "schedule": "@manually", "executor": "nats",
        "executor_config": {
            "url": nats.url(),
            "message": "the message",
            "subject": "reports.daily",
            "userName": "app",
            "password": PASSWORD,
            "debug": "true"
        }
    });
    let (status, body) = server.send("POST", "/v1/jobs", &job.to_string()).await;
    assert_eq!(status, 201, "{body}");

    tracing::info!("the password is not shown by the API");
    let (status, shown) = server.get("/v1/jobs/nats-report").await;
    assert_eq!(status, 200);
    assert!(!shown.contains(PASSWORD), "{shown}");
    let shown: Value = serde_json::from_str(&shown).unwrap();
    assert_eq!(shown["executor_config"]["userName"], "app");
    assert_eq!(shown["executor_config"]["subject"], "reports.daily");

    tracing::info!("a run publishes the message and records Dkron's result line");
    let execution = server.run_job_and_wait("nats-report").await;
    let message = subscriber.next_message(Duration::from_secs(20)).await;
    assert_eq!(message.subject, "reports.daily");
    assert_eq!(message.payload, b"the message");
    assert_eq!(execution["success"], true, "{execution:#}");
    assert_eq!(execution["output"], SENT, "{execution:#}");
    let log = server.log();
    assert!(
        log.contains("nats job config"),
        "debug logs the config:\n{log}"
    );
    assert!(
        !log.contains(PASSWORD),
        "the debug log shows the password:\n{log}"
    );
}

#[tokio::test]
async fn a_wrong_password_is_a_failed_run_with_dkrons_text_and_no_secret() {
    let nats = NatsServer::start(Some(app_user())).await;
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(dir.path()).await;
    let wrong = "wr0ng-nats-pw";
    let url = format!("nats://app:{wrong}@127.0.0.1:{}", nats.port);
    let job = json!({
        "name": "nats-denied", "schedule": "@manually", "executor": "nats",
        "executor_config": {"url": url, "subject": "reports.daily", "message": "x"}
    });
    let (status, body) = server.send("POST", "/v1/jobs", &job.to_string()).await;
    assert_eq!(status, 201, "{body}");
    let (_, shown) = server.get("/v1/jobs/nats-denied").await;
    assert!(!shown.contains(wrong), "{shown}");

    let execution = server.run_job_and_wait("nats-denied").await;
    assert_eq!(execution["success"], false, "{execution:#}");
    let output = execution["output"].as_str().unwrap();
    assert!(output.starts_with("error connecting to NATS"), "{output:?}");
    assert!(
        !output.contains(wrong) && !output.contains(PASSWORD),
        "{output}"
    );
    let log = server.log();
    assert!(
        !log.contains(wrong),
        "the node's log shows the password:\n{log}"
    );
}

#[tokio::test]
async fn bad_nats_configs_are_refused_with_the_key_at_fault_and_not_stored() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(dir.path()).await;
    for (config, field, message) in [
        (
            json!({"url": "nats://127.0.0.1:4222"}),
            "executor_config.subject",
            "Job validation failed: executor_config.subject: subject is empty.",
        ),
        (
            json!({"subject": "s", "message": "m"}),
            "executor_config.url",
            "Job validation failed: executor_config.url: url is empty.",
        ),
        (
            json!({"url": "http://app:hunter2@127.0.0.1:4222", "subject": "s"}),
            "executor_config.url",
            "is not a NATS server address",
        ),
    ] {
        let job = json!({"name": "bad-nats", "schedule": "@manually", "executor": "nats",
                         "executor_config": config});
        let body = server.assert_job_refused(&job, field, message).await;
        assert!(!body.contains("hunter2"), "{body}");
    }
}

#[tokio::test]
async fn a_tls_url_delivers_when_the_nodes_trust_store_has_the_ca() {
    let nats = NatsServer::start_tls(Some(app_user())).await;
    let mut subscriber = nats.subscribe("secure.>").await;
    let dir = tempfile::tempdir().unwrap();
    // The node trusts what the operating system trusts; SSL_CERT_FILE points it at the test CA.
    let ca_file = nats.ca_file().to_str().unwrap().to_string();
    let server = Server::start_with_env(dir.path(), &[], &[("SSL_CERT_FILE", &ca_file)]).await;
    let job = json!({
        "name": "nats-tls", "schedule": "@manually", "executor": "nats",
        "executor_config": {
            "url": nats.tls_url(), "subject": "secure.audit", "message": "over tls",
            "userName": "app", "password": PASSWORD
        }
    });
    let (status, body) = server.send("POST", "/v1/jobs", &job.to_string()).await;
    assert_eq!(status, 201, "{body}");
    let execution = server.run_job_and_wait("nats-tls").await;
    assert_eq!(execution["success"], true, "{execution:#}\n{}", nats.log());
    let message = subscriber.next_message(Duration::from_secs(20)).await;
    assert_eq!(message.subject, "secure.audit");
    assert_eq!(message.payload, b"over tls");
}
