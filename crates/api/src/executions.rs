//! Execution history routes, the busy list and the occurrence ledger.
//!
//! Times are always rendered in UTC: Dkron converts list times to the job's zone, which turns
//! the zero `finished_at` of a running execution into a local-mean-time offset that its own UI
//! no longer recognises as "running".

use axum::extract::{Path, State};
use axum::http::{StatusCode, Uri};
use axum::response::Response;

use crate::audit::{AuditNote, audited};
use crate::backend::{ApiBackend, BackendError};
use crate::error::ApiError;
use crate::list_query::{ExecutionListQuery, parse_index};
use crate::query::query_pairs;
use crate::render::{Format, with_total_count};
use crate::state::SharedState;

/// Ledger entries returned when `limit` is not given.
pub(crate) const DEFAULT_LEDGER_LIMIT: usize = 100;
/// Largest `limit` the ledger route accepts.
pub(crate) const MAX_LEDGER_LIMIT: usize = 10_000;

/// `GET /v1/jobs/{job}/executions`: the job's stored executions, newest first by default.
pub(crate) async fn list_executions<B: ApiBackend>(
    State(state): State<SharedState<B>>,
    format: Format,
    Path(job): Path<String>,
    uri: Uri,
) -> Result<Response, ApiError> {
    let query = ExecutionListQuery::parse(&query_pairs(&uri)).map_err(ApiError::BadRequest)?;
    // Every stored execution with its output, in memory: a heavy request (see `heavy.rs`).
    let _turn = crate::heavy::heavy_turn(&state).await?;
    let executions = query.apply(state.backend.list_executions(&job).await?);
    let total = executions.len();
    let response = format.json(StatusCode::OK, &executions)?;
    Ok(with_total_count(response, total))
}

/// `DELETE /v1/jobs/{job}/executions`: clears the history and counters, returns the job.
pub(crate) async fn delete_executions<B: ApiBackend>(
    State(state): State<SharedState<B>>,
    format: Format,
    Path(job): Path<String>,
) -> Result<Response, ApiError> {
    let job = state.backend.delete_executions(&job).await?;
    let response = format.job(StatusCode::OK, &job)?;
    Ok(audited(
        response,
        AuditNote::new("executions.delete", &job.name),
    ))
}

/// `GET /v1/jobs/{job}/executions/{execution}`: one execution with its full output. A run
/// that `/v1/busy` shows but whose start is not recorded yet (the node records it just after
/// starting) is answered as running, with its output so far.
pub(crate) async fn get_execution<B: ApiBackend>(
    State(state): State<SharedState<B>>,
    format: Format,
    Path((job, execution_id)): Path<(String, String)>,
) -> Result<Response, ApiError> {
    let mut execution = match state.backend.get_execution(&job, &execution_id).await {
        Err(BackendError::NotFound(message)) => state
            .backend
            .running_execution(&job, &execution_id)
            .await?
            .ok_or(BackendError::NotFound(message))?,
        other => other?,
    };
    execution.output_truncated = None;
    format.json(StatusCode::OK, &execution)
}

/// `POST /v1/jobs/{job}/executions/{execution}/kill`: stops a running execution on its node
/// (our addition). Answers `202` with the execution as it was just before: the run then ends
/// as usual, recorded with `killed: true` and `killed on request` as its first output line.
pub(crate) async fn kill_execution<B: ApiBackend>(
    State(state): State<SharedState<B>>,
    format: Format,
    Path((job, execution_id)): Path<(String, String)>,
) -> Result<Response, ApiError> {
    if let Some(execution) = state.backend.kill_execution(&job, &execution_id).await? {
        let response = format.json(StatusCode::ACCEPTED, &execution)?;
        let note = AuditNote::new("execution.kill", &format!("{job}/{execution_id}"));
        return Ok(audited(response, note));
    }
    // Not running anywhere: say whether it is over or was never seen running.
    let stored = state.backend.get_execution(&job, &execution_id).await?;
    let refusal = if stored.is_running() {
        BackendError::NotFound(format!(
            "execution {execution_id} is not running on any alive node"
        ))
    } else {
        BackendError::Rejected(format!("execution {execution_id} already finished"))
    };
    Err(refusal.into())
}

/// `GET /v1/busy`: executions running anywhere, oldest start first.
pub(crate) async fn busy<B: ApiBackend>(
    State(state): State<SharedState<B>>,
    format: Format,
) -> Result<Response, ApiError> {
    let mut running = state.backend.busy().await?;
    running.sort_by_key(|execution| execution.started_at);
    let total = running.len();
    let response = format.json(StatusCode::OK, &running)?;
    Ok(with_total_count(response, total))
}

/// `GET /v1/jobs/{job}/ledger?limit=N`: what became of the job's latest occurrences, newest
/// first (our addition).
pub(crate) async fn ledger<B: ApiBackend>(
    State(state): State<SharedState<B>>,
    format: Format,
    Path(job): Path<String>,
    uri: Uri,
) -> Result<Response, ApiError> {
    let limit = parse_index(&query_pairs(&uri), "limit")
        .map_err(ApiError::BadRequest)?
        .unwrap_or(DEFAULT_LEDGER_LIMIT);
    if !(1..=MAX_LEDGER_LIMIT).contains(&limit) {
        return Err(ApiError::BadRequest(format!(
            "invalid limit {limit}: must be between 1 and {MAX_LEDGER_LIMIT}"
        )));
    }
    let entries = state.backend.ledger(&job, limit).await?;
    let total = entries.len();
    let response = format.json(StatusCode::OK, &entries)?;
    Ok(with_total_count(response, total))
}
