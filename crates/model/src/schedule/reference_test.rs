//! Property test: `next_after` against a brute-force reference that walks the time line
//! second by second and applies the documented rule on its own terms.
//!
//! The reference knows nothing of croner, of our field parser or of chrono's local-time
//! resolution. Specs are generated from field pieces whose value sets are computed here; the
//! zone's offsets come from a table of offset changes built by scanning tzdb minute by minute.
//! A fire happens at instant `t` when the wall clock at `t` matches and no earlier instant
//! shows that wall time, or when `t` is the first instant after a forward jump and some wall
//! time skipped by the jump (or the wall time at `t`) matches.

use chrono::{DateTime, Datelike, Offset, TimeDelta, TimeZone, Timelike, Utc};
use chrono_tz::Tz;
use proptest::prelude::*;

use super::Schedule;

/// How far the reference looks ahead.
const WINDOW_SECONDS: i64 = 3 * 24 * 3600;

const ZONES: [Tz; 10] = [
    Tz::UTC,
    Tz::America__New_York,
    Tz::Europe__Berlin,
    Tz::Europe__London,
    Tz::Australia__Lord_Howe,
    Tz::Pacific__Chatham,
    Tz::America__Santiago,
    Tz::America__St_Johns,
    Tz::Asia__Kolkata,
    Tz::Africa__Casablanca,
];

const MONTH_NAMES: [&str; 12] = [
    "jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec",
];
const WEEKDAY_NAMES: [&str; 7] = ["sun", "mon", "tue", "wed", "thu", "fri", "sat"];

/// One generated field: its text and the values it means.
#[derive(Debug, Clone)]
struct Piece {
    text: String,
    values: u64,
    star: bool,
}

fn value_set(start: u32, end: u32, step: u32) -> u64 {
    (start..=end)
        .step_by(step as usize)
        .fold(0, |bits, value| bits | (1u64 << value))
}

/// Writes a value of field `index` as a number or, sometimes, as a name in some case.
fn value_text(index: usize, value: u32, naming: u8) -> String {
    let name = match index {
        4 => MONTH_NAMES[(value - 1) as usize],
        5 => WEEKDAY_NAMES[value as usize],
        _ => return value.to_string(),
    };
    match naming % 4 {
        0 => name.to_string(),
        1 => name.to_uppercase(),
        _ => value.to_string(),
    }
}

/// One range of a list: `*`, `?`, `N`, `A-B`, `*/S`, `N/S` or `A-B/S`.
fn range_piece(index: usize, min: u32, max: u32) -> impl Strategy<Value = Piece> {
    let span = max - min;
    (0..7u8, min..=max, min..=max, 1..=span.max(1), any::<u8>()).prop_map(
        move |(shape, first, second, step, naming)| {
            let (low, high) = (first.min(second), first.max(second));
            let text = |value| value_text(index, value, naming);
            match shape {
                0 => Piece {
                    text: "*".into(),
                    values: value_set(min, max, 1),
                    star: true,
                },
                1 => Piece {
                    text: "?".into(),
                    values: value_set(min, max, 1),
                    star: true,
                },
                2 => Piece {
                    text: text(first),
                    values: value_set(first, first, 1),
                    star: false,
                },
                3 => Piece {
                    text: format!("{}-{}", text(low), text(high)),
                    values: value_set(low, high, 1),
                    star: false,
                },
                4 => Piece {
                    text: format!("*/{step}"),
                    values: value_set(min, max, step),
                    star: step == 1,
                },
                5 => Piece {
                    text: format!("{}/{step}", text(first)),
                    values: value_set(first, max, step),
                    star: false,
                },
                _ => Piece {
                    text: format!("{}-{}/{step}", text(low), text(high)),
                    values: value_set(low, high, step),
                    star: false,
                },
            }
        },
    )
}

/// A field: mostly one range, sometimes a list of two or three.
fn field_piece(index: usize, min: u32, max: u32) -> impl Strategy<Value = Piece> {
    prop::collection::vec(range_piece(index, min, max), 1..=3).prop_map(|ranges| {
        let mut ranges = ranges;
        // Lists are rarer than single ranges.
        if ranges.len() == 2 {
            ranges.truncate(1);
        }
        Piece {
            text: ranges
                .iter()
                .map(|piece| piece.text.clone())
                .collect::<Vec<_>>()
                .join(","),
            values: ranges.iter().fold(0, |bits, piece| bits | piece.values),
            star: ranges.iter().any(|piece| piece.star),
        }
    })
}

/// A day-ish field that is usually `*`, so that most specs fire within the window.
fn mostly_star(index: usize, min: u32, max: u32) -> impl Strategy<Value = Piece> {
    prop_oneof![
        3 => Just(Piece { text: "*".into(), values: value_set(min, max, 1), star: true }),
        1 => field_piece(index, min, max),
    ]
}

/// Hours, often near the small hours where clocks change.
fn hour_piece() -> impl Strategy<Value = Piece> {
    prop_oneof![
        1 => field_piece(2, 0, 23),
        1 => (0..4u32, 0..3u32).prop_map(|(start, length)| {
            let end = start + length;
            Piece {
                text: format!("{start}-{end}"),
                values: value_set(start, end, 1),
                star: false,
            }
        }),
    ]
}

fn spec_fields() -> impl Strategy<Value = [Piece; 6]> {
    (
        field_piece(0, 0, 59),
        field_piece(1, 0, 59),
        hour_piece(),
        mostly_star(3, 1, 31),
        mostly_star(4, 1, 12),
        mostly_star(5, 0, 6),
    )
        .prop_map(|(second, minute, hour, day, month, weekday)| {
            [second, minute, hour, day, month, weekday]
        })
}

