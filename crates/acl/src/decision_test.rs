use chrono::{Duration, TimeZone};

use super::*;
use crate::secret::hash_secret;

fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 12, 6, 12, 0, 0).unwrap()
}

fn token(kind: TokenKind, expiration_time: Option<DateTime<Utc>>) -> Token {
    Token {
        accessor_id: "a".into(),
        name: "alice".into(),
        kind,
        policies: vec!["readonly".into()],
        create_time: now(),
        expiration_time,
        secret_hash: hash_secret("s"),
    }
}

fn readonly() -> Vec<Rules> {
    vec![Rules::parse(crate::rules::tests::PRO_READONLY_POLICY).unwrap()]
}

fn request(method: &str, path: &str) -> AccessRequest {
    AccessRequest::new(method, path)
}

#[test]
fn methods_map_to_capabilities_and_the_job_list_needs_list() {
    let cases = [
        ("GET", "/v1/jobs", Capability::List),
        ("GET", "/v1/jobs/", Capability::List),
        ("get", "/v1/acl/policies", Capability::List),
        ("GET", "/v1/jobs/a", Capability::Read),
        ("GET", "/v1/jobs/a/executions", Capability::Read),
        ("POST", "/v1/jobs", Capability::Create),
        ("POST", "/v1/jobs/a/run", Capability::Create),
        ("PUT", "/v1/jobs/a", Capability::Update),
        ("PATCH", "/v1/jobs", Capability::Update),
        ("DELETE", "/v1/jobs/a", Capability::Delete),
    ];
    for (method, path, expected) in cases {
        assert_eq!(
            required_capability(&request(method, path)),
            Some(expected),
            "{method} {path}"
        );
    }
    assert_eq!(required_capability(&request("TRACE", "/v1")), None);
}

#[test]
fn a_client_token_gets_what_its_policies_grant_and_the_refusal_names_it() {
    let client = token(TokenKind::Client, None);
    assert_eq!(
        authorize(&client, &readonly(), &request("GET", "/v1/jobs"), now()),
        Ok(())
    );
    let refusal = authorize(&client, &readonly(), &request("POST", "/v1/jobs/"), now());
    let denial = refusal.unwrap_err();
    assert_eq!(
        denial,
        Denial::Missing {
            capability: Capability::Create,
            path: "/v1/jobs".into()
        }
    );
    assert_eq!(
        denial.to_string(),
        "permission denied: missing capability \"create\" on path /v1/jobs"
    );
    let no_policies = authorize(&client, &[], &request("GET", "/v1/jobs/a"), now());
    assert!(matches!(no_policies, Err(Denial::Missing { .. })));
}

#[test]
fn acl_routes_are_for_management_tokens_except_self() {
    let client = token(TokenKind::Client, None);
    let all = vec![
        Rules::parse(r#"{"path": {"/**": {"capabilities": ["list", "read", "create"]}}}"#).unwrap(),
    ];
    let refused = authorize(&client, &all, &request("GET", "/v1/acl/tokens"), now());
    assert_eq!(
        refused.unwrap_err().to_string(),
        "permission denied: /v1/acl/tokens needs a management token"
    );
    assert_eq!(
        authorize(&client, &[], &request("GET", "/v1/acl/token/self"), now()),
        Ok(())
    );
    let manager = token(TokenKind::Management, None);
    for (method, path) in [
        ("GET", "/v1/acl/tokens"),
        ("DELETE", "/v1/jobs/a"),
        ("POST", "/v1/leave"),
    ] {
        assert_eq!(
            authorize(&manager, &[], &request(method, path), now()),
            Ok(())
        );
    }
}

#[test]
fn expired_tokens_are_refused_whatever_their_kind() {
    let expiry = now() - Duration::seconds(1);
    for kind in [TokenKind::Management, TokenKind::Client] {
        let expired = token(kind, Some(expiry));
        let refusal = authorize(&expired, &readonly(), &request("GET", "/v1/jobs"), now());
        assert_eq!(refusal, Err(Denial::Expired(expiry)));
    }
    let later = token(TokenKind::Client, Some(now() + Duration::seconds(1)));
    assert_eq!(
        authorize(&later, &readonly(), &request("GET", "/v1/jobs"), now()),
        Ok(())
    );
    let at_the_instant = token(TokenKind::Client, Some(now()));
    assert!(
        authorize(
            &at_the_instant,
            &readonly(),
            &request("GET", "/v1/jobs"),
            now()
        )
        .is_err()
    );
}

#[test]
fn health_preflights_and_bootstrap_need_no_token() {
    assert!(needs_no_token(&request("GET", "/health")));
    assert!(needs_no_token(&request("OPTIONS", "/v1/jobs")));
    assert!(needs_no_token(&request("POST", "/v1/acl/bootstrap/")));
    assert!(!needs_no_token(&request("GET", "/v1/acl/bootstrap")));
    assert!(!needs_no_token(&request("GET", "/v1/jobs")));
    assert!(!needs_no_token(&request("GET", "/metrics")));
}
