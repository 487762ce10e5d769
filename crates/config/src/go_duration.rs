//! Writing durations back in Go's syntax, the inverse of `dkron_model::parse_go_duration`.

use std::time::Duration;

use serde::Serializer;

/// Nanoseconds per second.
const NANOS_PER_SECOND: u32 = 1_000_000_000;

/// Formats a duration the way a user would write it in Go syntax: `24h`, `1h30m`, `30s`,
/// `1m0.5s`, `250ms`, `0s`.
///
/// Zero components are left out (Go's own `String` would print `24h0m0s`); the result always
/// parses back to the same duration with `dkron_model::parse_go_duration`.
pub fn format_go_duration(duration: Duration) -> String {
    if duration.is_zero() {
        return "0s".to_string();
    }
    let total_seconds = duration.as_secs();
    let subsecond_nanos = duration.subsec_nanos();
    if total_seconds == 0 {
        return format_subsecond(subsecond_nanos);
    }
    let hours = total_seconds / 3600;
    let minutes = total_seconds % 3600 / 60;
    let seconds = total_seconds % 60;
    let mut text = String::new();
    if hours > 0 {
        text.push_str(&format!("{hours}h"));
    }
    if minutes > 0 {
        text.push_str(&format!("{minutes}m"));
    }
    if subsecond_nanos > 0 {
        let fraction = format!("{subsecond_nanos:09}");
        text.push_str(&format!("{seconds}.{}s", fraction.trim_end_matches('0')));
    } else if seconds > 0 {
        text.push_str(&format!("{seconds}s"));
    }
    text
}

/// Formats less than one second with the largest unit that keeps it exact.
fn format_subsecond(nanos: u32) -> String {
    debug_assert!(nanos > 0 && nanos < NANOS_PER_SECOND);
    if nanos.is_multiple_of(1_000_000) {
        format!("{}ms", nanos / 1_000_000)
    } else if nanos.is_multiple_of(1_000) {
        format!("{}us", nanos / 1_000)
    } else {
        format!("{nanos}ns")
    }
}

/// Serializes a `Duration` field as Go duration text.
pub(crate) fn serialize<S: Serializer>(
    duration: &Duration,
    serializer: S,
) -> Result<S::Ok, S::Error> {
    serializer.serialize_str(&format_go_duration(*duration))
}

#[cfg(test)]
mod tests {
    use super::*;
    use dkron_model::parse_go_duration;

    #[test]
    fn writes_compact_go_durations() {
        let cases = [
            (Duration::ZERO, "0s"),
            (Duration::from_secs(30), "30s"),
            (Duration::from_secs(60), "1m"),
            (Duration::from_secs(3600), "1h"),
            (Duration::from_secs(86_400), "24h"),
            (Duration::from_secs(5400), "1h30m"),
            (Duration::from_secs(3601), "1h1s"),
            (Duration::from_millis(60_500), "1m0.5s"),
            (Duration::from_millis(250), "250ms"),
            (Duration::from_micros(3), "3us"),
            (Duration::from_nanos(7), "7ns"),
        ];
        for (duration, text) in cases {
            assert_eq!(format_go_duration(duration), text);
            assert_eq!(
                parse_go_duration(text).unwrap(),
                duration,
                "{text} round trip"
            );
        }
    }
}
