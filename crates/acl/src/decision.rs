//! The decision for one request: which capability it needs, and whether a token has it.
//!
//! Methods map to capabilities as in Dkron Pro: `POST` is `create` (runs, toggles, leave and
//! restore are creations too), `PUT` and `PATCH` are `update`, `DELETE` is `delete`. `GET`
//! is `read`, except on the collections that enumerate named resources — the job list and
//! the ACL lists — where it is `list`. A job's executions are read with `read` on their
//! path, as Pro's documented policies grant them.

use chrono::{DateTime, Utc};

use crate::capability::Capability;
use crate::rules::Rules;
use crate::token::{Token, TokenKind};

/// Collections whose `GET` needs `list` rather than `read`.
const LIST_PATHS: [&str; 3] = ["/v1/jobs", "/v1/acl/policies", "/v1/acl/tokens"];

/// Paths only management tokens may use (bootstrap and `token/self` aside).
const ACL_PREFIX: &str = "/v1/acl/";

/// The path any valid token may read: the token describing itself.
const SELF_PATH: &str = "/v1/acl/token/self";

/// The one route that works without a token, and only once: the first management token.
const BOOTSTRAP_PATH: &str = "/v1/acl/bootstrap";

/// What a request asks for, as the rules see it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccessRequest {
    /// The HTTP method in upper case.
    pub method: String,
    /// The path without query string and without a trailing slash.
    pub path: String,
}

impl AccessRequest {
    /// Builds a request from a method and a URL path (a trailing slash is dropped: the API
    /// serves `/v1/jobs/` as `/v1/jobs`, so the rules must see them as one path).
    pub fn new(method: &str, path: &str) -> AccessRequest {
        let trimmed = path.trim_end_matches('/');
        AccessRequest {
            method: method.to_ascii_uppercase(),
            path: if trimmed.is_empty() { "/" } else { trimmed }.to_owned(),
        }
    }
}

/// Why a token may not make a request. The messages are what the 401 or 403 answer says.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Denial {
    /// The token's expiry time has passed (a 401: the token itself is no longer valid).
    #[error("ACL token expired at {0}")]
    Expired(DateTime<Utc>),
    /// A client token's policies do not grant the capability on the path.
    #[error("permission denied: missing capability \"{capability}\" on path {path}")]
    Missing {
        /// The capability the request needs.
        capability: Capability,
        /// The path it needs it on.
        path: String,
    },
    /// The path is an ACL route, which only management tokens use.
    #[error("permission denied: {path} needs a management token")]
    ManagementOnly {
        /// The path asked for.
        path: String,
    },
    /// No capability covers the method (for example `TRACE`).
    #[error("permission denied: method {method} is not covered by any capability")]
    UnknownMethod {
        /// The method asked for.
        method: String,
    },
}

/// Returns true for requests that never need a token: CORS preflights, `/health`, and the
/// bootstrap (which the store allows only once).
pub fn needs_no_token(request: &AccessRequest) -> bool {
    request.method == "OPTIONS"
        || request.path == "/health"
        || (request.method == "POST" && request.path == BOOTSTRAP_PATH)
}

/// Returns the capability a request needs, or `None` for a method no capability covers.
pub fn required_capability(request: &AccessRequest) -> Option<Capability> {
    match request.method.as_str() {
        "GET" | "HEAD" if LIST_PATHS.contains(&request.path.as_str()) => Some(Capability::List),
        "GET" | "HEAD" => Some(Capability::Read),
        "POST" => Some(Capability::Create),
        "PUT" | "PATCH" => Some(Capability::Update),
        "DELETE" => Some(Capability::Delete),
        _ => None,
    }
}

/// Decides whether `token`, whose client policies are `policies` (the ones that exist; a
/// policy named by the token but deleted since grants nothing), may make `request` at `now`.
pub fn authorize(
    token: &Token,
    policies: &[Rules],
    request: &AccessRequest,
    now: DateTime<Utc>,
) -> Result<(), Denial> {
    if let Some(expiry) = token.expiration_time.filter(|_| token.is_expired(now)) {
        return Err(Denial::Expired(expiry));
    }
    if token.kind == TokenKind::Management {
        return Ok(());
    }
    if request.path == SELF_PATH && request.method == "GET" {
        return Ok(());
    }
    if request.path.starts_with(ACL_PREFIX) {
        return Err(Denial::ManagementOnly {
            path: request.path.clone(),
        });
    }
    let Some(capability) = required_capability(request) else {
        return Err(Denial::UnknownMethod {
            method: request.method.clone(),
        });
    };
    if policies
        .iter()
        .any(|rules| rules.allows(capability, &request.path))
    {
        return Ok(());
    }
    Err(Denial::Missing {
        capability,
        path: request.path.clone(),
    })
}

#[cfg(test)]
#[path = "decision_test.rs"]
mod tests;
