//! The browser guard: CORS only for allowed origins, cross-origin writes refused, and a
//! browser's body only as JSON (issue 13, item 4).

use axum::body::Body;
use axum::http::Request;
use dkron_api::ApiOptions;

use crate::common::{GETTING_STARTED, NODE, TestApi, api, api_with};

const OWN: &str = "127.0.0.1:8080";
const FOREIGN_PAGE: &str = "http://127.0.0.1:9999";

fn allowing(origins: &[&str]) -> TestApi {
    let mut options = ApiOptions::new(NODE);
    options.cors_allowed_origins = origins.iter().map(|origin| (*origin).to_owned()).collect();
    api_with(options)
}

/// A job submission as a browser page would send it.
fn browser_post(origin: Option<&str>, content_type: &str, fetch_site: &str) -> Request<Body> {
    let mut request = Request::post("/v1/jobs")
        .header("host", OWN)
        .header("content-type", content_type)
        .header("sec-fetch-site", fetch_site)
        .header("sec-fetch-mode", "cors");
    if let Some(origin) = origin {
        request = request.header("origin", origin);
    }
    request.body(Body::from(GETTING_STARTED)).unwrap()
}

#[tokio::test]
async fn cors_headers_go_only_to_listed_origins() {
    let api = allowing(&["http://dash.example"]);
    let get = |origin: &'static str| {
        Request::get("/v1/jobs")
            .header("origin", origin)
            .body(Body::empty())
            .unwrap()
    };
    let listed = api.send(get("http://dash.example")).await.expect(200);
    assert_eq!(
        listed.header("access-control-allow-origin"),
        Some("http://dash.example")
    );
    assert!(listed.header("vary").unwrap().contains("Origin"));
    let other = api.send(get("http://evil.example")).await.expect(200);
    assert_eq!(other.header("access-control-allow-origin"), None);

    let any = allowing(&["*"]);
    let reply = any.send(get("http://evil.example")).await.expect(200);
    assert_eq!(reply.header("access-control-allow-origin"), Some("*"));
}

#[tokio::test]
async fn preflights_from_other_origins_are_refused() {
    let api = api();
    let preflight = Request::builder()
        .method("OPTIONS")
        .uri("/v1/jobs")
        .header("origin", FOREIGN_PAGE)
        .header("access-control-request-method", "POST")
        .body(Body::empty())
        .unwrap();
    let reply = api.send(preflight).await.expect(403);
    assert_eq!(reply.header("access-control-allow-origin"), None);
    assert!(
        reply.body.contains("cors-allowed-origins"),
        "{}",
        reply.body
    );
    // Without an Origin it is no preflight: the methods, and no CORS.
    let plain = Request::builder()
        .method("OPTIONS")
        .uri("/v1/jobs")
        .body(Body::empty())
        .unwrap();
    let reply = api.send(plain).await.expect(204);
    assert!(reply.header("allow").unwrap().contains("POST"));
    assert_eq!(reply.header("access-control-allow-origin"), None);
}

#[tokio::test]
async fn cross_origin_writes_are_refused_and_change_nothing() {
    let api = api();
    for request in [
        browser_post(Some(FOREIGN_PAGE), "application/json", "cross-site"),
        browser_post(Some("null"), "text/plain", "cross-site"),
        browser_post(None, "application/json", "cross-site"),
        browser_post(None, "application/json", "same-site"),
    ] {
        let reply = api.send(request).await.expect(403);
        assert!(
            reply.body.contains("cross-origin write refused"),
            "{}",
            reply.body
        );
        assert!(
            reply.body.contains("cors-allowed-origins"),
            "{}",
            reply.body
        );
    }
    let delete = Request::delete("/v1/jobs/job1")
        .header("host", OWN)
        .header("origin", FOREIGN_PAGE)
        .body(Body::empty())
        .unwrap();
    api.send(delete).await.expect(403);
    assert!(api.stored_names().is_empty());
}

#[tokio::test]
async fn same_origin_and_listed_origins_may_write() {
    let api = allowing(&[FOREIGN_PAGE]);
    let own = browser_post(
        Some("http://127.0.0.1:8080"),
        "application/json",
        "same-origin",
    );
    api.send(own).await.expect(201);
    let listed = browser_post(Some(FOREIGN_PAGE), "application/json", "cross-site");
    api.send(listed).await.expect(201);
    assert_eq!(api.stored_names(), ["job1"]);
}

#[tokio::test]
async fn a_browsers_body_must_be_json_and_curls_need_not() {
    let api = api();
    // The classic trick: a same-origin-looking form post of text/plain is still refused.
    let text = browser_post(Some("http://127.0.0.1:8080"), "text/plain", "same-origin");
    let reply = api.send(text).await.expect(415);
    assert!(reply.body.contains("application/json"), "{}", reply.body);
    assert!(reply.body.contains("text/plain"), "{}", reply.body);
    assert!(api.stored_names().is_empty());

    // `curl -d '{…}'`: form-encoded, no Origin, no Sec-Fetch-*.
    let curl = Request::post("/v1/jobs")
        .header("host", OWN)
        .header("content-type", "application/x-www-form-urlencoded")
        .body(Body::from(GETTING_STARTED))
        .unwrap();
    api.send(curl).await.expect(201);
    assert_eq!(api.stored_names(), ["job1"]);
}
