//! A job's status from the outcomes of one execution group (`dkron-behaviour.md` §6.5).

/// Status of a job whose last group had only successes.
pub const STATUS_SUCCESS: &str = "success";
/// Status of a job whose last group had only failures.
pub const STATUS_FAILED: &str = "failed";
/// Status of a job whose last group had both.
pub const STATUS_PARTIALLY_FAILED: &str = "partially_failed";

/// Returns the job status for the `success` flags of every execution of one group: `""` for
/// none, `success` when none failed, `failed` when none succeeded, else `partially_failed`.
///
/// Executions still running count with their current flag (false), as in Dkron.
pub fn group_status(successes: impl IntoIterator<Item = bool>) -> &'static str {
    let (mut any_success, mut any_failure) = (false, false);
    for success in successes {
        if success {
            any_success = true;
        } else {
            any_failure = true;
        }
    }
    match (any_success, any_failure) {
        (false, false) => "",
        (_, false) => STATUS_SUCCESS,
        (false, true) => STATUS_FAILED,
        (true, true) => STATUS_PARTIALLY_FAILED,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn follows_dkron_cases() {
        assert_eq!(group_status([true, false]), "partially_failed");
        assert_eq!(group_status([true, true]), "success");
        assert_eq!(group_status([false]), "failed");
        assert_eq!(group_status([false, false]), "failed");
        assert_eq!(group_status(Vec::new()), "");
    }
}
