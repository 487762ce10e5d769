//! Our additions for the web UI: schedule previews, the dashboard summary, the live output
//! stream and the field named by a refused job.

use std::time::Duration;

use axum::body::Body;
use axum::http::Request;
use dkron_model::{Execution, gotime};
use futures::StreamExt;
use tower::ServiceExt;

use dkron_api::ApiOptions;

use crate::common::{NODE, TestApi, api, api_with, job};

#[tokio::test]
async fn previews_a_spec_in_its_zone_with_dst_notes() {
    let api = api();
    let reply = api
        .get(
            "/v1/schedule/preview?schedule=0%2030%202%20*%20*%20*&timezone=Europe/Berlin&count=400",
        )
        .await
        .expect(200);
    let body = reply.json();
    assert_eq!(body["timezone"], "Europe/Berlin");
    let times = body["occurrences"].as_array().unwrap();
    assert_eq!(times.len(), 400);
    // Over 400 days every spring gap and autumn overlap of Berlin shows up once.
    let notes: Vec<&str> = times
        .iter()
        .filter_map(|time| time["dst"].as_str())
        .collect();
    assert!(
        notes.contains(&"gap") && notes.contains(&"overlap"),
        "{notes:?}"
    );
    let gap = times.iter().find(|time| time["dst"] == "gap").unwrap();
    assert!(
        gap["local"].as_str().unwrap().ends_with("T03:00:00+02:00"),
        "{gap}"
    );
    assert!(
        times
            .iter()
            .all(|time| time["time"].as_str().unwrap().ends_with('Z'))
    );
}

#[tokio::test]
async fn preview_refuses_bad_input_and_names_the_field() {
    let api = api();
    let cases = [
        ("/v1/schedule/preview", None, "missing schedule"),
        (
            "/v1/schedule/preview?schedule=nope",
            Some("schedule"),
            "can't parse job schedule",
        ),
        (
            "/v1/schedule/preview?schedule=@daily&timezone=Mars/Olympus",
            Some("timezone"),
            "Mars/Olympus",
        ),
        (
            "/v1/schedule/preview?schedule=@daily&count=0",
            None,
            "invalid count 0",
        ),
        (
            "/v1/schedule/preview?schedule=@daily&count=1001",
            None,
            "invalid count 1001",
        ),
    ];
    for (uri, field, message) in cases {
        let reply = api.get(uri).await.expect(400);
        assert!(reply.body.contains(message), "{uri}: {}", reply.body);
        assert_eq!(reply.header("x-error-field"), field, "{uri}");
    }
}

#[tokio::test]
async fn previews_a_stored_job_from_its_next_run() {
    let api = api();
    let mut hourly = job("hourly");
    hourly.schedule = "@hourly".into();
    hourly.timezone = "Asia/Kolkata".into();
    api.create(&hourly).await;
    let reply = api.get("/v1/jobs/hourly/preview?count=3").await.expect(200);
    let body = reply.json();
    assert_eq!(body["timezone"], "Asia/Kolkata");
    let locals: Vec<&str> = body["occurrences"]
        .as_array()
        .unwrap()
        .iter()
        .map(|time| time["local"].as_str().unwrap())
        .collect();
    assert_eq!(locals.len(), 3);
    assert!(
        locals.iter().all(|local| local.ends_with(":00:00+05:30")),
        "{locals:?}"
    );

    let mut manual = job("manual");
    manual.schedule = "@manually".into();
    api.create(&manual).await;
    let reply = api.get("/v1/jobs/manual/preview").await.expect(200);
    assert_eq!(reply.json()["occurrences"], serde_json::json!([]));
    api.get("/v1/jobs/missing/preview").await.expect(404);
}

#[tokio::test]
async fn summary_counts_jobs_by_status() {
    let api = api();
    for name in ["a", "b", "c"] {
        api.create(&job(name)).await;
    }
    api.call("POST", "/v1/jobs/c/toggle", Body::empty())
        .await
        .expect(200);
    let reply = api.get("/v1/summary").await.expect(200);
    let body = reply.json();
    assert_eq!(body["jobs"]["total"], 3);
    assert_eq!(body["jobs"]["disabled"], 1);
    assert_eq!(body["jobs"]["untriggered"], 3);
    assert_eq!(body["last_hour"]["failed_jobs"], serde_json::json!([]));
    assert_eq!(
        body["scheduler"],
        serde_json::Value::Null,
        "no scheduler answered"
    );
}

#[tokio::test]
async fn summary_says_how_far_behind_the_scheduler_is() {
    let api = api();
    api.backend
        .set_scheduler_health(Some(dkron_api::SchedulerHealth {
            leader: "s1".into(),
            lag_seconds: 4.2,
            behind: true,
            behind_since: Some("2026-05-01T12:00:00Z".parse().unwrap()),
            max_lag_seconds: 6.5,
            occurrences_overloaded: 17,
        }));
    let body = api.get("/v1/summary").await.expect(200).json();
    assert_eq!(body["scheduler"]["leader"], "s1");
    assert_eq!(body["scheduler"]["lag_seconds"], 4.2);
    assert_eq!(body["scheduler"]["behind"], true);
    assert_eq!(body["scheduler"]["occurrences_overloaded"], 17);
    assert_eq!(body["scheduler"]["behind_since"], "2026-05-01T12:00:00Z");
}

