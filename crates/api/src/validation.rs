//! Job validation before anything is sent to the backend.

use dkron_model::{Job, validate_job};

/// Checks a submitted job with the model's rules (Dkron's checks, in Dkron's order); the
/// error is the bare message, which callers wrap as Dkron does.
pub(crate) fn validate(job: &Job) -> Result<(), String> {
    validate_job(job).map_err(|error| error.to_string())
}
