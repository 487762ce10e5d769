//! What the node tells the API when it builds the router.

/// Default limit for job bodies (`POST`/`PATCH /v1/jobs`, `PUT /v1/jobs/{job}`): 1 MiB.
pub const DEFAULT_MAX_JOB_BODY_BYTES: usize = 1024 * 1024;
/// Default limit for `POST /v1/restore` uploads: 32 MiB.
pub const DEFAULT_MAX_RESTORE_BODY_BYTES: usize = 32 * 1024 * 1024;

/// Default number of heavy requests (unpaged or long job lists, backups, execution lists)
/// served at once; see ADR 23 for the memory this bounds.
pub const DEFAULT_MAX_HEAVY_REQUESTS: usize = 4;
/// Default longest wait of a heavy request for its turn before it is answered `503`.
pub const DEFAULT_HEAVY_REQUEST_WAIT: std::time::Duration = std::time::Duration::from_secs(10);

/// Settings of the REST API.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiOptions {
    /// This node's name, sent in the `X-Whom` header of every `/v1` response.
    pub node_name: String,
    /// Largest accepted job body in bytes; larger bodies get `413`.
    pub max_job_body_bytes: usize,
    /// Largest accepted restore upload in bytes; larger uploads get `413`.
    pub max_restore_body_bytes: usize,
    /// Most live output streams served at once; a further one gets `503` until one closes.
    pub max_output_streams: usize,
    /// Most heavy requests (unpaged or long job lists, backups, execution lists) served at
    /// once; a further one waits its turn.
    pub max_heavy_requests: usize,
    /// Longest a heavy request waits for its turn; then it gets `503` with `Retry-After`.
    pub heavy_request_wait: std::time::Duration,
    /// Web origins (`scheme://host[:port]`, or `*` for any) whose pages may call the API from
    /// a browser; empty (the default) allows only the server's own pages.
    pub cors_allowed_origins: Vec<String>,
    /// Enforce ACL tokens and policies (`acl.enabled`; ADR 16). Off: every caller is
    /// anonymous and may do everything, as in Dkron's open-source version.
    pub acl_enabled: bool,
}

impl ApiOptions {
    /// Returns the options for node `node_name` with the default limits.
    pub fn new(node_name: impl Into<String>) -> Self {
        ApiOptions {
            node_name: node_name.into(),
            max_job_body_bytes: DEFAULT_MAX_JOB_BODY_BYTES,
            max_restore_body_bytes: DEFAULT_MAX_RESTORE_BODY_BYTES,
            max_output_streams: dkron_model::limits::MAX_OUTPUT_STREAM_FOLLOWERS,
            max_heavy_requests: DEFAULT_MAX_HEAVY_REQUESTS,
            heavy_request_wait: DEFAULT_HEAVY_REQUEST_WAIT,
            cors_allowed_origins: Vec::new(),
            acl_enabled: false,
        }
    }
}
