//! Serves our OpenAPI document (`openapi_document.rs`) as YAML and as JSON.

use axum::extract::State;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

use crate::backend::ApiBackend;
use crate::error::ApiError;
use crate::openapi_document::OPENAPI_YAML;
use crate::render::Format;
use crate::state::SharedState;

/// `GET /v1/openapi.json`.
pub(crate) async fn openapi_json<B: ApiBackend>(
    State(state): State<SharedState<B>>,
    format: Format,
) -> Result<Response, ApiError> {
    match state.openapi.json() {
        Ok(document) => format.json(StatusCode::OK, document),
        Err(error) => Err(ApiError::Render(error.to_owned())),
    }
}

/// `GET /v1/openapi.yaml`.
pub(crate) async fn openapi_yaml() -> Response {
    (
        [(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/yaml; charset=utf-8"),
        )],
        OPENAPI_YAML,
    )
        .into_response()
}
