//! From wall-clock fire times to instants, across daylight-saving changes.
//!
//! Cron patterns are matched on the wall clock of the schedule's zone. A matching wall time
//! becomes an instant by one rule:
//!
//! * a wall time that exists once fires at that instant;
//! * a wall time that exists twice (the clock went back) fires once, at the earlier instant;
//! * a wall time that does not exist (the clock jumped forward) fires at the first instant
//!   after the jump, so every matching time inside one gap collapses into that one instant.
//!
//! This mapping never decreases as the wall time grows, which is what lets `next_after` find
//! the next instant with a single forward search of the wall clock.

use chrono::{DateTime, LocalResult, NaiveDateTime, Offset, TimeDelta, TimeZone, Timelike, Utc};
use chrono_tz::Tz;

/// The longest jump of a clock we look across (Samoa skipped a whole day in 2011).
const LONGEST_GAP: TimeDelta = TimeDelta::hours(48);

/// Returns the instant at which a matching wall time fires, or `None` past chrono's range.
pub(crate) fn fire_instant(zone: Tz, wall: NaiveDateTime) -> Option<DateTime<Utc>> {
    match zone.from_local_datetime(&wall) {
        LocalResult::Single(instant) => Some(instant.to_utc()),
        LocalResult::Ambiguous(first, second) => Some(first.min(second).to_utc()),
        LocalResult::None => {
            let after_gap = first_wall_time(wall, wall + LONGEST_GAP, |candidate| {
                !matches!(zone.from_local_datetime(&candidate), LocalResult::None)
            })?;
            zone.from_local_datetime(&after_gap)
                .earliest()
                .map(|instant| instant.to_utc())
        }
    }
}

/// Where the wall-clock search for the first fire time strictly after `after` starts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct SearchStart {
    /// A whole-second wall time.
    pub(crate) wall: NaiveDateTime,
    /// Whether `wall` itself may be the answer.
    pub(crate) inclusive: bool,
}

/// Returns the wall time the search for the next fire time after `after` starts from.
///
/// Usually that is the wall time of `after`, exclusive. When `after` lies in the second pass
/// of a repeated hour, every repeated wall time fired (or would have) during the first pass,
/// so the search starts, inclusive, at the first wall time after the repeated range.
///
/// Returns `None` when the wall time of `after` is beyond chrono's range.
pub(crate) fn search_start(zone: Tz, after: DateTime<Utc>) -> Option<SearchStart> {
    let offset = zone.offset_from_utc_datetime(&after.naive_utc()).fix();
    let wall = after
        .naive_utc()
        .checked_add_signed(TimeDelta::seconds(i64::from(offset.local_minus_utc())))?;
    let whole_second = wall.with_nanosecond(0).unwrap_or(wall);
    if let LocalResult::Ambiguous(first, second) = zone.from_local_datetime(&wall) {
        let earlier = first.min(second);
        let later = first.max(second);
        if earlier.to_utc() != after {
            let repeated_length = later.to_utc() - earlier.to_utc();
            let end_of_repeat =
                first_wall_time(whole_second, whole_second + repeated_length, |candidate| {
                    !matches!(
                        zone.from_local_datetime(&candidate),
                        LocalResult::Ambiguous(..)
                    )
                });
            if let Some(end_of_repeat) = end_of_repeat {
                return Some(SearchStart {
                    wall: end_of_repeat,
                    inclusive: true,
                });
            }
        }
    }
    Some(SearchStart {
        wall: whole_second,
        inclusive: false,
    })
}

/// Returns the first whole-second wall time in `(from, to]` for which `holds` is true, given
/// that it is false at `from` and, once true, stays true up to `to`.
fn first_wall_time(
    from: NaiveDateTime,
    to: NaiveDateTime,
    holds: impl Fn(NaiveDateTime) -> bool,
) -> Option<NaiveDateTime> {
    // Probe forward an hour at a time to bracket the change, then bisect by seconds.
    let mut low = from;
    let mut high = from;
    loop {
        let probe = (high + TimeDelta::hours(1)).min(to);
        if probe <= high {
            return None;
        }
        if holds(probe) {
            high = probe;
            break;
        }
        low = probe;
        high = probe;
    }
    while (high - low).num_seconds() > 1 {
        let middle = low + TimeDelta::seconds((high - low).num_seconds() / 2);
        if holds(middle) {
            high = middle;
        } else {
            low = middle;
        }
    }
    Some(high)
}

#[cfg(test)]
mod tests {
    use chrono::NaiveDate;

    use super::*;

    fn wall(text: &str) -> NaiveDateTime {
        NaiveDateTime::parse_from_str(text, "%Y-%m-%d %H:%M:%S").unwrap()
    }

    fn utc(text: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(text).unwrap().to_utc()
    }

    #[test]
    fn gap_times_fire_when_the_gap_ends() {
        let new_york = Tz::America__New_York;
        // 2026-03-08 02:00 EST jumps to 03:00 EDT (07:00 UTC).
        for in_gap in [
            "2026-03-08 02:00:00",
            "2026-03-08 02:30:00",
            "2026-03-08 02:59:59",
        ] {
            assert_eq!(
                fire_instant(new_york, wall(in_gap)),
                Some(utc("2026-03-08T07:00:00Z"))
            );
        }
        assert_eq!(
            fire_instant(new_york, wall("2026-03-08 01:59:59")),
            Some(utc("2026-03-08T06:59:59Z"))
        );
    }

    #[test]
    fn repeated_times_fire_on_the_first_pass() {
        let new_york = Tz::America__New_York;
        // 2026-11-01 02:00 EDT goes back to 01:00 EST (06:00 UTC).
        assert_eq!(
            fire_instant(new_york, wall("2026-11-01 01:30:00")),
            Some(utc("2026-11-01T05:30:00Z"))
        );
    }

    #[test]
    fn search_skips_the_repeated_range_on_the_second_pass() {
        let new_york = Tz::America__New_York;
        let first_pass = search_start(new_york, utc("2026-11-01T05:30:00Z")).unwrap();
        assert_eq!(first_pass.wall, wall("2026-11-01 01:30:00"));
        assert!(!first_pass.inclusive);
        let second_pass = search_start(new_york, utc("2026-11-01T06:30:00.5Z")).unwrap();
        assert_eq!(second_pass.wall, wall("2026-11-01 02:00:00"));
        assert!(second_pass.inclusive);
    }

    #[test]
    fn lord_howe_moves_half_an_hour() {
        let lord_howe = Tz::Australia__Lord_Howe;
        // 2026-10-04 02:00 (+10:30) jumps to 02:30 (+11:00).
        let day = NaiveDate::from_ymd_opt(2026, 10, 4).unwrap();
        let in_gap = day.and_hms_opt(2, 15, 0).unwrap();
        assert_eq!(
            fire_instant(lord_howe, in_gap),
            Some(utc("2026-10-03T15:30:00Z"))
        );
    }
}
