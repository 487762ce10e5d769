//! The route table and the router built from it.
//!
//! Routes are registered through one builder that also records each path and its methods, so
//! tests can check the table against the OpenAPI document and against the live router. Every
//! path is served with and without a trailing slash (gin redirects instead; serving both
//! keeps `POST`/`PUT` bodies on the first request).

use std::sync::Arc;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::http::{Method, StatusCode};
use axum::middleware::from_fn_with_state;
use axum::response::Response;
use axum::routing::{MethodRouter, get, post, put};
use tower_http::trace::TraceLayer;

use crate::acl::{self, AclGuard};
use crate::backend::ApiBackend;
use crate::browser::guard_browser_requests;
use crate::cors::{V1Headers, v1_headers};
use crate::options::ApiOptions;
use crate::origins::AllowedOrigins;
use crate::state::{AppState, SharedState};
use crate::text::plain_text;
use crate::{
    audit, backup, cluster, executions, jobs, jobs_list, openapi, preview, restore, stream, summary,
};

/// One registered path template (axum/OpenAPI syntax, e.g. `/v1/jobs/{job}`) and the methods
/// it serves.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RouteSpec {
    /// The path template.
    pub path: &'static str,
    /// The methods served on it (`OPTIONS` preflights on `/v1` paths come on top).
    pub methods: Vec<Method>,
}

/// A router under construction and the table of what it serves.
struct Routes<S> {
    router: Router<S>,
    table: Vec<RouteSpec>,
}

impl<S: Clone + Send + Sync + 'static> Routes<S> {
    fn new() -> Self {
        Routes {
            router: Router::new(),
            table: Vec::new(),
        }
    }

    /// Serves `path` and `path/` with `handler`, recording `methods` for the table.
    fn add(mut self, path: &'static str, methods: &[Method], handler: MethodRouter<S>) -> Self {
        self.router = self
            .router
            .route(path, handler.clone())
            .route(&format!("{path}/"), handler);
        self.table.push(RouteSpec {
            path,
            methods: methods.to_vec(),
        });
        self
    }
}

/// Routes outside `/v1`: no `X-Whom`, no CORS, as in Dkron.
fn root_routes<B: ApiBackend>() -> Routes<SharedState<B>> {
    Routes::new().add("/health", &[Method::GET], get(cluster::health::<B>))
}

/// The `/v1` routes.
fn v1_routes<B: ApiBackend>(options: &ApiOptions) -> Routes<SharedState<B>> {
    let routes = cluster_routes::<B>(Routes::new(), options);
    let routes = job_routes::<B>(routes, options);
    let routes = acl_routes::<B>(routes);
    execution_routes::<B>(routes)
        .add("/v1/summary", &[Method::GET], get(summary::summary::<B>))
        .add("/v1/audit", &[Method::GET], get(audit::list_audit::<B>))
        .add(
            "/v1/openapi.json",
            &[Method::GET],
            get(openapi::openapi_json::<B>),
        )
        .add(
            "/v1/openapi.yaml",
            &[Method::GET],
            get(openapi::openapi_yaml),
        )
}

/// The cluster's routes: members, leadership, backup and restore, pause.
fn cluster_routes<B: ApiBackend>(
    routes: Routes<SharedState<B>>,
    options: &ApiOptions,
) -> Routes<SharedState<B>> {
    use Method as M;
    let restore_body_limit = DefaultBodyLimit::max(options.max_restore_body_bytes);
    routes
        .add("/v1", &[M::GET], get(cluster::index::<B>))
        .add("/v1/members", &[M::GET], get(cluster::members::<B>))
        .add("/v1/plugins", &[M::GET], get(cluster::plugins::<B>))
        .add("/v1/leader", &[M::GET], get(cluster::leader::<B>))
        .add("/v1/isleader", &[M::GET], get(cluster::is_leader::<B>))
        .add("/v1/leave", &[M::POST], post(cluster::leave::<B>))
        .add(
            "/v1/restore",
            &[M::POST],
            post(restore::restore::<B>).layer(restore_body_limit),
        )
        .add("/v1/backup", &[M::GET], get(backup::backup::<B>))
        .add("/v1/busy", &[M::GET], get(executions::busy::<B>))
        .add(
            "/v1/pause",
            &[M::GET, M::POST],
            get(cluster::pause_status::<B>).post(cluster::pause::<B>),
        )
        .add("/v1/unpause", &[M::POST], post(cluster::unpause::<B>))
}

/// The jobs' routes: the list, one job, running and toggling it, previews.
fn job_routes<B: ApiBackend>(
    routes: Routes<SharedState<B>>,
    options: &ApiOptions,
) -> Routes<SharedState<B>> {
    use Method as M;
    let job_body_limit = DefaultBodyLimit::max(options.max_job_body_bytes);
    routes
        .add(
            "/v1/jobs",
            &[M::GET, M::POST, M::PATCH, M::DELETE],
            get(jobs_list::list_jobs::<B>)
                .post(jobs::submit_job::<B>)
                .patch(jobs::submit_job::<B>)
                .delete(jobs::delete_job_named_in_body::<B>)
                .layer(job_body_limit),
        )
        .add(
            "/v1/jobs/{job}",
            &[M::GET, M::PUT, M::DELETE, M::POST],
            put(jobs::replace_job::<B>)
                .get(jobs::get_job::<B>)
                .delete(jobs::delete_job::<B>)
                .post(jobs::run_job::<B>)
                .layer(job_body_limit),
        )
        .add("/v1/jobs/{job}/run", &[M::POST], post(jobs::run_job::<B>))
        .add(
            "/v1/jobs/{job}/toggle",
            &[M::POST],
            post(jobs::toggle_job::<B>),
        )
        .add(
            "/v1/jobs/{job}/preview",
            &[M::GET],
            get(preview::preview_job::<B>),
        )
        .add(
            "/v1/schedule/preview",
            &[M::GET],
            get(preview::preview_spec::<B>),
        )
}

