//! Our OpenAPI 3.1 document, written by hand in `crates/api/openapi.yaml`, in both forms: the
//! YAML as written and the JSON converted once at startup.

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

    /// Returns the JSON form, or why the YAML could not be converted.
    pub(crate) fn json(&self) -> Result<&serde_json::Value, &str> {
        self.json.as_ref().map_err(String::as_str)
    }
}
