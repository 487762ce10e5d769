//! The ACL matrix: every route of the route table × a token with or without the capability
//! the route needs × no token, an unknown one, an expired one, a management one.

use axum::body::Body;
use axum::http::{Method, Request, StatusCode};
use chrono::{Duration, Utc};
use dkron_acl::{Policy, Token, TokenKind, hash_secret};
use dkron_api::testsuite::InMemoryBackend;
use dkron_api::{ApiOptions, route_table};
use tower::ServiceExt;

use crate::common::{NODE, TestApi, api_with, job};

const MANAGER: &str = "manager-secret";
const CLIENT: &str = "client-secret";
const EXPIRED: &str = "expired-secret";

/// Collections whose GET needs `list` (written here independently of the crate's table).
const LISTS: [&str; 3] = ["/v1/jobs", "/v1/acl/policies", "/v1/acl/tokens"];

fn capability_for(method: &Method, path: &str) -> &'static str {
    match method.as_str() {
        "GET" if LISTS.contains(&path) => "list",
        "GET" => "read",
        "POST" => "create",
        "PUT" | "PATCH" => "update",
        "DELETE" => "delete",
        other => panic!("no capability for {other}"),
    }
}

fn token(name: &str, kind: TokenKind, secret: &str, expired: bool) -> Token {
    Token {
        accessor_id: format!("accessor-{name}"),
        name: name.into(),
        kind,
        policies: vec!["granted".into()],
        create_time: Utc::now(),
        expiration_time: expired.then(|| Utc::now() - Duration::seconds(5)),
        secret_hash: hash_secret(secret),
    }
}

/// A server with ACLs on, a job, a policy `granted` giving `capabilities` on `path`, and
/// three tokens: management, client (with `granted`), and an expired client.
const UI_DEV_ORIGIN: &str = "http://127.0.0.1:5173";

async fn acl_api(path: &str, capabilities: &[&str]) -> TestApi {
    // The UI's development server may call the API from a browser: its preflights must
    // pass the token check (they never carry a token).
    let options = ApiOptions {
        acl_enabled: true,
        cors_allowed_origins: vec![UI_DEV_ORIGIN.to_owned()],
        ..ApiOptions::new(NODE)
    };
    let api = api_with(options);
    api.backend.insert_job(job("job1"));
    let rules = serde_json::json!({ "path": { path: { "capabilities": capabilities } } });
    api.backend.insert_acl_policy(Policy {
        name: "granted".into(),
        rules: rules.to_string(),
    });
    let backend: &InMemoryBackend = &api.backend;
    backend.insert_acl_token(token("manager", TokenKind::Management, MANAGER, false));
    backend.insert_acl_token(token("alice", TokenKind::Client, CLIENT, false));
    backend.insert_acl_token(token("old", TokenKind::Client, EXPIRED, true));
    api
}

/// Sends a request and returns its status and, unless it is a success (which may be a
/// stream that stays open), its body.
async fn status_of(
    api: &TestApi,
    method: &Method,
    path: &str,
    secret: Option<&str>,
) -> (StatusCode, String) {
    let mut builder = Request::builder()
        .method(method.clone())
        .uri(path)
        .header("content-type", "application/json");
    if let Some(secret) = secret {
        builder = builder.header("x-dkron-token", secret);
    }
    let body = match (method.as_str(), path) {
        ("POST" | "PUT", path) if path.starts_with("/v1/acl/policies/") => {
            r#"{"Name":"granted","Rules":"{\"path\":{\"/v1\":{\"capabilities\":[\"read\"]}}}"}"#
        }
        ("POST", "/v1/acl/tokens") => r#"{"Name":"bob","Type":"management"}"#,
        _ => "",
    };
    let response = api
        .router
        .clone()
        .oneshot(builder.body(Body::from(body)).unwrap())
        .await
        .unwrap();
    let status = response.status();
    if status.is_success() {
        return (status, String::new());
    }
    let bytes = axum::body::to_bytes(response.into_body(), 1 << 20)
        .await
        .unwrap();
    (status, String::from_utf8_lossy(&bytes).into_owned())
}

/// Every route's concrete path and method.
fn requests() -> Vec<(Method, String)> {
    let mut requests = Vec::new();
    for route in route_table::<InMemoryBackend>() {
        let path = route
            .path
            .replace("{job}", "job1")
            .replace("{execution}", "1-node-a")
            .replace("{name}", "granted")
            .replace("{accessor}", "accessor-alice");
        for method in route.methods {
            requests.push((method, path.clone()));
        }
    }
    requests
}

