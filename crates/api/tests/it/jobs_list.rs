//! `GET /v1/jobs`: filters, sorting, paging and bad input.

use dkron_model::{Job, StringMap, gotime};

use crate::common::{TestApi, api, job};

fn names(reply: &crate::common::Reply) -> Vec<String> {
    reply
        .json()
        .as_array()
        .unwrap()
        .iter()
        .map(|job| job["name"].as_str().unwrap().to_owned())
        .collect()
}

/// Five jobs with distinct fields to filter and sort on.
fn seeded() -> TestApi {
    let api = api();
    let mut alpha = job("alpha");
    alpha.displayname = "Nightly backup".into();
    alpha.success_count = 10;
    alpha.status = "success".into();
    alpha.metadata = Some(StringMap::from([("team".into(), "ops".into())]));
    alpha.last_success = Some(gotime::parse("2025-03-01T00:00:00Z").unwrap());
    let mut bravo = job("bravo");
    bravo.displayname = "nightly report".into();
    bravo.success_count = 9;
    bravo.status = "failed".into();
    bravo.disabled = true;
    bravo.last_success = Some(gotime::parse("2025-01-01T00:00:00Z").unwrap());
    let mut charlie = job("charlie");
    charlie.success_count = 100;
    charlie.metadata = Some(StringMap::from([
        ("team".into(), "ops".into()),
        ("tier".into(), "1".into()),
    ]));
    let mut delta = job("delta");
    delta.status = "partially_failed".into();
    let echo: Job = job("echo");
    for job in [echo, delta, charlie, bravo, alpha] {
        api.backend.insert_job(job);
    }
    api
}

#[tokio::test]
async fn lists_all_by_name_with_total() {
    let api = seeded();
    let reply = api.get("/v1/jobs").await.expect(200);
    assert_eq!(
        names(&reply),
        ["alpha", "bravo", "charlie", "delta", "echo"]
    );
    assert_eq!(reply.header("x-total-count"), Some("5"));
}

#[tokio::test]
async fn filters_combine() {
    let api = seeded();
    for (query, expected) in [
        ("q=ight", vec!["alpha", "bravo"]),
        ("q=Nightly", vec!["alpha"]),
        ("q=arl", vec!["charlie"]),
        ("status=untriggered", vec!["charlie", "echo"]),
        ("status=partially_failed", vec!["delta"]),
        ("disabled=true", vec!["bravo"]),
        ("disabled=false&q=ight", vec!["alpha"]),
        ("metadata[team]=ops", vec!["alpha", "charlie"]),
        (
            "metadata%5Bteam%5D=ops&metadata%5Btier%5D=1",
            vec!["charlie"],
        ),
        ("metadata[team]=dev", vec![]),
    ] {
        let reply = api.get(&format!("/v1/jobs?{query}")).await.expect(200);
        assert_eq!(names(&reply), expected, "{query}");
        assert_eq!(
            reply.header("x-total-count"),
            Some(expected.len().to_string().as_str())
        );
    }
}

#[tokio::test]
async fn sorts_by_every_key() {
    let api = seeded();
    for (query, expected) in [
        (
            "_sort=id",
            vec!["alpha", "bravo", "charlie", "delta", "echo"],
        ),
        (
            "_sort=name&_order=DESC",
            vec!["echo", "delta", "charlie", "bravo", "alpha"],
        ),
        (
            "_sort=name&_order=desc",
            vec!["echo", "delta", "charlie", "bravo", "alpha"],
        ),
        (
            "_sort=displayname",
            vec!["charlie", "delta", "echo", "alpha", "bravo"],
        ),
        (
            "_sort=success_count",
            vec!["delta", "echo", "bravo", "alpha", "charlie"],
        ),
        (
            "_sort=last_success",
            vec!["bravo", "alpha", "charlie", "delta", "echo"],
        ),
        (
            "_sort=error_count&_order=ASC",
            vec!["alpha", "bravo", "charlie", "delta", "echo"],
        ),
        (
            "_sort=schedule",
            vec!["alpha", "bravo", "charlie", "delta", "echo"],
        ),
        (
            "_sort=next",
            vec!["alpha", "bravo", "charlie", "delta", "echo"],
        ),
        (
            "_sort=last_error",
            vec!["alpha", "bravo", "charlie", "delta", "echo"],
        ),
    ] {
        let reply = api.get(&format!("/v1/jobs?{query}")).await.expect(200);
        assert_eq!(names(&reply), expected, "{query}");
    }
}

#[tokio::test]
async fn pages_after_filtering() {
    let api = seeded();
    let reply = api.get("/v1/jobs?_start=1&_end=3").await.expect(200);
    assert_eq!(names(&reply), ["bravo", "charlie"]);
    assert_eq!(reply.header("x-total-count"), Some("5"));
    let reply = api
        .get("/v1/jobs?_sort=success_count&_order=DESC&_start=0&_end=2")
        .await
        .expect(200);
    assert_eq!(names(&reply), ["charlie", "alpha"]);
    let reply = api.get("/v1/jobs?_start=10&_end=20").await.expect(200);
    assert_eq!(reply.body, "[]");
    assert_eq!(reply.header("x-total-count"), Some("5"));
    let reply = api.get("/v1/jobs?_start=4").await.expect(200);
    assert_eq!(names(&reply), ["echo"]);
    let reply = api.get("/v1/jobs?q=nothing-matches").await.expect(200);
    assert_eq!(
        (reply.body.as_str(), reply.header("x-total-count")),
        ("[]", Some("0"))
    );
}

#[tokio::test]
async fn bad_queries_get_400_and_change_nothing() {
    let api = seeded();
    let before = api.backend.jobs();
    for (query, expected) in [
        (
            "_sort=owner",
            "invalid _sort \"owner\": valid values are id, name, displayname",
        ),
        ("_order=sideways", "invalid _order"),
        (
            "_start=abc",
            "invalid _start \"abc\": must be a non-negative integer",
        ),
        ("_start=-1", "invalid _start \"-1\""),
        ("_end=-5", "invalid _end \"-5\""),
        ("_end=2.5", "invalid _end"),
        ("_start=3&_end=1", "_start (3) is greater than _end (1)"),
        ("status=running", "invalid status \"running\""),
        ("disabled=1", "invalid disabled \"1\""),
        ("metadata[]=x", "invalid metadata filter"),
    ] {
        let reply = api.get(&format!("/v1/jobs?{query}")).await.expect(400);
        assert!(reply.body.contains(expected), "{query}: {}", reply.body);
        assert_eq!(
            reply.header("content-type"),
            Some("text/plain; charset=utf-8")
        );
        assert_eq!(api.backend.jobs(), before, "{query}");
    }
}
