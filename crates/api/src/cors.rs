//! Headers every `/v1` response carries (`X-Whom`, CORS for allowed origins) and CORS
//! preflight answers.
//!
//! Dkron allows every origin; we allow none unless `cors-allowed-origins` lists it (ADR
//! 0017): only a request whose `Origin` is listed gets `Access-Control-Allow-Origin`, and a
//! preflight from any other origin gets `403`. A preflight from a listed origin gets `204`
//! with the allow headers (Dkron registers no `OPTIONS` routes and answers 404). A method the
//! route does not serve gets `405` with an `Allow` header and a plain-text message (Dkron
//! answers 404).

use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use crate::headers::X_WHOM;
use crate::origins::AllowedOrigins;
use crate::text::plain_text;

/// `*` exposes every header to browsers that implement the wildcard; the explicit names cover
/// clients that do not (and the wildcard never covers credentials-mode requests).
const EXPOSED_HEADERS: &str = "*, X-Total-Count, X-Whom, Location";
const ALLOWED_METHODS: &str = "GET, POST, PUT, PATCH, DELETE, OPTIONS";
/// How long a browser may cache a preflight answer (browsers cap this themselves).
const PREFLIGHT_MAX_AGE_SECONDS: &str = "3600";

/// State of the `/v1` header middleware: the precomputed `X-Whom` value and the origins
/// that get CORS headers.
#[derive(Debug, Clone)]
pub(crate) struct V1Headers {
    whom: Option<HeaderValue>,
    allowed: AllowedOrigins,
}

impl V1Headers {
    /// Prepares the headers for node `node_name`; a name that is not a valid header value is
    /// logged and left out rather than failing every request.
    pub(crate) fn new(node_name: &str, allowed: AllowedOrigins) -> Self {
        let whom = match HeaderValue::from_str(node_name) {
            Ok(value) => Some(value),
            Err(error) => {
                tracing::warn!(node_name, error = %error, "node name cannot be sent in x-whom");
                None
            }
        };
        V1Headers { whom, allowed }
    }
}

/// Answers preflights, explains 405s, and adds `X-Whom` and CORS headers to the response.
pub(crate) async fn v1_headers(
    State(headers): State<V1Headers>,
    request: Request,
    next: Next,
) -> Response {
    let origin = request.headers().get(header::ORIGIN).cloned();
    let allowed_origin = origin.filter(|origin| {
        origin
            .to_str()
            .is_ok_and(|origin| headers.allowed.allows(origin))
    });
    let mut response = if request.method() == Method::OPTIONS {
        preflight(request.headers(), allowed_origin.is_some())
    } else {
        let method = request.method().clone();
        let path = request.uri().path().to_owned();
        let response = next.run(request).await;
        if response.status() == StatusCode::METHOD_NOT_ALLOWED {
            explain_method_not_allowed(response, &method, &path)
        } else {
            response
        }
    };
    let response_headers = response.headers_mut();
    if let Some(whom) = &headers.whom {
        response_headers.insert(X_WHOM, whom.clone());
    }
    if let Some(origin) = allowed_origin {
        let allow_origin = if headers.allowed.allows_any() {
            HeaderValue::from_static("*")
        } else {
            origin
        };
        response_headers.insert(header::ACCESS_CONTROL_ALLOW_ORIGIN, allow_origin);
        response_headers.insert(
            header::ACCESS_CONTROL_EXPOSE_HEADERS,
            HeaderValue::from_static(EXPOSED_HEADERS),
        );
    }
    // The answer depends on the origin: caches must not hand one origin's answer to another.
    response_headers.append(header::VARY, HeaderValue::from_static("Origin"));
    response
}

/// Answers an `OPTIONS` request: the allow headers for a listed origin, `403` for another
/// origin's preflight, and a bare `204` with `Allow` for a client that named no origin.
fn preflight(request_headers: &HeaderMap, origin_allowed: bool) -> Response {
    if !origin_allowed {
        if let Some(origin) = request_headers.get(header::ORIGIN) {
            let origin = String::from_utf8_lossy(origin.as_bytes()).into_owned();
            return plain_text(
                StatusCode::FORBIDDEN,
                format!(
                    "origin {origin} may not call this API from a browser; list it in \
                     cors-allowed-origins (--cors-allowed-origins, DKRON_CORS_ALLOWED_ORIGINS) \
                     to allow it"
                ),
            );
        }
        return (
            StatusCode::NO_CONTENT,
            [(header::ALLOW, HeaderValue::from_static(ALLOWED_METHODS))],
        )
            .into_response();
    }
    // Echo the requested headers: a literal `*` does not cover `Authorization`.
    let allowed_headers = request_headers
        .get(header::ACCESS_CONTROL_REQUEST_HEADERS)
        .cloned()
        .unwrap_or_else(|| HeaderValue::from_static("*"));
    (
        StatusCode::NO_CONTENT,
        [
            (
                header::ACCESS_CONTROL_ALLOW_METHODS,
                HeaderValue::from_static(ALLOWED_METHODS),
            ),
            (header::ACCESS_CONTROL_ALLOW_HEADERS, allowed_headers),
            (
                header::ACCESS_CONTROL_MAX_AGE,
                HeaderValue::from_static(PREFLIGHT_MAX_AGE_SECONDS),
            ),
            (
                header::VARY,
                HeaderValue::from_static("Access-Control-Request-Headers"),
            ),
        ],
    )
        .into_response()
}

fn explain_method_not_allowed(response: Response, method: &Method, path: &str) -> Response {
    let allow = response.headers().get(header::ALLOW).cloned();
    let allowed_text = allow
        .as_ref()
        .and_then(|value| value.to_str().ok())
        .unwrap_or("")
        .to_owned();
    let mut explained = plain_text(
        StatusCode::METHOD_NOT_ALLOWED,
        format!("method {method} is not allowed on {path}; allowed: {allowed_text}"),
    );
    if let Some(allow) = allow {
        explained.headers_mut().insert(header::ALLOW, allow);
    }
    explained
}
