//! The state every handler shares.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use crate::backend::ApiBackend;
use crate::openapi::OpenApiDocument;
use crate::options::ApiOptions;

/// The backend, the options and the node-local pause flag.
pub(crate) struct AppState<B> {
    /// The node the API runs on.
    pub(crate) backend: Arc<B>,
    /// Settings given at startup.
    pub(crate) options: ApiOptions,
    /// Our OpenAPI document, parsed once.
    pub(crate) openapi: OpenApiDocument,
    /// True while job submissions are paused on this node. Like Dkron's, the flag is neither
    /// replicated nor persisted: it starts false on every restart.
    paused: AtomicBool,
}

/// How handlers receive the state.
pub(crate) type SharedState<B> = Arc<AppState<B>>;

impl<B: ApiBackend> AppState<B> {
    /// Builds the state with submissions not paused.
    pub(crate) fn new(backend: Arc<B>, options: ApiOptions) -> Self {
        AppState {
            backend,
            options,
            openapi: OpenApiDocument::load(),
            paused: AtomicBool::new(false),
        }
    }

    /// Returns true while job submissions are paused.
    pub(crate) fn is_paused(&self) -> bool {
        self.paused.load(Ordering::SeqCst)
    }

    /// Pauses or resumes job submissions.
    pub(crate) fn set_paused(&self, paused: bool) {
        self.paused.store(paused, Ordering::SeqCst);
    }
}
