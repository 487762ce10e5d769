//! Schedule previews: the next fire times of a spec being typed, or of a stored job, with
//! daylight-saving notes (our addition; the web UI shows them).

use axum::extract::{Path, State};
use axum::http::{StatusCode, Uri};
use axum::response::Response;
use chrono::Utc;
use chrono_tz::Tz;
use dkron_model::{
    MAX_PREVIEW_COUNT, PreviewTime, PreviewWindow, Schedule, gotime, preview, resolve_time_zone,
};
use serde::Serialize;

use crate::backend::ApiBackend;
use crate::error::ApiError;
use crate::list_query::parse_index;
use crate::query::{first_value, query_pairs};
use crate::render::Format;
use crate::state::SharedState;

/// Fire times listed when `count` is not given.
const DEFAULT_PREVIEW_COUNT: usize = 10;

/// The answer of both preview routes.
#[derive(Debug, Serialize)]
struct PreviewBody {
    /// The spec as given (or stored).
    schedule: String,
    /// The IANA name of the zone `local` times are shown in.
    timezone: String,
    /// The upcoming fire times, soonest first.
    occurrences: Vec<PreviewTime>,
}

/// `GET /v1/schedule/preview?schedule=…&timezone=…&job=…&count=N`: the next fire times of any
/// spec, from now. `job` seeds `~` placeholders as the job's name would.
pub(crate) async fn preview_spec<B: ApiBackend>(
    State(state): State<SharedState<B>>,
    format: Format,
    uri: Uri,
) -> Result<Response, ApiError> {
    let pairs = query_pairs(&uri);
    let spec = first_value(&pairs, "schedule")
        .filter(|spec| !spec.is_empty())
        .ok_or_else(|| ApiError::BadRequest("missing schedule parameter".into()))?;
    let timezone = first_value(&pairs, "timezone").unwrap_or_default();
    let job_name = first_value(&pairs, "job").unwrap_or_default();
    let count = parse_count(&pairs)?;
    let local_zone = state.backend.local_zone();
    let (schedule, zone) = parse(spec, job_name, timezone, local_zone)?;
    let window = PreviewWindow {
        from: Utc::now(),
        until: None,
        count,
    };
    render(format, spec, zone, preview(&schedule, zone, window))
}

/// `GET /v1/jobs/{job}/preview?count=N`: the stored job's next fire times, from its `next`,
/// up to its `expires_at`. Jobs that only run when triggered list none.
pub(crate) async fn preview_job<B: ApiBackend>(
    State(state): State<SharedState<B>>,
    format: Format,
    Path(name): Path<String>,
    uri: Uri,
) -> Result<Response, ApiError> {
    let count = parse_count(&query_pairs(&uri))?;
    let job = state
        .backend
        .get_job(&name)
        .await?
        .ok_or_else(|| ApiError::NotFound(format!("job {name} not found")))?;
    let local_zone = state.backend.local_zone();
    let (schedule, zone) = parse(&job.schedule, &job.name, &job.timezone, local_zone)
        .map_err(|error| ApiError::Render(format!("stored job {name}: {error}")))?;
    let times = if gotime::is_zero(&job.next) {
        Vec::new()
    } else {
        let window = PreviewWindow {
            from: job.next,
            until: job.expires_at,
            count,
        };
        preview(&schedule, zone, window)
    };
    render(format, &job.schedule, zone, times)
}

/// Reads `count`: 1 to [`MAX_PREVIEW_COUNT`], default [`DEFAULT_PREVIEW_COUNT`].
fn parse_count(pairs: &[(String, String)]) -> Result<usize, ApiError> {
    let count = parse_index(pairs, "count")
        .map_err(ApiError::BadRequest)?
        .unwrap_or(DEFAULT_PREVIEW_COUNT);
    if (1..=MAX_PREVIEW_COUNT).contains(&count) {
        Ok(count)
    } else {
        Err(ApiError::BadRequest(format!(
            "invalid count {count}: must be between 1 and {MAX_PREVIEW_COUNT}"
        )))
    }
}

/// Parses a spec in a job's zone; returns it with the zone its wall times are read in (a
/// `TZ=` prefix wins over `timezone`, as when the job runs).
fn parse(
    spec: &str,
    job_name: &str,
    timezone: &str,
    local_zone: Tz,
) -> Result<(Schedule, Tz), ApiError> {
    let job_zone = resolve_time_zone(timezone, local_zone)
        .map_err(|error| ApiError::BadRequest(error.to_string()).at_field("timezone"))?;
    let schedule = Schedule::parse(spec, job_name, timezone, local_zone).map_err(|error| {
        ApiError::BadRequest(format!("can't parse job schedule: {error}")).at_field("schedule")
    })?;
    let zone = schedule.zone().unwrap_or(job_zone);
    Ok((schedule, zone))
}

fn render(
    format: Format,
    spec: &str,
    zone: Tz,
    occurrences: Vec<PreviewTime>,
) -> Result<Response, ApiError> {
    let body = PreviewBody {
        schedule: spec.to_owned(),
        timezone: zone.name().to_owned(),
        occurrences,
    };
    format.json(StatusCode::OK, &body)
}
