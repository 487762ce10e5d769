//! The guard against other web pages: a write whose browser says it comes from a page of
//! another origin is refused (CSRF), and a browser's body must be JSON where JSON is read.
//!
//! A browser always sends `Origin` with a cross-origin write and `Sec-Fetch-*` headers with
//! every request, and a page cannot remove them; a page can only send a JSON content type
//! to another origin after a CORS preflight, which the server answers only for allow-listed
//! origins. Command-line clients send none of these headers, so `curl -d '{…}'` (a
//! form-encoded content type) keeps working. See ADR 0017.

use axum::body::HttpBody;
use axum::extract::{Request, State};
use axum::http::{HeaderMap, Method, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use crate::error::ApiError;
use crate::origins::{AllowedOrigins, is_own_origin};

/// Routes that also take a `multipart/form-data` upload (Dkron's restore form).
const UPLOAD_PATHS: [&str; 2] = ["/v1/restore", "/v1/restore/"];

/// Headers only browsers send, and that pages cannot suppress.
const FETCH_METADATA: [&str; 2] = ["sec-fetch-site", "sec-fetch-mode"];

/// The option (with its flag and variable) that allows a page of another origin.
const ALLOW_HINT: &str = "list the page's origin in cors-allowed-origins \
    (--cors-allowed-origins, DKRON_CORS_ALLOWED_ORIGINS) to allow it";

/// Refuses cross-origin browser writes and browser bodies that are not JSON.
pub(crate) async fn guard_browser_requests(
    State(allowed): State<AllowedOrigins>,
    request: Request,
    next: Next,
) -> Response {
    if !is_write(request.method()) {
        return next.run(request).await;
    }
    let has_body = !request.body().is_end_stream() && request.body().size_hint().exact() != Some(0);
    let verdict = check_origin(request.headers(), &allowed)
        .and_then(|()| check_body_type(request.headers(), has_body, request.uri().path()));
    match verdict {
        Ok(()) => next.run(request).await,
        Err(refusal) => refusal.into_response(),
    }
}

fn is_write(method: &Method) -> bool {
    matches!(
        *method,
        Method::POST | Method::PUT | Method::PATCH | Method::DELETE
    )
}

fn header_text(headers: &HeaderMap, name: impl header::AsHeaderName) -> Option<&str> {
    headers.get(name).and_then(|value| value.to_str().ok())
}

/// Returns true when the request carries headers only a browser sends.
fn comes_from_browser(headers: &HeaderMap) -> bool {
    headers.contains_key(header::ORIGIN)
        || FETCH_METADATA
            .iter()
            .any(|name| headers.contains_key(*name))
}

/// Refuses a write from a page of another origin that is not allow-listed.
fn check_origin(headers: &HeaderMap, allowed: &AllowedOrigins) -> Result<(), ApiError> {
    if let Some(origin) = header_text(headers, header::ORIGIN) {
        let host = header_text(headers, header::HOST).unwrap_or("");
        if is_own_origin(origin, host) || allowed.allows(origin) {
            return Ok(());
        }
        return Err(ApiError::Forbidden(format!(
            "cross-origin write refused: the request comes from a page at {origin}, which is \
             neither this server ({host}) nor an allowed origin; {ALLOW_HINT}"
        )));
    }
    match header_text(headers, "sec-fetch-site") {
        Some(site @ ("cross-site" | "same-site")) => Err(ApiError::Forbidden(format!(
            "cross-origin write refused: the browser marks the request {site} and names no \
             origin; {ALLOW_HINT}"
        ))),
        _ => Ok(()),
    }
}

/// Refuses a browser's body sent with a content type other than JSON (or a multipart
/// upload where one is taken).
fn check_body_type(headers: &HeaderMap, has_body: bool, path: &str) -> Result<(), ApiError> {
    if !comes_from_browser(headers) || !has_body {
        return Ok(());
    }
    let content_type = header_text(headers, header::CONTENT_TYPE).unwrap_or("");
    let essence = content_type
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    let is_json = essence == "application/json"
        || (essence.starts_with("application/") && essence.ends_with("+json"));
    let is_upload = essence == "multipart/form-data" && UPLOAD_PATHS.contains(&path);
    if is_json || is_upload {
        return Ok(());
    }
    let shown = if content_type.is_empty() {
        "no content type"
    } else {
        content_type
    };
    Err(ApiError::UnsupportedMediaType(format!(
        "a browser request must send its body as JSON with Content-Type: application/json \
         (this one came with {shown})"
    )))
}

#[cfg(test)]
mod tests {
    use axum::http::HeaderValue;

    use super::*;

    fn headers(pairs: &[(&'static str, &'static str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (name, value) in pairs {
            map.insert(*name, HeaderValue::from_static(value));
        }
        map
    }

    #[test]
    fn writes_from_other_origins_are_refused_unless_listed() {
        let none = AllowedOrigins::default();
        let host = ("host", "127.0.0.1:8080");
        assert!(
            check_origin(
                &headers(&[host, ("origin", "http://127.0.0.1:8080")]),
                &none
            )
            .is_ok()
        );
        assert!(check_origin(&headers(&[host]), &none).is_ok());
        let foreign = headers(&[host, ("origin", "http://127.0.0.1:9000")]);
        let refusal = check_origin(&foreign, &none).unwrap_err().to_string();
        assert!(refusal.contains("http://127.0.0.1:9000"), "{refusal}");
        assert!(refusal.contains("cors-allowed-origins"), "{refusal}");
        let listed = AllowedOrigins::new(&["http://127.0.0.1:9000"]);
        assert!(check_origin(&foreign, &listed).is_ok());
        let no_origin = headers(&[host, ("sec-fetch-site", "cross-site")]);
        assert!(check_origin(&no_origin, &listed).is_err());
        let same = headers(&[host, ("sec-fetch-site", "same-origin")]);
        assert!(check_origin(&same, &none).is_ok());
    }

    #[test]
    fn browsers_must_send_json_bodies_and_other_clients_may_not() {
        let curl = headers(&[("content-type", "application/x-www-form-urlencoded")]);
        assert!(check_body_type(&curl, true, "/v1/jobs").is_ok());
        let page = headers(&[
            ("content-type", "text/plain;charset=UTF-8"),
            ("sec-fetch-mode", "no-cors"),
        ]);
        let refusal = check_body_type(&page, true, "/v1/jobs").unwrap_err();
        assert!(refusal.to_string().contains("text/plain"), "{refusal}");
        let json = headers(&[
            ("content-type", "application/json; charset=utf-8"),
            ("origin", "http://x"),
        ]);
        assert!(check_body_type(&json, true, "/v1/jobs").is_ok());
        let upload = headers(&[
            ("content-type", "multipart/form-data; boundary=x"),
            ("origin", "http://x"),
        ]);
        assert!(check_body_type(&upload, true, "/v1/restore").is_ok());
        assert!(check_body_type(&upload, true, "/v1/jobs").is_err());
        let empty = headers(&[("origin", "http://x")]);
        assert!(check_body_type(&empty, false, "/v1/jobs/a/run").is_ok());
    }
}
