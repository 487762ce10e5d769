//! The bound on heavy requests: those whose work grows with the number or size of jobs or
//! executions (unpaged and long job lists, backups, execution lists). A few are served at
//! once; a further one waits its turn for a bounded time, then gets `503` with
//! `Retry-After`, so memory stays bounded however many such requests arrive (ADR 23).

use std::sync::Arc;

use tokio::sync::OwnedSemaphorePermit;

use crate::backend::ApiBackend;
use crate::error::ApiError;
use crate::state::AppState;

/// `Retry-After` of a heavy request turned away: about the time one request takes.
const RETRY_AFTER_SECS: u64 = 2;

/// Waits for a turn to serve a heavy request. Hold the permit until the answer is sent
/// (a streamed answer keeps it in its body).
pub(crate) async fn heavy_turn<B: ApiBackend>(
    state: &AppState<B>,
) -> Result<OwnedSemaphorePermit, ApiError> {
    let wait = state.options.heavy_request_wait;
    let turn = Arc::clone(&state.heavy_requests).acquire_owned();
    match tokio::time::timeout(wait, turn).await {
        Ok(Ok(permit)) => Ok(permit),
        // The semaphore is never closed; treat it as busy all the same.
        Ok(Err(_)) | Err(_) => Err(ApiError::Busy {
            limit: state.options.max_heavy_requests,
            waited_secs: wait.as_secs(),
            retry_after_secs: RETRY_AFTER_SECS,
        }),
    }
}
