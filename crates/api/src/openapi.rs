//! Our OpenAPI 3.1 document, written by hand in `crates/api/openapi.yaml` and served as YAML
//! and as JSON (converted once at startup).

use axum::extract::State;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

use crate::backend::ApiBackend;
use crate::error::ApiError;
use crate::render::Format;
use crate::state::SharedState;

/// The OpenAPI 3.1 document of this API, in YAML.
pub const OPENAPI_YAML: &str = include_str!("../openapi.yaml");

/// The document in both forms.
pub(crate) struct OpenApiDocument {
    /// The JSON form, or why the YAML could not be converted (a test keeps this from
    /// happening; the server still starts and reports it on the route).
    json: Result<serde_json::Value, String>,
}

impl OpenApiDocument {
    /// Converts the embedded YAML to JSON.
    pub(crate) fn load() -> Self {
        let json = serde_yaml::from_str::<serde_json::Value>(OPENAPI_YAML)
            .map_err(|error| format!("the embedded OpenAPI document is invalid: {error}"));
        if let Err(error) = &json {
            tracing::error!(error = %error, "openapi document not loaded");
        }
        OpenApiDocument { json }
    }
}

/// `GET /v1/openapi.json`.
pub(crate) async fn openapi_json<B: ApiBackend>(
    State(state): State<SharedState<B>>,
    format: Format,
) -> Result<Response, ApiError> {
    match &state.openapi.json {
        Ok(document) => format.json(StatusCode::OK, document),
        Err(error) => Err(ApiError::Render(error.clone())),
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
