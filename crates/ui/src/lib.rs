//! The web UI: its built files (`ui/dist`, committed) embedded in the binary at compile time,
//! and the routes that serve them under `/ui/`.
//!
//! The UI is a single-page application: any `/ui/...` path that is not a file gets
//! `index.html` and the browser-side router takes over, so links to a job page can be shared
//! and reloaded. Files under `assets/` carry a content hash in their names and are cached for
//! a year; `index.html` is revalidated on every load so a new binary's UI is picked up at once.

use axum::Router;
use axum::extract::Path;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use rust_embed::{Embed, EmbeddedFile};

/// The UI's files; the folder is chosen by `build.rs`.
#[derive(Embed)]
#[folder = "$DKRON_UI_DIR"]
struct Files;

/// Where the UI lives.
pub const UI_PATH: &str = "/ui/";

/// Files whose names carry a content hash, safe to cache for good.
const HASHED_PREFIX: &str = "assets/";

/// Returns the routes of the UI: `/` and `/ui` redirect to `/ui/`, and `/ui/*` serves files
/// with `index.html` for every other path.
pub fn router() -> Router {
    Router::new()
        .route("/", get(|| async { Redirect::to(UI_PATH) }))
        .route("/ui", get(|| async { Redirect::permanent(UI_PATH) }))
        .route("/ui/", get(index))
        .route("/ui/{*path}", get(file))
}

async fn index(request_headers: HeaderMap) -> Response {
    serve("index.html", &request_headers)
}

async fn file(Path(path): Path<String>, request_headers: HeaderMap) -> Response {
    if Files::get(&path).is_some() {
        return serve(&path, &request_headers);
    }
    if path.starts_with(HASHED_PREFIX) {
        // A missing script or style must fail loudly, not come back as the HTML page.
        return (StatusCode::NOT_FOUND, "no such UI file").into_response();
    }
    serve("index.html", &request_headers)
}

fn serve(path: &str, request_headers: &HeaderMap) -> Response {
    let Some(file) = Files::get(path) else {
        return (StatusCode::NOT_FOUND, "no such UI file").into_response();
    };
    let etag = entity_tag(&file);
    let cache = if path.starts_with(HASHED_PREFIX) {
        "public, max-age=31536000, immutable"
    } else {
        "no-cache"
    };
    let mut headers = HeaderMap::new();
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static(cache));
    if let Ok(value) = HeaderValue::from_str(&etag) {
        headers.insert(header::ETAG, value);
    }
    let unchanged = request_headers
        .get(header::IF_NONE_MATCH)
        .and_then(|value| value.to_str().ok())
        .is_some_and(|tags| tags.split(',').any(|tag| tag.trim() == etag));
    if unchanged {
        return (StatusCode::NOT_MODIFIED, headers).into_response();
    }
    if let Ok(value) = HeaderValue::from_str(file.metadata.mimetype()) {
        headers.insert(header::CONTENT_TYPE, value);
    }
    (StatusCode::OK, headers, file.data.into_owned()).into_response()
}

/// A strong entity tag from the file's SHA-256.
fn entity_tag(file: &EmbeddedFile) -> String {
    let hash = file.metadata.sha256_hash();
    let hex: String = hash[..16]
        .iter()
        .map(|byte| format!("{byte:02x}"))
        .collect();
    format!("\"{hex}\"")
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use axum::body::{Body, to_bytes};
    use axum::http::Request;
    use tower::ServiceExt;

    use super::*;

    async fn get(path: &str, etag: Option<&str>) -> Response {
        let mut request = Request::get(path);
        if let Some(etag) = etag {
            request = request.header(header::IF_NONE_MATCH, etag);
        }
        router()
            .oneshot(request.body(Body::empty()).unwrap())
            .await
            .unwrap()
    }

    async fn text(response: Response) -> String {
        String::from_utf8(
            to_bytes(response.into_body(), usize::MAX)
                .await
                .unwrap()
                .to_vec(),
        )
        .unwrap()
    }

    #[tokio::test]
    async fn root_and_bare_ui_redirect_to_the_ui() {
        for path in ["/", "/ui"] {
            let response = get(path, None).await;
            assert!(response.status().is_redirection(), "{path}");
            assert_eq!(response.headers()[header::LOCATION], UI_PATH);
        }
    }

    #[tokio::test]
    async fn serves_the_page_for_every_client_side_path() {
        let page = get("/ui/", None).await;
        assert_eq!(page.status(), StatusCode::OK);
        assert!(
            page.headers()[header::CONTENT_TYPE]
                .to_str()
                .unwrap()
                .starts_with("text/html")
        );
        assert_eq!(page.headers()[header::CACHE_CONTROL], "no-cache");
        let index = text(page).await;
        assert!(
            index.contains("<html") || index.contains("<!doctype html"),
            "{index}"
        );
        let deep = get("/ui/jobs/backup/show", None).await;
        assert_eq!(deep.status(), StatusCode::OK);
        assert_eq!(text(deep).await, index);
    }

    #[tokio::test]
    async fn serves_hashed_assets_with_long_caching_and_404s_missing_ones() {
        if let Some(asset) = Files::iter().find(|name| name.starts_with(HASHED_PREFIX)) {
            let response = get(&format!("/ui/{asset}"), None).await;
            assert_eq!(response.status(), StatusCode::OK);
            let cache = response.headers()[header::CACHE_CONTROL].to_str().unwrap();
            assert!(cache.contains("immutable"), "{cache}");
        }
        let missing = get("/ui/assets/nothing-here.js", None).await;
        assert_eq!(missing.status(), StatusCode::NOT_FOUND);
    }

    #[tokio::test]
    async fn answers_not_modified_to_a_matching_etag() {
        let first = get("/ui/", None).await;
        let etag = first.headers()[header::ETAG].to_str().unwrap().to_owned();
        let again = get("/ui/", Some(&etag)).await;
        assert_eq!(again.status(), StatusCode::NOT_MODIFIED);
        let other = get("/ui/", Some("\"something-else\"")).await;
        assert_eq!(other.status(), StatusCode::OK);
    }
}
