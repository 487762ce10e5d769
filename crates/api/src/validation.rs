//! Job validation before anything is sent to the backend.

use dkron_model::{Job, validate_job};

use crate::backend::ApiBackend;
use crate::error::ApiError;

/// Checks a submitted job with the model's rules (Dkron's checks, in Dkron's order), then
/// its `executor_config` with the checks of its executor, and words a refusal as Dkron does,
/// naming the field at fault for forms.
pub(crate) fn validate<B: ApiBackend>(job: &Job, backend: &B) -> Result<(), ApiError> {
    validate_job(job).map_err(|error| {
        ApiError::BadRequest(format!("Job validation failed: {error}.")).at_field(error.field())
    })?;
    let empty = dkron_model::StringMap::new();
    let config = job.executor_config.as_ref().unwrap_or(&empty);
    backend
        .check_executor_config(&job.executor, config)
        .map_err(|fault| {
            ApiError::BadRequest(format!(
                "Job validation failed: executor_config.{}: {}.",
                fault.key, fault.message
            ))
            .at_field(fault.field())
        })
}
