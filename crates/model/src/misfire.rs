//! What to do with occurrences that came due while no scheduler was running: a job's
//! `misfire_policy` and the agent's `misfire-policy` setting, applied by the scheduler.

use std::fmt;
use std::str::FromStr;

/// Decides the fate of missed occurrences (older than the on-time grace) inside the catch-up
/// window; missed occurrences older than the window are always skipped as misfires.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum MisfirePolicy {
    /// Skips every missed occurrence.
    Skip,
    /// Runs the latest missed occurrence once and skips the others.
    #[default]
    RunOnce,
    /// Runs every missed occurrence, oldest first.
    RunAll,
}

impl MisfirePolicy {
    /// Returns the configuration name of the policy.
    pub fn as_str(self) -> &'static str {
        match self {
            MisfirePolicy::Skip => "skip",
            MisfirePolicy::RunOnce => "run_once",
            MisfirePolicy::RunAll => "run_all",
        }
    }
}

impl fmt::Display for MisfirePolicy {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter.write_str(self.as_str())
    }
}

impl FromStr for MisfirePolicy {
    type Err = ParseMisfirePolicyError;

    fn from_str(value: &str) -> Result<Self, Self::Err> {
        match value.trim() {
            "skip" => Ok(MisfirePolicy::Skip),
            "run_once" => Ok(MisfirePolicy::RunOnce),
            "run_all" => Ok(MisfirePolicy::RunAll),
            _ => Err(ParseMisfirePolicyError {
                value: value.to_string(),
            }),
        }
    }
}

/// A misfire policy name that is not one of `skip`, `run_once`, `run_all`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown misfire policy {value:?}: expected skip, run_once or run_all")]
pub struct ParseMisfirePolicyError {
    /// The text that failed to parse.
    pub value: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_every_name_and_round_trips() {
        for policy in [
            MisfirePolicy::Skip,
            MisfirePolicy::RunOnce,
            MisfirePolicy::RunAll,
        ] {
            assert_eq!(policy.as_str().parse::<MisfirePolicy>(), Ok(policy));
            assert_eq!(policy.to_string(), policy.as_str());
        }
        assert_eq!(MisfirePolicy::default(), MisfirePolicy::RunOnce);
    }

    #[test]
    fn rejects_unknown_names_with_the_value() {
        let error = "run-once".parse::<MisfirePolicy>().unwrap_err();
        assert_eq!(error.value, "run-once");
        assert!(error.to_string().contains("run_once"));
    }
}
