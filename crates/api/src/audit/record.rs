//! The middleware that records every successful `/v1` write in the audit log.

use axum::extract::{MatchedPath, Request, State};
use axum::http::Method;
use axum::middleware::Next;
use axum::response::Response;
use chrono::Utc;
use dkron_model::AuditEntry;

use super::note::AuditNote;
use crate::backend::ApiBackend;
use crate::caller::Caller;
use crate::state::SharedState;

/// After a write (any method but `GET`, `HEAD` and `OPTIONS`) answered with a 2xx status,
/// appends its entry through the backend before the answer leaves. A failed append does not
/// change the answer (the write is done); it is logged as an error with the whole entry.
pub(crate) async fn record_writes<B: ApiBackend>(
    State(state): State<SharedState<B>>,
    request: Request,
    next: Next,
) -> Response {
    let method = request.method().clone();
    if matches!(method, Method::GET | Method::HEAD | Method::OPTIONS) {
        return next.run(request).await;
    }
    let time = Utc::now();
    let caller = request.extensions().get::<Caller>().cloned();
    let template = request
        .extensions()
        .get::<MatchedPath>()
        .map(|matched| matched.as_str().to_owned());
    let path = request.uri().path().to_owned();
    let response = next.run(request).await;
    if !response.status().is_success() {
        return response;
    }
    let note = response
        .extensions()
        .get::<AuditNote>()
        .cloned()
        .unwrap_or_else(|| derived_note(&method, template.as_deref().unwrap_or(&path), &path));
    let caller = caller.unwrap_or_else(|| Caller::anonymous(None));
    let entry = AuditEntry {
        seq: 0,
        time,
        actor: caller.actor,
        address: caller
            .address
            .map(|address| address.to_string())
            .unwrap_or_default(),
        action: note.action,
        target: note.target,
        changes: note.changes,
    }
    .bounded();
    if let Err(error) = state.backend.append_audit(entry.clone()).await {
        tracing::error!(
            error = %error,
            entry = %serde_json::to_string(&entry).unwrap_or_default(),
            "the write succeeded but its audit entry could not be recorded"
        );
    }
    response
}

/// The note of a write whose handler attached none: the route's fixed path segments and the
/// method as the action (`POST /v1/acl/policies/{name}` is `acl.policies.post`), its path
/// parameters joined by `/` as the target.
fn derived_note(method: &Method, template: &str, path: &str) -> AuditNote {
    let mut subject = Vec::new();
    let mut target = Vec::new();
    let template = template.trim_end_matches('/');
    for (pattern, value) in template.split('/').zip(path.split('/')) {
        if pattern.starts_with('{') {
            target.push(value);
        } else if !pattern.is_empty() && pattern != "v1" {
            subject.push(pattern);
        }
    }
    subject.push("");
    let action = format!(
        "{}{}",
        subject.join("."),
        method.as_str().to_ascii_lowercase()
    );
    AuditNote::new(&action, &target.join("/"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_route_without_a_note_is_named_by_its_path_and_method() {
        let note = derived_note(
            &Method::POST,
            "/v1/acl/policies/{name}",
            "/v1/acl/policies/readers",
        );
        assert_eq!(note, AuditNote::new("acl.policies.post", "readers"));
        let note = derived_note(&Method::DELETE, "/v1/acl/token/{id}/", "/v1/acl/token/t1/");
        assert_eq!(note, AuditNote::new("acl.token.delete", "t1"));
        let note = derived_note(&Method::POST, "/v1/acl/bootstrap", "/v1/acl/bootstrap");
        assert_eq!(note, AuditNote::new("acl.bootstrap.post", ""));
    }
}
