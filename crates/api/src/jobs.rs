//! Job routes: create or replace, read, delete, run now, toggle.

use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{Path, State};
use axum::http::{StatusCode, Uri};
use axum::response::Response;
use dkron_model::secrets::{holds_redacted_secrets, restore_redacted_secrets};
use dkron_model::{AuditChange, Job, job_changes};

use crate::audit::{AuditNote, audited};
use crate::backend::{ApiBackend, BackendError};
use crate::error::ApiError;
use crate::query::{first_value, has_key, query_pairs};
use crate::render::{Format, with_job_location};
use crate::state::{AppState, SharedState};
use crate::validation::validate;

/// `POST /v1/jobs` and `PATCH /v1/jobs`: create or fully replace the job named in the body.
pub(crate) async fn submit_job<B: ApiBackend>(
    State(state): State<SharedState<B>>,
    format: Format,
    uri: Uri,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, ApiError> {
    store_submitted_job(&state, format, &uri, None, body).await
}

/// `PUT /v1/jobs/{job}`: like `POST /v1/jobs`; the body may omit the name, and may not name
/// another job.
pub(crate) async fn replace_job<B: ApiBackend>(
    State(state): State<SharedState<B>>,
    format: Format,
    Path(name): Path<String>,
    uri: Uri,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, ApiError> {
    store_submitted_job(&state, format, &uri, Some(name), body).await
}

/// The create-or-replace steps in Dkron's order: pause, decode, validate, store, run.
async fn store_submitted_job<B: ApiBackend>(
    state: &AppState<B>,
    format: Format,
    uri: &Uri,
    path_name: Option<String>,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, ApiError> {
    if state.backend.paused().await? {
        return Err(ApiError::Paused);
    }
    let body =
        body.map_err(|rejection| body_error(&rejection, state.options.max_job_body_bytes))?;
    let mut job: Job = serde_json::from_slice(&body)
        .map_err(|error| ApiError::BadRequest(format!("Unable to parse payload: {error}.")))?;
    if let Some(path_name) = path_name {
        if job.name.is_empty() {
            job.name = path_name;
        } else if job.name != path_name {
            return Err(ApiError::BadRequest(format!(
                "job name {:?} in the body does not match {path_name:?} in the path",
                job.name
            ))
            .at_field("name"));
        }
    }
    // One read of the stored job serves the post-back rule and the audit note.
    let stored = state.backend.get_job(&job.name).await?;
    keep_stored_secrets(&mut job, stored.as_ref())?;
    validate(&job, state.backend.as_ref())?;
    let note = job_write_note(&job, stored.as_ref());
    state
        .backend
        .upsert_job(job.clone())
        .await
        .map_err(upsert_error)?;
    let run_on_create = has_key(&query_pairs(uri), "runoncreate");
    if run_on_create {
        // As in Dkron, the job is stored whatever happens to this first run.
        if let Err(error) = state.backend.run_job(&job.name, false).await {
            tracing::warn!(job = %job.name, error = %error, "run on create failed");
        }
    }
    let note = match run_on_create {
        true => note.run_on_create(),
        false => note,
    };
    // Dkron echoes the decoded request, not the stored job; clients rely on that shape.
    let response = format.job(StatusCode::CREATED, &job)?;
    Ok(audited(with_job_location(response, &job.name), note))
}

/// The audit note of a job write: created or updated, and which fields it changes compared
/// with the job stored before it (read just before the write).
fn job_write_note(job: &Job, before: Option<&Job>) -> AuditNote {
    let action = if before.is_some() {
        "job.update"
    } else {
        "job.create"
    };
    AuditNote::new(action, &job.name).with_changes(job_changes(before, job))
}

impl AuditNote {
    /// Notes that the written job was also started (`?runoncreate`).
    fn run_on_create(mut self) -> AuditNote {
        let started = AuditChange::value("runoncreate", None, Some("true".to_owned()));
        self.changes.push(started);
        self
    }
}

/// Applies the post-back rule: a secret field holding the placeholder keeps the stored
/// secret; a placeholder with no stored secret behind it is refused, naming the field.
fn keep_stored_secrets(job: &mut Job, stored: Option<&Job>) -> Result<(), ApiError> {
    if !holds_redacted_secrets(job) {
        return Ok(());
    }
    restore_redacted_secrets(job, stored)
        .map_err(|error| ApiError::BadRequest(error.to_string()).at_field(error.field.clone()))
}

/// The store refuses a job for its parent only: missing, or closing a loop of parents.
fn upsert_error(error: BackendError) -> ApiError {
    match error {
        BackendError::ParentNotFound | BackendError::Rejected(_) => {
            ApiError::from(error).at_field("parent_job")
        }
        other => other.into(),
    }
}

/// Maps a body that could not be read to 413 (too large) or 400.
pub(crate) fn body_error(rejection: &BytesRejection, limit: usize) -> ApiError {
    if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE {
        ApiError::PayloadTooLarge { limit }
    } else {
        ApiError::BadRequest(format!(
            "unable to read the request body: {}",
            rejection.body_text()
        ))
    }
}

/// `GET /v1/jobs/{job}`.
pub(crate) async fn get_job<B: ApiBackend>(
    State(state): State<SharedState<B>>,
    format: Format,
    Path(name): Path<String>,
) -> Result<Response, ApiError> {
    let job = state
        .backend
        .get_job(&name)
        .await?
        .ok_or_else(|| ApiError::NotFound(format!("job {name} not found")))?;
    format.job(StatusCode::OK, &job)
}

/// `DELETE /v1/jobs/{job}`: returns the deleted job.
pub(crate) async fn delete_job<B: ApiBackend>(
    State(state): State<SharedState<B>>,
    format: Format,
    Path(name): Path<String>,
) -> Result<Response, ApiError> {
    let job = state.backend.delete_job(&name).await?;
    let response = format.job(StatusCode::OK, &job)?;
    Ok(audited(response, AuditNote::new("job.delete", &name)))
}

/// The body of `DELETE /v1/jobs`.
#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct JobToDelete {
    name: String,
}

/// `DELETE /v1/jobs` with `{"name": "<job>"}`: deletes the job named in the body (our
/// addition, ADR 22). Any stored name can be deleted this way, even one too long for a URL
/// (hyper answers 414 past 64 KiB), as older versions stored without a length limit.
pub(crate) async fn delete_job_named_in_body<B: ApiBackend>(
    State(state): State<SharedState<B>>,
    format: Format,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, ApiError> {
    let body =
        body.map_err(|rejection| body_error(&rejection, state.options.max_job_body_bytes))?;
    let JobToDelete { name } = serde_json::from_slice(&body).map_err(|error| {
        ApiError::BadRequest(format!(
            "expected {{\"name\": \"<job>\"}} naming the job to delete: {error}"
        ))
        .at_field("name")
    })?;
    let job = state.backend.delete_job(&name).await?;
    let response = format.job(StatusCode::OK, &job)?;
    Ok(audited(response, AuditNote::new("job.delete", &name)))
}

/// `POST /v1/jobs/{job}` and `POST /v1/jobs/{job}/run`: starts a manual run and answers
/// `202 Accepted` at once; with `?wait=true` answers `200` after the run finished.
pub(crate) async fn run_job<B: ApiBackend>(
    State(state): State<SharedState<B>>,
    format: Format,
    Path(name): Path<String>,
    uri: Uri,
) -> Result<Response, ApiError> {
    let wait = parse_wait(&query_pairs(&uri))?;
    let job = state.backend.run_job(&name, wait).await?;
    let status = if wait {
        StatusCode::OK
    } else {
        StatusCode::ACCEPTED
    };
    let response = format.job(status, &job)?;
    let note = AuditNote::new("job.run", &name);
    Ok(audited(with_job_location(response, &job.name), note))
}

fn parse_wait(pairs: &[(String, String)]) -> Result<bool, ApiError> {
    match first_value(pairs, "wait") {
        None | Some("false") | Some("0") => Ok(false),
        Some("") | Some("true") | Some("1") => Ok(true),
        Some(other) => Err(ApiError::BadRequest(format!(
            "invalid wait {other:?}: use \"true\" or \"false\""
        ))),
    }
}

/// `POST /v1/jobs/{job}/toggle`: flips `disabled` and returns the job.
pub(crate) async fn toggle_job<B: ApiBackend>(
    State(state): State<SharedState<B>>,
    format: Format,
    Path(name): Path<String>,
) -> Result<Response, ApiError> {
    let job = state.backend.toggle_job(&name).await?;
    let response = format.job(StatusCode::OK, &job)?;
    let disabled = |value: bool| Some(value.to_string());
    let flipped = AuditChange::value("disabled", disabled(!job.disabled), disabled(job.disabled));
    let note = AuditNote::new("job.toggle", &name).with_changes(vec![flipped]);
    Ok(audited(with_job_location(response, &job.name), note))
}
