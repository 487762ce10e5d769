//! The ledger completeness figure: of the occurrences a job's schedule called for in a recent
//! window, how many the ledger accounts for (ran, skipped or lost — recorded either way). A
//! figure below 1 means occurrences went by without any decision: what this project exists to
//! prevent, so it is worth an alert.

use chrono::{DateTime, TimeDelta, Utc};
use dkron_model::{LedgerEntry, Schedule, Trigger};

/// Most occurrences counted per job and window (a `@every 1s` job over ten minutes is 600).
pub const MAX_EXPECTED: usize = 10_000;

/// What a job's ledger holds for a window, against what its schedule called for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Tally {
    /// Occurrences the schedule called for.
    pub expected: u64,
    /// Occurrences the ledger accounts for (at most `expected`).
    pub recorded: u64,
}

impl Tally {
    /// Adds another tally (for the cluster-wide figure).
    pub fn add(&mut self, other: Tally) {
        self.expected += other.expected;
        self.recorded += other.recorded;
    }

    /// `recorded ÷ expected`; 1 when nothing was expected.
    pub fn ratio(&self) -> f64 {
        if self.expected == 0 {
            1.0
        } else {
            self.recorded as f64 / self.expected as f64
        }
    }
}

/// Counts the occurrences of `schedule` in `(after, until]` and those of `ledger` (entries of
/// that window, any order) caused by the schedule, a summarising entry counting for all it
/// covers. Intervals (`@every`) are counted, not placed: their rhythm follows the job's own
/// history.
pub fn tally(
    schedule: &Schedule,
    after: DateTime<Utc>,
    until: DateTime<Utc>,
    ledger: &[LedgerEntry],
) -> Tally {
    let expected = match schedule.every() {
        Some(interval) => {
            let window = (until - after).max(TimeDelta::zero());
            let step = TimeDelta::from_std(interval).unwrap_or(TimeDelta::MAX);
            let steps = window.num_milliseconds() / step.num_milliseconds().max(1);
            u64::try_from(steps).unwrap_or(0).min(MAX_EXPECTED as u64)
        }
        None => schedule.fire_times(after, until, MAX_EXPECTED).count() as u64,
    };
    let recorded: u64 = ledger
        .iter()
        .filter(|entry| matches!(entry.trigger, Trigger::Schedule | Trigger::CatchUp))
        .filter(|entry| entry.nominal_time > after && entry.nominal_time <= until)
        .map(|entry| entry.range.map_or(1, |range| range.count))
        .sum();
    Tally {
        expected,
        recorded: recorded.min(expected),
    }
}

#[cfg(test)]
mod tests {
    use chrono_tz::Tz;
    use dkron_model::{LedgerRange, OccurrenceState};

    use super::*;

    fn at(text: &str) -> DateTime<Utc> {
        text.parse().expect("valid RFC 3339")
    }

    fn entry(nominal: &str, trigger: Trigger, range: Option<(&str, u64)>) -> LedgerEntry {
        LedgerEntry {
            job_name: "j".into(),
            nominal_time: at(nominal),
            trigger,
            state: OccurrenceState::Succeeded,
            reason: String::new(),
            decided_at: at(nominal),
            runs: Vec::new(),
            range: range.map(|(last, count)| LedgerRange {
                last: at(last),
                count,
            }),
        }
    }

    #[test]
    fn a_cron_window_with_a_gap_is_incomplete() {
        let every_minute = Schedule::parse("0 * * * * *", "j", "", Tz::UTC).expect("valid");
        let ledger = [
            entry("2026-01-01T00:01:00Z", Trigger::Schedule, None),
            entry("2026-01-01T00:02:00Z", Trigger::CatchUp, None),
            entry("2026-01-01T00:02:30Z", Trigger::Manual, None),
            entry("2026-01-01T00:04:00Z", Trigger::Schedule, None),
        ];
        let tally = tally(
            &every_minute,
            at("2026-01-01T00:00:00Z"),
            at("2026-01-01T00:04:00Z"),
            &ledger,
        );
        assert_eq!(
            tally,
            Tally {
                expected: 4,
                recorded: 3
            },
            "00:03 is missing"
        );
        assert_eq!(tally.ratio(), 0.75);
    }

    #[test]
    fn a_summarised_outage_counts_for_every_occurrence_it_covers() {
        let every_second = Schedule::parse("@every 1s", "j", "", Tz::UTC).expect("valid");
        let ledger = [
            entry(
                "2026-01-01T00:00:01Z",
                Trigger::Schedule,
                Some(("2026-01-01T00:00:08Z", 8)),
            ),
            entry("2026-01-01T00:00:09Z", Trigger::CatchUp, None),
            entry("2026-01-01T00:00:10Z", Trigger::Schedule, None),
        ];
        let tally = tally(
            &every_second,
            at("2026-01-01T00:00:00Z"),
            at("2026-01-01T00:00:10Z"),
            &ledger,
        );
        assert_eq!(
            tally,
            Tally {
                expected: 10,
                recorded: 10
            }
        );
        assert_eq!(Tally::default().ratio(), 1.0);
    }
}
