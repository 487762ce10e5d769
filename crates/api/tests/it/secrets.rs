//! Secrets stay secret: every answer that shows a job hides them, backups too unless asked
//! for, and a redacted job posted back keeps the stored secrets (issue 13, item 5).

use std::collections::BTreeMap;

use dkron_model::Job;
use dkron_model::secrets::REDACTED;

use crate::common::{TestApi, api, job};

const ENV_SECRET: &str = "env-s3cret-value";
const HEADER_SECRET: &str = "header-s3cret-value";

fn job_with_secrets(name: &str) -> Job {
    Job {
        executor: "http".into(),
        executor_config: Some(BTreeMap::from([
            ("method".to_owned(), "GET".to_owned()),
            ("url".to_owned(), "http://127.0.0.1:1/x".to_owned()),
            (
                "env".to_owned(),
                format!("API_TOKEN={ENV_SECRET},MODE=test"),
            ),
            (
                "headers".to_owned(),
                format!(r#"["Authorization: Bearer {HEADER_SECRET}","Accept: text/plain"]"#),
            ),
        ])),
        ..job(name)
    }
}

#[track_caller]
fn assert_hidden(body: &str) {
    assert!(!body.contains(ENV_SECRET), "{body}");
    assert!(!body.contains(HEADER_SECRET), "{body}");
    assert!(body.contains("\\u003credacted\\u003e"), "{body}");
}

fn stored(api: &TestApi, name: &str) -> Job {
    api.backend
        .jobs()
        .into_iter()
        .find(|job| job.name == name)
        .unwrap()
}

#[tokio::test]
async fn every_route_that_shows_a_job_hides_its_secrets() {
    let api = api();
    let created = api.create(&job_with_secrets("a")).await;
    assert_hidden(&created.body);
    let stored_config = stored(&api, "a").executor_config.unwrap();
    assert!(
        stored_config["env"].contains(ENV_SECRET),
        "the store keeps the secret"
    );
    for (method, uri, status) in [
        ("GET", "/v1/jobs", 200),
        ("GET", "/v1/jobs/a", 200),
        ("POST", "/v1/jobs/a/toggle", 200),
        ("POST", "/v1/jobs/a/run", 202),
        ("POST", "/v1/jobs/a", 202),
        ("DELETE", "/v1/jobs/a/executions", 200),
        ("GET", "/v1/backup", 200),
        ("GET", "/v1/backup?include_secrets=false", 200),
        ("DELETE", "/v1/jobs/a", 200),
    ] {
        let reply = api.call(method, uri, "").await.expect(status);
        assert_hidden(&reply.body);
    }
}

#[tokio::test]
async fn a_backup_includes_secrets_only_when_asked() {
    let api = api();
    api.create(&job_with_secrets("a")).await;
    let full = api.get("/v1/backup?include_secrets=true").await.expect(200);
    assert!(full.body.contains(ENV_SECRET), "{}", full.body);
    assert!(full.body.contains(HEADER_SECRET), "{}", full.body);
    api.get("/v1/backup?include_secrets=maybe")
        .await
        .expect(400);
}

#[tokio::test]
async fn a_job_read_edited_and_posted_back_keeps_its_secrets() {
    let api = api();
    api.create(&job_with_secrets("a")).await;
    // What pydkron and the web UI do: read the job, change one field, send it back whole.
    let mut read: Job = serde_json::from_str(&api.get("/v1/jobs/a").await.body).unwrap();
    read.schedule = "@every 5m".into();
    let body = serde_json::to_string(&read).unwrap();
    let echo = api.call("POST", "/v1/jobs", body).await.expect(201);
    assert_hidden(&echo.body);
    let kept = stored(&api, "a");
    assert_eq!(kept.schedule, "@every 5m");
    assert_eq!(kept.executor_config, job_with_secrets("a").executor_config);

    // PUT keeps them the same way, and a changed secret is stored as sent.
    let mut edited = read.clone();
    let config = edited.executor_config.as_mut().unwrap();
    config.insert("env".into(), format!("API_TOKEN={REDACTED},MODE=prod"));
    let body = serde_json::to_string(&edited).unwrap();
    api.call("PUT", "/v1/jobs/a", body).await.expect(201);
    let env = stored(&api, "a").executor_config.unwrap()["env"].clone();
    assert_eq!(env, format!("API_TOKEN={ENV_SECRET},MODE=prod"));
}

#[tokio::test]
async fn a_placeholder_with_no_stored_secret_is_refused_naming_the_field() {
    let api = api();
    api.create(&job_with_secrets("a")).await;
    let mut new_job = job_with_secrets("b");
    new_job
        .executor_config
        .as_mut()
        .unwrap()
        .insert("env".into(), format!("API_TOKEN={REDACTED}"));
    let body = serde_json::to_string(&new_job).unwrap();
    let reply = api.call("POST", "/v1/jobs", body).await.expect(400);
    assert_eq!(reply.header("x-error-field"), Some("executor_config.env"));
    assert!(reply.body.contains("variable API_TOKEN"), "{}", reply.body);
    assert_eq!(api.stored_names(), ["a"]);

    // A variable the stored job does not have cannot be posted as a placeholder either.
    let mut read: Job = serde_json::from_str(&api.get("/v1/jobs/a").await.body).unwrap();
    read.executor_config
        .as_mut()
        .unwrap()
        .insert("env".into(), format!("OTHER={REDACTED}"));
    let body = serde_json::to_string(&read).unwrap();
    api.call("POST", "/v1/jobs", body).await.expect(400);
    assert_eq!(
        stored(&api, "a").executor_config,
        job_with_secrets("a").executor_config
    );
}

#[tokio::test]
async fn a_redacted_backup_restores_over_the_stored_jobs_but_not_into_an_empty_node() {
    let api = api();
    api.create(&job_with_secrets("a")).await;
    let backup = api.get("/v1/backup").await.expect(200);
    api.call("POST", "/v1/restore", backup.body.clone())
        .await
        .expect(200);
    assert_eq!(
        stored(&api, "a").executor_config,
        job_with_secrets("a").executor_config
    );

    let empty = crate::common::api();
    let reply = empty
        .call("POST", "/v1/restore", backup.body)
        .await
        .expect(400);
    assert!(
        reply.body.contains("nothing was restored"),
        "{}",
        reply.body
    );
    assert!(
        reply.body.contains("include_secrets=true"),
        "{}",
        reply.body
    );
    assert!(empty.stored_names().is_empty());
}
