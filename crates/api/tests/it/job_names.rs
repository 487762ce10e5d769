//! The job-name length limit and deleting any stored job (issue 14, failure 7; ADR 22).

use dkron_model::MAX_JOB_NAME_CHARS;

use crate::common::{api, job};

/// Percent-encodes every byte of `name`, as a careful client would.
fn percent_encoded(name: &str) -> String {
    name.bytes().map(|byte| format!("%{byte:02X}")).collect()
}

#[tokio::test]
async fn a_name_past_the_limit_is_refused_and_nothing_is_stored() {
    let api = api();
    for length in [MAX_JOB_NAME_CHARS + 1, 100_000] {
        let body = serde_json::to_string(&job(&"a".repeat(length))).unwrap();
        let reply = api.call("POST", "/v1/jobs", body).await.expect(400);
        assert_eq!(reply.header("x-error-field"), Some("name"));
        assert!(
            reply.body.contains(&format!(
                "name is {length} characters long, the most allowed is {MAX_JOB_NAME_CHARS}"
            )),
            "{}",
            reply.body
        );
    }
    assert!(api.stored_names().is_empty());
}

#[tokio::test]
async fn a_name_at_the_limit_works_on_every_route_also_percent_encoded() {
    let api = api();
    // Two-byte letters: the longest name in characters, and twice that in bytes.
    let name = "ß".repeat(MAX_JOB_NAME_CHARS);
    let reply = api.create(&job(&name)).await;
    assert_eq!(reply.json()["name"], name.as_str());
    let encoded = percent_encoded(&name);
    let read = api.get(&format!("/v1/jobs/{encoded}")).await.expect(200);
    assert_eq!(read.json()["name"], name.as_str());
    api.call("POST", &format!("/v1/jobs/{encoded}/run"), "")
        .await
        .expect(202);
    assert_eq!(api.backend.runs().len(), 1);
    let deleted = api
        .call("DELETE", &format!("/v1/jobs/{encoded}"), "")
        .await
        .expect(200);
    assert_eq!(deleted.json()["name"], name.as_str());
    assert!(api.stored_names().is_empty());
}

#[tokio::test]
async fn a_stored_name_of_any_length_can_be_deleted_by_body() {
    let api = api();
    // As an older version stored it: no length limit, too long for any URL.
    let legacy = "a".repeat(100_000);
    api.backend.insert_job(job(&legacy));
    api.backend.insert_job(job("kept"));
    let body = serde_json::json!({ "name": legacy }).to_string();
    let deleted = api.call("DELETE", "/v1/jobs", body).await.expect(200);
    assert_eq!(deleted.json()["name"], legacy.as_str());
    assert_eq!(api.stored_names(), ["kept"]);
    let again = serde_json::json!({ "name": legacy }).to_string();
    api.call("DELETE", "/v1/jobs", again).await.expect(404);
}

#[tokio::test]
async fn delete_by_body_refuses_a_body_without_a_name_and_changes_nothing() {
    let api = api();
    api.backend.insert_job(job("kept"));
    for body in ["", "{}", r#"{"name": 1}"#, r#"{"name":"kept","x":1}"#] {
        let reply = api.call("DELETE", "/v1/jobs", body).await.expect(400);
        assert_eq!(reply.header("x-error-field"), Some("name"), "{body}");
        assert!(reply.body.contains("naming the job to delete"), "{body}");
    }
    assert_eq!(api.stored_names(), ["kept"]);
}
