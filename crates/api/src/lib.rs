//! The REST API: Dkron-compatible `/v1` routes over an [`ApiBackend`].
//!
//! [`router`] builds an axum router for one node. Handlers parse and check the request, call
//! the backend, and render the answer exactly as Dkron's Go server does (compact JSON with
//! Go's escaping, `X-Whom`, `X-Total-Count`, CORS). Every error is mapped to a status in one
//! place (`error.rs`). See `docs/api.md` for every route and for our differences from Dkron.

mod acl;
mod audit;
mod backend;
mod backup;
mod browser;
mod caller;
mod cluster;
mod cors;
mod error;
mod executions;
mod headers;
mod heavy;
mod jobs;
mod jobs_list;
mod list_query;
mod openapi;
mod openapi_document;
mod options;
mod origins;
mod preview;
mod query;
mod render;
mod render_stream;
mod restore;
mod routes;
mod state;
mod stream;
mod summary;
mod text;
mod validation;

#[cfg(any(test, feature = "testsuite"))]
pub mod testsuite;
#[cfg(any(test, feature = "testsuite"))]
mod testsuite_acl;
#[cfg(any(test, feature = "testsuite"))]
mod testsuite_acl_memory;
#[cfg(any(test, feature = "testsuite"))]
mod testsuite_lists;

pub use acl::{AclBackend, AclChange};
pub use audit::{AuditNote, AuditQuery};
pub use backend::{
    AgentInfo, ApiBackend, BackendError, JobSelection, JobStream, ListingVisitor, SchedulerHealth,
};
pub use caller::{ANONYMOUS, Caller, Role};
pub use openapi_document::OPENAPI_YAML;
pub use options::{
    ApiOptions, DEFAULT_HEAVY_REQUEST_WAIT, DEFAULT_MAX_HEAVY_REQUESTS, DEFAULT_MAX_JOB_BODY_BYTES,
    DEFAULT_MAX_RESTORE_BODY_BYTES,
};
pub use origins::AllowedOrigins;
pub use render::to_go_json;
pub use routes::{RouteSpec, protect, route_table, router};
