//! The `/v1/acl` routes: bootstrap, policies, tokens. The guard has already checked that
//! the caller holds a management token (or, for bootstrap and `token/self`, what those need).

use axum::Extension;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use chrono::{DateTime, Utc};
use dkron_acl::{
    DEFAULT_POLICY_NAME, DEFAULT_POLICY_RULES, Policy, Rules, Token, TokenKind, hash_secret,
};

use super::backend::AclChange;
use super::ids::random_id;
use super::views::{PolicyView, TokenRequest, TokenView, policy_rules};
use crate::backend::{ApiBackend, BackendError};
use crate::error::ApiError;
use crate::render::Format;
use crate::state::SharedState;

/// The answer of every ACL route while ACLs are off.
fn require_enabled<B>(state: &SharedState<B>) -> Result<(), ApiError> {
    if state.options.acl_enabled {
        return Ok(());
    }
    Err(ApiError::BadRequest(
        "ACLs are not enabled on this server: start it with --acl-enabled (acl: {enabled: true})"
            .to_owned(),
    ))
}

/// A token with fresh accessor id and secret; returns it with the secret, which is not kept.
fn new_token(
    name: String,
    kind: TokenKind,
    policies: Vec<String>,
    expiration_time: Option<DateTime<Utc>>,
) -> Result<(Token, String), ApiError> {
    let secret = random_id()?;
    let token = Token {
        accessor_id: random_id()?,
        name,
        kind,
        policies,
        create_time: Utc::now(),
        expiration_time,
        secret_hash: hash_secret(&secret),
    };
    Ok((token, secret))
}

fn stored_token(result: Option<Token>) -> Result<Token, ApiError> {
    result.ok_or_else(|| ApiError::Render("the cluster did not return the token".to_owned()))
}

/// `POST /v1/acl/bootstrap`: the first management token, once; no token needed.
pub(crate) async fn bootstrap<B: ApiBackend>(
    State(state): State<SharedState<B>>,
    format: Format,
) -> Result<Response, ApiError> {
    require_enabled(&state)?;
    let (token, secret) = new_token(
        "bootstrap".to_owned(),
        TokenKind::Management,
        Vec::new(),
        None,
    )?;
    let stored = stored_token(
        state
            .backend
            .acl_change(AclChange::Bootstrap(token))
            .await?,
    )?;
    // As in Pro, the bootstrap leaves a `default` policy that client tokens get by default.
    if state
        .backend
        .acl_policy(DEFAULT_POLICY_NAME)
        .await?
        .is_none()
    {
        let default = Policy {
            name: DEFAULT_POLICY_NAME.to_owned(),
            rules: DEFAULT_POLICY_RULES.to_owned(),
        };
        state
            .backend
            .acl_change(AclChange::UpsertPolicy(default))
            .await?;
    }
    format.json(StatusCode::OK, &TokenView::created(&stored, &secret))
}

/// `GET /v1/acl/policies`: every policy.
pub(crate) async fn list_policies<B: ApiBackend>(
    State(state): State<SharedState<B>>,
    format: Format,
) -> Result<Response, ApiError> {
    require_enabled(&state)?;
    let policies = state.backend.acl_policies().await?;
    let views: Vec<PolicyView<'_>> = policies.iter().map(PolicyView::from).collect();
    format.json(StatusCode::OK, &views)
}

async fn existing_policy<B: ApiBackend>(
    state: &SharedState<B>,
    name: &str,
) -> Result<Policy, ApiError> {
    state
        .backend
        .acl_policy(name)
        .await?
        .ok_or_else(|| ApiError::NotFound(format!("ACL policy {name} not found")))
}

/// `GET /v1/acl/policies/{name}`.
pub(crate) async fn get_policy<B: ApiBackend>(
    State(state): State<SharedState<B>>,
    Path(name): Path<String>,
    format: Format,
) -> Result<Response, ApiError> {
    require_enabled(&state)?;
    let policy = existing_policy(&state, &name).await?;
    format.json(StatusCode::OK, &PolicyView::from(&policy))
}

/// `POST` or `PUT /v1/acl/policies/{name}`: creates or replaces it; `202` as in Pro.
pub(crate) async fn upsert_policy<B: ApiBackend>(
    State(state): State<SharedState<B>>,
    Path(name): Path<String>,
    format: Format,
    body: Bytes,
) -> Result<Response, ApiError> {
    require_enabled(&state)?;
    let rules = policy_rules(&name, &body)?;
    Rules::parse(&rules).map_err(|error| ApiError::BadRequest(error.to_string()))?;
    let policy = Policy { name, rules };
    state
        .backend
        .acl_change(AclChange::UpsertPolicy(policy.clone()))
        .await?;
    format.json(StatusCode::ACCEPTED, &PolicyView::from(&policy))
}

/// `DELETE /v1/acl/policies/{name}`: answers the policy as it was.
pub(crate) async fn delete_policy<B: ApiBackend>(
    State(state): State<SharedState<B>>,
    Path(name): Path<String>,
    format: Format,
) -> Result<Response, ApiError> {
    require_enabled(&state)?;
    let policy = existing_policy(&state, &name).await?;
    state
        .backend
        .acl_change(AclChange::DeletePolicy(name))
        .await?;
    format.json(StatusCode::OK, &PolicyView::from(&policy))
}

