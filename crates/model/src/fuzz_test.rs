//! Fuzz targets (issue 14): the schedule parser, the Go duration parser and job JSON with
//! validation must answer every input with a value or a clear error, never a panic.
//!
//! Each property runs proptest's default number of cases (256) in the normal test run;
//! `PROPTEST_CASES=100000 cargo nextest run -p dkron-model fuzz` runs them long (see
//! docs/development.md).

use chrono::{DateTime, TimeZone, Utc};
use proptest::prelude::*;

use crate::schedule::Schedule;
use crate::{Job, check_spec, parse_go_duration, validate_job};

/// Pieces schedules are made of, so random specs reach deep into the parser.
const SPEC_PIECES: &[&str] = &[
    "*",
    "?",
    "/",
    "-",
    ",",
    "~",
    "L",
    "W",
    "#",
    "0",
    "1",
    "5",
    "7",
    "12",
    "23",
    "31",
    "59",
    "60",
    "99",
    "4294967296",
    "JAN",
    "dec",
    "MON",
    "sun",
    "@every",
    "@at",
    "@daily",
    "@hourly",
    "@weekly",
    "@monthly",
    "@yearly",
    "@annually",
    "@midnight",
    "@manually",
    "TZ=",
    "CRON_TZ=",
    "Europe/Berlin",
    "America/New_York",
    "Bad/Zone",
    "1h",
    "-1s",
    "0s",
    "1ms",
    "2020-03-08T02:30:00Z",
    "9999-12-31T23:59:59Z",
    " ",
    "\t",
    "é",
];

/// Fields of a job, for JSON objects that look like jobs.
const JOB_FIELDS: &[&str] = &[
    "name",
    "displayname",
    "timezone",
    "schedule",
    "owner",
    "disabled",
    "tags",
    "metadata",
    "retries",
    "dependent_jobs",
    "parent_job",
    "processors",
    "concurrency",
    "executor",
    "executor_config",
    "starts_at",
    "expires_at",
    "ephemeral",
    "timeout",
    "notify_on",
    "history_max_age",
    "misfire_policy",
    "catch_up_window",
    "retry_backoff",
    "status",
    "next",
    "success_count",
    "error_count",
    "last_success",
    "last_error",
    "id",
];

fn spec_strategy() -> impl Strategy<Value = String> {
    prop_oneof![
        ".{0,40}",
        prop::collection::vec(prop::sample::select(SPEC_PIECES), 0..12)
            .prop_map(|pieces| pieces.join(" ")),
        prop::collection::vec(prop::sample::select(SPEC_PIECES), 0..12)
            .prop_map(|pieces| pieces.concat()),
    ]
}

fn duration_strategy() -> impl Strategy<Value = String> {
    prop_oneof![
        ".{0,24}",
        "[-+]?[0-9.]{0,25}(ns|us|µs|μs|ms|s|m|h|d)?([0-9.]{0,5}(ns|us|ms|s|m|h))*",
    ]
}

/// Arbitrary JSON: scalars of every kind, nested arrays and objects.
fn json_strategy() -> impl Strategy<Value = serde_json::Value> {
    let leaf = prop_oneof![
        Just(serde_json::Value::Null),
        any::<bool>().prop_map(serde_json::Value::from),
        any::<i64>().prop_map(serde_json::Value::from),
        any::<u64>().prop_map(serde_json::Value::from),
        any::<f64>().prop_map(serde_json::Value::from),
        ".{0,12}".prop_map(serde_json::Value::from),
        spec_strategy().prop_map(serde_json::Value::from),
    ];
    leaf.prop_recursive(4, 48, 8, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(serde_json::Value::from),
            prop::collection::btree_map(".{0,8}", inner, 0..6)
                .prop_map(|map| serde_json::Value::Object(map.into_iter().collect())),
        ]
    })
}

/// JSON objects keyed by job fields, with arbitrary values.
fn job_like_json() -> impl Strategy<Value = serde_json::Value> {
    prop::collection::btree_map(prop::sample::select(JOB_FIELDS), json_strategy(), 0..12).prop_map(
        |fields| {
            let object = fields
                .into_iter()
                .map(|(key, value)| (key.to_owned(), value))
                .collect();
            serde_json::Value::Object(object)
        },
    )
}

fn instant_strategy() -> impl Strategy<Value = DateTime<Utc>> {
    // 1970 to about 2200, where schedules are asked about.
    (0i64..7_258_118_400).prop_map(|seconds| {
        Utc.timestamp_opt(seconds, 0)
            .single()
            .expect("every second in range is a valid instant")
    })
}

/// Decodes and validates `bytes` as a job, as the API does; errors must have a message.
fn decode_and_validate(bytes: &[u8]) {
    match serde_json::from_slice::<Job>(bytes) {
        Ok(job) => {
            if let Err(error) = validate_job(&job) {
                assert!(!error.to_string().is_empty());
                assert!(!error.field().is_empty());
            } else if let Ok(schedule) = job.parse_schedule(chrono_tz::UTC) {
                let _ = schedule.next_after(Utc::now());
            }
        }
        Err(error) => assert!(!error.to_string().is_empty()),
    }
}

proptest! {
    #[test]
    fn schedules_parse_or_fail_cleanly(
        spec in spec_strategy(),
        name in "[a-z0-9_-]{0,8}",
        timezone in prop::sample::select(&["", "Local", "UTC", "Europe/Berlin", "Nowhere/Else"][..]),
        after in instant_strategy(),
    ) {
        let checked = check_spec(&spec, &name);
        match Schedule::parse(&spec, &name, timezone, chrono_tz::Europe::Berlin) {
            Ok(schedule) => {
                // Walking the schedule is where arithmetic could overflow.
                let until = after + chrono::Duration::days(400);
                for fire in schedule.fire_times(after, until, 3) {
                    prop_assert!(fire > after && fire <= until, "{fire} outside ({after}, {until}]");
                }
                let _ = schedule.next_after(after);
            }
            Err(error) => prop_assert!(!error.to_string().is_empty()),
        }
        if let Err(error) = checked {
            prop_assert!(!error.to_string().is_empty());
        }
    }

    #[test]
    fn go_durations_parse_or_fail_cleanly(text in duration_strategy()) {
        match parse_go_duration(&text) {
            Ok(_duration) => {}
            Err(error) => prop_assert!(!error.to_string().is_empty()),
        }
    }

    #[test]
    fn arbitrary_bytes_are_never_a_panic_as_a_job(bytes in prop::collection::vec(any::<u8>(), 0..256)) {
        decode_and_validate(&bytes);
    }

    #[test]
    fn arbitrary_json_is_never_a_panic_as_a_job(value in json_strategy()) {
        decode_and_validate(value.to_string().as_bytes());
    }

    #[test]
    fn job_shaped_json_is_never_a_panic(value in job_like_json()) {
        decode_and_validate(value.to_string().as_bytes());
    }
}
