//! `GET /v1/jobs`, with work bounded by the page asked for (ADR 23).
//!
//! - A page in name order without filters is a key range of the store: only its jobs are
//!   read.
//! - A page sorted otherwise or filtered is ranked over compact listings of the jobs (no
//!   executor configurations), keeping only what can still be on the page; then only its
//!   jobs are read whole.
//! - A list without `_end`, or longer than [`MAX_BUFFERED_PAGE`], is written as the jobs are
//!   read, a few at a time, during a heavy-request turn (`heavy.rs`).

use axum::extract::State;
use axum::http::StatusCode;
use axum::http::Uri;
use axum::response::Response;
use dkron_model::Job;

use crate::backend::{ApiBackend, JobSelection};
use crate::error::ApiError;
use crate::heavy::heavy_turn;
use crate::list_query::{JobListQuery, Page, PageCollector};
use crate::query::query_pairs;
use crate::render::{Format, with_total_count};
use crate::state::{AppState, SharedState};

/// Longest page answered from memory (react-admin's largest page size); a longer list is
/// streamed during a heavy-request turn.
pub(crate) const MAX_BUFFERED_PAGE: usize = 100;

/// `GET /v1/jobs`: filtered, sorted, paged list with `X-Total-Count` (the number of matching
/// jobs before paging).
pub(crate) async fn list_jobs<B: ApiBackend>(
    State(state): State<SharedState<B>>,
    format: Format,
    uri: Uri,
) -> Result<Response, ApiError> {
    let query = JobListQuery::parse(&query_pairs(&uri)).map_err(ApiError::BadRequest)?;
    let buffered = query.page_len().is_some_and(|len| len <= MAX_BUFFERED_PAGE);
    if !buffered {
        return stream_list(&state, format, query).await;
    }
    // Job names sort the same byte-wise and case-blind (validation allows only lowercase
    // letters, digits, `_` and `-`), so a page in name order is read straight from storage.
    let page = match query.name_order_slice() {
        Some((start, limit, descending)) => {
            let (items, total) = state.backend.jobs_by_name(start, limit, descending).await?;
            Page { total, items }
        }
        None => {
            let ranked = rank(&state, query).await?;
            let items = state.backend.jobs_named(names(&ranked.items)).await?;
            Page {
                total: ranked.total,
                items,
            }
        }
    };
    let response = format.jobs(StatusCode::OK, &page.items)?;
    Ok(with_total_count(response, page.total))
}

/// Streams a long or unpaged list: every job, or the ranked names, read whole one at a time.
async fn stream_list<B: ApiBackend>(
    state: &AppState<B>,
    format: Format,
    query: JobListQuery,
) -> Result<Response, ApiError> {
    let turn = heavy_turn(state).await?;
    let (selection, filtered_total) = match query.name_order_slice() {
        Some((skip, limit, descending)) => {
            let selection = JobSelection::ByName {
                skip,
                limit,
                descending,
            };
            (selection, None)
        }
        _ => {
            let ranked = rank(state, query).await?;
            (
                JobSelection::Named(names(&ranked.items)),
                Some(ranked.total),
            )
        }
    };
    let stream = state.backend.stream_jobs(selection).await?;
    let total = filtered_total.unwrap_or(stream.total);
    let response = format.job_array_stream(stream.jobs, turn);
    Ok(with_total_count(response, total))
}

/// Filters and sorts the compact listings of every job, keeping the page's.
async fn rank<B: ApiBackend>(
    state: &AppState<B>,
    query: JobListQuery,
) -> Result<Page<Job>, ApiError> {
    let collector = state
        .backend
        .visit_job_listings(PageCollector::new(query))
        .await?;
    Ok(collector.finish())
}

fn names(jobs: &[Job]) -> Vec<String> {
    jobs.iter().map(|job| job.name.clone()).collect()
}
