//! `POST /v1/restore`: multipart uploads of job exports.

use axum::body::Body;
use axum::http::Request;
use dkron_api::ApiOptions;

use crate::common::{NODE, Reply, TestApi, api, api_with, job};

const BOUNDARY: &str = "dkron-test-boundary";

fn multipart(field: &str, content: &str) -> Request<Body> {
    let body = format!(
        "--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"{field}\"; filename=\"backup.json\"\r\nContent-Type: application/json\r\n\r\n{content}\r\n--{BOUNDARY}--\r\n"
    );
    Request::builder()
        .method("POST")
        .uri("/v1/restore")
        .header(
            "content-type",
            format!("multipart/form-data; boundary={BOUNDARY}"),
        )
        .body(Body::from(body))
        .unwrap()
}

async fn upload(api: &TestApi, content: &str) -> Reply {
    api.send(multipart("file", content)).await
}

fn export(jobs: &[dkron_model::Job]) -> String {
    serde_json::to_string(jobs).unwrap()
}

#[tokio::test]
async fn restores_parents_before_children_and_double_encodes_the_result() {
    let api = api();
    let mut child = job("child");
    child.parent_job = "parent".into();
    child.success_count = 7;
    let content = export(&[child, job("parent"), job("solo")]);
    let reply = upload(&api, &content).await.expect(200);
    assert_eq!(
        reply.body,
        r#""[\"success create parent\",\"success create child\",\"success create solo\"]""#
    );
    assert_eq!(api.stored_names(), ["child", "parent", "solo"]);
    let parent = api.get("/v1/jobs/parent").await.json();
    assert_eq!(parent["dependent_jobs"], serde_json::json!(["child"]));
    assert_eq!(api.get("/v1/jobs/child").await.json()["success_count"], 7);
}

#[tokio::test]
async fn restore_is_not_blocked_by_pause() {
    let api = api();
    api.call("POST", "/v1/pause", "").await.expect(200);
    upload(&api, &export(&[job("a")])).await.expect(200);
    assert_eq!(api.stored_names(), ["a"]);
}

#[tokio::test]
async fn a_parent_already_stored_is_enough() {
    let api = api();
    api.create(&job("stored")).await;
    let mut child = job("child");
    child.parent_job = "stored".into();
    upload(&api, &export(&[child])).await.expect(200);
    assert_eq!(api.stored_names(), ["child", "stored"]);
}

#[tokio::test]
async fn bad_files_are_refused_whole() {
    let api = api();
    let mut orphan = job("orphan");
    orphan.parent_job = "ghost".into();
    let mut loop_a = job("loop-a");
    loop_a.parent_job = "loop-b".into();
    let mut loop_b = job("loop-b");
    loop_b.parent_job = "loop-a".into();
    let unnamed = job("");
    let cases = [
        (
            export(&[job("fine"), unnamed]),
            "job #2 (unnamed) is invalid: name cannot be empty",
        ),
        (
            export(&[job("fine"), job("fine")]),
            "job fine appears more than once",
        ),
        (
            export(&[job("fine"), orphan]),
            "job orphan: parent job ghost is neither in the file",
        ),
        (
            export(&[job("fine"), loop_a, loop_b]),
            "is its own ancestor",
        ),
        ("[{\"name\":".to_owned(), "unable to parse the restore file"),
        (
            r#"{"name":"x"}"#.to_owned(),
            "unable to parse the restore file",
        ),
        (
            r#"[{"name":"x","retries":"many"}]"#.to_owned(),
            "unable to parse the restore file",
        ),
    ];
    for (content, expected) in cases {
        let reply = upload(&api, &content).await.expect(400);
        assert!(reply.body.contains(expected), "{content}: {}", reply.body);
        assert!(api.stored_names().is_empty(), "{content}");
    }
}

#[tokio::test]
async fn the_file_field_is_required() {
    let api = api();
    let reply = api.send(multipart("backup", "[]")).await.expect(400);
    assert_eq!(reply.body, "the upload has no form field named \"file\"");
    let plain = Request::post("/v1/restore")
        .header("content-type", "text/plain")
        .body(Body::from("[]"))
        .unwrap();
    let reply = api.send(plain).await.expect(400);
    assert!(reply.body.contains("multipart/form-data"), "{}", reply.body);
    // A JSON body is the export itself (ours): an empty one restores nothing.
    let reply = api.call("POST", "/v1/restore", "[]").await.expect(200);
    assert_eq!(reply.body, "\"[]\"");
}

#[tokio::test]
async fn oversized_uploads_get_413() {
    let mut options = ApiOptions::new(NODE);
    options.max_restore_body_bytes = 100;
    let api = api_with(options);
    let jobs: Vec<_> = (0..20).map(|index| job(&format!("job-{index}"))).collect();
    let reply = upload(&api, &export(&jobs)).await.expect(413);
    assert!(reply.body.contains("limit of 100 bytes"), "{}", reply.body);
    assert!(api.stored_names().is_empty());
}

#[tokio::test]
async fn a_backup_restores_as_a_json_body_into_an_empty_node() {
    let source = api();
    source.create(&job("parent")).await;
    let mut child = job("child");
    child.parent_job = "parent".into();
    child.schedule = String::new();
    source.create(&child).await;
    let backup = source.get("/v1/backup").await.expect(200);
    assert_eq!(backup.header("x-total-count"), Some("2"));
    assert!(
        backup
            .header("content-disposition")
            .is_some_and(|value| value.starts_with("attachment; filename=\"dkron-backup-")),
        "{:?}",
        backup.headers
    );

    let target = api();
    let reply = target
        .call("POST", "/v1/restore", backup.body.clone())
        .await
        .expect(200);
    assert!(
        reply.body.contains("success create parent"),
        "{}",
        reply.body
    );
    let mut names = target.stored_names();
    names.sort();
    assert_eq!(names, ["child", "parent"]);

    let refused = target
        .call("POST", "/v1/restore", "[{\"name\":\"Bad Name\"}]")
        .await
        .expect(400);
    assert!(
        refused.body.contains("nothing was restored"),
        "{}",
        refused.body
    );
}
