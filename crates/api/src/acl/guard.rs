//! The caller middleware: with ACLs off every caller is anonymous and may do everything;
//! with ACLs on the token in `X-Dkron-Token` or `Authorization: Bearer` decides.

use std::sync::Arc;

use axum::extract::{Request, State};
use axum::http::HeaderMap;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use chrono::Utc;
use dkron_acl::{AccessRequest, Rules, Token, TokenKind, authorize, hash_secret, needs_no_token};

use super::backend::AclBackend;
use crate::caller::{ANONYMOUS, Caller, Role, peer_address};
use crate::error::ApiError;

/// Dkron Pro's token header (its OpenAPI document's security scheme).
const TOKEN_HEADER: &str = "x-dkron-token";

/// What the middleware needs: the ACL state, and whether to enforce it.
pub(crate) struct AclGuard<B> {
    backend: Arc<B>,
    enabled: bool,
}

impl<B> Clone for AclGuard<B> {
    fn clone(&self) -> Self {
        AclGuard {
            backend: self.backend.clone(),
            enabled: self.enabled,
        }
    }
}

impl<B> AclGuard<B> {
    /// Builds the guard; with `enabled` false it names every caller anonymous.
    pub(crate) fn new(backend: Arc<B>, enabled: bool) -> Self {
        AclGuard { backend, enabled }
    }
}

/// Names the caller of every request and, with ACLs on, refuses what its token may not do:
/// 401 without a valid token, 403 when its policies lack the capability.
pub(crate) async fn identify_caller<B: AclBackend>(
    State(guard): State<AclGuard<B>>,
    mut request: Request,
    next: Next,
) -> Response {
    let address = peer_address(&request);
    if !guard.enabled {
        request.extensions_mut().insert(Caller::anonymous(address));
        return next.run(request).await;
    }
    let access = AccessRequest::new(request.method().as_str(), request.uri().path());
    let secret = token_secret(request.headers());
    let checked = check(&guard, &access, secret.as_deref()).await;
    let token = match checked {
        Ok(token) => token,
        Err(error) if needs_no_token(&access) && !matches!(error, ApiError::Backend(_)) => None,
        Err(error) => return error.into_response(),
    };
    let caller = match &token {
        Some(token) => Caller {
            actor: token.name.clone(),
            role: match token.kind {
                TokenKind::Management => Role::Management,
                TokenKind::Client => Role::Client,
            },
            address,
        },
        None => Caller {
            actor: ANONYMOUS.to_owned(),
            role: Role::Client,
            address,
        },
    };
    request.extensions_mut().insert(caller);
    if let Some(token) = token {
        request.extensions_mut().insert(token);
    }
    next.run(request).await
}

/// Returns the request's token if it may make the request.
async fn check<B: AclBackend>(
    guard: &AclGuard<B>,
    access: &AccessRequest,
    secret: Option<&str>,
) -> Result<Option<Token>, ApiError> {
    let Some(secret) = secret else {
        return Err(ApiError::Unauthorized(
            "ACL token missing: send it in the X-Dkron-Token header or as Authorization: Bearer <token>"
                .to_owned(),
        ));
    };
    let Some(token) = guard
        .backend
        .acl_token_by_secret(&hash_secret(secret))
        .await?
    else {
        return Err(ApiError::Unauthorized(
            "ACL token not found: it is unknown to this cluster (mistyped, or deleted)".to_owned(),
        ));
    };
    let policies = client_policies(guard, &token).await?;
    match authorize(&token, &policies, access, Utc::now()) {
        Ok(()) => Ok(Some(token)),
        Err(denial @ dkron_acl::Denial::Expired(_)) => {
            Err(ApiError::Unauthorized(denial.to_string()))
        }
        Err(denial) => Err(ApiError::Forbidden(denial.to_string())),
    }
}

/// The rules of a client token's policies that exist (a deleted policy grants nothing).
async fn client_policies<B: AclBackend>(
    guard: &AclGuard<B>,
    token: &Token,
) -> Result<Vec<Rules>, ApiError> {
    if token.kind == TokenKind::Management {
        return Ok(Vec::new());
    }
    let mut rules = Vec::with_capacity(token.policies.len());
    for name in &token.policies {
        if let Some(policy) = guard.backend.acl_policy(name).await? {
            // Stored rules were checked when applied; one that no longer parses grants nothing.
            if let Ok(parsed) = Rules::parse(&policy.rules) {
                rules.push(parsed);
            }
        }
    }
    Ok(rules)
}

