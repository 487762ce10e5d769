//! Upcoming fire times of a schedule, for people: each with its wall time in the schedule's
//! zone and a note where daylight saving bends the wall clock (`dst.rs` has the rule).

use chrono::{DateTime, FixedOffset, LocalResult, Offset, TimeDelta, TimeZone, Utc};
use chrono_tz::Tz;
use serde::Serialize;

use super::Schedule;

/// Largest number of fire times one preview lists.
pub const MAX_PREVIEW_COUNT: usize = 1000;

/// How daylight saving touches one fire time.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum DstNote {
    /// The clock jumps forward at this instant: wall times the pattern names inside the
    /// skipped range fire here, together.
    Gap,
    /// This wall time happens twice (the clock goes back); the run fires once, at the first.
    Overlap,
}

/// One upcoming fire time.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PreviewTime {
    /// The instant, in UTC.
    pub time: DateTime<Utc>,
    /// The same instant on the wall clock of the preview's zone.
    pub local: DateTime<FixedOffset>,
    /// Set when daylight saving bends this fire time.
    pub dst: Option<DstNote>,
}

/// Where a preview starts and stops.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PreviewWindow {
    /// The first fire time listed is the first one at or after this instant.
    pub from: DateTime<Utc>,
    /// No fire time after this instant is listed (a job's `expires_at`).
    pub until: Option<DateTime<Utc>>,
    /// At most this many are listed (capped at [`MAX_PREVIEW_COUNT`]).
    pub count: usize,
}

/// Lists the fire times of `schedule` in `window`, shown on the wall clock of `zone`.
///
/// `@every` schedules advance from `window.from`; pass the job's next fire time to follow its
/// rhythm. Notes are given for cron and descriptor schedules only: `@every` and `@at` fire at
/// instants, whatever the wall clock does.
pub fn preview(schedule: &Schedule, zone: Tz, window: PreviewWindow) -> Vec<PreviewTime> {
    let wall_clock_bound = schedule.zone().is_some();
    let until = window.until.unwrap_or(DateTime::<Utc>::MAX_UTC);
    let first = if schedule.every().is_some() {
        // An interval counts from the previous fire time, so `from` is itself one.
        Some(window.from)
    } else {
        window
            .from
            .checked_sub_signed(TimeDelta::nanoseconds(1))
            .and_then(|after| schedule.next_after(after))
    };
    std::iter::successors(first, |previous| schedule.next_after(*previous))
        .take_while(|time| *time <= until)
        .take(window.count.min(MAX_PREVIEW_COUNT))
        .map(|time| PreviewTime {
            time,
            local: time.with_timezone(&zone).fixed_offset(),
            dst: wall_clock_bound.then(|| dst_note(zone, time)).flatten(),
        })
        .collect()
}

/// Tells whether `instant` is the end of a forward jump or a wall time that repeats.
fn dst_note(zone: Tz, instant: DateTime<Utc>) -> Option<DstNote> {
    let offset_at = |at: DateTime<Utc>| {
        zone.offset_from_utc_datetime(&at.naive_utc())
            .fix()
            .local_minus_utc()
    };
    let just_before = instant - TimeDelta::nanoseconds(1);
    if offset_at(instant) > offset_at(just_before) {
        return Some(DstNote::Gap);
    }
    let wall = instant.with_timezone(&zone).naive_local();
    match zone.from_local_datetime(&wall) {
        LocalResult::Ambiguous(..) => Some(DstNote::Overlap),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn utc(text: &str) -> DateTime<Utc> {
        text.parse().expect("test instants are valid RFC 3339")
    }

    fn berlin() -> Tz {
        "Europe/Berlin".parse().expect("a known zone")
    }

    fn window(from: &str, count: usize) -> PreviewWindow {
        PreviewWindow {
            from: utc(from),
            until: None,
            count,
        }
    }

    #[test]
    fn lists_wall_times_in_the_zone() {
        let schedule =
            Schedule::parse("0 30 9 * * *", "job", "Europe/Berlin", Tz::UTC).expect("valid spec");
        let times = preview(&schedule, berlin(), window("2026-01-10T00:00:00Z", 2));
        assert_eq!(times.len(), 2);
        assert_eq!(times[0].time, utc("2026-01-10T08:30:00Z"));
        assert_eq!(times[0].local.to_rfc3339(), "2026-01-10T09:30:00+01:00");
        assert_eq!(times[0].dst, None);
        assert_eq!(times[1].time, utc("2026-01-11T08:30:00Z"));
    }

    #[test]
    fn flags_the_spring_gap_and_the_autumn_overlap() {
        let schedule =
            Schedule::parse("0 30 2 * * *", "job", "Europe/Berlin", Tz::UTC).expect("valid spec");
        // 2026-03-29: 02:00 becomes 03:00, so 02:30 fires at 03:00 (01:00 UTC).
        let spring = preview(&schedule, berlin(), window("2026-03-28T12:00:00Z", 2));
        assert_eq!(spring[0].time, utc("2026-03-29T01:00:00Z"));
        assert_eq!(spring[0].dst, Some(DstNote::Gap));
        assert_eq!(spring[1].dst, None);
        // 2026-10-25: 03:00 becomes 02:00, so 02:30 happens twice and fires on the first.
        let autumn = preview(&schedule, berlin(), window("2026-10-24T12:00:00Z", 2));
        assert_eq!(autumn[0].time, utc("2026-10-25T00:30:00Z"));
        assert_eq!(autumn[0].local.to_rfc3339(), "2026-10-25T02:30:00+02:00");
        assert_eq!(autumn[0].dst, Some(DstNote::Overlap));
        assert_eq!(autumn[1].dst, None);
    }

    #[test]
    fn interval_schedules_follow_from_and_carry_no_notes() {
        let schedule =
            Schedule::parse("@every 30m", "job", "Europe/Berlin", Tz::UTC).expect("valid spec");
        let times = preview(&schedule, berlin(), window("2026-10-25T00:30:00Z", 3));
        let instants: Vec<_> = times.iter().map(|time| time.time).collect();
        assert_eq!(
            instants,
            [
                utc("2026-10-25T00:30:00Z"),
                utc("2026-10-25T01:00:00Z"),
                utc("2026-10-25T01:30:00Z")
            ]
        );
        assert!(times.iter().all(|time| time.dst.is_none()));
    }

    #[test]
    fn stops_at_until_and_at_the_count_cap() {
        let schedule = Schedule::parse("@every 1s", "job", "", Tz::UTC).expect("valid spec");
        let capped = preview(&schedule, Tz::UTC, window("2026-01-01T00:00:00Z", 5000));
        assert_eq!(capped.len(), MAX_PREVIEW_COUNT);
        let bounded = preview(
            &schedule,
            Tz::UTC,
            PreviewWindow {
                until: Some(utc("2026-01-01T00:00:02Z")),
                ..window("2026-01-01T00:00:00Z", 10)
            },
        );
        assert_eq!(bounded.len(), 3);
    }

    #[test]
    fn manual_and_past_one_shot_schedules_list_nothing() {
        let manual = Schedule::parse("@manually", "job", "", Tz::UTC).expect("valid spec");
        assert!(preview(&manual, Tz::UTC, window("2026-01-01T00:00:00Z", 10)).is_empty());
        let past =
            Schedule::parse("@at 2020-01-01T00:00:00Z", "job", "", Tz::UTC).expect("valid spec");
        assert!(preview(&past, Tz::UTC, window("2026-01-01T00:00:00Z", 10)).is_empty());
    }
}