fn open_without_token(method: &Method, path: &str) -> bool {
    path == "/health" || (method == Method::POST && path == "/v1/acl/bootstrap")
}

#[tokio::test]
async fn every_route_refuses_missing_unknown_and_expired_tokens() {
    for (method, path) in requests() {
        let api = acl_api(&path, &["read", "list", "create", "update", "delete"]).await;
        let cases = [
            (None, "ACL token missing"),
            (Some("not-a-token"), "ACL token not found"),
            (Some(EXPIRED), "ACL token expired"),
        ];
        for (secret, message) in cases {
            let (status, body) = status_of(&api, &method, &path, secret).await;
            if open_without_token(&method, &path) {
                assert_ne!(
                    status,
                    StatusCode::UNAUTHORIZED,
                    "{method} {path} {secret:?}"
                );
                continue;
            }
            assert_eq!(
                status,
                StatusCode::UNAUTHORIZED,
                "{method} {path} {secret:?}: {body}"
            );
            assert!(body.starts_with(message), "{method} {path}: {body}");
        }
    }
}

#[tokio::test]
async fn a_client_token_needs_the_capability_on_the_path_and_is_told_which() {
    for (method, path) in requests() {
        if open_without_token(&method, &path) {
            continue;
        }
        let needed = capability_for(&method, &path);
        let everything_else: Vec<&str> = ["read", "list", "create", "update", "delete"]
            .into_iter()
            .filter(|capability| *capability != needed)
            .collect();
        let api = acl_api(&path, &everything_else).await;
        let (status, body) = status_of(&api, &method, &path, Some(CLIENT)).await;
        if path == "/v1/acl/token/self" {
            assert_eq!(status, StatusCode::OK, "{body}");
            continue;
        }
        assert_eq!(status, StatusCode::FORBIDDEN, "{method} {path}: {body}");
        if path.starts_with("/v1/acl/") {
            assert_eq!(
                body,
                format!("permission denied: {path} needs a management token")
            );
        } else {
            assert_eq!(
                body,
                format!("permission denied: missing capability \"{needed}\" on path {path}")
            );
        }

        let api = acl_api(&path, &[needed]).await;
        let (status, body) = status_of(&api, &method, &path, Some(CLIENT)).await;
        let acl_route = path.starts_with("/v1/acl/") && path != "/v1/acl/token/self";
        let refused = [StatusCode::UNAUTHORIZED, StatusCode::FORBIDDEN].contains(&status);
        assert_eq!(
            refused, acl_route,
            "{method} {path} granted {needed}: {status} {body}"
        );
    }
}

#[tokio::test]
async fn a_management_token_passes_every_route() {
    for (method, path) in requests() {
        let api = acl_api("/nothing", &["read"]).await;
        let (status, body) = status_of(&api, &method, &path, Some(MANAGER)).await;
        assert!(
            ![StatusCode::UNAUTHORIZED, StatusCode::FORBIDDEN].contains(&status),
            "{method} {path}: {status} {body}"
        );
    }
}