/// The token a request carries: `X-Dkron-Token` first, then `Authorization: Bearer`.
fn token_secret(headers: &HeaderMap) -> Option<String> {
    let header_token = headers
        .get(TOKEN_HEADER)
        .and_then(|value| value.to_str().ok())
        .map(str::trim)
        .filter(|value| !value.is_empty());
    let bearer = || {
        let value = headers
            .get(axum::http::header::AUTHORIZATION)?
            .to_str()
            .ok()?;
        let (scheme, token) = value.trim().split_once(' ')?;
        let token = token.trim();
        (scheme.eq_ignore_ascii_case("bearer") && !token.is_empty()).then_some(token)
    };
    header_token.or_else(bearer).map(str::to_owned)
}

#[cfg(test)]
mod tests {
    use std::net::SocketAddr;

    use axum::Router;
    use axum::body::{Body, to_bytes};
    use axum::extract::connect_info::MockConnectInfo;
    use axum::http::HeaderValue;
    use axum::middleware::from_fn_with_state;
    use axum::routing::get;
    use dkron_acl::hash_secret;
    use tower::ServiceExt;

    use super::*;
    use crate::testsuite::InMemoryBackend;

    async fn describe(caller: Caller) -> String {
        format!("{} {:?} {:?}", caller.actor, caller.role, caller.address)
    }

    /// Who the guard says sent a GET of `/v1/jobs` with `secret`.
    async fn caller_seen(enabled: bool, secret: Option<&str>) -> String {
        let backend = Arc::new(InMemoryBackend::new("node"));
        backend.insert_acl_token(Token {
            accessor_id: "a".into(),
            name: "deployer".into(),
            kind: TokenKind::Management,
            policies: Vec::new(),
            create_time: Utc::now(),
            expiration_time: None,
            secret_hash: hash_secret("s3cret"),
        });
        let peer: SocketAddr = "127.0.0.1:40000".parse().unwrap();
        let app = Router::new()
            .route("/v1/jobs", get(describe))
            .layer(from_fn_with_state(
                AclGuard::new(backend, enabled),
                identify_caller::<InMemoryBackend>,
            ))
            .layer(MockConnectInfo(peer));
        let mut request = Request::get("/v1/jobs");
        if let Some(secret) = secret {
            request = request.header(TOKEN_HEADER, secret);
        }
        let response = app
            .oneshot(request.body(Body::empty()).unwrap())
            .await
            .unwrap();
        let body = to_bytes(response.into_body(), 1024).await.unwrap();
        String::from_utf8_lossy(&body).into_owned()
    }

    #[tokio::test]
    async fn with_acls_off_every_caller_is_anonymous_with_its_address() {
        let seen = caller_seen(false, Some("anything")).await;
        assert_eq!(seen, "anonymous Open Some(127.0.0.1:40000)");
        assert!(Caller::anonymous(None).sees_secrets());
    }

    #[tokio::test]
    async fn with_acls_on_the_caller_is_the_token_by_name() {
        let seen = caller_seen(true, Some("s3cret")).await;
        assert_eq!(seen, "deployer Management Some(127.0.0.1:40000)");
        let refused = caller_seen(true, None).await;
        assert!(refused.starts_with("ACL token missing"), "{refused}");
    }

    #[test]
    fn the_token_comes_from_either_header() {
        let mut headers = HeaderMap::new();
        assert_eq!(token_secret(&headers), None);
        headers.insert("authorization", HeaderValue::from_static("Bearer abc"));
        assert_eq!(token_secret(&headers).as_deref(), Some("abc"));
        headers.insert("authorization", HeaderValue::from_static("Basic abc"));
        assert_eq!(token_secret(&headers), None);
        headers.insert(TOKEN_HEADER, HeaderValue::from_static(" xyz "));
        assert_eq!(token_secret(&headers).as_deref(), Some("xyz"));
    }
}