#[tokio::test]
async fn refused_jobs_name_the_field_at_fault() {
    let api = api();
    let cases = [
        (r#"{"name":"Bad Name","schedule":"@daily"}"#, 400, "name"),
        (r#"{"name":"a","schedule":"@nope"}"#, 400, "schedule"),
        (
            r#"{"name":"a","schedule":"@daily","timezone":"Mars/Olympus"}"#,
            400,
            "timezone",
        ),
        (
            r#"{"name":"a","schedule":"@daily","executor":"shell","executor_config":{"timeout":"soon"}}"#,
            400,
            "executor_config.timeout",
        ),
        (
            r#"{"name":"a","schedule":"@daily","parent_job":"ghost"}"#,
            404,
            "parent_job",
        ),
    ];
    for (body, status, field) in cases {
        let reply = api.call("POST", "/v1/jobs", body).await.expect(status);
        assert_eq!(reply.header("x-error-field"), Some(field), "{body}");
    }
    assert!(api.stored_names().is_empty(), "nothing was stored");
    let unparsable = api.call("POST", "/v1/jobs", "{").await.expect(400);
    assert_eq!(unparsable.header("x-error-field"), None);
}

fn running(job: &str, output: &str) -> Execution {
    let started = gotime::parse("2026-01-01T10:00:00Z").unwrap();
    Execution {
        id: "1767261600000000000-node-a".into(),
        job_name: job.into(),
        started_at: started,
        finished_at: gotime::zero_time(),
        output: output.into(),
        node_name: "node-a".into(),
        attempt: 1,
        ..Execution::default()
    }
}

/// Reads the event stream until `wanted` shows up in what arrived; returns all of it.
async fn read_until(
    body: &mut (impl futures::Stream<Item = Result<axum::body::Bytes, axum::Error>> + Unpin),
    seen: &mut String,
    wanted: &str,
) {
    let wait = async {
        while !seen.contains(wanted) {
            match body.next().await {
                Some(chunk) => seen.push_str(&String::from_utf8_lossy(&chunk.unwrap())),
                None => panic!("stream ended before {wanted:?}; got: {seen}"),
            }
        }
    };
    tokio::time::timeout(Duration::from_secs(10), wait)
        .await
        .unwrap_or_else(|_| panic!("no {wanted:?} within 10 s; got: {seen}"));
}

/// Reads the rest of the event stream; false when it is still open after 10 s.
async fn read_to_end(
    body: &mut (impl futures::Stream<Item = Result<axum::body::Bytes, axum::Error>> + Unpin),
    seen: &mut String,
) -> bool {
    let rest = async {
        while let Some(chunk) = body.next().await {
            seen.push_str(&String::from_utf8_lossy(&chunk.unwrap()));
        }
    };
    tokio::time::timeout(Duration::from_secs(10), rest)
        .await
        .is_ok()
}

async fn open_stream(api: &TestApi, uri: &str) -> axum::response::Response {
    let request = Request::get(uri).body(Body::empty()).unwrap();
    api.router.clone().oneshot(request).await.unwrap()
}

#[tokio::test]
async fn streams_live_output_then_the_stored_result() {
    let api = api();
    api.create(&job("live")).await;
    api.backend.set_busy(vec![running("live", "line-1\n")]);
    let uri = "/v1/jobs/live/executions/1767261600000000000-node-a/stream";
    let response = open_stream(&api, uri).await;
    assert_eq!(response.status(), 200);
    assert_eq!(
        response.headers()["content-type"].to_str().unwrap(),
        "text/event-stream"
    );
    let mut body = response.into_body().into_data_stream();
    let mut seen = String::new();
    read_until(&mut body, &mut seen, r#"data: {"text":"line-1\n"}"#).await;
    assert!(seen.starts_with("event: reset\n"), "{seen}");

    api.backend
        .set_busy(vec![running("live", "line-1\nline-2\n")]);
    read_until(
        &mut body,
        &mut seen,
        "event: output\ndata: {\"text\":\"line-2\\n\"}",
    )
    .await;

    let mut finished = running("live", "line-1\nline-2\nbye\n");
    finished.finished_at = finished.started_at + chrono::TimeDelta::seconds(3);
    finished.success = true;
    api.backend.set_busy(Vec::new());
    api.backend.insert_execution(finished);
    read_until(&mut body, &mut seen, "event: done\n").await;
    assert!(seen.contains(r#"data: {"text":"bye\n"}"#), "{seen}");
    assert!(
        read_to_end(&mut body, &mut seen).await,
        "the stream ends after done: {seen}"
    );
    assert!(seen.contains(r#""success":true"#), "{seen}");
}

#[tokio::test]
async fn a_stream_ends_with_gone_when_its_job_is_deleted_while_followed() {
    let api = api();
    api.create(&job("brief")).await;
    api.backend.set_busy(vec![running("brief", "working\n")]);
    let uri = "/v1/jobs/brief/executions/1767261600000000000-node-a/stream";
    let mut body = open_stream(&api, uri).await.into_body().into_data_stream();
    let mut seen = String::new();
    read_until(&mut body, &mut seen, "working").await;

    api.backend.set_busy(Vec::new());
    api.call("DELETE", "/v1/jobs/brief", Body::empty())
        .await
        .expect(200);
    read_until(&mut body, &mut seen, "event: gone\n").await;
    assert!(
        read_to_end(&mut body, &mut seen).await,
        "the stream ends after gone: {seen}"
    );
    assert!(seen.contains("brief"), "gone says what is missing: {seen}");
}

#[tokio::test]
async fn streams_past_the_bound_are_refused_and_a_closed_one_frees_its_place() {
    let limit = 4;
    let mut options = ApiOptions::new(NODE);
    options.max_output_streams = limit;
    let api = api_with(options);
    api.create(&job("watched")).await;
    api.backend.set_busy(vec![running("watched", "tick\n")]);
    let uri = "/v1/jobs/watched/executions/1767261600000000000-node-a/stream";
    let mut open = Vec::new();
    for _ in 0..limit {
        let response = open_stream(&api, uri).await;
        assert_eq!(response.status(), 200);
        open.push(response);
    }
    // Far past the bound: every further follower is refused, and none is kept.
    for _ in 0..10 * limit {
        let refused = open_stream(&api, uri).await;
        assert_eq!(refused.status(), 503);
        let body = axum::body::to_bytes(refused.into_body(), 4096)
            .await
            .unwrap();
        let text = String::from_utf8_lossy(&body);
        assert!(text.contains("4 live output streams"), "{text}");
    }
    // The streams that were let in still work.
    let mut body = open.pop().unwrap().into_body().into_data_stream();
    let mut seen = String::new();
    read_until(&mut body, &mut seen, "tick").await;
    drop(body);
    let reopened = open_stream(&api, uri).await;
    assert_eq!(reopened.status(), 200, "a closed stream frees its place");
    assert_eq!(open_stream(&api, uri).await.status(), 503);
    drop(reopened);
}

#[tokio::test]
async fn the_default_bound_on_streams_is_the_documented_limit() {
    assert_eq!(
        ApiOptions::new(NODE).max_output_streams,
        dkron_model::limits::MAX_OUTPUT_STREAM_FOLLOWERS
    );
}

#[tokio::test]
async fn streams_a_finished_execution_at_once_and_refuses_unknown_ones() {
    let api = api();
    api.create(&job("old")).await;
    let mut finished = running("old", "stored output\n");
    finished.finished_at = finished.started_at + chrono::TimeDelta::seconds(1);
    api.backend.insert_execution(finished);
    let response = open_stream(
        &api,
        "/v1/jobs/old/executions/1767261600000000000-node-a/stream",
    )
    .await;
    let mut body = response.into_body().into_data_stream();
    let mut seen = String::new();
    read_until(&mut body, &mut seen, "event: done\n").await;
    assert!(
        seen.starts_with("event: reset\ndata: {\"text\":\"stored output\\n\"}"),
        "{seen}"
    );

    let missing = api.get("/v1/jobs/old/executions/1-nowhere/stream").await;
    assert_eq!(missing.status, 404);
    let no_job = api.get("/v1/jobs/ghost/executions/1-nowhere/stream").await;
    assert_eq!(no_job.status, 404);
}

#[tokio::test]
async fn kills_a_running_execution_and_refuses_unknown_ones() {
    let api = api();
    api.create(&job("live")).await;
    api.backend.set_busy(vec![running("live", "working\n")]);
    let uri = "/v1/jobs/live/executions/1767261600000000000-node-a/kill";
    let reply = api.call("POST", uri, Body::empty()).await.expect(202);
    assert_eq!(reply.json()["output"], "working\n");
    assert_eq!(api.get("/v1/busy").await.json(), serde_json::json!([]));

    // Neither running nor stored: unknown.
    let again = api.call("POST", uri, Body::empty()).await.expect(404);
    assert!(again.body.contains("not found"), "{}", again.body);
    // Stored as running, but no node runs it.
    api.backend.insert_execution(running("live", "working\n"));
    let orphan = api.call("POST", uri, Body::empty()).await.expect(404);
    assert!(
        orphan.body.contains("not running on any alive node"),
        "{}",
        orphan.body
    );
    // Stored as finished.
    let mut finished = running("live", "done\n");
    finished.finished_at = finished.started_at + chrono::TimeDelta::seconds(1);
    api.backend.insert_execution(finished);
    let over = api.call("POST", uri, Body::empty()).await.expect(409);
    assert!(over.body.contains("already finished"), "{}", over.body);
    api.call("POST", "/v1/jobs/ghost/executions/1-x/kill", Body::empty())
        .await
        .expect(404);
    api.call("GET", uri, Body::empty()).await.expect(405);
}
