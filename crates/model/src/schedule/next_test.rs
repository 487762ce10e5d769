//! Fire-time tests of `Schedule::next_after`: Dkron's cases, time zones and DST.

use chrono::{DateTime, Utc};
use chrono_tz::Tz;

use super::*;

fn utc(text: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(text).unwrap().to_utc()
}

fn schedule(spec: &str, timezone: &str) -> Schedule {
    Schedule::parse(spec, "test_job", timezone, Tz::UTC).unwrap()
}

/// Returns the fire times after `after`, as RFC 3339 in the schedule's zone.
fn fires(spec: &str, timezone: &str, after: &str, count: usize) -> Vec<String> {
    let schedule = schedule(spec, timezone);
    let zone = schedule.zone().unwrap_or(Tz::UTC);
    schedule
        .fire_times(utc(after), utc("9999-01-01T00:00:00Z"), count)
        .map(|instant| instant.with_timezone(&zone).to_rfc3339())
        .collect()
}

#[test]
fn at_fires_once_if_still_ahead() {
    let at = schedule("@at 2012-07-09T15:00:00Z", "");
    assert_eq!(at.one_shot(), Some(utc("2012-07-09T15:00:00Z")));
    assert_eq!(
        at.next_after(utc("2012-07-09T14:45:00Z")),
        Some(utc("2012-07-09T15:00:00Z"))
    );
    assert_eq!(at.next_after(utc("2012-07-09T15:00:00Z")), None);
    let past = schedule("@at 2012-07-05T13:00:00Z", "");
    assert_eq!(past.next_after(utc("2012-07-09T14:45:00Z")), None);
    let offset = schedule("@at 2019-02-04T09:20:00+06:00", "");
    assert_eq!(offset.one_shot(), Some(utc("2019-02-04T03:20:00Z")));
}

#[test]
fn manually_never_fires() {
    let manual = schedule("@manually", "Europe/Berlin");
    assert!(manual.is_manual());
    assert_eq!(manual.next_after(utc("2026-01-01T00:00:00Z")), None);
    assert!(!schedule("@daily", "").is_manual());
}

#[test]
fn every_counts_from_the_whole_second() {
    let every = schedule("@every 2s", "");
    assert_eq!(every.every(), Some(Duration::from_secs(2)));
    assert_eq!(
        every.next_after(utc("2026-01-01T00:00:00.750Z")),
        Some(utc("2026-01-01T00:00:02Z"))
    );
    let sub_second = schedule("@every 10ms", "");
    assert_eq!(
        sub_second.next_after(utc("2026-01-01T00:00:00Z")),
        Some(utc("2026-01-01T00:00:01Z"))
    );
}

#[test]
fn cron_fields_fire_on_the_wall_clock() {
    assert_eq!(
        fires("*/20 * * * * *", "", "2026-01-01T00:00:00Z", 3),
        [
            "2026-01-01T00:00:20+00:00",
            "2026-01-01T00:00:40+00:00",
            "2026-01-01T00:01:00+00:00"
        ]
    );
    assert_eq!(
        fires(
            "0 30 9 * * MON-FRI",
            "Europe/Berlin",
            "2026-01-02T09:00:00Z",
            2
        ),
        ["2026-01-05T09:30:00+01:00", "2026-01-06T09:30:00+01:00"]
    );
    // Hashed: test_job puts `~` hours at 18.
    assert_eq!(
        fires("0 0 ~ * * *", "UTC", "2026-01-01T00:00:00Z", 1),
        ["2026-01-01T18:00:00+00:00"]
    );
    // `5/10` means 5-59/10.
    assert_eq!(
        fires("5/10 0 0 * * *", "", "2026-01-01T00:00:00Z", 2),
        ["2026-01-01T00:00:05+00:00", "2026-01-01T00:00:15+00:00"]
    );
}

#[test]
fn restricted_day_of_month_and_weekday_are_ored() {
    // 2026-03-01 is a Sunday; fire on the 15th or on Sundays.
    assert_eq!(
        fires("0 0 0 15 * SUN", "UTC", "2026-03-01T00:00:00Z", 3),
        [
            "2026-03-08T00:00:00+00:00",
            "2026-03-15T00:00:00+00:00",
            "2026-03-22T00:00:00+00:00"
        ]
    );
    // A day of month under a wildcard weekday must match on its own.
    assert_eq!(
        fires("0 0 0 */10 * *", "UTC", "2026-03-01T00:00:00Z", 2),
        ["2026-03-11T00:00:00+00:00", "2026-03-21T00:00:00+00:00"]
    );
    // `*/2` loses the wildcard: ORed with Mondays.
    assert_eq!(
        fires("0 0 0 */2 * MON", "UTC", "2026-03-01T00:00:00Z", 3),
        [
            "2026-03-02T00:00:00+00:00",
            "2026-03-03T00:00:00+00:00",
            "2026-03-05T00:00:00+00:00"
        ]
    );
}

#[test]
fn impossible_dates_never_fire() {
    assert_eq!(
        schedule("0 0 0 30 2 *", "").next_after(utc("2026-01-01T00:00:00Z")),
        None
    );
    assert_eq!(
        schedule(", 0 0 * * *", "").next_after(utc("2026-01-01T00:00:00Z")),
        None
    );
    assert_eq!(
        fires("0 0 0 29 2 *", "UTC", "2026-01-01T00:00:00Z", 1),
        ["2028-02-29T00:00:00+00:00"]
    );
}