/// The zone's UTC offset over a stretch of time, as a list of (first second, offset).
struct Offsets {
    changes: Vec<(i64, i64)>,
}

impl Offsets {
    /// Scans `[from, to]` in steps of `stride` seconds, then finds each change to the second.
    fn scan(zone: Tz, from: i64, to: i64, stride: i64) -> Offsets {
        let offset_at = |second: i64| -> i64 {
            let instant = DateTime::from_timestamp(second, 0).expect("in range");
            i64::from(
                zone.offset_from_utc_datetime(&instant.naive_utc())
                    .fix()
                    .local_minus_utc(),
            )
        };
        let mut changes = vec![(from, offset_at(from))];
        let mut step_start = from;
        while step_start < to {
            let step_end = step_start + stride;
            if offset_at(step_end) != offset_at(step_start) {
                let change = (step_start + 1..=step_end)
                    .find(|second| offset_at(*second) != offset_at(step_start))
                    .expect("the offset changes within the step");
                changes.push((change, offset_at(change)));
            }
            step_start = step_end;
        }
        Offsets { changes }
    }

    fn offset_at(&self, second: i64) -> i64 {
        self.changes
            .iter()
            .rev()
            .find(|(start, _)| *start <= second)
            .map_or(self.changes[0].1, |(_, offset)| *offset)
    }

    /// Returns true when some instant before `instant` shows the wall time `wall`.
    fn shown_earlier(&self, wall: i64, instant: i64) -> bool {
        self.changes
            .iter()
            .enumerate()
            .any(|(index, (start, offset))| {
                let end = self
                    .changes
                    .get(index + 1)
                    .map_or(i64::MAX, |(next, _)| *next);
                let candidate = wall - offset;
                candidate >= *start && candidate < end && candidate < instant
            })
    }
}

fn wall_matches(fields: &[Piece; 6], wall: i64) -> bool {
    let time = DateTime::from_timestamp(wall, 0)
        .expect("in range")
        .naive_utc();
    let has = |index: usize, value: u32| fields[index].values & (1u64 << value) != 0;
    let day = has(3, time.day());
    let weekday = has(5, time.weekday().num_days_from_sunday());
    let day_ok = if fields[3].star || fields[5].star {
        day && weekday
    } else {
        day || weekday
    };
    has(0, time.second())
        && has(1, time.minute())
        && has(2, time.hour())
        && has(4, time.month())
        && day_ok
}

/// The first fire time after `after` within the window, by walking every second.
fn reference_next(fields: &[Piece; 6], zone: Tz, after: DateTime<Utc>) -> Option<i64> {
    let first = after.timestamp() + 1;
    let last = after.timestamp() + WINDOW_SECONDS;
    let offsets = Offsets::scan(zone, first - 2 * 24 * 3600, last + 3600, 60);
    for instant in first..=last {
        let wall = instant + offsets.offset_at(instant);
        let previous_wall = instant - 1 + offsets.offset_at(instant - 1);
        if wall - previous_wall > 1 {
            if (previous_wall + 1..=wall).any(|skipped| wall_matches(fields, skipped)) {
                return Some(instant);
            }
            continue;
        }
        if wall_matches(fields, wall) && !offsets.shown_earlier(wall, instant) {
            return Some(instant);
        }
    }
    None
}

/// Start instants: near an offset change of the zone in 2026 when it has one.
fn start_instant(zone: Tz, pick: u32, shift_seconds: i64, nanos: u32) -> DateTime<Utc> {
    let year_start = Utc
        .with_ymd_and_hms(2026, 1, 1, 0, 0, 0)
        .unwrap()
        .timestamp();
    let offsets = Offsets::scan(zone, year_start, year_start + 365 * 24 * 3600, 3600);
    let base = if offsets.changes.len() > 1 {
        offsets.changes[1 + pick as usize % (offsets.changes.len() - 1)].0
    } else {
        year_start + i64::from(pick % 365) * 24 * 3600
    };
    DateTime::from_timestamp(base + shift_seconds, nanos).unwrap()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn next_after_matches_the_second_by_second_reference(
        fields in spec_fields(),
        zone_index in 0..ZONES.len(),
        pick in any::<u32>(),
        shift_seconds in prop_oneof![-3 * 3600i64..3600, -36 * 3600i64..12 * 3600],
        half_second in any::<bool>(),
    ) {
        let zone = ZONES[zone_index];
        let spec = fields.iter().map(|piece| piece.text.as_str()).collect::<Vec<_>>().join(" ");
        let schedule = Schedule::parse(&spec, "job", zone.name(), Tz::UTC).unwrap();
        let after = start_instant(zone, pick, shift_seconds, if half_second { 500_000_000 } else { 0 });
        let ours = schedule.next_after(after);
        match reference_next(&fields, zone, after) {
            Some(expected) => prop_assert_eq!(
                ours.map(|instant| instant.timestamp()),
                Some(expected),
                "spec {} in {} after {}", spec, zone.name(), after
            ),
            None => prop_assert!(
                ours.is_none_or(|instant| instant - after > TimeDelta::seconds(WINDOW_SECONDS)),
                "spec {} in {} after {}: ours {:?}, reference none", spec, zone.name(), after, ours
            ),
        }
        if let Some(instant) = ours {
            prop_assert_eq!(instant.nanosecond(), 0);
        }
    }
}
