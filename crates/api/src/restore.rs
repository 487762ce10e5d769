//! `POST /v1/restore`: recreate jobs from a `GET /v1/jobs` (or `GET /v1/backup`) export,
//! uploaded as the form field `file` (Dkron) or sent as the JSON body (what Dkron's FAQ shows).
//!
//! Every job of the file is checked before anything is created: a file with one invalid job,
//! a duplicate name, a parent cycle or a parent that exists neither in the file nor in the
//! store is refused with 400 and a message naming the job, and nothing is stored. Jobs are
//! handed to the backend parents first.

use std::collections::{BTreeMap, BTreeSet};

use axum::body::Bytes;
use axum::extract::multipart::MultipartRejection;
use axum::extract::{FromRequest, Multipart, Request, State};
use axum::http::{StatusCode, header};
use axum::response::Response;
use dkron_model::secrets::{holds_redacted_secrets, restore_redacted_secrets};
use dkron_model::{AuditChange, Job, validate_job};

use crate::audit::{AuditNote, audited};
use crate::backend::ApiBackend;
use crate::error::ApiError;
use crate::render::{Format, to_go_json};
use crate::state::SharedState;

/// The multipart field that carries the export.
const FILE_FIELD: &str = "file";

/// Handles the upload; answers, like Dkron, with a JSON string that holds a JSON array of
/// `success create <name>` / `fail create <name>` lines.
pub(crate) async fn restore<B: ApiBackend>(
    State(state): State<SharedState<B>>,
    format: Format,
    request: Request,
) -> Result<Response, ApiError> {
    let limit = state.options.max_restore_body_bytes;
    let is_json = request
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|value| value.to_str().ok())
        .is_some_and(|value| value.starts_with("application/json"));
    let upload = if is_json {
        Bytes::from_request(request, &())
            .await
            .map_err(|rejection| crate::jobs::body_error(&rejection, limit))?
    } else {
        read_file_field(Multipart::from_request(request, &()).await, limit).await?
    };
    restore_upload(&state, format, &upload).await
}

async fn read_file_field(
    multipart: Result<Multipart, MultipartRejection>,
    limit: usize,
) -> Result<Bytes, ApiError> {
    let mut multipart = multipart.map_err(|rejection| {
        ApiError::BadRequest(format!(
            "restore expects a multipart/form-data upload with a field named {FILE_FIELD:?}: {}",
            rejection.body_text()
        ))
    })?;
    let mut upload = None;
    loop {
        let field = multipart
            .next_field()
            .await
            .map_err(|error| upload_error(error, limit))?;
        let Some(field) = field else { break };
        if field.name() == Some(FILE_FIELD) {
            upload = Some(
                field
                    .bytes()
                    .await
                    .map_err(|error| upload_error(error, limit))?,
            );
            break;
        }
    }
    upload.ok_or_else(|| {
        ApiError::BadRequest(format!("the upload has no form field named {FILE_FIELD:?}"))
    })
}

async fn restore_upload<B: ApiBackend>(
    state: &SharedState<B>,
    format: Format,
    upload: &[u8],
) -> Result<Response, ApiError> {
    let mut jobs: Vec<Job> = serde_json::from_slice(upload).map_err(|error| {
        ApiError::BadRequest(format!(
            "unable to parse the restore file as a JSON array of jobs: {error}"
        ))
    })?;
    check_each_job(&jobs)?;
    keep_stored_secrets(state, &mut jobs).await?;
    let ordered = order_parents_first(jobs)?;
    check_outside_parents(state, &ordered).await?;
    let count = ordered.len();
    let lines = state.backend.restore(ordered).await?;
    let restored = AuditChange::value("jobs", None, Some(lines.join(", ")));
    let note = AuditNote::new("cluster.restore", "").with_changes(vec![restored]);
    tracing::info!(jobs = count, "restored jobs");
    let inner = to_go_json(&lines, false)
        .map_err(|error| ApiError::Render(format!("cannot encode the restore result: {error}")))?;
    let inner = String::from_utf8(inner)
        .map_err(|error| ApiError::Render(format!("cannot encode the restore result: {error}")))?;
    Ok(audited(format.json(StatusCode::OK, &inner)?, note))
}

fn upload_error(error: axum::extract::multipart::MultipartError, limit: usize) -> ApiError {
    if error.status() == StatusCode::PAYLOAD_TOO_LARGE {
        ApiError::PayloadTooLarge { limit }
    } else {
        ApiError::BadRequest(format!("unable to read the upload: {}", error.body_text()))
    }
}