/// The ACL routes (ADR 16): bootstrap, policies, tokens.
fn acl_routes<B: ApiBackend>(routes: Routes<SharedState<B>>) -> Routes<SharedState<B>> {
    use Method as M;
    routes
        .add("/v1/acl/bootstrap", &[M::POST], post(acl::bootstrap::<B>))
        .add("/v1/acl/policies", &[M::GET], get(acl::list_policies::<B>))
        .add(
            "/v1/acl/policies/{name}",
            &[M::GET, M::POST, M::PUT, M::DELETE],
            get(acl::get_policy::<B>)
                .post(acl::upsert_policy::<B>)
                .put(acl::upsert_policy::<B>)
                .delete(acl::delete_policy::<B>),
        )
        .add(
            "/v1/acl/tokens",
            &[M::GET, M::POST],
            get(acl::list_tokens::<B>).post(acl::create_token::<B>),
        )
        .add(
            "/v1/acl/tokens/{accessor}",
            &[M::GET, M::DELETE],
            get(acl::get_token::<B>).delete(acl::delete_token::<B>),
        )
        .add("/v1/acl/token/self", &[M::GET], get(acl::token_self::<B>))
}

/// A job's executions and ledger: lists, one execution, its live output, kill.
fn execution_routes<B: ApiBackend>(routes: Routes<SharedState<B>>) -> Routes<SharedState<B>> {
    use Method as M;
    routes
        .add(
            "/v1/jobs/{job}/executions",
            &[M::GET, M::DELETE],
            get(executions::list_executions::<B>).delete(executions::delete_executions::<B>),
        )
        .add(
            "/v1/jobs/{job}/executions/{execution}",
            &[M::GET],
            get(executions::get_execution::<B>),
        )
        .add(
            "/v1/jobs/{job}/executions/{execution}/stream",
            &[M::GET],
            get(stream::stream_output::<B>),
        )
        .add(
            "/v1/jobs/{job}/executions/{execution}/kill",
            &[M::POST],
            post(executions::kill_execution::<B>),
        )
        .add(
            "/v1/jobs/{job}/ledger",
            &[M::GET],
            get(executions::ledger::<B>),
        )
}

/// Builds the HTTP router of the REST API: `/health` and every `/v1` route of Dkron (the UI,
/// `/metrics` and `/debug/vars` are served elsewhere), with one debug-level span per request.
pub fn router<B: ApiBackend>(backend: Arc<B>, options: ApiOptions) -> Router {
    let allowed_origins = AllowedOrigins::new(&options.cors_allowed_origins);
    let headers = V1Headers::new(&options.node_name, allowed_origins.clone());
    let v1_routes = v1_routes::<B>(&options);
    let guard = AclGuard::new(backend.clone(), options.acl_enabled);
    let state: SharedState<B> = Arc::new(AppState::new(backend, options));
    // Outermost first for a request: CORS and preflights, the browser guard, the caller and
    // its token, then (a route layer, so it sees the matched route) the audit log. The CORS
    // layer wraps the token check so that a 401 or 403 reaches an allowed origin's page,
    // which must read it to ask for a token.
    let v1 = v1_routes
        .router
        .route_layer(from_fn_with_state(state.clone(), audit::record_writes::<B>))
        .layer(from_fn_with_state(guard, acl::identify_caller::<B>))
        .layer(from_fn_with_state(allowed_origins, guard_browser_requests))
        .layer(from_fn_with_state(headers, v1_headers));
    root_routes::<B>()
        .router
        .merge(v1)
        .fallback(not_found)
        .with_state(state)
        .layer(TraceLayer::new_for_http())
}

/// Puts the same caller check in front of routes served beside the API (`/metrics`): with
/// ACLs on, a token whose policies grant `read` on the path is needed (ADR 16).
pub fn protect<B: ApiBackend>(router: Router, backend: Arc<B>, acl_enabled: bool) -> Router {
    router.layer(from_fn_with_state(
        AclGuard::new(backend, acl_enabled),
        acl::identify_caller::<B>,
    ))
}

/// Returns every path the router serves with its methods (trailing-slash twins not listed).
pub fn route_table<B: ApiBackend>() -> Vec<RouteSpec> {
    let mut table = root_routes::<B>().table;
    table.extend(v1_routes::<B>(&ApiOptions::new("")).table);
    table
}

/// Unknown paths: gin's plain-text 404, without `X-Whom` or CORS headers.
async fn not_found() -> Response {
    plain_text(StatusCode::NOT_FOUND, "404 page not found".to_owned())
}
