//! How long a failed run waits before its next attempt.

use std::time::Duration;

use crate::{DurationError, Job, parse_go_duration};

/// Longest wait between two attempts, whatever the doubling gives.
pub const MAX_RETRY_DELAY: Duration = Duration::from_secs(3600);

/// Step of the wait when `retry_backoff` is empty: Dkron waits roughly half a second per
/// attempt.
const DKRON_STEP: Duration = Duration::from_millis(500);

/// Returns whether a failed attempt `attempt` (from 1) of `job` is followed by another.
pub fn will_retry(job: &Job, attempt: u32) -> bool {
    attempt < job.retries.saturating_add(1)
}

/// Returns the wait before attempt `next_attempt` (2 for the first retry).
///
/// With `retry_backoff` set, the first retry waits that long and each further one twice as
/// long as the one before; without it, `next_attempt` × 0.5 s, close to Dkron. Never more than
/// [`MAX_RETRY_DELAY`]. An unparsable `retry_backoff` (refused when the job is saved) counts as
/// empty.
pub fn retry_delay(job: &Job, next_attempt: u32) -> Duration {
    let delay = match parse_retry_backoff(&job.retry_backoff) {
        Ok(Some(base)) => {
            let doublings = next_attempt.saturating_sub(2).min(32);
            base.saturating_mul(1u32 << doublings.min(31))
        }
        _ => DKRON_STEP.saturating_mul(next_attempt),
    };
    delay.min(MAX_RETRY_DELAY)
}

/// Reads `retry_backoff`: empty is `None`; otherwise a non-negative Go duration.
pub fn parse_retry_backoff(text: &str) -> Result<Option<Duration>, DurationError> {
    if text.is_empty() {
        return Ok(None);
    }
    parse_go_duration(text).map(Some)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn job(retries: u32, backoff: &str) -> Job {
        Job {
            retries,
            retry_backoff: backoff.into(),
            ..Job::default()
        }
    }

    #[test]
    fn retries_until_the_last_allowed_attempt() {
        let twice = job(2, "");
        assert!(will_retry(&twice, 1));
        assert!(will_retry(&twice, 2));
        assert!(!will_retry(&twice, 3));
        assert!(!will_retry(&job(0, ""), 1));
    }

    #[test]
    fn doubles_a_configured_backoff_up_to_the_cap() {
        let backoff = job(10, "10s");
        assert_eq!(retry_delay(&backoff, 2), Duration::from_secs(10));
        assert_eq!(retry_delay(&backoff, 3), Duration::from_secs(20));
        assert_eq!(retry_delay(&backoff, 4), Duration::from_secs(40));
        assert_eq!(retry_delay(&backoff, 40), MAX_RETRY_DELAY);
    }

    #[test]
    fn without_a_backoff_waits_like_dkron() {
        assert_eq!(retry_delay(&job(3, ""), 2), Duration::from_secs(1));
        assert_eq!(retry_delay(&job(3, ""), 3), Duration::from_millis(1500));
    }

    #[test]
    fn reads_backoffs() {
        assert_eq!(parse_retry_backoff(""), Ok(None));
        assert_eq!(
            parse_retry_backoff("1m30s"),
            Ok(Some(Duration::from_secs(90)))
        );
        assert!(parse_retry_backoff("soon").is_err());
    }
}