/// Applies the post-back rule to each job of the file: a placeholder keeps the secret of the
/// stored job of the same name; one with nothing stored behind it refuses the whole file.
async fn keep_stored_secrets<B: ApiBackend>(
    state: &SharedState<B>,
    jobs: &mut [Job],
) -> Result<(), ApiError> {
    for job in jobs.iter_mut().filter(|job| holds_redacted_secrets(job)) {
        let stored = state.backend.get_job(&job.name).await?;
        restore_redacted_secrets(job, stored.as_ref()).map_err(|error| {
            ApiError::BadRequest(format!(
                "job {}: {error}; nothing was restored (a backup made without \
                 include_secrets=true restores only over jobs that still hold their secrets)",
                job.name
            ))
            .at_field(error.field.clone())
        })?;
    }
    Ok(())
}

/// Validates every job and refuses duplicate names.
fn check_each_job(jobs: &[Job]) -> Result<(), ApiError> {
    let mut seen = BTreeSet::new();
    for (index, job) in jobs.iter().enumerate() {
        validate_job(job).map_err(|message| {
            let label = if job.name.is_empty() {
                format!("job #{} (unnamed)", index + 1)
            } else {
                format!("job {}", job.name)
            };
            ApiError::BadRequest(format!(
                "{label} is invalid: {message}; nothing was restored"
            ))
        })?;
        if !seen.insert(job.name.as_str()) {
            return Err(ApiError::BadRequest(format!(
                "job {} appears more than once; nothing was restored",
                job.name
            )));
        }
    }
    Ok(())
}

/// Returns the jobs with every parent from the file placed before its children, otherwise in
/// file order; refuses parent cycles.
fn order_parents_first(jobs: Vec<Job>) -> Result<Vec<Job>, ApiError> {
    let position: BTreeMap<String, usize> = jobs
        .iter()
        .enumerate()
        .map(|(index, job)| (job.name.clone(), index))
        .collect();
    let mut state = vec![Visit::New; jobs.len()];
    let mut order = Vec::with_capacity(jobs.len());
    for start in 0..jobs.len() {
        place_after_parents(start, &jobs, &position, &mut state, &mut order)?;
    }
    let mut slots: Vec<Option<Job>> = jobs.into_iter().map(Some).collect();
    Ok(order
        .into_iter()
        .filter_map(|index| slots[index].take())
        .collect())
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Visit {
    New,
    InProgress,
    Placed,
}

/// Depth-first: places the in-file parents of `jobs[index]` (in their listed order), then it.
fn place_after_parents(
    index: usize,
    jobs: &[Job],
    position: &BTreeMap<String, usize>,
    state: &mut [Visit],
    order: &mut Vec<usize>,
) -> Result<(), ApiError> {
    match state[index] {
        Visit::Placed => return Ok(()),
        Visit::InProgress => {
            return Err(ApiError::BadRequest(format!(
                "job {} is its own ancestor through its parents; nothing was restored",
                jobs[index].name
            )));
        }
        Visit::New => {}
    }
    state[index] = Visit::InProgress;
    for parent in jobs[index].parents() {
        if let Some(&parent_index) = position.get(&parent) {
            place_after_parents(parent_index, jobs, position, state, order)?;
        }
    }
    state[index] = Visit::Placed;
    order.push(index);
    Ok(())
}

/// Refuses a job whose parent is neither in the file nor stored.
async fn check_outside_parents<B: ApiBackend>(
    state: &SharedState<B>,
    jobs: &[Job],
) -> Result<(), ApiError> {
    let in_file: BTreeSet<&str> = jobs.iter().map(|job| job.name.as_str()).collect();
    for job in jobs {
        for parent in job.parents() {
            if in_file.contains(parent.as_str()) {
                continue;
            }
            if state.backend.get_job(&parent).await?.is_none() {
                return Err(ApiError::BadRequest(format!(
                    "job {}: parent job {parent} is neither in the file nor stored; nothing was restored",
                    job.name
                )));
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn job(name: &str, parent: &str) -> Job {
        Job {
            name: name.into(),
            parent_job: parent.into(),
            ..Job::default()
        }
    }

    #[test]
    fn parents_come_first_and_file_order_is_kept() {
        let jobs = vec![job("c", "b"), job("x", ""), job("b", "a"), job("a", "")];
        let ordered: Vec<String> = order_parents_first(jobs)
            .unwrap()
            .into_iter()
            .map(|job| job.name)
            .collect();
        assert_eq!(ordered, ["a", "b", "c", "x"]);
    }

    #[test]
    fn cycles_are_refused() {
        let error = order_parents_first(vec![job("a", "b"), job("b", "a")]).unwrap_err();
        assert!(error.to_string().contains("own ancestor"), "{error}");
    }
}