#[tokio::test]
async fn bootstrap_policies_and_tokens_through_the_routes() {
    let options = ApiOptions {
        acl_enabled: true,
        ..ApiOptions::new(NODE)
    };
    let api = api_with(options);
    let reply = api.call("POST", "/v1/acl/bootstrap", "").await.expect(200);
    let bootstrap = reply.json();
    let secret = bootstrap["SecretID"].as_str().unwrap().to_owned();
    assert_eq!(bootstrap["Type"], "management");
    assert_eq!(bootstrap["Name"], "bootstrap");
    let default = api.backend.acl_policies_for_test();
    assert_eq!(
        default.len(),
        1,
        "the bootstrap leaves Pro's default policy"
    );
    assert_eq!(default[0].rules, dkron_acl::DEFAULT_POLICY_RULES);
    let again = api.call("POST", "/v1/acl/bootstrap", "").await.expect(409);
    assert!(again.body.contains("already done"), "{}", again.body);

    let with_token = |method: &str, uri: &str, body: &str| {
        Request::builder()
            .method(method)
            .uri(uri)
            .header("authorization", format!("Bearer {secret}"))
            .header("content-type", "application/json")
            .body(Body::from(body.to_owned()))
            .unwrap()
    };
    let bad = r#"{"Name":"ro","Rules":"{\"path\":{\"/v1/jobs\":{\"capabilities\":[\"write\"]}}}"}"#;
    let reply = api
        .send(with_token("POST", "/v1/acl/policies/ro", bad))
        .await
        .expect(400);
    assert!(
        reply.body.contains("unknown capability \"write\""),
        "{}",
        reply.body
    );
    assert_eq!(api.backend.acl_policies_for_test(), default);

    let good = r#"{"Name":"ro","Rules":"{\"path\":{\"/v1/jobs\":{\"capabilities\":[\"list\"]}}}"}"#;
    let reply = api
        .send(with_token("POST", "/v1/acl/policies/ro", good))
        .await
        .expect(202);
    assert_eq!(reply.json()["Name"], "ro");
    let reply = api
        .send(with_token("GET", "/v1/acl/policies", ""))
        .await
        .expect(200);
    assert_eq!(reply.json().as_array().unwrap().len(), 2);

    let missing_policy = r#"{"Name":"bob","Type":"client","Policies":["nope"]}"#;
    let reply = api
        .send(with_token("POST", "/v1/acl/tokens", missing_policy))
        .await
        .expect(400);
    assert!(
        reply.body.contains("ACL policy nope not found"),
        "{}",
        reply.body
    );
    let request = r#"{"Name":"bob","Type":"client","Policies":["ro"],"ExpirationTTL":"1h"}"#;
    let reply = api
        .send(with_token("POST", "/v1/acl/tokens", request))
        .await
        .expect(200);
    let bob = reply.json();
    let bob_secret = bob["SecretID"].as_str().unwrap();
    assert!(bob["ExpirationTime"].is_string());
    let accessor = bob["AccessorID"].as_str().unwrap();
    let reply = api
        .send(with_token("GET", &format!("/v1/acl/tokens/{accessor}"), ""))
        .await
        .expect(200);
    assert!(
        reply.json().get("SecretID").is_none(),
        "the secret is shown only once"
    );
    let reply = api
        .send(with_token("GET", "/v1/acl/tokens", ""))
        .await
        .expect(200);
    assert!(!reply.body.contains(bob_secret) && !reply.body.contains(&secret));

    let as_bob = Request::get("/v1/acl/token/self")
        .header("x-dkron-token", bob_secret)
        .body(Body::empty())
        .unwrap();
    let reply = api.send(as_bob).await.expect(200);
    assert_eq!(reply.json()["Name"], "bob");
    api.send(with_token(
        "DELETE",
        &format!("/v1/acl/tokens/{accessor}"),
        "",
    ))
    .await
    .expect(200);
    let as_bob = Request::get("/v1/jobs")
        .header("x-dkron-token", bob_secret)
        .body(Body::empty())
        .unwrap();
    api.send(as_bob).await.expect(401);
}

#[tokio::test]
async fn with_acls_off_the_acl_routes_say_so_and_everything_else_is_open() {
    let api = crate::common::api();
    let reply = api.call("POST", "/v1/acl/bootstrap", "").await.expect(400);
    assert!(reply.body.contains("--acl-enabled"), "{}", reply.body);
    api.get("/v1/jobs").await.expect(200);
}

#[tokio::test]
async fn preflights_and_health_pass_without_a_token() {
    let api = acl_api("/nothing", &["read"]).await;
    let preflight = Request::builder()
        .method("OPTIONS")
        .uri("/v1/jobs")
        .header("origin", UI_DEV_ORIGIN)
        .header("access-control-request-method", "POST")
        .body(Body::empty())
        .unwrap();
    let reply = api.send(preflight).await;
    assert!(
        ![StatusCode::UNAUTHORIZED, StatusCode::FORBIDDEN].contains(&reply.status),
        "{} {}",
        reply.status,
        reply.body
    );
    api.get("/health").await.expect(200);
    // A page of an allowed origin must be able to read the 401 to ask for a token.
    let from_ui = Request::builder()
        .uri("/v1/jobs")
        .header("origin", UI_DEV_ORIGIN)
        .body(Body::empty())
        .unwrap();
    let reply = api.send(from_ui).await;
    assert_eq!(reply.status, StatusCode::UNAUTHORIZED, "{}", reply.body);
    assert_eq!(
        reply.header("access-control-allow-origin"),
        Some(UI_DEV_ORIGIN)
    );
    let reply = api.get("/v1/jobs").await.expect(401);
    assert_eq!(
        reply.header("www-authenticate"),
        Some("Bearer realm=\"dkron\"")
    );
}
