//! `notify-on` (and a job's `notify_on`): when a finished execution is worth a notification
//! (ours: Dkron sends one for every finished execution).

use std::fmt;
use std::str::FromStr;

/// Which finished executions are notified.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum NotifyOn {
    /// Every finished execution, as Dkron.
    #[default]
    Always,
    /// Failed executions only.
    Failure,
    /// Executions whose outcome differs from the job's previous occurrence (failed after a
    /// success, or the first success after a failure); a job's first run always notifies.
    Change,
}

/// An unknown `notify-on` / `notify_on` value.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid notify-on {value:?}: use \"always\", \"failure\" or \"change\"")]
pub struct ParseNotifyOnError {
    /// The value given.
    pub value: String,
}

impl FromStr for NotifyOn {
    type Err = ParseNotifyOnError;

    fn from_str(value: &str) -> Result<Self, Self::Err> {
        match value {
            "always" => Ok(NotifyOn::Always),
            "failure" => Ok(NotifyOn::Failure),
            "change" => Ok(NotifyOn::Change),
            other => Err(ParseNotifyOnError {
                value: other.to_string(),
            }),
        }
    }
}

impl fmt::Display for NotifyOn {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter.write_str(match self {
            NotifyOn::Always => "always",
            NotifyOn::Failure => "failure",
            NotifyOn::Change => "change",
        })
    }
}

impl NotifyOn {
    /// Decides for an execution that succeeded or not; `previous_success` looks up the outcome
    /// of the job's previous finished occurrence, if any, and is called only by `Change`.
    pub fn wants(self, success: bool, previous_success: impl FnOnce() -> Option<bool>) -> bool {
        match self {
            NotifyOn::Always => true,
            NotifyOn::Failure => !success,
            NotifyOn::Change => previous_success() != Some(success),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decides_by_policy() {
        let unused = || -> Option<bool> { panic!("only `change` looks at the previous outcome") };
        assert!(NotifyOn::Always.wants(true, unused));
        assert!(NotifyOn::Failure.wants(false, unused));
        assert!(!NotifyOn::Failure.wants(true, || Some(false)));
        assert!(NotifyOn::Failure.wants(false, || Some(false)));
        assert!(!NotifyOn::Change.wants(false, || Some(false)));
        assert!(NotifyOn::Change.wants(true, || Some(false)));
        assert!(
            NotifyOn::Change.wants(false, || None),
            "a first run notifies"
        );
        assert_eq!("change".parse::<NotifyOn>(), Ok(NotifyOn::Change));
        assert!("sometimes".parse::<NotifyOn>().is_err());
    }
}
