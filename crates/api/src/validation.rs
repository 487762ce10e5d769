//! Job validation before anything is sent to the backend.

use dkron_model::{Job, validate_job};

use crate::error::ApiError;

/// Checks a submitted job with the model's rules (Dkron's checks, in Dkron's order) and words
/// a refusal as Dkron does, naming the field at fault for forms.
pub(crate) fn validate(job: &Job) -> Result<(), ApiError> {
    validate_job(job).map_err(|error| {
        ApiError::BadRequest(format!("Job validation failed: {error}.")).at_field(error.field())
    })
}