#[test]
fn zone_prefix_wins_over_job_timezone_and_descriptors_follow_the_job() {
    assert_eq!(
        fires(
            "TZ=Asia/Tokyo 0 0 9 * * *",
            "Europe/Berlin",
            "2025-12-31T12:00:00Z",
            1
        ),
        ["2026-01-01T09:00:00+09:00"]
    );
    assert_eq!(
        fires("@daily", "America/New_York", "2026-01-01T12:00:00Z", 1),
        ["2026-01-02T00:00:00-05:00"]
    );
    let local = Schedule::parse("@hourly", "a", "", Tz::Asia__Kolkata).unwrap();
    assert_eq!(local.zone(), Some(Tz::Asia__Kolkata));
    assert_eq!(
        local.next_after(utc("2026-01-01T00:00:00Z")),
        Some(utc("2026-01-01T00:30:00Z"))
    );
    assert_eq!(
        Schedule::parse("@daily", "a", "Mars/Base", Tz::UTC)
            .unwrap_err()
            .to_string(),
        "unknown time zone Mars/Base"
    );
}

#[test]
fn spring_forward_gap_fires_once_when_the_gap_ends() {
    // 2026-03-08: 02:00 EST jumps to 03:00 EDT in New York.
    assert_eq!(
        fires(
            "0 30 2 * * *",
            "America/New_York",
            "2026-03-07T12:00:00Z",
            3
        ),
        [
            "2026-03-08T03:00:00-04:00",
            "2026-03-09T02:30:00-04:00",
            "2026-03-10T02:30:00-04:00"
        ]
    );
    // Every minute of the gap collapses into 03:00:00, which also matches itself.
    assert_eq!(
        fires("0 * * * * *", "America/New_York", "2026-03-08T06:58:00Z", 3),
        [
            "2026-03-08T01:59:00-05:00",
            "2026-03-08T03:00:00-04:00",
            "2026-03-08T03:01:00-04:00"
        ]
    );
}

#[test]
fn fall_back_overlap_fires_once_on_the_first_pass() {
    // 2026-11-01: 02:00 EDT goes back to 01:00 EST in New York.
    assert_eq!(
        fires(
            "0 30 1 * * *",
            "America/New_York",
            "2026-10-31T12:00:00Z",
            2
        ),
        ["2026-11-01T01:30:00-04:00", "2026-11-02T01:30:00-05:00"]
    );
    // Hourly: one run at 01:00 EDT, none in the repeated hour, then 02:00 EST.
    assert_eq!(
        fires("0 0 * * * *", "America/New_York", "2026-11-01T04:30:00Z", 3),
        [
            "2026-11-01T01:00:00-04:00",
            "2026-11-01T02:00:00-05:00",
            "2026-11-01T03:00:00-05:00"
        ]
    );
    // Starting inside the second pass skips what already fired in the first.
    assert_eq!(
        fires(
            "0 */20 * * * *",
            "America/New_York",
            "2026-11-01T06:10:00Z",
            2
        ),
        ["2026-11-01T02:00:00-05:00", "2026-11-01T02:20:00-05:00"]
    );
}

#[test]
fn berlin_transitions() {
    // 2026-03-29 02:00 CET -> 03:00 CEST; 2026-10-25 03:00 CEST -> 02:00 CET.
    assert_eq!(
        fires("0 15 2 * * *", "Europe/Berlin", "2026-03-28T12:00:00Z", 2),
        ["2026-03-29T03:00:00+02:00", "2026-03-30T02:15:00+02:00"]
    );
    assert_eq!(
        fires("0 15 2 * * *", "Europe/Berlin", "2026-10-24T12:00:00Z", 2),
        ["2026-10-25T02:15:00+02:00", "2026-10-26T02:15:00+01:00"]
    );
}

#[test]
fn lord_howe_half_hour_shift() {
    // 2026-10-04 02:00 +10:30 -> 02:30 +11:00; 2026-04-05 02:00 +11:00 -> 01:30 +10:30.
    assert_eq!(
        fires(
            "0 */20 2 * * *",
            "Australia/Lord_Howe",
            "2026-10-03T14:00:00Z",
            3
        ),
        [
            "2026-10-04T02:30:00+11:00",
            "2026-10-04T02:40:00+11:00",
            "2026-10-05T02:00:00+11:00"
        ]
    );
    assert_eq!(
        fires(
            "0 */20 1 * * *",
            "Australia/Lord_Howe",
            "2026-04-04T13:00:00Z",
            4
        ),
        [
            "2026-04-05T01:00:00+11:00",
            "2026-04-05T01:20:00+11:00",
            "2026-04-05T01:40:00+11:00",
            "2026-04-06T01:00:00+10:30"
        ]
    );
}

#[test]
fn extreme_instants_do_not_panic() {
    let specs = [
        "* * * * * *",
        "0 0 0 29 2 *",
        "@every 1h",
        "@at 2026-01-01T00:00:00Z",
    ];
    for spec in specs {
        for zone in [
            "UTC",
            "Pacific/Kiritimati",
            "Pacific/Pago_Pago",
            "America/New_York",
        ] {
            let schedule = schedule(spec, zone);
            for after in [DateTime::<Utc>::MIN_UTC, DateTime::<Utc>::MAX_UTC] {
                let _ = schedule.next_after(after);
            }
        }
    }
    assert_eq!(
        schedule("@every 1h", "").next_after(DateTime::<Utc>::MAX_UTC),
        None
    );
}
