//! The one table from errors to HTTP statuses and bodies.
//!
//! Handlers return `ApiError` and never pick a status themselves. Every error body is plain
//! text (`text/plain; charset=utf-8`); the messages Dkron clients match on (`Unable to parse
//! payload: …`, `Job validation failed: …`, `specified parent job not found`, `New job
//! submissions are currently paused`) are kept word for word.

use std::borrow::Cow;

use axum::http::{HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};

use crate::backend::BackendError;
use crate::text::plain_text;

/// Why a request failed.
#[derive(Debug, thiserror::Error)]
pub(crate) enum ApiError {
    /// The request itself is wrong (query, body, path); the message says how.
    #[error("{0}")]
    BadRequest(String),
    /// The caller may not do what it asked (a token without the capability, a write from a
    /// foreign web origin); the message says why and what would allow it.
    #[error("{0}")]
    Forbidden(String),
    /// A browser sent a body that is not JSON where JSON is expected.
    #[error("{0}")]
    UnsupportedMediaType(String),
    /// Something the request names does not exist (and the backend was not asked).
    #[error("{0}")]
    NotFound(String),
    /// The request body is larger than this route accepts.
    #[error("request body is larger than the limit of {limit} bytes")]
    PayloadTooLarge {
        /// The limit in bytes.
        limit: usize,
    },
    /// Job submissions are paused on this node (`POST /v1/pause`).
    #[error("New job submissions are currently paused")]
    Paused,
    /// The node already serves as many live output streams as it may; the client may retry.
    #[error("this node already serves {limit} live output streams; try again when one has closed")]
    TooManyStreams {
        /// The most streams served at once.
        limit: usize,
    },
    /// The node already serves as many heavy requests as it may, and this one waited its
    /// longest for a turn; the client may retry after `retry_after_secs`.
    #[error(
        "this node already serves {limit} heavy requests (long job lists, backups, execution \
         lists) and none ended within {waited_secs} s; try again"
    )]
    Busy {
        /// The most heavy requests served at once.
        limit: usize,
        /// How long the request waited.
        waited_secs: u64,
        /// The `Retry-After` sent, in seconds.
        retry_after_secs: u64,
    },
    /// ACLs are on and the request has no valid token: none, unknown, or expired.
    #[error("{0}")]
    Unauthorized(String),
    /// The backend refused or failed.
    #[error(transparent)]
    Backend(#[from] BackendError),
    /// A response could not be encoded (a bug, never the client's fault).
    #[error("{0}")]
    Render(String),
    /// A submitted job was refused because of one of its fields; the response names the
    /// field (a JSON path such as `executor_config.timeout`) in `X-Error-Field` so a form can
    /// show the message next to it. The body stays Dkron's plain text.
    #[error("{error}")]
    AtField {
        /// The field at fault.
        field: Cow<'static, str>,
        /// The refusal itself, which decides the status and message.
        error: Box<ApiError>,
    },
}

/// Header naming the job field a refusal is about.
pub(crate) const X_ERROR_FIELD: &str = "x-error-field";

impl ApiError {
    /// Marks the error as being about job field `field`.
    pub(crate) fn at_field(self, field: impl Into<Cow<'static, str>>) -> ApiError {
        ApiError::AtField {
            field: field.into(),
            error: Box::new(self),
        }
    }

    /// Returns the HTTP status of the error.
    pub(crate) fn status(&self) -> StatusCode {
        match self {
            ApiError::BadRequest(_) => StatusCode::BAD_REQUEST,
            ApiError::NotFound(_) => StatusCode::NOT_FOUND,
            ApiError::Unauthorized(_) => StatusCode::UNAUTHORIZED,
            ApiError::Forbidden(_) => StatusCode::FORBIDDEN,
            ApiError::UnsupportedMediaType(_) => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            ApiError::PayloadTooLarge { .. } => StatusCode::PAYLOAD_TOO_LARGE,
            ApiError::Paused | ApiError::TooManyStreams { .. } | ApiError::Busy { .. } => {
                StatusCode::SERVICE_UNAVAILABLE
            }
            ApiError::Render(_) => StatusCode::INTERNAL_SERVER_ERROR,
            ApiError::AtField { error, .. } => error.status(),
            ApiError::Backend(error) => match error {
                BackendError::NotFound(_) | BackendError::ParentNotFound => StatusCode::NOT_FOUND,
                // Well-formed but conflicting with the stored state (a parent cycle, deleting a
                // job that still has children): 409 tells the client that retrying the same
                // request will not help until the state changes.
                BackendError::Rejected(_) => StatusCode::CONFLICT,
                BackendError::Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
                BackendError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
            },
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let status = self.status();
        if status.is_server_error() {
            tracing::warn!(status = status.as_u16(), error = %self, "request failed");
        } else {
            tracing::debug!(status = status.as_u16(), error = %self, "request rejected");
        }
        let field = match &self {
            ApiError::AtField { field, .. } => HeaderValue::from_str(field).ok(),
            _ => None,
        };
        let unauthorized = matches!(self, ApiError::Unauthorized(_));
        let retry_after = match &self {
            ApiError::Busy {
                retry_after_secs, ..
            } => Some(HeaderValue::from(*retry_after_secs)),
            _ => None,
        };
        let mut response = plain_text(status, self.to_string());
        if unauthorized {
            response.headers_mut().insert(
                axum::http::header::WWW_AUTHENTICATE,
                HeaderValue::from_static("Bearer realm=\"dkron\""),
            );
        }
        if let Some(field) = field {
            response.headers_mut().insert(X_ERROR_FIELD, field);
        }
        if let Some(retry_after) = retry_after {
            response
                .headers_mut()
                .insert(axum::http::header::RETRY_AFTER, retry_after);
        }
        response
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backend_errors_map_to_one_status_each() {
        let cases = [
            (BackendError::NotFound("job a not found".into()), 404),
            (BackendError::ParentNotFound, 404),
            (BackendError::Rejected("cycle".into()), 409),
            (BackendError::Unavailable("no leader".into()), 503),
            (BackendError::Internal("disk".into()), 500),
        ];
        for (error, status) in cases {
            assert_eq!(ApiError::from(error).status().as_u16(), status);
        }
        assert_eq!(
            ApiError::from(BackendError::ParentNotFound).to_string(),
            "specified parent job not found"
        );
    }
}
