//! A gate that lets a log line through at most once per period, counting the rest.
//!
//! A node with the wrong key receives every gossip datagram of a cluster; one line per
//! datagram would drown the log.

use std::time::{Duration, Instant};

/// Lets one occurrence per period through.
pub(crate) struct LogLimit {
    period: Duration,
    last_logged: Option<Instant>,
    suppressed: u64,
}

impl LogLimit {
    /// Returns a gate that opens at most once per `period`.
    pub(crate) fn new(period: Duration) -> Self {
        LogLimit {
            period,
            last_logged: None,
            suppressed: 0,
        }
    }

    /// Returns `Some(number suppressed since the last line)` when this occurrence may be
    /// logged, `None` when it must be counted and skipped.
    pub(crate) fn allow(&mut self, now: Instant) -> Option<u64> {
        let due = self
            .last_logged
            .is_none_or(|last| now.duration_since(last) >= self.period);
        if !due {
            self.suppressed += 1;
            return None;
        }
        self.last_logged = Some(now);
        Some(std::mem::take(&mut self.suppressed))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lets_one_through_per_period_and_counts_the_rest() {
        let start = Instant::now();
        let mut limit = LogLimit::new(Duration::from_secs(10));
        assert_eq!(limit.allow(start), Some(0));
        assert_eq!(limit.allow(start + Duration::from_secs(1)), None);
        assert_eq!(limit.allow(start + Duration::from_secs(9)), None);
        assert_eq!(limit.allow(start + Duration::from_secs(10)), Some(2));
        assert_eq!(limit.allow(start + Duration::from_secs(11)), None);
    }
}
