//! Headers, CORS, preflight, rendering, unknown paths and the route table.

use axum::body::Body;
use axum::http::{Method, Request};
use dkron_api::testsuite::InMemoryBackend;
use dkron_api::{ApiOptions, route_table};

use crate::common::{NODE, api, api_with, job};

#[tokio::test]
async fn every_v1_response_names_the_node_and_allows_no_other_origin_by_default() {
    let api = api();
    for reply in [
        api.get("/v1/jobs").await.expect(200),
        api.get("/v1/jobs/missing").await.expect(404),
        api.call("POST", "/v1/jobs", "{").await.expect(400),
    ] {
        assert_eq!(reply.header("x-whom"), Some(NODE));
        assert_eq!(reply.header("access-control-allow-origin"), None);
        assert_eq!(reply.header("access-control-expose-headers"), None);
    }
}

#[tokio::test]
async fn lists_carry_the_total_count() {
    let api = api();
    api.create(&job("a")).await;
    for uri in [
        "/v1/jobs",
        "/v1/members",
        "/v1/busy",
        "/v1/jobs/a/executions",
        "/v1/jobs/a/ledger",
    ] {
        let reply = api.get(uri).await.expect(200);
        assert!(reply.header("x-total-count").is_some(), "{uri}");
    }
    assert_eq!(api.get("/v1/jobs").await.header("x-total-count"), Some("1"));
}

#[tokio::test]
async fn health_is_outside_v1() {
    let api = api();
    let reply = api.get("/health").await.expect(200);
    assert_eq!(reply.body, r#"{"status":"healthy"}"#);
    assert_eq!(
        reply.header("content-type"),
        Some("application/json; charset=utf-8")
    );
    assert_eq!(reply.header("x-whom"), None);
    assert_eq!(reply.header("access-control-allow-origin"), None);
}

#[tokio::test]
async fn preflight_from_an_allowed_origin_is_answered_on_every_v1_route() {
    let mut options = ApiOptions::new(NODE);
    options.cors_allowed_origins = vec!["http://ui.example".to_owned()];
    let api = api_with(options);
    for route in route_table::<InMemoryBackend>() {
        if !route.path.starts_with("/v1") {
            continue;
        }
        let path = route
            .path
            .replace("{job}", "a")
            .replace("{execution}", "1-a");
        let request = Request::builder()
            .method("OPTIONS")
            .uri(&path)
            .header("origin", "http://ui.example")
            .header("access-control-request-method", "DELETE")
            .header(
                "access-control-request-headers",
                "authorization,content-type",
            )
            .body(Body::empty())
            .unwrap();
        let reply = api.send(request).await.expect(204);
        assert_eq!(
            reply.header("access-control-allow-origin"),
            Some("http://ui.example"),
            "{path}"
        );
        assert!(
            reply
                .header("access-control-allow-methods")
                .unwrap()
                .contains("DELETE")
        );
        assert_eq!(
            reply.header("access-control-allow-headers"),
            Some("authorization,content-type")
        );
        assert!(reply.header("access-control-max-age").is_some());
        assert_eq!(reply.header("x-whom"), Some(NODE));
    }
}

#[tokio::test]
async fn unknown_paths_get_gins_404() {
    let api = api();
    for uri in ["/nothing", "/v1/nothing", "/v1/jobs/a/b/c/d"] {
        let reply = api.get(uri).await.expect(404);
        assert_eq!(reply.body, "404 page not found");
        assert_eq!(reply.header("x-whom"), None);
    }
}

#[tokio::test]
async fn wrong_methods_get_405_with_allow_and_a_message() {
    // DELETE /v1/jobs deletes the job named in the body (ADR 22); PUT needs a name in the path.
    let reply = api().call("PUT", "/v1/jobs", "").await.expect(405);
    let allow = reply.header("allow").unwrap();
    assert!(allow.contains("GET") && allow.contains("PATCH"), "{allow}");
    assert!(
        reply.body.contains("method PUT is not allowed on /v1/jobs"),
        "{}",
        reply.body
    );
    assert_eq!(reply.header("x-whom"), Some(NODE));
}

#[tokio::test]
async fn trailing_slashes_are_served_directly() {
    let api = api();
    let body = serde_json::to_string(&job("slash")).unwrap();
    api.call("POST", "/v1/jobs/", body).await.expect(201);
    api.get("/v1/jobs/").await.expect(200);
    api.get("/v1/jobs/slash/").await.expect(200);
    api.get("/v1/").await.expect(200);
}

#[tokio::test]
async fn pretty_indents_with_four_spaces_whatever_its_value() {
    let api = api();
    for uri in ["/v1/pause?pretty", "/v1/pause?pretty=false"] {
        let reply = api.get(uri).await.expect(200);
        assert_eq!(reply.body, "{\n    \"paused\": false\n}");
    }
    assert_eq!(api.get("/v1/pause").await.body, r#"{"paused":false}"#);
}

#[tokio::test]
async fn json_is_escaped_like_go_without_trailing_newline() {
    let api = api();
    let mut html = job("html");
    html.displayname = "<b>Tom & Jerry</b>\u{2028}".into();
    let created = api.create(&html).await;
    assert_eq!(
        created.header("content-type"),
        Some("application/json; charset=utf-8")
    );
    let reply = api.get("/v1/jobs/html").await.expect(200);
    assert!(
        reply
            .body
            .contains(r#""displayname":"\u003cb\u003eTom \u0026 Jerry\u003c/b\u003e\u2028""#),
        "{}",
        reply.body
    );
    assert!(!reply.body.ends_with('\n'));
}

/// The route table is exactly what the router serves: listed methods reach a handler,
/// other methods get 405.
#[tokio::test]
async fn route_table_matches_the_router() {
    let all = [
        Method::GET,
        Method::POST,
        Method::PUT,
        Method::PATCH,
        Method::DELETE,
    ];
    for route in route_table::<InMemoryBackend>() {
        let path = route
            .path
            .replace("{job}", "a")
            .replace("{execution}", "1-a");
        for method in &all {
            // A fresh node for each call: `leave` and `pause` change state.
            let api = api();
            api.create(&job("a")).await;
            let reply = api.call(method.as_str(), &path, "{}").await;
            let served = route.methods.contains(method);
            assert_eq!(
                reply.status.as_u16() == 405,
                !served,
                "{method} {path}: {} {}",
                reply.status,
                reply.body
            );
            assert_ne!(reply.body, "404 page not found", "{method} {path}");
        }
    }
}
