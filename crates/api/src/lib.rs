//! The REST API: Dkron-compatible `/v1` routes over an [`ApiBackend`].

mod backend;

pub use backend::{AgentInfo, ApiBackend, BackendError};
