//! The `gcppubsub` executor outside an emulator: Application Default Credentials exchanged at
//! a local token endpoint (or metadata server), and the token carried by the publish to a
//! real Publisher service reached through the `PUBSUB_ENDPOINT` override.

use std::path::PathBuf;
use std::sync::Arc;

use dkron_exec::{ExecLimits, ExecOutcome, PubSubEnvironment, PubSubExecutor, Registry};
use dkron_testservers::{PubSubServer, free_port};
use tokio_util::sync::CancellationToken;

use crate::pubsub_tokens::{self, CLIENT_SECRET, ISSUED_TOKEN, Mode, REFRESH_TOKEN};
use crate::support::request;

const JWT_GRANT: &str = "grant urn:ietf:params:oauth:grant-type:jwt-bearer";

/// Settings with no emulator and nothing found unless a test adds it.
fn google_like(server: &PubSubServer, dir: &std::path::Path) -> PubSubEnvironment {
    PubSubEnvironment {
        emulator_host: None,
        endpoint: Some(format!("http://{}", server.host)),
        credentials_file: None,
        well_known_file: Some(dir.join("gcloud/application_default_credentials.json")),
        metadata_host: format!("127.0.0.1:{}", free_port()),
    }
}

fn write_file(dir: &std::path::Path, name: &str, text: &str) -> PathBuf {
    let path = dir.join(name);
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(&path, text).unwrap();
    path
}

async fn publish_with(environment: PubSubEnvironment, runs: usize) -> Vec<ExecOutcome> {
    let mut registry = Registry::builtin();
    let executor = PubSubExecutor::with_environment(environment);
    registry.register("gcppubsub", Arc::new(executor));
    let job = request(
        "gcppubsub",
        &[
            ("project", "project-id"),
            ("topic", "topic-name"),
            ("data", "aGk="),
        ],
    );
    let mut outcomes = Vec::new();
    for _ in 0..runs {
        let outcome = registry
            .run(
                job.clone(),
                &ExecLimits::default(),
                None,
                CancellationToken::new(),
            )
            .await;
        outcomes.push(outcome);
    }
    outcomes
}

fn assert_no_secret(text: &str) {
    for secret in [
        ISSUED_TOKEN,
        REFRESH_TOKEN,
        CLIENT_SECRET,
        "PRIVATE KEY",
        "MIIE",
    ] {
        assert!(!text.contains(secret), "{secret} shown in {text:?}");
    }
}

#[tokio::test]
async fn a_service_account_key_is_exchanged_once_and_its_token_sent_with_each_publish() {
    let server = PubSubServer::start().await;
    let tokens = pubsub_tokens::start(Mode::Issue).await;
    let dir = tempfile::tempdir().unwrap();
    let key_json = pubsub_tokens::service_account_json(&tokens.token_uri());
    let key_file = write_file(dir.path(), "key.json", &key_json);
    let environment = PubSubEnvironment {
        credentials_file: Some(key_file),
        ..google_like(&server, dir.path())
    };
    let outcomes = publish_with(environment, 2).await;
    for outcome in &outcomes {
        assert!(outcome.success, "{outcome:?}");
        assert_no_secret(&outcome.output);
    }
    assert_eq!(outcomes[1].output, "1002\n");
    let received = server.received();
    assert_eq!(received.len(), 2);
    for message in &received {
        assert_eq!(
            message.authorization.as_deref(),
            Some(format!("Bearer {ISSUED_TOKEN}").as_str())
        );
        assert_eq!(message.data, b"hi");
    }
    assert_eq!(
        tokens.calls(),
        vec![JWT_GRANT.to_owned()],
        "the token is cached"
    );
}

#[tokio::test]
async fn gclouds_user_credentials_are_found_in_the_well_known_file() {
    let server = PubSubServer::start().await;
    let tokens = pubsub_tokens::start(Mode::Issue).await;
    let dir = tempfile::tempdir().unwrap();
    let user_json = pubsub_tokens::authorized_user_json(&tokens.token_uri());
    write_file(
        dir.path(),
        "gcloud/application_default_credentials.json",
        &user_json,
    );
    let outcomes = publish_with(google_like(&server, dir.path()), 1).await;
    assert!(outcomes[0].success, "{:?}", outcomes[0]);
    assert_eq!(tokens.calls(), vec!["grant refresh_token".to_owned()]);
    let expected = format!("Bearer {ISSUED_TOKEN}");
    assert_eq!(
        server.received()[0].authorization.as_deref(),
        Some(expected.as_str())
    );
}

