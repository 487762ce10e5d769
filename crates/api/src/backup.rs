//! `GET /v1/backup`: every job, in the form `POST /v1/restore` takes back (Dkron's FAQ names
//! this route; Dkron itself never served it).
//!
//! Secrets are hidden unless the caller asks for them with `?include_secrets=true` and may
//! see them (ACLs off, or a management token): a backup made without them restores jobs only
//! over jobs that still hold the secrets (the post-back rule of `POST /v1/restore`).

use axum::extract::State;
use axum::http::{HeaderValue, Uri, header};
use axum::response::Response;
use chrono::Utc;

use crate::backend::{ApiBackend, JobSelection};
use crate::caller::Caller;
use crate::error::ApiError;
use crate::query::{first_value, query_pairs};
use crate::render::{Format, with_total_count};
use crate::state::SharedState;

/// The query key that asks for a backup with its secrets.
const INCLUDE_SECRETS: &str = "include_secrets";

/// Answers with every job, sorted by name, as an attachment named after the time.
pub(crate) async fn backup<B: ApiBackend>(
    State(state): State<SharedState<B>>,
    format: Format,
    caller: Caller,
    uri: Uri,
) -> Result<Response, ApiError> {
    let include_secrets = wants_secrets(&query_pairs(&uri))?;
    if include_secrets && !caller.sees_secrets() {
        return Err(ApiError::Forbidden(format!(
            "{} may not back up secrets: include_secrets=true needs a management token",
            caller.actor
        )));
    }
    // Every job, written as it is read: a heavy request (see `heavy.rs`).
    let turn = crate::heavy::heavy_turn(&state).await?;
    let selection = JobSelection::ByName {
        skip: 0,
        limit: None,
        descending: false,
    };
    let stream = state.backend.stream_jobs(selection).await?;
    let total = stream.total;
    let mut response = if include_secrets {
        format.job_array_stream_with_secrets(stream.jobs, turn)
    } else {
        format.job_array_stream(stream.jobs, turn)
    };
    let file_name = format!(
        "attachment; filename=\"dkron-backup-{}.json\"",
        Utc::now().format("%Y%m%dT%H%M%SZ")
    );
    if let Ok(value) = HeaderValue::from_str(&file_name) {
        response
            .headers_mut()
            .insert(header::CONTENT_DISPOSITION, value);
    }
    Ok(with_total_count(response, total))
}

/// Reads `include_secrets` (absent or false: hidden; present empty, `true` or `1`: shown).
fn wants_secrets(pairs: &[(String, String)]) -> Result<bool, ApiError> {
    match first_value(pairs, INCLUDE_SECRETS) {
        None | Some("false") | Some("0") => Ok(false),
        Some("") | Some("true") | Some("1") => Ok(true),
        Some(other) => Err(ApiError::BadRequest(format!(
            "invalid {INCLUDE_SECRETS} {other:?}: use \"true\" or \"false\""
        ))),
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use axum::http::StatusCode;

    use super::*;
    use crate::caller::Role;
    use crate::options::ApiOptions;
    use crate::state::AppState;
    use crate::testsuite::InMemoryBackend;

    #[tokio::test]
    async fn only_callers_who_see_secrets_may_back_them_up() {
        let backend = Arc::new(InMemoryBackend::new("node-a"));
        let state: SharedState<InMemoryBackend> =
            Arc::new(AppState::new(backend, ApiOptions::new("node-a")));
        let client = Caller {
            actor: "ci-token".to_owned(),
            role: Role::Client,
            address: None,
        };
        let asking = Uri::from_static("/v1/backup?include_secrets=true");
        let refusal = backup(
            State(state.clone()),
            Format::default(),
            client.clone(),
            asking,
        )
        .await
        .unwrap_err();
        assert_eq!(refusal.status(), StatusCode::FORBIDDEN);
        assert!(
            refusal.to_string().contains("management token"),
            "{refusal}"
        );
        let hidden = Uri::from_static("/v1/backup");
        let answer = backup(State(state), Format::default(), client, hidden).await;
        assert_eq!(answer.unwrap().status(), StatusCode::OK);
    }
}
