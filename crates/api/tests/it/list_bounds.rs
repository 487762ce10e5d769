//! Bounded work per request (ADR 23): a page of the job list reads only its own jobs whole,
//! long lists are streamed with the right `X-Total-Count`, and heavy requests take turns.

use std::time::Duration;

use axum::body::Body;
use axum::http::Request;
use dkron_api::ApiOptions;
use dkron_model::{Job, StringMap};
use tower::ServiceExt;

use crate::common::{NODE, TestApi, api, api_with, job};

const JOBS: usize = 10_000;

/// A job with a big executor configuration, counters and metadata to sort and filter on.
fn big_job(index: usize) -> Job {
    let mut job = job(&format!("job-{index:05}"));
    job.success_count = ((index * 7_919) % 1_000) as i64;
    job.metadata = Some(StringMap::from([(
        "team".into(),
        format!("t{}", index % 4),
    )]));
    job.executor_config = Some(StringMap::from([("command".into(), "x".repeat(1_000))]));
    job
}

fn seeded(count: usize) -> TestApi {
    let api = api();
    for index in 0..count {
        api.backend.insert_job(big_job(index));
    }
    api
}

fn names(reply: &crate::common::Reply) -> Vec<String> {
    let array = reply.json();
    let items = array.as_array().expect("an array");
    items
        .iter()
        .map(|job| job["name"].as_str().unwrap().to_owned())
        .collect()
}

/// Sorted by a counter or filtered, a page of 10 out of 10,000 jobs reads 10 jobs whole
/// (before: every job was read whole for every page).
#[tokio::test]
async fn a_sorted_or_filtered_page_reads_only_its_jobs_whole() {
    let api = seeded(JOBS);
    for (uri, total) in [
        (
            "/v1/jobs?_sort=success_count&_order=DESC&_start=20&_end=30",
            JOBS,
        ),
        ("/v1/jobs?metadata[team]=t2&_start=0&_end=10", JOBS / 4),
        ("/v1/jobs?q=job-01&_sort=next&_start=5&_end=15", 1_000),
    ] {
        let before = api.backend.whole_jobs_listed();
        let reply = api.get(uri).await.expect(200);
        assert_eq!(names(&reply).len(), 10, "{uri}");
        assert_eq!(
            reply.header("x-total-count"),
            Some(total.to_string().as_str()),
            "{uri}"
        );
        assert_eq!(api.backend.whole_jobs_listed() - before, 10, "{uri}");
        // The page holds whole jobs, configuration included (secrets hidden as always).
        assert!(
            reply.json()[0]["executor_config"]["command"].is_string(),
            "{uri}"
        );
    }
    // The page itself is right: the 21st to 30th by success count, descending.
    let mut all: Vec<Job> = (0..JOBS).map(big_job).collect();
    all.sort_by(|a, b| {
        b.success_count
            .cmp(&a.success_count)
            .then(b.name.cmp(&a.name))
    });
    let expected: Vec<String> = all[20..30].iter().map(|job| job.name.clone()).collect();
    let reply = api
        .get("/v1/jobs?_sort=success_count&_order=DESC&_start=20&_end=30")
        .await
        .expect(200);
    assert_eq!(names(&reply), expected);
}

/// Without `_end` the whole list is streamed: a complete array, the same bytes a page of the
/// same jobs has, and `X-Total-Count` counting every match.
#[tokio::test]
async fn an_unpaged_list_is_complete_and_byte_for_byte_a_page() {
    let api = seeded(90);
    for (unpaged, paged, total) in [
        ("/v1/jobs", "/v1/jobs?_start=0&_end=90", "90"),
        ("/v1/jobs?pretty", "/v1/jobs?pretty&_start=0&_end=90", "90"),
        (
            "/v1/jobs?_order=DESC&_start=7",
            "/v1/jobs?_order=DESC&_start=7&_end=90",
            "90",
        ),
        // A page longer than 100 is streamed like an unpaged list.
        (
            "/v1/jobs?_start=0&_end=5000",
            "/v1/jobs?_start=0&_end=90",
            "90",
        ),
        (
            "/v1/jobs?_start=10&_end=150",
            "/v1/jobs?_start=10&_end=90",
            "90",
        ),
        (
            "/v1/jobs?metadata[team]=t1&_sort=success_count",
            "/v1/jobs?metadata[team]=t1&_sort=success_count&_start=0&_end=90",
            "23",
        ),
        (
            "/v1/jobs?q=nothing-matches",
            "/v1/jobs?q=nothing-matches&_start=0&_end=9",
            "0",
        ),
        (
            "/v1/jobs?q=nothing&pretty",
            "/v1/jobs?q=nothing&pretty&_start=0&_end=9",
            "0",
        ),
    ] {
        let streamed = api.get(unpaged).await.expect(200);
        let buffered = api.get(paged).await.expect(200);
        assert_eq!(streamed.body, buffered.body, "{unpaged}");
        assert_eq!(streamed.header("x-total-count"), Some(total), "{unpaged}");
        assert_eq!(
            streamed.header("content-type"),
            Some("application/json; charset=utf-8")
        );
    }
    let all = api.get("/v1/jobs").await.expect(200);
    assert_eq!(names(&all).len(), 90);
}

/// Heavy requests take turns: with one turn held (a list whose answer is not read yet), the
/// next waits its longest, then gets 503 with `Retry-After`; once the turn is given back a
/// list is served again.
#[tokio::test]
async fn heavy_requests_beyond_the_bound_wait_then_get_503() {
    let options = ApiOptions {
        max_heavy_requests: 1,
        heavy_request_wait: Duration::from_millis(200),
        ..ApiOptions::new(NODE)
    };
    let api = api_with(options);
    for index in 0..50 {
        api.backend.insert_job(big_job(index));
    }
    let request = || Request::get("/v1/jobs").body(Body::empty()).unwrap();
    let holding = api.router.clone().oneshot(request()).await.unwrap();
    assert_eq!(holding.status(), 200);

    let started = std::time::Instant::now();
    for uri in ["/v1/jobs", "/v1/backup", "/v1/jobs/job-00001/executions"] {
        let refused = api.get(uri).await.expect(503);
        assert_eq!(refused.header("retry-after"), Some("2"), "{uri}");
        assert!(
            refused.body.contains("heavy requests"),
            "{uri}: {}",
            refused.body
        );
    }
    assert!(started.elapsed() >= Duration::from_millis(600));
    // Pages are not heavy: they are served meanwhile.
    api.get("/v1/jobs?_start=0&_end=10").await.expect(200);
    api.get("/v1/jobs?_sort=success_count&_start=0&_end=10")
        .await
        .expect(200);

    drop(holding);
    let reply = api.get("/v1/jobs").await.expect(200);
    assert_eq!(reply.header("x-total-count"), Some("50"));
    assert_eq!(names(&reply).len(), 50);
}
