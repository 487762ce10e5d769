//! Plain-text responses: the body of every error and of the API's own 404 and 405 answers.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

/// Content type of plain-text (error) responses, as Go sniffs it.
const TEXT_CONTENT_TYPE: &str = "text/plain; charset=utf-8";

/// Builds a plain-text response (the shape of every error body).
pub(crate) fn plain_text(status: StatusCode, message: String) -> Response {
    (
        status,
        [(
            header::CONTENT_TYPE,
            HeaderValue::from_static(TEXT_CONTENT_TYPE),
        )],
        message,
    )
        .into_response()
}
