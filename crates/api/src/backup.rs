//! `GET /v1/backup`: every job, in the form `POST /v1/restore` takes back (Dkron's FAQ names
//! this route; Dkron itself never served it).

use axum::extract::State;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::Response;
use chrono::Utc;

use crate::backend::ApiBackend;
use crate::error::ApiError;
use crate::render::{Format, with_total_count};
use crate::state::SharedState;

/// Answers with every job, sorted by name, as an attachment named after the time.
pub(crate) async fn backup<B: ApiBackend>(
    State(state): State<SharedState<B>>,
    format: Format,
) -> Result<Response, ApiError> {
    let mut jobs = state.backend.list_jobs().await?;
    jobs.sort_by(|a, b| a.name.cmp(&b.name));
    let total = jobs.len();
    let mut response = format.json(StatusCode::OK, &jobs)?;
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
