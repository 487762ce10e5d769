//! The state every handler shares.

use std::sync::Arc;

use tokio::sync::Semaphore;

use crate::backend::ApiBackend;
use crate::openapi_document::OpenApiDocument;
use crate::options::ApiOptions;

/// The backend and the options.
pub(crate) struct AppState<B> {
    /// The node the API runs on.
    pub(crate) backend: Arc<B>,
    /// Settings given at startup.
    pub(crate) options: ApiOptions,
    /// Our OpenAPI document, parsed once.
    pub(crate) openapi: OpenApiDocument,
    /// One permit per live output stream that may be served at once.
    pub(crate) output_streams: Arc<Semaphore>,
    /// One permit per heavy request that may be served at once (see `heavy.rs`).
    pub(crate) heavy_requests: Arc<Semaphore>,
}

/// How handlers receive the state.
pub(crate) type SharedState<B> = Arc<AppState<B>>;

impl<B: ApiBackend> AppState<B> {
    /// Builds the state.
    pub(crate) fn new(backend: Arc<B>, options: ApiOptions) -> Self {
        AppState {
            backend,
            output_streams: Arc::new(Semaphore::new(options.max_output_streams)),
            heavy_requests: Arc::new(Semaphore::new(options.max_heavy_requests.max(1))),
            options,
            openapi: OpenApiDocument::load(),
        }
    }
}