/// `GET /v1/acl/tokens`: every token, without secrets.
pub(crate) async fn list_tokens<B: ApiBackend>(
    State(state): State<SharedState<B>>,
    format: Format,
) -> Result<Response, ApiError> {
    require_enabled(&state)?;
    let tokens = state.backend.acl_tokens().await?;
    let views: Vec<TokenView<'_>> = tokens.iter().map(TokenView::stored).collect();
    format.json(StatusCode::OK, &views)
}

/// Checks a token request and returns the token's type, policies and expiry.
async fn checked_request<B: ApiBackend>(
    state: &SharedState<B>,
    request: &TokenRequest,
) -> Result<(TokenKind, Vec<String>, Option<DateTime<Utc>>), ApiError> {
    if request.name.trim().is_empty() {
        return Err(ApiError::BadRequest("a token needs a Name".to_owned()));
    }
    let kind_text = request.kind.as_deref().unwrap_or("client");
    let kind = TokenKind::parse(kind_text).ok_or_else(|| {
        ApiError::BadRequest(format!(
            "unknown token Type {kind_text:?}: use \"client\" or \"management\""
        ))
    })?;
    let policies = match kind {
        // A management token may do everything; policies would mean nothing on it.
        TokenKind::Management => Vec::new(),
        TokenKind::Client if request.policies.is_empty() => {
            return Err(ApiError::BadRequest(
                "a client token needs at least one policy (Policies)".to_owned(),
            ));
        }
        TokenKind::Client => request.policies.clone(),
    };
    for name in &policies {
        if state.backend.acl_policy(name).await?.is_none() {
            return Err(ApiError::BadRequest(format!(
                "ACL policy {name} not found: apply it first (dkron acl policy apply)"
            )));
        }
    }
    Ok((kind, policies, expiration(request)?))
}

/// The expiry a token request asks for: an explicit time, or now plus a TTL.
fn expiration(request: &TokenRequest) -> Result<Option<DateTime<Utc>>, ApiError> {
    if let Some(time) = request.expiration_time {
        return Ok(Some(time));
    }
    let Some(ttl) = request
        .expiration_ttl
        .as_deref()
        .filter(|ttl| !ttl.is_empty())
    else {
        return Ok(None);
    };
    let duration = dkron_model::parse_go_duration(ttl)
        .ok()
        .and_then(|duration| chrono::Duration::from_std(duration).ok())
        .filter(|duration| *duration > chrono::Duration::zero())
        .ok_or_else(|| {
            ApiError::BadRequest(format!(
                "bad ExpirationTTL {ttl:?}: use a positive Go duration such as 24h or 90m"
            ))
        })?;
    Ok(Some(Utc::now() + duration))
}

/// `POST /v1/acl/tokens`: a new token; its secret is in this answer and nowhere else.
pub(crate) async fn create_token<B: ApiBackend>(
    State(state): State<SharedState<B>>,
    format: Format,
    body: Bytes,
) -> Result<Response, ApiError> {
    require_enabled(&state)?;
    let request: TokenRequest = serde_json::from_slice(&body)
        .map_err(|error| ApiError::BadRequest(format!("Unable to parse payload: {error}.")))?;
    let (kind, policies, expiration_time) = checked_request(&state, &request).await?;
    let (token, secret) = new_token(request.name, kind, policies, expiration_time)?;
    let change = AclChange::CreateToken(token);
    let stored = stored_token(state.backend.acl_change(change).await?)?;
    format.json(StatusCode::OK, &TokenView::created(&stored, &secret))
}

/// `GET /v1/acl/tokens/{accessor}`.
pub(crate) async fn get_token<B: ApiBackend>(
    State(state): State<SharedState<B>>,
    Path(accessor): Path<String>,
    format: Format,
) -> Result<Response, ApiError> {
    require_enabled(&state)?;
    let token = state
        .backend
        .acl_token(&accessor)
        .await?
        .ok_or_else(|| ApiError::NotFound(format!("ACL token {accessor} not found")))?;
    format.json(StatusCode::OK, &TokenView::stored(&token))
}

/// `DELETE /v1/acl/tokens/{accessor}`: answers the token as it was.
pub(crate) async fn delete_token<B: ApiBackend>(
    State(state): State<SharedState<B>>,
    Path(accessor): Path<String>,
    format: Format,
) -> Result<Response, ApiError> {
    require_enabled(&state)?;
    let change = AclChange::DeleteToken(accessor);
    let token = stored_token(state.backend.acl_change(change).await?)?;
    format.json(StatusCode::OK, &TokenView::stored(&token))
}

/// `GET /v1/acl/token/self`: the token the request was made with.
pub(crate) async fn token_self<B: ApiBackend>(
    State(state): State<SharedState<B>>,
    token: Option<Extension<Token>>,
    format: Format,
) -> Result<Response, ApiError> {
    require_enabled(&state)?;
    let Some(Extension(token)) = token else {
        return Err(ApiError::Backend(BackendError::Internal(
            "the request reached token/self without a checked token".to_owned(),
        )));
    };
    format.json(StatusCode::OK, &TokenView::stored(&token))
}