#[tokio::test]
async fn without_a_file_the_metadata_server_gives_the_token() {
    let server = PubSubServer::start().await;
    let tokens = pubsub_tokens::start(Mode::Issue).await;
    let dir = tempfile::tempdir().unwrap();
    let environment = PubSubEnvironment {
        metadata_host: tokens.address.to_string(),
        ..google_like(&server, dir.path())
    };
    let outcomes = publish_with(environment, 1).await;
    assert!(outcomes[0].success, "{:?}", outcomes[0]);
    assert_eq!(tokens.calls(), vec!["metadata".to_owned()]);
    let expected = format!("Bearer {ISSUED_TOKEN}");
    assert_eq!(
        server.received()[0].authorization.as_deref(),
        Some(expected.as_str())
    );
}

#[tokio::test]
async fn a_refused_exchange_names_the_endpoint_and_no_secret() {
    let server = PubSubServer::start().await;
    let tokens = pubsub_tokens::start(Mode::Refuse).await;
    let dir = tempfile::tempdir().unwrap();
    let user_json = pubsub_tokens::authorized_user_json(&tokens.token_uri());
    let environment = PubSubEnvironment {
        credentials_file: Some(write_file(dir.path(), "user.json", &user_json)),
        ..google_like(&server, dir.path())
    };
    let outcome = publish_with(environment, 1).await.remove(0);
    assert!(!outcome.success);
    assert_eq!(
        outcome.output,
        format!(
            "token exchange at {} failed: 400 Bad Request (invalid_grant)\n",
            tokens.token_uri()
        )
    );
    assert_no_secret(&outcome.output);
    assert!(
        server.received().is_empty(),
        "nothing published without a token"
    );
}

#[tokio::test]
async fn no_credentials_anywhere_is_a_clear_failure() {
    let server = PubSubServer::start().await;
    let dir = tempfile::tempdir().unwrap();
    let outcome = publish_with(google_like(&server, dir.path()), 1)
        .await
        .remove(0);
    assert!(!outcome.success);
    assert!(
        outcome.output.starts_with(
            "no Application Default Credentials found: GOOGLE_APPLICATION_CREDENTIALS is not set"
        ),
        "{}",
        outcome.output
    );

    tracing::info!("a named file that is not there is an error, not a fallback");
    let missing = dir.path().join("nowhere.json");
    let environment = PubSubEnvironment {
        credentials_file: Some(missing.clone()),
        ..google_like(&server, dir.path())
    };
    let outcome = publish_with(environment, 1).await.remove(0);
    let expected = format!(
        "no Application Default Credentials found: cannot read {}: ",
        missing.display()
    );
    assert!(outcome.output.starts_with(&expected), "{}", outcome.output);
    assert!(server.received().is_empty());
}

#[tokio::test]
async fn an_https_endpoint_is_dialled_with_tls_and_gets_no_plain_text() {
    let server = PubSubServer::start().await;
    let tokens = pubsub_tokens::start(Mode::Issue).await;
    let dir = tempfile::tempdir().unwrap();
    let key_json = pubsub_tokens::service_account_json(&tokens.token_uri());
    let environment = PubSubEnvironment {
        // The plain-text server cannot answer a TLS handshake, so the run must fail before
        // any request (and its token) reaches it.
        endpoint: Some(format!("https://{}", server.host)),
        credentials_file: Some(write_file(dir.path(), "key.json", &key_json)),
        ..google_like(&server, dir.path())
    };
    let outcome = publish_with(environment, 1).await.remove(0);
    assert!(!outcome.success);
    assert!(
        outcome
            .output
            .starts_with("rpc error: code = Unavailable desc = "),
        "{}",
        outcome.output
    );
    assert_no_secret(&outcome.output);
    assert!(server.received().is_empty());
}
